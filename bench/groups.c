/* Consumer-group costs with librdkafka: how fast one group member commits
 * offsets synchronously, and how fast it reads them back.
 *
 * usage: groups (--bootstrap HOST:PORT | --mock) [--commits N]
 *
 * One consumer subscribes to a 6-partition topic, waits for its assignment,
 * then makes N synchronous commits of all 6 partitions (each commit is one
 * OffsetCommit answered once durable) and N committed() lookups (OffsetFetch).
 * --mock runs librdkafka's in-memory mock cluster in this process, as the
 * reference. Prints a readable line per phase and one machine-readable line:
 *   RESULT commits_per_s=... fetches_per_s=... join_ms=...
 * Exits 1 if anything fails. */
#define _POSIX_C_SOURCE 200809L

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench/bench_util.h"

const char bench_program[] = "groups";

enum { PARTITIONS = 6, WAIT_MS = 60000 };

/* Creates the topic by producing one message to each partition. */
static void create_topic(const char *bootstrap, const char *topic)
{
    char errstr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    bench_conf_set(conf, "bootstrap.servers", bootstrap);
    rd_kafka_t *p = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    if (!p)
        bench_die("rd_kafka_new: %s", errstr);
    for (int i = 0; i < PARTITIONS; i++)
        if (rd_kafka_producev(p, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(i), RD_KAFKA_V_VALUE("x", 1),
                              RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END))
            bench_die("produce failed");
    if (rd_kafka_flush(p, WAIT_MS))
        bench_die("flush failed");
    rd_kafka_destroy(p);
}

int main(int argc, char **argv)
{
    const char *bootstrap = NULL;
    int mock = 0;
    long commits = 500;
    for (int k = 1; k < argc; k++) {
        if (strcmp(argv[k], "--mock") == 0)
            mock = 1;
        else if (strcmp(argv[k], "--bootstrap") == 0 && k + 1 < argc)
            bootstrap = argv[++k];
        else if (strcmp(argv[k], "--commits") == 0 && k + 1 < argc)
            commits = atol(argv[++k]);
        else
            bench_die("usage: groups (--bootstrap HOST:PORT | --mock) [--commits N]");
    }
    if (!mock == !bootstrap || commits <= 0)
        bench_die("give exactly one of --bootstrap and --mock, and a positive --commits");

    char topic[64], group[80];
    snprintf(topic, sizeof(topic), "bench-groups-%ld-%ld", (long)getpid(), (long)time(NULL));
    snprintf(group, sizeof(group), "%s-g", topic);
    rd_kafka_t *host = NULL;
    rd_kafka_mock_cluster_t *cluster = NULL;
    if (mock) {
        char errstr[512];
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        bench_conf_set(conf, "log_level", "4");
        host = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
        if (!host || !(cluster = rd_kafka_mock_cluster_new(host, 1)))
            bench_die("cannot start the mock cluster");
        if (rd_kafka_mock_topic_create(cluster, topic, PARTITIONS, 1))
            bench_die("cannot create topic %s on the mock cluster", topic);
        bootstrap = rd_kafka_mock_cluster_bootstraps(cluster);
    }
    create_topic(bootstrap, topic);

    char errstr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    bench_conf_set(conf, "bootstrap.servers", bootstrap);
    bench_conf_set(conf, "group.id", group);
    bench_conf_set(conf, "enable.auto.commit", "false");
    bench_conf_set(conf, "session.timeout.ms", "10000");
    rd_kafka_t *c = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
    if (!c)
        bench_die("rd_kafka_new: %s", errstr);
    rd_kafka_poll_set_consumer(c);
    rd_kafka_topic_partition_list_t *sub = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(sub, topic, RD_KAFKA_PARTITION_UA);
    double join_start = bench_now_s();
    if (rd_kafka_subscribe(c, sub))
        bench_die("subscribe failed");
    rd_kafka_topic_partition_list_destroy(sub);
    rd_kafka_topic_partition_list_t *assigned = NULL;
    while (bench_now_s() - join_start < WAIT_MS / 1000.0) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(c, 10);
        if (m)
            rd_kafka_message_destroy(m);
        if (rd_kafka_assignment(c, &assigned) == 0 && assigned->cnt == PARTITIONS)
            break;
        rd_kafka_topic_partition_list_destroy(assigned);
        assigned = NULL;
    }
    if (!assigned)
        bench_die("no assignment of %d partitions in time", PARTITIONS);
    double join_ms = (bench_now_s() - join_start) * 1000;
    printf("join: assigned %d partitions after %.0f ms\n", PARTITIONS, join_ms);

    double start = bench_now_s();
    for (long i = 0; i < commits; i++) {
        for (int p = 0; p < assigned->cnt; p++)
            assigned->elems[p].offset = 1;
        rd_kafka_resp_err_t err = rd_kafka_commit(c, assigned, 0);
        if (err)
            bench_die("commit %ld: %s", i, rd_kafka_err2str(err));
    }
    double commit_rate = (double)commits / (bench_now_s() - start);
    printf("commit: %ld synchronous commits of %d partitions: %.0f commits/s\n", commits, PARTITIONS, commit_rate);

    start = bench_now_s();
    for (long i = 0; i < commits; i++) {
        rd_kafka_resp_err_t err = rd_kafka_committed(c, assigned, WAIT_MS);
        if (err || assigned->elems[0].offset != 1)
            bench_die("committed() %ld: %s (offset %lld)", i, rd_kafka_err2str(err), (long long)assigned->elems[0].offset);
    }
    double fetch_rate = (double)commits / (bench_now_s() - start);
    printf("fetch: %ld committed() lookups of %d partitions: %.0f lookups/s\n", commits, PARTITIONS, fetch_rate);
    printf("RESULT commits_per_s=%.0f fetches_per_s=%.0f join_ms=%.0f\n", commit_rate, fetch_rate, join_ms);

    rd_kafka_topic_partition_list_destroy(assigned);
    rd_kafka_consumer_close(c);
    rd_kafka_destroy(c);
    if (cluster)
        rd_kafka_mock_cluster_destroy(cluster);
    if (host)
        rd_kafka_destroy(host);
    return 0;
}
