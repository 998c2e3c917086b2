/* Produce latency at a steady rate, with librdkafka.
 *
 * usage: latency (--bootstrap HOST:PORT | --mock | --mock-nagle) [--rate MSGS_PER_S]
 *                [--duration S] [--warmup S] [--max-messages N] [--partitions N]
 *                [--size BYTES] [--linger MS]
 *
 * Two phases on one new topic of PARTITIONS partitions (default 4), with
 * acks=all and messages of SIZE bytes (default 1024) sent round-robin:
 *   1. max throughput: N messages (default 64000) as fast as the client
 *      takes them with linger.ms=5, until every one is acknowledged, as
 *      bench/throughput's produce phase does;
 *   2. paced: a new producer (linger.ms=MS, default 5) sends message i at
 *      start + i / RATE for DURATION seconds (default 3). RATE defaults to
 *      half of phase 1's rate; bench/latency.sh passes kelpd's half rate to
 *      the mock, so that both are measured at the same absolute rate. The
 *      latency of a message is the time from just before its
 *      rd_kafka_produce to its delivery report, which a second thread polls
 *      for so that the pacer's sleeps do not delay it. Messages sent in the
 *      first WARMUP seconds (default 0.5) are left out of the percentiles.
 * --mock runs librdkafka's in-memory mock cluster in this process with
 * TCP_NODELAY on its listening socket (see bench/throughput.c);
 * --mock-nagle leaves Nagle's algorithm on, as librdkafka 2.0.2 does.
 *
 * Prints human-readable lines and one machine-readable line:
 *   RESULT max_msgs_per_s=... rate_msgs_per_s=... sent_msgs_per_s=... measured=...
 *          p50_ms=... p99_ms=... max_ms=... queue_full=...
 * where sent_msgs_per_s is the rate the pacer achieved and queue_full counts
 * produce calls refused because the client's queue was full (the pacer then
 * falls behind and the rate is not the one asked for). Exits 1 if anything
 * fails. */
#define _POSIX_C_SOURCE 200809L

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench/bench_util.h"

const char bench_program[] = "latency";

enum { WAIT_MS = 120000, MAX_PARTITIONS = 100000 };

struct options {
    const char *bootstrap;
    char topic[64];
    int mock;
    int mock_nagle;
    int partitions;
    long max_messages;
    double rate;
    double duration;
    double warmup;
    const char *linger;
    size_t size;
};

/* Delivery bookkeeping of the paced phase: send time and latency per
 * message, indexed by the message's opaque. The send time is written before
 * rd_kafka_produce and read after the delivery report, which librdkafka's
 * queues order. */
static double *sent_at;
static double *latency_s;
static atomic_long delivered;
static long delivery_errors;

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    (void)opaque;
    if (m->err && delivery_errors++ == 0)
        fprintf(stderr, "latency: delivery failed: %s\n", rd_kafka_err2str(m->err));
    if (sent_at) {
        long i = (long)(intptr_t)m->_private;
        latency_s[i] = bench_now_s() - sent_at[i];
    }
    atomic_fetch_add(&delivered, 1);
}

static rd_kafka_t *producer_new(const struct options *o, const char *linger)
{
    char errstr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    bench_conf_set(conf, "bootstrap.servers", o->bootstrap);
    bench_conf_set(conf, "acks", "all");
    bench_conf_set(conf, "linger.ms", linger);
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    if (!rk)
        bench_die("rd_kafka_new: %s", errstr);
    return rk;
}

/* The topic on a real server, with the partitions asked for. */
static void create_topic(rd_kafka_t *rk, const struct options *o)
{
    char errstr[512];
    rd_kafka_NewTopic_t *nt = rd_kafka_NewTopic_new(o->topic, o->partitions, 1, errstr, sizeof(errstr));
    if (!nt)
        bench_die("new topic %s: %s", o->topic, errstr);
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_CreateTopics(rk, &nt, 1, NULL, q);
    rd_kafka_event_t *ev = rd_kafka_queue_poll(q, WAIT_MS);
    if (!ev)
        bench_die("CreateTopics of %s: no answer", o->topic);
    if (rd_kafka_event_error(ev))
        bench_die("CreateTopics of %s: %s", o->topic, rd_kafka_event_error_string(ev));
    size_t n = 0;
    const rd_kafka_topic_result_t **res = rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &n);
    for (size_t i = 0; i < n; i++)
        if (rd_kafka_topic_result_error(res[i]))
            bench_die("CreateTopics of %s: %s", o->topic, rd_kafka_topic_result_error_string(res[i]));
    rd_kafka_event_destroy(ev);
    rd_kafka_queue_destroy(q);
    rd_kafka_NewTopic_destroy(nt);
}

