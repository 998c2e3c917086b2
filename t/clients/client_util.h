/* What the librdkafka test clients share: failing loudly and client set-up. */
#ifndef KELP_T_CLIENTS_CLIENT_UTIL_H
#define KELP_T_CLIENTS_CLIENT_UTIL_H

#include <librdkafka/rdkafka.h>

/* Each client defines its name, which prefixes its FAIL lines. */
extern const char client_program[];

/* Prints "<program>: FAIL: <message>" and exits 1. */
__attribute__((format(printf, 1, 2), noreturn)) void fail(const char *fmt, ...);
/* Sets one configuration property or fails. */
void conf_set(rd_kafka_conf_t *conf, const char *name, const char *value);
/* A producer or consumer from conf (which it takes over), or fails. */
rd_kafka_t *client_new(rd_kafka_type_t type, rd_kafka_conf_t *conf);

#endif
