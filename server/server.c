/* Server life cycle: storage, the Kafka listener, connections and the event
 * loop thread; requests are framed here and dispatched to the broker. */
#include "server/server.h"
#include "server/server_internal.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "broker/broker.h"
#include "util/clock.h"
#include "util/host_port.h"
#include "util/log.h"
#include "net/connection.h"
#include "net/event_loop.h"
#include "net/frame_pool.h"
#include "net/listener.h"
#include "net/tls.h"
#include "metrics/server_metrics.h"
#include "protocol/generated/kafka_apis.h"
#include "schema/record_validator.h"
#include "server/listener_set.h"
#include "server/request.h"
#include "storage/fs_filer.h"
#include "storage/storage.h"

#define DRAIN_TIMEOUT_MS 10000
#define MAX_PENDING_PER_CONN 1024
#define MAX_OUTPUT_PER_CONN (64u << 20)
/* The idle sweep runs IDLE_TICKS times per connections_max_idle_ms, so an
 * idle connection is closed between 1 and 1 + 1/IDLE_TICKS times the limit. */
#define IDLE_TICKS 4


static void on_conn_close(void *ctx, kelp_conn *conn);
static int on_frame(void *ctx, kelp_conn *conn, uint8_t *frame, size_t len);

static const kelp_conn_handler conn_handler = {.on_frame = on_frame, .on_close = on_conn_close};

static int be16(const uint8_t *p) { return (int16_t)((uint16_t)p[0] << 8 | p[1]); }

/* A request that ends its connection (unsupported, unauthenticated or
 * malformed) still counts, as failed. */
static void count_refused(kelp_server *srv, int16_t api_key, int16_t api_version, int64_t received_ns)
{
    kelp_metrics_request_done(srv->metrics, api_key, api_version, received_ns, true);
}

static int on_frame(void *ctx, kelp_conn *conn, uint8_t *frame, size_t len)
{
    kelp_server *srv = ctx;
    int64_t received_ns = kelp_metrics_now_ns();
    if (kelp_sasl_expects_raw(conn))
        return kelp_sasl_raw_token(&srv->broker, conn, frame, len);
    if (len < KELP_REQUEST_HEADER_MIN) {
        KELP_WARN("net", "closing %s: a %zu-byte frame is shorter than any request header", kelp_conn_peer(conn),
                  len);
        kelp_frame_free(frame);
        return -1;
    }
    int16_t api_key = (int16_t)be16(frame);
    int16_t api_version = (int16_t)be16(frame + 2);
    const kelp_api *api = kelp_broker_api(api_key);
    bool supported = api && api_version >= api->min_version && api_version <= api->max_version;
    if (!supported && api_key != KAFKA_API_API_VERSIONS) {
        KELP_WARN("net", "closing %s: unsupported request api_key=%d version=%d", kelp_conn_peer(conn),
                  api_key, api_version);
        count_refused(srv, api_key, api_version, received_ns);
        kelp_frame_free(frame);
        return -1;
    }
    if (!kelp_sasl_request_allowed(&srv->broker, conn, api_key)) {
        /* As Kafka does: an unauthenticated request ends the connection. */
        KELP_WARN("net", "closing %s: api_key=%d before SASL authentication", kelp_conn_peer(conn), api_key);
        count_refused(srv, api_key, api_version, received_ns);
        kelp_frame_free(frame);
        return -1;
    }
    int16_t header_version = supported ? kafka_request_header_version(api_key, api_version) : 2;
    if (!supported && api_version < 3)
        header_version = 1;
    kelp_request *req = kelp_request_parse(frame, len, header_version);
    if (!req) {
        KELP_WARN("net", "closing %s: malformed request header", kelp_conn_peer(conn));
        count_refused(srv, api_key, api_version, received_ns);
        return -1;
    }
    req->metrics = srv->metrics;
    req->received_ns = received_ns;
    req->slot = kelp_conn_slot_reserve(conn);
    if (!req->slot) {
        kelp_request_free(req);
        return -1;
    }
    if (!supported) {
        req->failed = true; /* answered with UNSUPPORTED_VERSION */
        kelp_api_versions_unsupported(&srv->broker, req);
        return 0;
    }
    if (api->handle(&srv->broker, req) != 0) {
        KELP_WARN("net", "closing %s: malformed %s v%d request", kelp_conn_peer(conn),
                  kafka_api_lookup(api_key) ? kafka_api_lookup(api_key)->name : "?", api_version);
        count_refused(srv, api_key, api_version, received_ns);
        kelp_conn_slot_complete(req->slot, NULL);
        kelp_request_free(req);
        return -1;
    }
    return 0;
}

