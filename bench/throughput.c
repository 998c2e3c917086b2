/* Produce-then-consume throughput with librdkafka.
 *
 * usage: throughput (--bootstrap HOST:PORT | --mock | --mock-nagle) [--messages N]
 *                   [--partitions N] [--set NAME=VALUE]... [--size BYTES] [--topic NAME]
 *                   [--server-pid PID] [--threads]
 *
 * Produces N messages of SIZE bytes (default 16000 x 1024) round-robin to
 * the PARTITIONS partitions (default 4) of a topic with acks=all and
 * linger.ms=5, waits until every one is acknowledged, then consumes them
 * all back (assign, from the beginning). With --bootstrap the topic is
 * created with CreateTopics first (an existing topic must have PARTITIONS
 * partitions). --mock runs librdkafka's in-memory mock cluster (one broker)
 * in this process and talks to it over loopback TCP, as a reference. The
 * mock keeps only about 5 MB per partition and drops older messages, hence
 * the default of 16000 messages (4 MB per partition at 4 partitions).
 * librdkafka 2.0.2's mock leaves Nagle's algorithm on, so pipelined
 * responses wait for delayed ACKs (see bench/transactions.c); --mock sets
 * TCP_NODELAY on its listening socket, as Kafka brokers and kelpd do, and
 * --mock-nagle leaves it as librdkafka made it.
 *
 * Prints a human-readable line per phase and one machine-readable line:
 *   RESULT produce_msgs_per_s=... produce_mb_per_s=... produce_busiest_share=...
 *          produce_client_cores=... produce_server_cores=... produce_server_ms_per_mb=...
 *          consume_... (the same six)
 * where MB is 10^6 bytes of message values and a busiest share is the CPU
 * the busiest client thread used in that phase, in cores (the mock's own
 * thread left out; see thread_cpu.h). client_cores is the CPU of all the
 * client's threads, server_cores that of the server: the mock's thread, or
 * every thread of process --server-pid (0 without it), both in cores over
 * the phase; server_ms_per_mb is the server's CPU per MB moved. CPU the
 * kernel spends for the server outside its threads (writeback workers,
 * interrupts) is in neither. Exits 1 if anything fails. */
#define _POSIX_C_SOURCE 200809L

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench/bench_util.h"
#include "bench/thread_cpu.h"

const char bench_program[] = "throughput";

enum { WAIT_MS = 120000, MAX_PARTITIONS = 100000 };

struct options {
    const char *bootstrap;
    const char *topic;
    int mock;
    int mock_nagle;
    int partitions;
    long messages;
    size_t size;
    long server_pid;
};

struct rate {
    double msgs_per_s;
    double mb_per_s;
    /* The busiest client thread during the phase and its share of a core. */
    double busiest_share;
    char busiest_name[THREAD_CPU_NAME];
    /* CPU of the client and of the server over the phase, in cores. */
    double client_cores;
    double server_cores;
};

/* Samples of the phase's two ends, of this process and of the server's
 * (--server-pid); static because each holds 256 threads. */
static struct thread_cpu phase_start, phase_end, server_start, server_end;
static int print_threads; /* --threads */
static long server_pid;  /* --server-pid */

static void sample_phase_start(void)
{
    thread_cpu_sample(&phase_start);
    if (server_pid)
        thread_cpu_sample_process(server_pid, &server_start);
}

/* The rate of a phase that began at sample_phase_start and ends now. The
 * mock cluster's thread is the server, so it does not count as the
 * client's. */
