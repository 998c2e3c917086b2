/* A librdkafka group consumer for t/integration/group_driver.py: subscribes
 * to TOPIC in GROUP, prints "assigned P,P,..." after every rebalance and
 * "msg PARTITION OFFSET VALUE" per message, commits each message
 * synchronously once printed (and what it holds on a revoke), and on
 * SIGTERM or SIGINT closes, which commits and leaves the group (a static
 * member, given INSTANCE-ID, does not leave). A fatal error such as
 * FENCED_INSTANCE_ID prints "fatal NAME" and exits with status 3.
 *
 * usage: group_consumer BOOTSTRAP TOPIC GROUP [INSTANCE-ID] */
#define _POSIX_C_SOURCE 200809L

#include <librdkafka/rdkafka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
    (void)sig;
    stopping = 1;
}

static void print_assignment(const rd_kafka_topic_partition_list_t *parts)
{
    printf("assigned ");
    for (int i = 0; parts && i < parts->cnt; i++)
        printf("%s%d", i ? "," : "", (int)parts->elems[i].partition);
    printf("\n");
    fflush(stdout);
}

static void on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t *parts,
                         void *opaque)
{
    (void)opaque;
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        rd_kafka_assign(rk, parts);
        print_assignment(parts);
    } else {
        /* Everything consumed was committed message by message; commit
         * once more in case the last commit failed, then give up. */
        rd_kafka_commit(rk, NULL, 0);
        rd_kafka_assign(rk, NULL);
        print_assignment(NULL);
    }
}

static void set(rd_kafka_conf_t *conf, const char *name, const char *value)
{
    char errstr[512];
    if (rd_kafka_conf_set(conf, name, value, errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK) {
        fprintf(stderr, "group_consumer: %s=%s: %s\n", name, value, errstr);
        exit(2);
    }
}

int main(int argc, char **argv)
{
    if (argc != 4 && argc != 5) {
        fprintf(stderr, "usage: group_consumer BOOTSTRAP TOPIC GROUP [INSTANCE-ID]\n");
        return 2;
    }
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    set(conf, "bootstrap.servers", argv[1]);
    set(conf, "group.id", argv[3]);
    if (argc == 5)
        set(conf, "group.instance.id", argv[4]);
    set(conf, "enable.auto.commit", "false");
    set(conf, "auto.offset.reset", "earliest");
    set(conf, "session.timeout.ms", "10000");
    set(conf, "heartbeat.interval.ms", "1000");
    rd_kafka_conf_set_rebalance_cb(conf, on_rebalance);
    char errstr[512];
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
    if (!rk) {
        fprintf(stderr, "group_consumer: %s\n", errstr);
        return 1;
    }
    rd_kafka_poll_set_consumer(rk);
    rd_kafka_topic_partition_list_t *topics = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(topics, argv[2], RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t err = rd_kafka_subscribe(rk, topics);
    rd_kafka_topic_partition_list_destroy(topics);
    if (err) {
        fprintf(stderr, "group_consumer: subscribe: %s\n", rd_kafka_err2str(err));
        return 1;
    }
    int status = 0;
    while (!stopping) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
        if (!m)
            continue;
        if (m->err == RD_KAFKA_RESP_ERR__FATAL) {
            /* e.g. FENCED_INSTANCE_ID: another process took our instance id. */
            char reason[512];
            rd_kafka_resp_err_t fatal = rd_kafka_fatal_error(rk, reason, sizeof(reason));
            printf("fatal %s\n", rd_kafka_err2name(fatal));
            fflush(stdout);
            fprintf(stderr, "group_consumer: fatal: %s\n", reason);
            rd_kafka_message_destroy(m);
            rd_kafka_destroy(rk);
            return 3;
        }
        if (m->err) {
            if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                fprintf(stderr, "group_consumer: %s\n", rd_kafka_message_errstr(m));
        } else {
            printf("msg %d %lld %.*s\n", (int)m->partition, (long long)m->offset, (int)m->len,
                   (const char *)m->payload);
            fflush(stdout);
            err = rd_kafka_commit_message(rk, m, 0);
            if (err)
                fprintf(stderr, "group_consumer: commit at %d/%lld: %s\n", (int)m->partition,
                        (long long)m->offset, rd_kafka_err2str(err));
        }
        rd_kafka_message_destroy(m);
    }
    err = rd_kafka_consumer_close(rk);
    if (err) {
        fprintf(stderr, "group_consumer: close: %s\n", rd_kafka_err2str(err));
        status = 1;
    }
    rd_kafka_destroy(rk);
    return status;
}