static void on_conn_close(void *ctx, kelp_conn *conn)
{
    kelp_server *srv = ctx;
    srv->metrics->connections_closed++;
    kelp_sasl_conn_free(conn);
    for (size_t i = 0; i < srv->conn_count; i++) {
        if (srv->conns[i] == conn) {
            srv->conns[i] = srv->conns[--srv->conn_count];
            return;
        }
    }
}

/* A connection from listener `index`, which speaks `protocol`. */
static void accept_on(kelp_server *srv, int index, int32_t protocol, int fd)
{
    if (srv->draining || srv->admin_drain || srv->conn_count >= (size_t)srv->broker.cfg.max_connections) {
        KELP_WARN("net", "refusing a connection: %s",
                  srv->draining      ? "shutting down"
                  : srv->admin_drain ? "draining"
                                     : "max_connections reached");
        close(fd);
        return;
    }
    if (srv->conn_count == srv->conn_cap) {
        size_t cap = srv->conn_cap ? srv->conn_cap * 2 : 64;
        kelp_conn **c = realloc(srv->conns, cap * sizeof(*c));
        if (!c) {
            close(fd);
            return;
        }
        srv->conns = c;
        srv->conn_cap = cap;
    }
    kelp_conn_limits limits = {.max_frame_bytes = srv->broker.cfg.max_request_bytes,
                               .max_pending = MAX_PENDING_PER_CONN,
                               .max_output_bytes = MAX_OUTPUT_PER_CONN};
    kelp_conn *conn = kelp_conn_new(srv->loop, fd, &limits, &conn_handler, srv);
    if (!conn) {
        close(fd);
        return;
    }
    srv->metrics->connections_accepted++; /* from here on, its close is counted too */
    kelp_conn_set_listener(conn, index);
    if (KELP_LISTENER_HAS_TLS(protocol) && (!srv->tls || kelp_conn_start_tls(conn, srv->tls) != 0)) {
        kelp_conn_close(conn, srv->tls ? "out of memory for TLS" : "no TLS context");
        return;
    }
    srv->conns[srv->conn_count++] = conn;
}

static void on_accept(void *ctx, int fd)
{
    kelp_server *srv = ctx;
    accept_on(srv, 0, srv->broker.cfg.security.listener, fd);
}

static void on_accept_extra(void *ctx, int fd)
{
    kelp_listener_entry *e = ctx;
    accept_on(e->owner, e->index, e->protocol, fd);
}

/* What the broker tells clients of each listener: bound address, protocol. */
static int bound_endpoints(const kelp_server *srv, const kelp_config *cfg, kelp_broker_endpoint out[KELP_MAX_LISTENERS])
{
    snprintf(out[0].host, sizeof(out[0].host), "%s", kelp_listener_host(srv->listener));
    out[0].port = kelp_listener_port(srv->listener);
    out[0].protocol = cfg->security.listener;
    for (int i = 0; i < srv->extras.count; i++) {
        const kelp_listener_entry *e = srv->extras.entries[i];
        snprintf(out[i + 1].host, sizeof(out[i + 1].host), "%s", kelp_listener_host(e->l));
        out[i + 1].port = kelp_listener_port(e->l);
        out[i + 1].protocol = e->protocol;
    }
    return 1 + srv->extras.count;
}

static void idle_sweep(void *ctx);