static struct rate rate_of(const char *phase, long messages, size_t size, double seconds)
{
    struct rate r = { (double)messages / seconds, (double)messages * (double)size / seconds / 1e6, 0, "", 0, 0 };
    thread_cpu_sample(&phase_end);
    if (server_pid)
        thread_cpu_sample_process(server_pid, &server_end);
    r.busiest_share = thread_cpu_busiest(&phase_start, &phase_end, seconds, "rdk:mock", r.busiest_name);
    r.client_cores = thread_cpu_sum(&phase_start, &phase_end, "rdk:mock", 0) / seconds;
    r.server_cores = (server_pid ? thread_cpu_sum(&server_start, &server_end, NULL, 1)
                                 : thread_cpu_sum(&phase_start, &phase_end, "rdk:mock", 1)) /
                     seconds;
    if (print_threads)
        thread_cpu_print(stdout, phase, &phase_start, &phase_end, seconds);
    return r;
}

static long delivery_errors;

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    (void)opaque;
    if (m->err && delivery_errors++ == 0)
        fprintf(stderr, "throughput: delivery failed: %s\n", rd_kafka_err2str(m->err));
}

/* Creates the topic on a real server, so that it has the partitions asked
 * for whatever the server's default; an existing topic is accepted here and
 * its partition count checked by produce_all. */
static void create_topic(rd_kafka_t *rk, const struct options *o)
{
    char errstr[512];
    rd_kafka_NewTopic_t *nt = rd_kafka_NewTopic_new(o->topic, o->partitions, 1, errstr, sizeof(errstr));
    if (!nt)
        bench_die("new topic %s: %s", o->topic, errstr);
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_AdminOptions_t *ao = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
    if (rd_kafka_AdminOptions_set_operation_timeout(ao, WAIT_MS, errstr, sizeof(errstr)))
        bench_die("admin options: %s", errstr);
    rd_kafka_CreateTopics(rk, &nt, 1, ao, q);
    rd_kafka_event_t *ev = rd_kafka_queue_poll(q, WAIT_MS + 10000);
    if (!ev)
        bench_die("CreateTopics of %s: no answer", o->topic);
    if (rd_kafka_event_error(ev))
        bench_die("CreateTopics of %s: %s", o->topic, rd_kafka_event_error_string(ev));
    size_t n = 0;
    const rd_kafka_topic_result_t **res = rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &n);
    for (size_t i = 0; i < n; i++) {
        rd_kafka_resp_err_t err = rd_kafka_topic_result_error(res[i]);
        if (err && err != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)
            bench_die("CreateTopics of %s: %s", o->topic, rd_kafka_topic_result_error_string(res[i]));
    }
    rd_kafka_event_destroy(ev);
    rd_kafka_AdminOptions_destroy(ao);
    rd_kafka_queue_destroy(q);
    rd_kafka_NewTopic_destroy(nt);
}

/* Client settings from --set (security.protocol, ssl.ca.location, ...). */
#define MAX_SETTINGS 16
static const char *settings[MAX_SETTINGS];
static int setting_count;

static void conf_apply_settings(rd_kafka_conf_t *conf)
{
    for (int i = 0; i < setting_count; i++) {
        char name[128];
        const char *eq = strchr(settings[i], '=');
        snprintf(name, sizeof(name), "%.*s", (int)(eq - settings[i]), settings[i]);
        bench_conf_set(conf, name, eq + 1);
    }
}

