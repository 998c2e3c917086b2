/* The Schema Registry REST API (Confluent's paths, bodies and error codes)
 * on its own libmicrohttpd listener. It only parses requests and renders
 * answers; everything it knows comes from a kelp_schema_registry. */
#ifndef KELP_SCHEMA_REGISTRY_HTTP_H
#define KELP_SCHEMA_REGISTRY_HTTP_H

#include <stddef.h>

#include "schema/registry.h"

/* Largest request body accepted; larger ones get 413. */
#define KELP_SCHEMA_HTTP_MAX_BODY (1u << 20)

typedef struct kelp_schema_http kelp_schema_http;

/* Opens a listening socket on "host:port" (port 0: the kernel picks), the
 * part that can fail for the operator's reasons. Returns it or -1. */
int kelp_schema_http_listen(const char *addr, char *err, size_t errlen);

/* Serves reg on a socket from kelp_schema_http_listen (owned from then on,
 * also on error) from an internal thread. reg must outlive the server. */
kelp_schema_http *kelp_schema_http_start_fd(int listen_fd, kelp_schema_registry *reg, char *err, size_t errlen);

/* The bound "host:port" (numeric host, actual port). */
int kelp_schema_http_bound_address(kelp_schema_http *h, char *buf, size_t buflen);

/* Stops serving and waits for running requests; NULL is fine. */
void kelp_schema_http_stop(kelp_schema_http *h);

#endif
