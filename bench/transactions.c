/* Idempotent and transactional producing, and read_committed consuming,
 * with librdkafka.
 *
 * usage: transactions (--bootstrap HOST:PORT | --mock | --mock-nagle)
 *                     [--messages N] [--transactions T] [--per-txn M]
 *                     [--size BYTES]
 *
 * Three phases, on two 4-partition topics named uniquely for this run:
 *   1. an idempotent producer (enable.idempotence, acks=all, linger.ms=5)
 *      sends N messages of SIZE bytes (default 16000 x 1024) round-robin
 *      and waits until every one is acknowledged;
 *   2. a transactional producer (same settings) runs T transactions
 *      (default 200) of M messages each (default 50), spread round-robin
 *      over the partitions, each ended by rd_kafka_commit_transaction,
 *      whose duration is the commit latency;
 *   3. a read_committed consumer assigns every partition of phase 2's topic
 *      from the beginning and reads until it has every committed message,
 *      each exactly once and in order.
 * --mock runs librdkafka's in-memory mock cluster (one broker) in this
 * process, as the reference. The mock keeps only about 5 MB per partition,
 * so each phase writes its own topic. librdkafka 2.0.2's mock leaves Nagle's
 * algorithm on for its connections, so a response sent while an earlier one
 * is unacknowledged waits for the client's delayed ACK (about 40 ms): every
 * commit took about 44 ms. Kafka brokers and kelpd set TCP_NODELAY, so this
 * program sets it on the mock's listening socket, which accepted sockets
 * inherit on Linux; --mock-nagle leaves the mock as librdkafka made it.
 *
 * Prints a human-readable line per phase and one machine-readable line:
 *   RESULT idem_msgs_per_s=... idem_mb_per_s=... txn_per_s=... txn_msgs_per_s=...
 *          commit_p50_ms=... commit_p99_ms=... rc_msgs_per_s=... rc_mb_per_s=...
 * where MB is 10^6 bytes of message values. Exits 1 if anything fails. */
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

const char bench_program[] = "transactions";

enum { PARTITIONS = 4, WAIT_MS = 120000, INDEX_DIGITS = 10 };

struct options {
    const char *bootstrap;
    char idem_topic[96];
    char txn_topic[96];
    char txn_id[96];
    int mock;
    int mock_nagle;
    long messages;
    long transactions;
    long per_txn;
    size_t size;
};

static void check_error(rd_kafka_error_t *error, const char *what)
{
    if (!error)
        return;
    bench_die("%s: %s (%s%s)", what, rd_kafka_error_string(error), rd_kafka_error_name(error),
              rd_kafka_error_is_fatal(error) ? ", fatal" : "");
}

static long delivered, delivery_errors;

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    if (!m->err)
        delivered++;
    else if (delivery_errors++ == 0)
        fprintf(stderr, "transactions: delivery failed: %s\n", rd_kafka_err2str(m->err));
}

static rd_kafka_t *producer_new(const struct options *o, const char *txn_id)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    bench_conf_set(conf, "bootstrap.servers", o->bootstrap);
    bench_conf_set(conf, "enable.idempotence", "true");
    bench_conf_set(conf, "acks", "all");
    bench_conf_set(conf, "linger.ms", "5");
    if (txn_id)
        bench_conf_set(conf, "transactional.id", txn_id);
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    return bench_client_new(RD_KAFKA_PRODUCER, conf);
}

/* Learns the topic (creating it on kelpd) before any clock starts. */
static rd_kafka_topic_t *topic_ready(rd_kafka_t *rk, const char *topic)
{
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    if (!rkt)
        bench_die("topic %s: %s", topic, rd_kafka_err2str(rd_kafka_last_error()));
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, rkt, &md, WAIT_MS);
    if (err)
        bench_die("metadata of %s: %s", topic, rd_kafka_err2str(err));
    if (md->topic_cnt != 1 || md->topics[0].err || md->topics[0].partition_cnt != PARTITIONS)
        bench_die("topic %s: %s, %d partition(s), expected %d", topic,
                  md->topic_cnt == 1 ? rd_kafka_err2str(md->topics[0].err) : "missing",
                  md->topic_cnt == 1 ? md->topics[0].partition_cnt : 0, PARTITIONS);
    rd_kafka_metadata_destroy(md);
    return rkt;
}

