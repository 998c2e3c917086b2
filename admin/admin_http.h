/* The admin HTTP endpoint (libmicrohttpd). It knows nothing of the module:
 * everything it shows or changes goes through kelp_admin_callbacks. Routes
 * live in admin/routes_*.c (see admin/routes.h). */
#ifndef KELP_ADMIN_ADMIN_HTTP_H
#define KELP_ADMIN_ADMIN_HTTP_H

#include <stddef.h>

#include "admin/http_auth.h"
#include "admin/http_tls.h"

/* Largest request body accepted; larger ones get 413. */
#define KELP_ADMIN_MAX_BODY (1u << 20)

typedef struct kelp_admin_callbacks {
    void *ctx;
    /* The running configuration as a JSON object (malloc'd), NULL on failure. */
    char *(*get_config)(void *ctx);
    /* Applies a JSON object of keys to change; on error nothing changes and
     * err names the offending key. May be called from the admin thread. */
    int (*apply_config)(void *ctx, const char *patch_json, char *err, size_t errlen);
    /* Consumer groups as JSON (malloc'd): all when group_id is NULL, else
     * one; status is the HTTP status to answer with. */
    char *(*groups_json)(void *ctx, const char *group_id, unsigned *status);
    /* Topics: all (name NULL) or one; create from a JSON body; delete one.
     * Each returns JSON (malloc'd) and the HTTP status to answer with. */
    char *(*topics_json)(void *ctx, const char *name, unsigned *status);
    char *(*create_topic)(void *ctx, const char *body, unsigned *status);
    char *(*delete_topic)(void *ctx, const char *name, unsigned *status);
    /* The producers each partition of the topic knows. */
    char *(*topic_producers)(void *ctx, const char *name, unsigned *status);
    /* GET /metrics: the Prometheus text exposition (malloc'd, not JSON),
     * NULL with status 503 when the server is not running. */
    char *(*metrics_text)(void *ctx, unsigned *status);
    /* The drain (see kelp_server_drain): action > 0 starts, < 0 ends, 0 reports. */
    char *(*drain)(void *ctx, int action, unsigned *status);
    /* The Kafka listeners as bound, with their connections (kelp_server_listeners_json). */
    char *(*listeners_json)(void *ctx, unsigned *status);
    /* Copies the current "admin_auth" settings, read for every request so a
     * change applies from the next one; NULL: no credentials are asked for.
     * GET /healthz is always open (liveness probes carry no credentials). */
    void (*get_auth)(void *ctx, kelp_admin_auth_config *out);
} kelp_admin_callbacks;

typedef struct kelp_admin kelp_admin;

/* Opens a listening socket on "host:port" (port 0: the kernel picks): the
 * part of starting or moving the endpoint that can fail for the operator's
 * reasons (bad address, port in use). Returns the descriptor or -1. */
int kelp_admin_listen(const char *addr, char *err, size_t errlen);

/* Starts serving on a socket from kelp_admin_listen (owned from then on,
 * also on error) from an internal thread. The callbacks are copied; so is
 * tls (NULL or plain: HTTP, else HTTPS with its certificate and key). */
kelp_admin *kelp_admin_start_fd(int listen_fd, const kelp_admin_callbacks *cb, const kelp_http_tls *tls, char *err,
                                size_t errlen);

/* kelp_admin_listen and kelp_admin_start_fd in one. */
kelp_admin *kelp_admin_start(const char *addr, const kelp_admin_callbacks *cb, const kelp_http_tls *tls, char *err,
                             size_t errlen);

/* Serves with another certificate and key (or plain HTTP when tls is NULL
 * or plain) from now on: a new daemon takes over the same listening
 * socket, the old one finishes its open connections (as after a rebind).
 * Safe to call from a request handler, not at the same time as
 * kelp_admin_rebind_fd. On error nothing changes. */
int kelp_admin_set_tls(kelp_admin *admin, const kelp_http_tls *tls, char *err, size_t errlen);

/* Moves the endpoint to a socket from kelp_admin_listen (owned from then on,
 * also on error), or stops listening when listen_fd is -1. Safe to call
 * from a request handler: the old daemon stops accepting at once, finishes
 * its open connections and is joined by kelp_admin_stop. On error the old
 * socket keeps serving. The new socket serves HTTPS when the endpoint does. */
int kelp_admin_rebind_fd(kelp_admin *admin, int listen_fd, char *err, size_t errlen);

/* The bound "host:port" (numeric host, actual port); -1 when not listening. */
int kelp_admin_bound_address(kelp_admin *admin, char *buf, size_t buflen);

/* Stops serving, waits for running handlers, frees. NULL is fine. Must not
 * be called from a request handler. */
void kelp_admin_stop(kelp_admin *admin);

#endif
