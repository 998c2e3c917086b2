/* What the librdkafka benchmark programs share: failing loudly, a
 * monotonic clock, client setup, and TCP_NODELAY on the mock cluster. */
#ifndef KELP_BENCH_UTIL_H
#define KELP_BENCH_UTIL_H

#include <librdkafka/rdkafka.h>

/* Each program defines its name, which prefixes its error lines. */
extern const char bench_program[];

/* Prints "<program>: <message>" and exits 1. */
__attribute__((format(printf, 1, 2), noreturn)) void bench_die(const char *fmt, ...);
double bench_now_s(void);
/* Sleeps until t on bench_now_s's clock (at once when t has passed). */
void bench_sleep_until(double t);
/* Sets one configuration property or dies. */
void bench_conf_set(rd_kafka_conf_t *conf, const char *name, const char *value);
/* A producer or consumer from conf, or dies. */
rd_kafka_t *bench_client_new(rd_kafka_type_t type, rd_kafka_conf_t *conf);
/* librdkafka 2.0.2's mock cluster leaves Nagle's algorithm on, so its
 * pipelined responses wait for delayed ACKs; Kafka brokers and kelpd set
 * TCP_NODELAY. This sets it on the mock's listening socket, found among
 * this process's descriptors by the port of bootstrap, before any client
 * connects (accepted sockets inherit it on Linux). Dies when none is found. */
void bench_mock_nodelay(const char *bootstrap);

#endif
