/* The server's state, shared by server/server.c (life cycle, connections)
 * and server/server_admin.c (what the admin endpoint asks of a running
 * server). Nothing outside server/ includes it. */
#ifndef KELP_SERVER_SERVER_INTERNAL_H
#define KELP_SERVER_SERVER_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>

#include "broker/broker.h"
#include "metrics/server_metrics.h"
#include "net/connection.h"
#include "net/event_loop.h"
#include "net/listener.h"
#include "net/tls.h"
#include "server/listener_set.h"
#include "server/server.h"
#include "storage/storage.h"

struct kelp_server {
    kelp_config cfg; /* host thread's copy, guarded by lock */
    pthread_mutex_t lock;
    kelp_loop *loop;
    kelp_storage *storage;
    kelp_listener *listener;    /* "listen": connections of index 0 */
    kelp_listener_set extras;   /* "listeners": indexes 1..; entries read on the loop thread */
    kelp_tls_context *tls; /* TLS listeners; read and replaced on the loop thread */
    kelp_broker broker;
    kelp_server_metrics *metrics; /* outlives restarts and storage switches */
    struct kelp_schema_registry *registry; /* set before start, read by the loop thread */
    kelp_watch storage_watch;
    pthread_t thread;
    bool running;

    kelp_conn **conns;
    size_t conn_count, conn_cap;
    bool draining;
    bool admin_drain;        /* POST /v1/drain: refuse new connections, end the others (loop thread) */
    int64_t drain_deadline;
    kelp_timer *idle_timer;  /* the sweep for connections_max_idle_ms (loop thread) */
    int32_t idle_period_ms;  /* what it was armed with */
};

/* Runs fn(srv, ctx) on the loop thread and waits for it (thread-safe).
 * Returns 0 (status 200), or -1 with status 503 when the server is not
 * running and 500 when the call cannot be posted. */
int kelp_server_run_on_loop(kelp_server *srv, void (*fn)(kelp_server *srv, void *ctx), void *ctx, unsigned *status);

#endif