/* Every partition must still start at 0 (the mock drops old messages);
 * returns the sum of the high watermarks. */
static int64_t check_watermarks(rd_kafka_t *rk, const char *topic)
{
    int64_t sum = 0;
    for (int p = 0; p < PARTITIONS; p++) {
        int64_t low = -1, high = -1;
        rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(rk, topic, p, &low, &high, WAIT_MS);
        if (err)
            bench_die("watermarks of %s [%d]: %s", topic, p, rd_kafka_err2str(err));
        if (low != 0)
            bench_die("%s [%d] starts at offset %lld: the cluster dropped old messages (send fewer)", topic, p,
                      (long long)low);
        sum += high;
    }
    return sum;
}

/* Message i carries its index in its first bytes, for the consumer's check. */
static void produce_one(rd_kafka_t *rk, rd_kafka_topic_t *rkt, char *payload, size_t size, long i)
{
    char digits[INDEX_DIGITS + 1];
    snprintf(digits, sizeof(digits), "%0*ld", INDEX_DIGITS, i);
    memcpy(payload, digits, size < INDEX_DIGITS ? size : INDEX_DIGITS);
    while (rd_kafka_produce(rkt, (int32_t)(i % PARTITIONS), RD_KAFKA_MSG_F_COPY, payload, size, NULL, 0,
                            NULL) != 0) {
        rd_kafka_resp_err_t err = rd_kafka_last_error();
        if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
            bench_die("produce: %s", rd_kafka_err2str(err));
        rd_kafka_poll(rk, 10);
    }
    rd_kafka_poll(rk, 0);
}

static char *payload_new(size_t size)
{
    char *payload = malloc(size);
    if (!payload)
        bench_die("out of memory");
    for (size_t k = 0; k < size; k++)
        payload[k] = (char)('a' + k % 26);
    return payload;
}

static void expect_delivered(long expected)
{
    if (delivery_errors)
        bench_die("%ld message(s) failed", delivery_errors);
    if (delivered != expected)
        bench_die("%ld delivery report(s), expected %ld", delivered, expected);
}

struct rate {
    double msgs_per_s, mb_per_s;
};

static struct rate produce_idempotent(const struct options *o)
{
    rd_kafka_t *rk = producer_new(o, NULL);
    rd_kafka_topic_t *rkt = topic_ready(rk, o->idem_topic);
    char *payload = payload_new(o->size);
    delivered = delivery_errors = 0;

    double start = bench_now_s();
    for (long i = 0; i < o->messages; i++)
        produce_one(rk, rkt, payload, o->size, i);
    rd_kafka_resp_err_t err = rd_kafka_flush(rk, WAIT_MS);
    double seconds = bench_now_s() - start;
    if (err)
        bench_die("flush: %s", rd_kafka_err2str(err));
    expect_delivered(o->messages);
    /* Idempotence: no message was written twice. */
    int64_t written = check_watermarks(rk, o->idem_topic);
    if (written != o->messages)
        bench_die("%s holds %lld message(s), produced %ld", o->idem_topic, (long long)written, o->messages);

    free(payload);
    rd_kafka_topic_destroy(rkt);
    rd_kafka_destroy(rk);
    return (struct rate){ (double)o->messages / seconds,
                                 (double)o->messages * (double)o->size / seconds / 1e6 };
}