static struct rate produce_all(const struct options *o)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    bench_conf_set(conf, "bootstrap.servers", o->bootstrap);
    bench_conf_set(conf, "acks", "all");
    bench_conf_set(conf, "linger.ms", "5");
    conf_apply_settings(conf);
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_t *rk = bench_client_new(RD_KAFKA_PRODUCER, conf);
    if (!o->mock)
        create_topic(rk, o);

    /* Learn the topic before the clock starts. */
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, o->topic, NULL);
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, rkt, &md, WAIT_MS);
    if (err)
        bench_die("metadata: %s", rd_kafka_err2str(err));
    if (md->topic_cnt != 1 || md->topics[0].err || md->topics[0].partition_cnt != o->partitions)
        bench_die("topic %s has %d partition(s), not %d (%s)", o->topic, md->topic_cnt ? md->topics[0].partition_cnt : 0,
                  o->partitions, md->topic_cnt ? rd_kafka_err2str(md->topics[0].err) : "no such topic");
    rd_kafka_metadata_destroy(md);

    char *payload = malloc(o->size);
    if (!payload)
        bench_die("out of memory");
    for (size_t k = 0; k < o->size; k++)
        payload[k] = (char)('a' + k % 26);

    sample_phase_start();
    double start = bench_now_s();
    for (long i = 0; i < o->messages; i++) {
        while (rd_kafka_produce(rkt, (int32_t)(i % o->partitions), RD_KAFKA_MSG_F_COPY, payload,
                                o->size, NULL, 0, NULL) != 0) {
            err = rd_kafka_last_error();
            if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
                bench_die("produce: %s", rd_kafka_err2str(err));
            rd_kafka_poll(rk, 10);
        }
        rd_kafka_poll(rk, 0);
    }
    err = rd_kafka_flush(rk, WAIT_MS);
    double seconds = bench_now_s() - start;
    struct rate produced = rate_of("produce", o->messages, o->size, seconds);
    if (err)
        bench_die("flush: %s", rd_kafka_err2str(err));
    if (delivery_errors)
        bench_die("%ld message(s) failed", delivery_errors);

    /* Everything must still be there to be consumed. */
    for (int p = 0; p < o->partitions; p++) {
        int64_t low = -1, high = -1;
        err = rd_kafka_query_watermark_offsets(rk, o->topic, p, &low, &high, WAIT_MS);
        if (err)
            bench_die("watermarks of partition %d: %s", p, rd_kafka_err2str(err));
        if (low != 0)
            bench_die("partition %d starts at offset %lld: the cluster dropped old messages "
                      "(try fewer --messages)", p, (long long)low);
    }

    free(payload);
    rd_kafka_topic_destroy(rkt);
    rd_kafka_destroy(rk);
    return produced;
}

static struct rate consume_all(const struct options *o)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    bench_conf_set(conf, "bootstrap.servers", o->bootstrap);
    bench_conf_set(conf, "group.id", "kelp-bench-assign-only"); /* assign() needs one; nothing is committed */
    bench_conf_set(conf, "enable.auto.commit", "false");
    bench_conf_set(conf, "enable.auto.offset.store", "false");
    conf_apply_settings(conf);
    rd_kafka_t *rk = bench_client_new(RD_KAFKA_CONSUMER, conf);

    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(o->partitions);
    for (int p = 0; p < o->partitions; p++)
        rd_kafka_topic_partition_list_add(parts, o->topic, p)->offset = RD_KAFKA_OFFSET_BEGINNING;

    double assigned = bench_now_s(), start = 0;
    rd_kafka_resp_err_t err = rd_kafka_assign(rk, parts);
    if (err)
        bench_die("assign: %s", rd_kafka_err2str(err));
    rd_kafka_topic_partition_list_destroy(parts);
    long received = 0;
    while (received < o->messages) {
        if (bench_now_s() - assigned > WAIT_MS / 1000.0)
            bench_die("consumed only %ld of %ld message(s)", received, o->messages);
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
        if (!m)
            continue;
        if (m->err)
            bench_die("consume: %s", rd_kafka_message_errstr(m));
        if (m->len != o->size)
            bench_die("consumed a message of %zu bytes, produced %zu", m->len, o->size);
        /* The clock starts at the first message: connecting and looking up
         * the start offsets are not throughput. */
        if (received++ == 0) {
            sample_phase_start();
            start = bench_now_s();
        }
        rd_kafka_message_destroy(m);
    }
    double seconds = bench_now_s() - start;
    /* The first message was the start signal, not part of the timed run. */
    struct rate consumed = rate_of("consume", o->messages > 1 ? o->messages - 1 : o->messages, o->size, seconds);

    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return consumed;
}

/* The server's CPU per MB of values moved, in ms; 0 when unknown. */
static double server_ms_per_mb(const struct rate *r)
{
    return r->mb_per_s > 0 ? 1000 * r->server_cores / r->mb_per_s : 0;
}

