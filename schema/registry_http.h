/* The Schema Registry REST API (Confluent's paths, bodies and error codes)
 * on its own libmicrohttpd listener. It only parses requests and renders
 * answers; everything it knows comes from a kelp_schema_registry. */
#ifndef KELP_SCHEMA_REGISTRY_HTTP_H
#define KELP_SCHEMA_REGISTRY_HTTP_H

#include <stddef.h>

#include "admin/http_auth.h"
#include "admin/http_tls.h"
#include "schema/registry.h"

/* Largest request body accepted; larger ones get 413. */
#define KELP_SCHEMA_HTTP_MAX_BODY (1u << 20)

typedef struct kelp_schema_http kelp_schema_http;

/* Opens a listening socket on "host:port" (port 0: the kernel picks), the
 * part that can fail for the operator's reasons. Returns it or -1. */
int kelp_schema_http_listen(const char *addr, char *err, size_t errlen);

/* Serves reg on a socket from kelp_schema_http_listen (owned from then on,
 * also on error) from an internal thread. reg must outlive the server.
 * auth (copied; NULL or get NULL: open) is asked for the "admin_auth"
 * settings on every request, which must then carry its credentials (401
 * with error_code 40101 otherwise); tls (copied; NULL or plain: HTTP)
 * makes it HTTPS. */
kelp_schema_http *kelp_schema_http_start_fd(int listen_fd, kelp_schema_registry *reg,
                                            const kelp_http_auth_source *auth, const kelp_http_tls *tls, char *err,
                                            size_t errlen);

/* Serves with another certificate and key (plain HTTP when tls is NULL or
 * plain): a new daemon takes over the listening socket, then the old one
 * stops (waiting for its requests). On error nothing changes. */
int kelp_schema_http_set_tls(kelp_schema_http *h, const kelp_http_tls *tls, char *err, size_t errlen);

/* The bound "host:port" (numeric host, actual port). */
int kelp_schema_http_bound_address(kelp_schema_http *h, char *buf, size_t buflen);

/* Stops serving and waits for running requests; NULL is fine. */
void kelp_schema_http_stop(kelp_schema_http *h);

#endif
