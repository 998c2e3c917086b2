/* A one-broker Kafka cluster in memory (librdkafka's mock cluster), served on
 * loopback TCP. It is the reference the integration harness can be checked
 * against (KELP_TEST_SERVER=mock) and the baseline of the benchmark.
 *
 * usage: mock_cluster [TOPIC...]
 * Prints "mock bootstrap HOST:PORT" and runs until SIGTERM or SIGINT. Each
 * TOPIC is created with KELP_MOCK_PARTITIONS partitions (default 4); other
 * topics are created with 4 partitions when a client first names them. */
#define _POSIX_C_SOURCE 200809L

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

enum { MOCK_PARTITIONS = 4, MOCK_REPLICATION = 1 };

int main(int argc, char **argv)
{
    /* Block the stop signals before librdkafka starts its threads so that
     * they inherit the mask and only sigwait() below sees the signals. */
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);

    char errstr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    /* This client only hosts the cluster: keep its "no bootstrap.servers"
     * notice out of the logs. */
    rd_kafka_conf_set(conf, "log_level", "4", errstr, sizeof(errstr));
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    if (!rk) {
        fprintf(stderr, "mock_cluster: rd_kafka_new: %s\n", errstr);
        return 1;
    }
    rd_kafka_mock_cluster_t *cluster = rd_kafka_mock_cluster_new(rk, 1);
    if (!cluster) {
        fprintf(stderr, "mock_cluster: cannot create the mock cluster\n");
        rd_kafka_destroy(rk);
        return 1;
    }
    const char *env_partitions = getenv("KELP_MOCK_PARTITIONS");
    int partitions = env_partitions ? atoi(env_partitions) : MOCK_PARTITIONS;
    if (partitions <= 0)
        partitions = MOCK_PARTITIONS;
    for (int i = 1; i < argc; i++) {
        rd_kafka_resp_err_t err = rd_kafka_mock_topic_create(cluster, argv[i],
                                                             partitions, MOCK_REPLICATION);
        if (err) {
            fprintf(stderr, "mock_cluster: topic %s: %s\n", argv[i], rd_kafka_err2str(err));
            rd_kafka_mock_cluster_destroy(cluster);
            rd_kafka_destroy(rk);
            return 1;
        }
    }

    printf("mock bootstrap %s\n", rd_kafka_mock_cluster_bootstraps(cluster));
    fflush(stdout);

    int sig = 0;
    sigwait(&stop_signals, &sig);

    rd_kafka_mock_cluster_destroy(cluster);
    rd_kafka_destroy(rk);
    return 0;
}