struct txn_result {
    double txn_per_s, msgs_per_s, p50_ms, p99_ms, init_ms;
};

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static struct txn_result produce_transactions(const struct options *o)
{
    struct txn_result r;
    rd_kafka_t *rk = producer_new(o, o->txn_id);
    double t0 = bench_now_s();
    check_error(rd_kafka_init_transactions(rk, WAIT_MS), "init_transactions");
    r.init_ms = (bench_now_s() - t0) * 1000;
    rd_kafka_topic_t *rkt = topic_ready(rk, o->txn_topic);
    char *payload = payload_new(o->size);
    double *commit_ms = malloc((size_t)o->transactions * sizeof(*commit_ms));
    if (!commit_ms)
        bench_die("out of memory");
    delivered = delivery_errors = 0;

    long i = 0;
    double start = bench_now_s();
    for (long t = 0; t < o->transactions; t++) {
        check_error(rd_kafka_begin_transaction(rk), "begin_transaction");
        for (long n = 0; n < o->per_txn; n++)
            produce_one(rk, rkt, payload, o->size, i++);
        double c0 = bench_now_s();
        /* Also waits for the transaction's messages still queued or in flight. */
        check_error(rd_kafka_commit_transaction(rk, WAIT_MS), "commit_transaction");
        commit_ms[t] = (bench_now_s() - c0) * 1000;
    }
    double seconds = bench_now_s() - start;
    rd_kafka_resp_err_t err = rd_kafka_flush(rk, WAIT_MS);
    if (err)
        bench_die("flush: %s", rd_kafka_err2str(err));
    expect_delivered(i);
    check_watermarks(rk, o->txn_topic);

    qsort(commit_ms, (size_t)o->transactions, sizeof(*commit_ms), by_value);
    long n = o->transactions;
    r.p50_ms = n % 2 ? commit_ms[n / 2] : (commit_ms[n / 2 - 1] + commit_ms[n / 2]) / 2;
    long rank = (99 * n + 99) / 100; /* nearest rank: ceil(0.99 n) */
    r.p99_ms = commit_ms[rank - 1];
    r.txn_per_s = (double)n / seconds;
    r.msgs_per_s = (double)i / seconds;

    free(commit_ms);
    free(payload);
    rd_kafka_topic_destroy(rkt);
    rd_kafka_destroy(rk);
    return r;
}

static struct rate consume_committed(const struct options *o)
{
    long total = o->transactions * o->per_txn;
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    bench_conf_set(conf, "bootstrap.servers", o->bootstrap);
    bench_conf_set(conf, "group.id", "kelp-bench-assign-only"); /* assign() needs one; nothing is committed */
    bench_conf_set(conf, "enable.auto.commit", "false");
    bench_conf_set(conf, "enable.auto.offset.store", "false");
    bench_conf_set(conf, "isolation.level", "read_committed");
    rd_kafka_t *rk = bench_client_new(RD_KAFKA_CONSUMER, conf);

    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(PARTITIONS);
    for (int p = 0; p < PARTITIONS; p++)
        rd_kafka_topic_partition_list_add(parts, o->txn_topic, p)->offset = RD_KAFKA_OFFSET_BEGINNING;
    double assigned = bench_now_s(), start = 0;
    rd_kafka_resp_err_t err = rd_kafka_assign(rk, parts);
    if (err)
        bench_die("assign: %s", rd_kafka_err2str(err));
    rd_kafka_topic_partition_list_destroy(parts);

    long next[PARTITIONS]; /* message i went to partition i % PARTITIONS */
    for (int p = 0; p < PARTITIONS; p++)
        next[p] = p;
    long received = 0;
    while (received < total) {
        if (bench_now_s() - assigned > WAIT_MS / 1000.0)
            bench_die("read_committed consumed only %ld of %ld message(s)", received, total);
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
        if (!m)
            continue;
        if (m->err)
            bench_die("consume: %s", rd_kafka_message_errstr(m));
        if (m->len != o->size || m->partition < 0 || m->partition >= PARTITIONS)
            bench_die("consumed a message of %zu bytes from partition %d", m->len, (int)m->partition);
        if (o->size >= INDEX_DIGITS) {
            char digits[INDEX_DIGITS + 1];
            memcpy(digits, m->payload, INDEX_DIGITS);
            digits[INDEX_DIGITS] = '\0';
            long index = strtol(digits, NULL, 10);
            if (index != next[m->partition])
                bench_die("partition %d: message %ld where %ld was due", (int)m->partition, index,
                          next[m->partition]);
            next[m->partition] += PARTITIONS;
        }
        /* The clock starts at the first message, as in bench/throughput. */
        if (received++ == 0)
            start = bench_now_s();
        rd_kafka_message_destroy(m);
    }
    double seconds = bench_now_s() - start;

    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    long timed = total > 1 ? total - 1 : total; /* the first message started the clock */
    return (struct rate){ (double)timed / seconds, (double)timed * (double)o->size / seconds / 1e6 };
}