static void print_phase(const char *phase, const struct options *o, const struct rate *r)
{
    printf("%s: %ld x %zu B", phase, o->messages, o->size);
    if (strcmp(phase, "produce") == 0)
        printf(", %d partitions", o->partitions);
    printf(": %.0f msgs/s, %.1f MB/s; busiest client thread %s at %.0f%% of a core; client %.2f cores",
           r->msgs_per_s, r->mb_per_s, r->busiest_name, 100 * r->busiest_share, r->client_cores);
    if (o->mock || o->server_pid)
        printf(", server %.2f cores, %.2f ms per MB", r->server_cores, server_ms_per_mb(r));
    printf("\n");
}

static void print_result(const char *phase, const struct rate *r)
{
    printf(" %s_msgs_per_s=%.0f %s_mb_per_s=%.2f %s_busiest_share=%.3f %s_client_cores=%.3f "
           "%s_server_cores=%.3f %s_server_ms_per_mb=%.3f",
           phase, r->msgs_per_s, phase, r->mb_per_s, phase, r->busiest_share, phase, r->client_cores, phase,
           r->server_cores, phase, server_ms_per_mb(r));
}

int main(int argc, char **argv)
{
    struct options o = { .messages = 16000, .size = 1024, .partitions = 4 };
    char topic[64];
    snprintf(topic, sizeof(topic), "bench-%ld-%ld", (long)getpid(), (long)time(NULL));
    o.topic = topic;
    for (int k = 1; k < argc; k++) {
        int has_value = k + 1 < argc;
        if (strcmp(argv[k], "--mock") == 0)
            o.mock = 1;
        else if (strcmp(argv[k], "--mock-nagle") == 0)
            o.mock = o.mock_nagle = 1;
        else if (strcmp(argv[k], "--threads") == 0)
            print_threads = 1;
        else if (strcmp(argv[k], "--partitions") == 0 && has_value)
            o.partitions = atoi(argv[++k]);
        else if (strcmp(argv[k], "--bootstrap") == 0 && has_value)
            o.bootstrap = argv[++k];
        else if (strcmp(argv[k], "--messages") == 0 && has_value)
            o.messages = atol(argv[++k]);
        else if (strcmp(argv[k], "--size") == 0 && has_value)
            o.size = (size_t)atol(argv[++k]);
        else if (strcmp(argv[k], "--topic") == 0 && has_value)
            o.topic = argv[++k];
        else if (strcmp(argv[k], "--server-pid") == 0 && has_value)
            o.server_pid = atol(argv[++k]);
        else if (strcmp(argv[k], "--set") == 0 && has_value && strchr(argv[k + 1], '=') &&
                 setting_count < MAX_SETTINGS)
            settings[setting_count++] = argv[++k];
        else
            bench_die("usage: throughput (--bootstrap HOST:PORT | --mock | --mock-nagle) [--messages N] "
                      "[--partitions N] [--size BYTES] [--topic NAME] [--set NAME=VALUE]... [--server-pid PID] "
                      "[--threads]");
    }
    if (!o.mock == !o.bootstrap || o.messages <= 0 || o.size == 0 || o.partitions <= 0 ||
        o.partitions > MAX_PARTITIONS || o.server_pid < 0 || (o.mock && o.server_pid))
        bench_die("give exactly one of --bootstrap and --mock, positive --messages, --partitions and --size, "
                  "and --server-pid only with --bootstrap");
    server_pid = o.server_pid;

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

    struct rate produced = produce_all(&o);
    print_phase("produce", &o, &produced);
    struct rate consumed = consume_all(&o);
    print_phase("consume", &o, &consumed);
    printf("RESULT");
    print_result("produce", &produced);
    print_result("consume", &consumed);
    printf("\n");

    if (cluster)
        rd_kafka_mock_cluster_destroy(cluster);
    if (host)
        rd_kafka_destroy(host);
    return 0;
}