static void idle_sweep_arm(kelp_server *srv)
{
    srv->idle_period_ms = srv->broker.cfg.connections_max_idle_ms / IDLE_TICKS;
    srv->idle_timer = kelp_timer_add(srv->loop, kelp_clock_mono_ms() + srv->idle_period_ms, idle_sweep, srv);
}

/* One timer for all connections: activity costs a store, not a timer update. */
static void idle_sweep(void *ctx)
{
    kelp_server *srv = ctx;
    srv->idle_timer = NULL;
    if (!srv->draining) {
        /* Closing removes the connection from the array (the last one takes its place). */
        for (size_t i = srv->conn_count; i > 0; i--)
            if (i <= srv->conn_count)
                kelp_conn_idle_tick(srv->conns[i - 1], IDLE_TICKS);
    }
    idle_sweep_arm(srv);
}

static void on_storage_completion(void *ctx, uint32_t events)
{
    kelp_server *srv = ctx;
    kelp_storage_process_completions(srv->storage);
    kelp_broker_process_durable(&srv->broker);
}

static void *loop_thread(void *arg)
{
    kelp_server *srv = arg;
    pthread_setname_np(pthread_self(), "kelp-loop"); /* for top -H, perf and /proc; best effort */
    kelp_loop_run(srv->loop);
    return NULL;
}

void kelp_server_set_schema_registry(kelp_server *srv, struct kelp_schema_registry *r)
{
    srv->registry = r;
}