/* The topic's metadata, so that connecting is done before a clock starts. */
static rd_kafka_topic_t *topic_ready(rd_kafka_t *rk, const struct options *o)
{
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, o->topic, NULL);
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, rkt, &md, WAIT_MS);
    if (err)
        bench_die("metadata: %s", rd_kafka_err2str(err));
    if (md->topic_cnt != 1 || md->topics[0].err || md->topics[0].partition_cnt != o->partitions)
        bench_die("topic %s does not have %d partition(s)", o->topic, o->partitions);
    rd_kafka_metadata_destroy(md);
    return rkt;
}

/* Phase 1: msgs/s of MAX_MESSAGES sent as fast as the client takes them. */
static double max_rate(const struct options *o, const char *payload)
{
    rd_kafka_t *rk = producer_new(o, "5");
    if (!o->mock)
        create_topic(rk, o);
    rd_kafka_topic_t *rkt = topic_ready(rk, o);
    double start = bench_now_s();
    for (long i = 0; i < o->max_messages; i++) {
        while (rd_kafka_produce(rkt, (int32_t)(i % o->partitions), RD_KAFKA_MSG_F_COPY, (void *)payload,
                                o->size, NULL, 0, NULL) != 0) {
            rd_kafka_resp_err_t err = rd_kafka_last_error();
            if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
                bench_die("produce: %s", rd_kafka_err2str(err));
            rd_kafka_poll(rk, 10);
        }
        rd_kafka_poll(rk, 0);
    }
    rd_kafka_resp_err_t err = rd_kafka_flush(rk, WAIT_MS);
    double seconds = bench_now_s() - start;
    if (err)
        bench_die("flush: %s", rd_kafka_err2str(err));
    if (delivery_errors)
        bench_die("%ld message(s) failed", delivery_errors);
    rd_kafka_topic_destroy(rkt);
    rd_kafka_destroy(rk);
    return (double)o->max_messages / seconds;
}

static atomic_int stop_polling;