int main(int argc, char **argv)
{
    struct options o = { .messages = 16000, .transactions = 200, .per_txn = 50, .size = 1024 };
    for (int k = 1; k < argc; k++) {
        int has_value = k + 1 < argc;
        if (strcmp(argv[k], "--mock") == 0)
            o.mock = 1;
        else if (strcmp(argv[k], "--mock-nagle") == 0)
            o.mock = o.mock_nagle = 1;
        else if (strcmp(argv[k], "--bootstrap") == 0 && has_value)
            o.bootstrap = argv[++k];
        else if (strcmp(argv[k], "--messages") == 0 && has_value)
            o.messages = atol(argv[++k]);
        else if (strcmp(argv[k], "--transactions") == 0 && has_value)
            o.transactions = atol(argv[++k]);
        else if (strcmp(argv[k], "--per-txn") == 0 && has_value)
            o.per_txn = atol(argv[++k]);
        else if (strcmp(argv[k], "--size") == 0 && has_value)
            o.size = (size_t)atol(argv[++k]);
        else
            bench_die("usage: transactions (--bootstrap HOST:PORT | --mock | --mock-nagle) [--messages N] "
                      "[--transactions T] [--per-txn M] [--size BYTES]");
    }
    if (!o.mock == !o.bootstrap || o.messages <= 0 || o.transactions <= 0 || o.per_txn <= 0 || o.size == 0)
        bench_die("give exactly one of --bootstrap and --mock, and positive counts and --size");

    char base[64];
    snprintf(base, sizeof(base), "bench-txn-%ld-%ld", (long)getpid(), (long)time(NULL));
    snprintf(o.idem_topic, sizeof(o.idem_topic), "%s-idem", base);
    snprintf(o.txn_topic, sizeof(o.txn_topic), "%s-txn", base);
    snprintf(o.txn_id, sizeof(o.txn_id), "%s-producer", base);

    rd_kafka_t *host = NULL;
    rd_kafka_mock_cluster_t *cluster = NULL;
    if (o.mock) {
        char errstr[512];
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        bench_conf_set(conf, "log_level", "4"); /* only hosts the cluster: no bootstrap notice */
        host = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
        if (!host || !(cluster = rd_kafka_mock_cluster_new(host, 1)))
            bench_die("cannot start the mock cluster");
        if (rd_kafka_mock_topic_create(cluster, o.idem_topic, PARTITIONS, 1) ||
            rd_kafka_mock_topic_create(cluster, o.txn_topic, PARTITIONS, 1))
            bench_die("cannot create the topics on the mock cluster");
        o.bootstrap = rd_kafka_mock_cluster_bootstraps(cluster);
        if (!o.mock_nagle)
            bench_mock_nodelay(o.bootstrap);
    }

    struct rate idem = produce_idempotent(&o);
    printf("idempotent produce: %ld x %zu B: %.0f msgs/s, %.1f MB/s\n", o.messages, o.size, idem.msgs_per_s,
           idem.mb_per_s);
    struct txn_result txn = produce_transactions(&o);
    printf("transactions: %ld x %ld x %zu B: %.0f txn/s, %.0f msgs/s; commit median %.2f ms, p99 %.2f ms "
           "(init_transactions %.0f ms)\n",
           o.transactions, o.per_txn, o.size, txn.txn_per_s, txn.msgs_per_s, txn.p50_ms, txn.p99_ms,
           txn.init_ms);
    struct rate rc = consume_committed(&o);
    printf("read_committed consume: %ld x %zu B: %.0f msgs/s, %.1f MB/s\n", o.transactions * o.per_txn,
           o.size, rc.msgs_per_s, rc.mb_per_s);
    printf("RESULT idem_msgs_per_s=%.0f idem_mb_per_s=%.2f txn_per_s=%.1f txn_msgs_per_s=%.0f "
           "commit_p50_ms=%.2f commit_p99_ms=%.2f rc_msgs_per_s=%.0f rc_mb_per_s=%.2f\n",
           idem.msgs_per_s, idem.mb_per_s, txn.txn_per_s, txn.msgs_per_s, txn.p50_ms, txn.p99_ms,
           rc.msgs_per_s, rc.mb_per_s);

    if (cluster)
        rd_kafka_mock_cluster_destroy(cluster);
    if (host)
        rd_kafka_destroy(host);
    return 0;
}