int kelp_server_create(const kelp_config *cfg, kelp_server **out, char *err, size_t errlen)
{
    kelp_server *srv = calloc(1, sizeof(*srv));
    if (!srv) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    srv->cfg = *cfg;
    srv->metrics = kelp_server_metrics_new();
    if (!srv->metrics) {
        free(srv);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    pthread_mutex_init(&srv->lock, NULL);
    *out = srv;
    return 0;
}

/* The TLS context a listener of cfg needs: NULL for plaintext ones (and
 * then 0), or -1 when the certificate, key or CA files are unusable. */
static int make_tls(const kelp_config *cfg, kelp_tls_context **out, char *err, size_t errlen)
{
    *out = NULL;
    const kelp_security_config *sec = &cfg->security;
    bool wanted = KELP_LISTENER_HAS_TLS(sec->listener);
    for (int i = 0; i < cfg->listener_count; i++)
        wanted = wanted || KELP_LISTENER_HAS_TLS(cfg->listeners[i].protocol);
    if (!wanted)
        return 0;
    kelp_tls_options opt = {.certificate = sec->ssl_certificate,
                            .key = sec->ssl_key,
                            .ca = sec->ssl_ca,
                            .client_auth = sec->ssl_client_auth};
    *out = kelp_tls_context_new(&opt, err, errlen);
    return *out ? 0 : -1;
}

static int bind_listener(const kelp_config *cfg, kelp_listener **out, char *err, size_t errlen)
{
    char host[KELP_CONFIG_ADDR_MAX];
    uint16_t port;
    if (kelp_config_split_hostport(cfg->listen, host, sizeof(host), &port) != 0) {
        snprintf(err, errlen, "configuration key \"listen\" must be HOST:PORT");
        return -1;
    }
    *out = kelp_listener_bind(host, port, err, errlen);
    return *out ? 0 : -1;
}

int kelp_server_start(kelp_server *srv, char *err, size_t errlen)
{
    srv->loop = kelp_loop_new();
    if (!srv->loop) {
        snprintf(err, errlen, "cannot create the event loop: %s", strerror(errno));
        return -1;
    }
    bool kept_listener = srv->listener != NULL;
    bool kept_extras = kept_listener; /* a storage switch keeps every socket */
    const kelp_storage_config *sc = &srv->cfg.storage;
    kelp_filer_options filer = {.url = sc->filer,
                                .root = sc->root,
                                .jwt = sc->jwt,
                                .max_requests = sc->max_requests,
                                .timeout_ms = sc->timeout_ms,
                                .read_cache_bytes = sc->read_cache_bytes};
    /* DescribeLogDirs names the filer's root as the one log directory. */
    char filer_dir[sizeof(sc->filer) + sizeof(sc->root)];
    snprintf(filer_dir, sizeof(filer_dir), "%s%s", sc->filer, sc->root);
    kelp_storage_options opt = {.root = sc->filer[0] ? filer_dir : srv->cfg.data_dir,
                                .filer = sc->filer[0] ? &filer : NULL,
                                .segment_bytes = srv->cfg.segment_bytes,
                                .index_interval_bytes = srv->cfg.index_interval_bytes,
                                .on_durable = kelp_broker_on_durable,
                                .ctx = &srv->broker};
    if (make_tls(&srv->cfg, &srv->tls, err, errlen) != 0)
        goto fail;
    if (kelp_storage_open(&opt, &srv->storage, err, errlen) != 0)
        goto fail;
    /* A restart for another storage keeps the socket clients know. */
    if (!srv->listener && bind_listener(&srv->cfg, &srv->listener, err, errlen) != 0)
        goto fail;
    if (kept_extras) {
        if (kelp_listener_set_start(&srv->extras, srv->loop, on_accept_extra) != 0) {
            snprintf(err, errlen, "cannot watch the listeners: %s", strerror(errno));
            goto fail;
        }
    } else {
        kelp_listener_set next;
        int moved[KELP_MAX_LISTENERS];
        if (kelp_listener_set_plan(&srv->extras, &srv->cfg, srv, &next, moved, err, errlen) != 0)
            goto fail;
        /* No loop thread yet: this thread may apply it. */
        if (kelp_listener_set_apply(&srv->extras, &next, &srv->cfg, srv->loop, on_accept_extra) != 0) {
            snprintf(err, errlen, "cannot watch the listeners: %s", strerror(errno));
            goto fail;
        }
    }
    srv->draining = false;
    kelp_broker_endpoint bound[KELP_MAX_LISTENERS];
    int nbound = bound_endpoints(srv, &srv->cfg, bound);
    if (kelp_broker_init(&srv->broker, srv->loop, srv->storage, &srv->cfg, bound, nbound, err, errlen) != 0)
        goto fail;
    srv->broker.metrics = srv->metrics;
    if (srv->registry && !(srv->broker.schemas = kelp_schema_validator_new(srv->registry))) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    if (kelp_watch_add(srv->loop, &srv->storage_watch, kelp_storage_completion_fd(srv->storage), EPOLLIN,
                       on_storage_completion, srv) != 0 ||
        kelp_listener_start(srv->listener, srv->loop, on_accept, srv) != 0) {
        snprintf(err, errlen, "cannot watch descriptors: %s", strerror(errno));
        goto fail;
    }
    /* Before the loop thread exists, so this thread may still touch the loop. */
    idle_sweep_arm(srv);
    int rc = pthread_create(&srv->thread, NULL, loop_thread, srv);
    if (rc != 0) {
        snprintf(err, errlen, "cannot start the event loop thread: %s", strerror(rc));
        goto fail;
    }
    srv->running = true;
    KELP_INFO("server", "kafka listener on %s:%u, data in %s", kelp_listener_host(srv->listener),
              kelp_listener_port(srv->listener), kelp_storage_root(srv->storage));
    return 0;
fail:
    kelp_broker_destroy(&srv->broker);
    if (kept_listener) {
        kelp_listener_detach(srv->listener); /* its socket stays for the next try */
        kelp_listener_set_detach(&srv->extras);
    } else {
        kelp_listener_close(srv->listener);
        srv->listener = NULL;
        kelp_listener_set_close(&srv->extras);
    }
    if (srv->storage)
        kelp_storage_close(srv->storage);
    srv->storage = NULL;
    kelp_loop_free(srv->loop);
    srv->loop = NULL;
    kelp_tls_context_free(srv->tls);
    srv->tls = NULL;
    return -1;
}

/* A call into the loop thread that the calling thread waits for. */
typedef struct loop_call {
    kelp_server *srv;
    kelp_config cfg;
    kelp_listener *new_listener;
    kelp_listener_set extras;            /* "listeners" after the change */
    int moved[KELP_MAX_LISTENERS];       /* connections' new listener index, -1: close */
    kelp_tls_context *tls; /* the context new connections get; the old one is freed */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool done;
} loop_call;

static void loop_call_finish(loop_call *call)
{
    pthread_mutex_lock(&call->mu);
    call->done = true;
    pthread_cond_signal(&call->cv);
    pthread_mutex_unlock(&call->mu);
}

static void loop_call_wait(loop_call *call)
{
    pthread_mutex_lock(&call->mu);
    while (!call->done)
        pthread_cond_wait(&call->cv, &call->mu);
    pthread_mutex_unlock(&call->mu);
}

static void apply_config_on_loop(void *ctx)
{
    loop_call *call = ctx;
    kelp_server *srv = call->srv;
    if (call->new_listener) {
        kelp_listener_close(srv->listener);
        srv->listener = call->new_listener;
        kelp_listener_start(srv->listener, srv->loop, on_accept, srv);
    }
    if (kelp_listener_set_apply(&srv->extras, &call->extras, &call->cfg, srv->loop, on_accept_extra) != 0)
        KELP_ERROR("server", "a new listener cannot be watched: %s", strerror(errno));
    /* A connection whose listener went away or changed protocol ends. */
    for (size_t i = srv->conn_count; i > 0; i--) {
        if (i > srv->conn_count)
            continue;
        kelp_conn *conn = srv->conns[i - 1];
        int index = kelp_conn_listener(conn);
        int to = index >= 0 && index < KELP_MAX_LISTENERS ? call->moved[index] : -1;
        if (to < 0)
            kelp_conn_close(conn, "its listener was removed or changed");
        else
            kelp_conn_set_listener(conn, to);
    }
    /* Open TLS sessions hold their own reference to the old context. */
    kelp_tls_context_free(srv->tls);
    srv->tls = call->tls;
    kelp_broker_endpoint bound[KELP_MAX_LISTENERS];
    int nbound = bound_endpoints(srv, &call->cfg, bound);
    kelp_broker_set_config(&srv->broker, &call->cfg, bound, nbound);
    if (srv->broker.cfg.connections_max_idle_ms / IDLE_TICKS != srv->idle_period_ms) {
        kelp_timer_cancel(srv->loop, srv->idle_timer);
        idle_sweep_arm(srv);
    }
    loop_call_finish(call);
}

int kelp_server_reconfigure(kelp_server *srv, const kelp_config *cfg, char *err, size_t errlen)
{
    pthread_mutex_lock(&srv->lock);
    if (strcmp(cfg->data_dir, srv->cfg.data_dir) != 0) {
        pthread_mutex_unlock(&srv->lock);
        snprintf(err, errlen, "configuration key \"data\" cannot change while running");
        return -1;
    }
    if (!srv->running) {
        srv->cfg = *cfg;
        pthread_mutex_unlock(&srv->lock);
        return 0;
    }
    loop_call call = {.srv = srv, .cfg = *cfg};
    /* Certificates are read again on every change, so that rotated files
     * take effect for new connections. */
    if (make_tls(cfg, &call.tls, err, errlen) != 0) {
        pthread_mutex_unlock(&srv->lock);
        return -1;
    }
    if (strcmp(cfg->listen, srv->cfg.listen) != 0 &&
        bind_listener(cfg, &call.new_listener, err, errlen) != 0) {
        kelp_tls_context_free(call.tls);
        pthread_mutex_unlock(&srv->lock);
        return -1;
    }
    /* Only this thread changes the set, under srv->lock; the loop thread reads it. */
    if (kelp_listener_set_plan(&srv->extras, cfg, srv, &call.extras, call.moved, err, errlen) != 0) {
        kelp_listener_close(call.new_listener);
        kelp_tls_context_free(call.tls);
        pthread_mutex_unlock(&srv->lock);
        return -1;
    }
    pthread_mutex_init(&call.mu, NULL);
    pthread_cond_init(&call.cv, NULL);
    int rc = kelp_loop_post(srv->loop, apply_config_on_loop, &call);
    if (rc == 0) {
        loop_call_wait(&call);
    } else {
        kelp_listener_close(call.new_listener);
        kelp_listener_set_discard(&srv->extras, &call.extras);
        kelp_tls_context_free(call.tls);
    }
    pthread_cond_destroy(&call.cv);
    pthread_mutex_destroy(&call.mu);
    if (rc == 0)
        srv->cfg = *cfg;
    pthread_mutex_unlock(&srv->lock);
    if (rc != 0)
        snprintf(err, errlen, "out of memory");
    return rc;
}

/* A read-only query answered on the loop thread, for the admin endpoint. */
typedef struct query_call {
    kelp_broker_query_fn fn;
    const char *arg;
    char *result;
    unsigned status;
} query_call;

static void query_on_loop(kelp_server *srv, void *ctx)
{
    query_call *call = ctx;
    call->result = call->fn(&srv->broker, call->arg, &call->status);
}

char *kelp_server_query(kelp_server *srv, kelp_broker_query_fn fn, const char *arg, unsigned *status)
{
    query_call call = {.fn = fn, .arg = arg, .status = 500};
    if (kelp_server_run_on_loop(srv, query_on_loop, &call, status) != 0)
        return NULL;
    *status = call.status;
    return call.result;
}

/* Runs fn(ctx) on the loop thread and waits for it; -1 (status 503) when
 * the server is not running, -1 (500) when it cannot be posted. */
typedef struct waited_call {
    void (*fn)(kelp_server *srv, void *ctx);
    kelp_server *srv;
    void *ctx;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool done;
} waited_call;

static void waited_call_on_loop(void *arg)
{
    waited_call *call = arg;
    call->fn(call->srv, call->ctx);
    pthread_mutex_lock(&call->mu);
    call->done = true;
    pthread_cond_signal(&call->cv);
    pthread_mutex_unlock(&call->mu);
}

int kelp_server_run_on_loop(kelp_server *srv, void (*fn)(kelp_server *srv, void *ctx), void *ctx, unsigned *status)
{
    pthread_mutex_lock(&srv->lock);
    if (!srv->running) {
        pthread_mutex_unlock(&srv->lock);
        *status = 503;
        return -1;
    }
    waited_call call = {.fn = fn, .srv = srv, .ctx = ctx};
    pthread_mutex_init(&call.mu, NULL);
    pthread_cond_init(&call.cv, NULL);
    bool posted = kelp_loop_post(srv->loop, waited_call_on_loop, &call) == 0;
    if (posted) {
        pthread_mutex_lock(&call.mu);
        while (!call.done)
            pthread_cond_wait(&call.cv, &call.mu);
        pthread_mutex_unlock(&call.mu);
    }
    pthread_cond_destroy(&call.cv);
    pthread_mutex_destroy(&call.mu);
    pthread_mutex_unlock(&srv->lock);
    *status = posted ? 200 : 500;
    return posted ? 0 : -1;
}

static void drain_check(void *ctx)
{
    kelp_server *srv = ctx;
    bool idle = true;
    for (size_t i = 0; i < srv->conn_count; i++)
        if (!kelp_conn_idle(srv->conns[i]))
            idle = false;
    if (!idle && kelp_clock_mono_ms() < srv->drain_deadline) {
        kelp_timer_add(srv->loop, kelp_clock_mono_ms() + 5, drain_check, srv);
        return;
    }
    while (srv->conn_count > 0)
        kelp_conn_close(srv->conns[srv->conn_count - 1], "server stopping");
    kelp_loop_stop(srv->loop);
}

static void begin_drain_on_loop(void *ctx)
{
    kelp_server *srv = ctx;
    srv->draining = true; /* on_accept refuses from now on; the socket closes after the join */
    for (size_t i = 0; i < srv->conn_count; i++)
        kelp_conn_stop_reading(srv->conns[i]);
    /* Long-polling fetches are answered now; produces finish with their commit. */
    kelp_broker_stop(&srv->broker);
    kelp_storage_request_sync(srv->storage);
    srv->drain_deadline = kelp_clock_mono_ms() + DRAIN_TIMEOUT_MS;
    drain_check(srv);
}

static int server_stop(kelp_server *srv, bool keep_listener, char *err, size_t errlen)
{
    if (!srv->running)
        return 0;
    if (kelp_loop_post(srv->loop, begin_drain_on_loop, srv) != 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    pthread_join(srv->thread, NULL);
    pthread_mutex_lock(&srv->lock);
    srv->running = false;
    if (keep_listener) {
        kelp_listener_detach(srv->listener);
        kelp_listener_set_detach(&srv->extras);
    } else {
        kelp_listener_close(srv->listener);
        srv->listener = NULL;
        kelp_listener_set_close(&srv->extras);
    }
    pthread_mutex_unlock(&srv->lock);
    /* Queued offset and group files are written before the store closes. */
    kelp_broker_destroy(&srv->broker);
    int rc = kelp_storage_close(srv->storage);
    srv->storage = NULL;
    kelp_loop_free(srv->loop);
    srv->loop = NULL;
    kelp_tls_context_free(srv->tls);
    srv->tls = NULL;
    if (rc != 0) {
        snprintf(err, errlen, "storage could not be synced on stop");
        return -1;
    }
    KELP_INFO("server", "stopped");
    return 0;
}

int kelp_server_stop(kelp_server *srv, char *err, size_t errlen)
{
    return server_stop(srv, false, err, errlen);
}

int kelp_server_switch_storage(kelp_server *srv, const kelp_config *cfg, char *err, size_t errlen)
{
    pthread_mutex_lock(&srv->lock);
    kelp_config old = srv->cfg;
    bool running = srv->running;
    pthread_mutex_unlock(&srv->lock);
    if (!running) {
        pthread_mutex_lock(&srv->lock);
        srv->cfg = *cfg;
        pthread_mutex_unlock(&srv->lock);
        return 0;
    }
    /* Connections are drained and closed; clients reconnect to the same
     * address and find the other storage behind it. */
    if (server_stop(srv, true, err, errlen) != 0)
        return -1;
    srv->cfg = *cfg;
    snprintf(srv->cfg.listen, sizeof(srv->cfg.listen), "%s", old.listen);
    if (kelp_server_start(srv, err, errlen) == 0) {
        KELP_INFO("server", "storage switched to %s", cfg->storage.filer[0] ? cfg->storage.filer : cfg->data_dir);
        return 0;
    }
    KELP_ERROR("server", "the new storage failed (%s); going back to the previous one", err);
    char again[256];
    srv->cfg = old;
    if (kelp_server_start(srv, again, sizeof(again)) != 0) {
        KELP_ERROR("server", "the previous storage failed too: %s", again);
        kelp_listener_close(srv->listener);
        srv->listener = NULL;
        kelp_listener_set_close(&srv->extras);
    }
    return -1;
}

void kelp_server_destroy(kelp_server *srv)
{
    if (!srv)
        return;
    if (srv->running) {
        char err[256];
        kelp_server_stop(srv, err, sizeof(err));
    }
    free(srv->conns);
    kelp_server_metrics_free(srv->metrics);
    pthread_mutex_destroy(&srv->lock);
    free(srv);
    kelp_frame_pool_drain(); /* kept frames of every server; those in use stay */
}

struct kelp_fs *kelp_server_fs(kelp_server *srv)
{
    return srv->running && srv->storage ? kelp_storage_fs(srv->storage) : NULL;
}

int kelp_server_bound_address(kelp_server *srv, char *buf, size_t buflen)
{
    pthread_mutex_lock(&srv->lock);
    int rc = -1;
    if (srv->listener) {
        kelp_format_host_port(buf, buflen, kelp_listener_host(srv->listener), kelp_listener_port(srv->listener));
        rc = 0;
    }
    pthread_mutex_unlock(&srv->lock);
    return rc;
}