static void *poller(void *arg)
{
    rd_kafka_t *rk = arg;
    while (!atomic_load(&stop_polling))
        rd_kafka_poll(rk, 10);
    return NULL;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The nearest-rank percentile P (0..1) of N sorted values. */
static double percentile(const double *v, long n, double p)
{
    long k = (long)(p * (double)n);
    if ((double)k < p * (double)n)
        k++; /* the ceiling */
    return v[k > 0 ? k - 1 : 0];
}

struct paced_result {
    double sent_msgs_per_s;
    long measured;
    long queue_full;
    double p50_ms, p99_ms, max_ms;
};

/* Phase 2: RATE msgs/s for DURATION seconds, one latency per message. */
static struct paced_result paced(const struct options *o, const char *payload)
{
    long n = (long)(o->rate * o->duration);
    if (n < 1)
        bench_die("--rate x --duration gives no message");
    sent_at = calloc((size_t)n, sizeof(*sent_at));
    latency_s = calloc((size_t)n, sizeof(*latency_s));
    if (!sent_at || !latency_s)
        bench_die("out of memory");
    atomic_store(&delivered, 0);

    rd_kafka_t *rk = producer_new(o, o->linger);
    rd_kafka_topic_t *rkt = topic_ready(rk, o);
    pthread_t thread;
    if (pthread_create(&thread, NULL, poller, rk) != 0)
        bench_die("cannot start the delivery report thread");

    struct paced_result r = { 0 };
    double start = bench_now_s();
    for (long i = 0; i < n; i++) {
        /* An absolute schedule: a late wakeup sends the messages that are
         * due at once instead of shifting every later one. */
        double due = start + (double)i / o->rate;
        if (bench_now_s() < due)
            bench_sleep_until(due);
        for (;;) {
            sent_at[i] = bench_now_s();
            if (rd_kafka_produce(rkt, (int32_t)(i % o->partitions), RD_KAFKA_MSG_F_COPY, (void *)payload,
                                 o->size, NULL, 0, (void *)(intptr_t)i) == 0)
                break;
            rd_kafka_resp_err_t err = rd_kafka_last_error();
            if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
                bench_die("produce: %s", rd_kafka_err2str(err));
            r.queue_full++;
            bench_sleep_until(bench_now_s() + 0.0001);
        }
    }
    double last = bench_now_s();
    r.sent_msgs_per_s = n > 1 ? (double)(n - 1) / (last - start) : (double)n;
    while (atomic_load(&delivered) < n) {
        if (bench_now_s() - last > WAIT_MS / 1000.0)
            bench_die("only %ld of %ld message(s) acknowledged", atomic_load(&delivered), n);
        bench_sleep_until(bench_now_s() + 0.001);
    }
    atomic_store(&stop_polling, 1);
    pthread_join(thread, NULL);
    if (delivery_errors)
        bench_die("%ld message(s) failed", delivery_errors);

    /* Left out: messages sent while connections and batching settle. */
    long m = 0;
    for (long i = 0; i < n; i++)
        if (sent_at[i] >= start + o->warmup)
            latency_s[m++] = latency_s[i];
    if (m == 0)
        bench_die("no message after the warmup of %.2f s", o->warmup);
    qsort(latency_s, (size_t)m, sizeof(*latency_s), cmp_double);
    r.measured = m;
    r.p50_ms = percentile(latency_s, m, 0.50) * 1e3;
    r.p99_ms = percentile(latency_s, m, 0.99) * 1e3;
    r.max_ms = latency_s[m - 1] * 1e3;

    rd_kafka_topic_destroy(rkt);
    rd_kafka_destroy(rk);
    free(sent_at);
    free(latency_s);
    sent_at = latency_s = NULL;
    return r;
}

int main(int argc, char **argv)
{
    struct options o = {
        .partitions = 4, .max_messages = 64000, .duration = 3, .warmup = 0.5, .linger = "5", .size = 1024,
    };
    snprintf(o.topic, sizeof(o.topic), "bench-latency-%ld-%ld", (long)getpid(), (long)time(NULL));
    for (int k = 1; k < argc; k++) {
        int has_value = k + 1 < argc;
        if (strcmp(argv[k], "--mock") == 0)
            o.mock = 1;
        else if (strcmp(argv[k], "--mock-nagle") == 0)
            o.mock = o.mock_nagle = 1;
        else if (strcmp(argv[k], "--bootstrap") == 0 && has_value)
            o.bootstrap = argv[++k];
        else if (strcmp(argv[k], "--rate") == 0 && has_value)
            o.rate = atof(argv[++k]);
        else if (strcmp(argv[k], "--duration") == 0 && has_value)
            o.duration = atof(argv[++k]);
        else if (strcmp(argv[k], "--warmup") == 0 && has_value)
            o.warmup = atof(argv[++k]);
        else if (strcmp(argv[k], "--max-messages") == 0 && has_value)
            o.max_messages = atol(argv[++k]);
        else if (strcmp(argv[k], "--partitions") == 0 && has_value)
            o.partitions = atoi(argv[++k]);
        else if (strcmp(argv[k], "--size") == 0 && has_value)
            o.size = (size_t)atol(argv[++k]);
        else if (strcmp(argv[k], "--linger") == 0 && has_value)
            o.linger = argv[++k];
        else
            bench_die("usage: latency (--bootstrap HOST:PORT | --mock | --mock-nagle) [--rate MSGS_PER_S] "
                      "[--duration S] [--warmup S] [--max-messages N] [--partitions N] [--size BYTES] [--linger MS]");
    }
    if (!o.mock == !o.bootstrap || o.max_messages <= 0 || o.size == 0 || o.partitions <= 0 ||
        o.partitions > MAX_PARTITIONS || o.rate < 0 || o.duration <= 0 || o.warmup < 0 || o.warmup >= o.duration)
        bench_die("give exactly one of --bootstrap and --mock, positive counts, and a --warmup shorter than --duration");

    rd_kafka_t *host = NULL;
    rd_kafka_mock_cluster_t *cluster = NULL;
    if (o.mock) {
        char errstr[512];
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        bench_conf_set(conf, "log_level", "4"); /* only hosts the cluster: no bootstrap notice */
        host = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
        if (!host || !(cluster = rd_kafka_mock_cluster_new(host, 1)))
            bench_die("cannot start the mock cluster");
        if (rd_kafka_mock_topic_create(cluster, o.topic, o.partitions, 1))
            bench_die("cannot create topic %s on the mock cluster", o.topic);
        o.bootstrap = rd_kafka_mock_cluster_bootstraps(cluster);
        if (!o.mock_nagle)
            bench_mock_nodelay(o.bootstrap);
    }

    char *payload = malloc(o.size);
    if (!payload)
        bench_die("out of memory");
    for (size_t k = 0; k < o.size; k++)
        payload[k] = (char)('a' + k % 26);

    double max = max_rate(&o, payload);
    printf("max produce: %ld x %zu B, %d partitions: %.0f msgs/s\n", o.max_messages, o.size, o.partitions, max);
    if (o.rate == 0)
        o.rate = max / 2;
    struct paced_result r = paced(&o, payload);
    printf("paced produce at %.0f msgs/s for %.1f s (achieved %.0f msgs/s, linger.ms=%s): "
           "%ld measured after %.1f s, p50 %.2f ms, p99 %.2f ms, max %.2f ms; %ld queue-full retries\n",
           o.rate, o.duration, r.sent_msgs_per_s, o.linger, r.measured, o.warmup, r.p50_ms, r.p99_ms, r.max_ms,
           r.queue_full);
    printf("RESULT max_msgs_per_s=%.0f rate_msgs_per_s=%.0f sent_msgs_per_s=%.0f measured=%ld p50_ms=%.3f "
           "p99_ms=%.3f max_ms=%.3f queue_full=%ld\n",
           max, o.rate, r.sent_msgs_per_s, r.measured, r.p50_ms, r.p99_ms, r.max_ms, r.queue_full);

    free(payload);
    if (cluster)
        rd_kafka_mock_cluster_destroy(cluster);
    if (host)
        rd_kafka_destroy(host);
    return 0;
}
