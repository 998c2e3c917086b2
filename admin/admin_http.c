/* The admin HTTP daemon: binding, HTTPS, request bodies, credentials, route
 * dispatch and JSON responses. Handlers live in admin/routes_*.c; the
 * Authorization check in admin/http_auth.c. */
#include "admin/admin_http.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <openssl/crypto.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "admin/http_listen.h"
#include "admin/routes.h"
#include "util/buf.h"
#include "util/log.h"
#include "module/config.h"

#define ADMIN_CONNECTION_LIMIT 64u
#define ADMIN_IDLE_TIMEOUT_SECONDS 30u

static const kelp_admin_route *const route_groups[] = {
    kelp_admin_health_routes,
    kelp_admin_config_routes,
    kelp_admin_groups_routes,
    kelp_admin_topics_routes,
    kelp_admin_metrics_routes,
    kelp_admin_connections_routes,
    kelp_admin_console_routes, /* last: the API's routes come first */
};

/* A daemon and the listening socket it was given. The socket is closed only
 * after the daemon stopped (microhttpd may still look at it until then). */
typedef struct admin_daemon {
    struct MHD_Daemon *mhd;
    int listen_fd;
    bool quiesced; /* the socket was taken back from microhttpd: ours to close */
    kelp_http_tls tls; /* the daemon's copy, kept until it stopped */
} admin_daemon;

struct kelp_admin {
    kelp_admin_callbacks cb;
    kelp_http_tls tls; /* what the next daemon serves (plain: HTTP) */
    pthread_mutex_t lock; /* guards the fields below */
    admin_daemon current; /* mhd NULL when not listening */
    char bound[KELP_CONFIG_ADDR_MAX + 16];
    admin_daemon *retired; /* quiesced by a rebind, stopped by kelp_admin_stop */
    size_t retired_count;
};

/* Per-connection state while a request body arrives. */
typedef struct pending_request {
    kelp_buf body;
    bool too_large;
    bool answered; /* a response is queued already */
} pending_request;

void kelp_admin_respond_json(kelp_admin_response *resp, unsigned status, char *json)
{
    free(resp->body);
    resp->body = NULL;
    if (!json) {
        kelp_admin_respond_error(resp, 500, "out of memory");
        return;
    }
    resp->status = status;
    resp->body = json;
}

void kelp_admin_respond_error(kelp_admin_response *resp, unsigned status, const char *message)
{
    free(resp->body);
    resp->body = NULL;
    resp->status = status;
    /* cJSON escapes whatever bytes the message carries (it may quote input). */
    cJSON *obj = cJSON_CreateObject();
    if (obj && cJSON_AddStringToObject(obj, "error", message))
        resp->body = cJSON_PrintUnformatted(obj);
    cJSON_Delete(obj);
    if (!resp->body)
        resp->status = 500;
}

/* Sends resp with an Allow header (for 405) and WWW-Authenticate values
 * (for 401) when given. */
static enum MHD_Result send_response_with(struct MHD_Connection *conn, const kelp_admin_response *resp,
                                          const char *allow, const char *const *challenges, size_t nchallenges)
{
    static const char fallback[] = "{\"error\":\"out of memory\"}";
    struct MHD_Response *r;
    if (resp->body)
        r = MHD_create_response_from_buffer(strlen(resp->body), resp->body, MHD_RESPMEM_MUST_COPY);
    else
        r = MHD_create_response_from_buffer(sizeof(fallback) - 1, (void *)fallback, MHD_RESPMEM_PERSISTENT);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
                            resp->body && resp->content_type ? resp->content_type : "application/json");
    if (allow)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
    for (size_t i = 0; i < nchallenges; i++)
        MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, challenges[i]);
    enum MHD_Result rc = MHD_queue_response(conn, resp->body ? resp->status : 500, r);
    MHD_destroy_response(r);
    return rc;
}

static enum MHD_Result send_response(struct MHD_Connection *conn, const kelp_admin_response *resp,
                                     const char *allow)
{
    return send_response_with(conn, resp, allow, NULL, 0);
}

static enum MHD_Result send_error(struct MHD_Connection *conn, unsigned status, const char *message)
{
    kelp_admin_response resp = {0};
    kelp_admin_respond_error(&resp, status, message);
    enum MHD_Result rc = send_response(conn, &resp, NULL);
    free(resp.body);
    return rc;
}

static bool path_matches(const char *route_path, const char *path)
{
    size_t len = strlen(route_path);
    /* "/" stays exact: as a prefix it would take every path. A prefix route
     * takes its own path too (GET /console/ is the console's index). */
    if (len > 1 && route_path[len - 1] == '/')
        return strncmp(route_path, path, len) == 0;
    return strcmp(route_path, path) == 0;
}

/* Appends method to a comma-separated Allow list unless it is there. */
static void allow_add(char *allow, size_t cap, const char *method)
{
    size_t mlen = strlen(method);
    for (const char *p = allow; (p = strstr(p, method)) != NULL; p += mlen)
        if ((p == allow || p[-1] == ' ') && (p[mlen] == ',' || p[mlen] == '\0'))
            return;
    size_t used = strlen(allow);
    snprintf(allow + used, cap - used, "%s%s", used ? ", " : "", method);
}

static enum MHD_Result dispatch(kelp_admin *admin, struct MHD_Connection *conn, const char *method,
                                const char *path, pending_request *pr)
{
    char allow[128] = "";
    for (size_t g = 0; g < sizeof(route_groups) / sizeof(route_groups[0]); g++) {
        for (const kelp_admin_route *r = route_groups[g]; r->path; r++) {
            if (!path_matches(r->path, path))
                continue;
            if (strcmp(r->method, method) != 0) {
                allow_add(allow, sizeof(allow), r->method);
                continue;
            }
            kelp_admin_request req = {.method = method,
                                      .path = path,
                                      .body = pr->body.len ? (const char *)pr->body.data : "",
                                      .body_len = pr->body.len ? pr->body.len - 1 : 0,
                                      .cb = &admin->cb};
            kelp_admin_response resp = {0};
            r->handler(&req, &resp);
            if (!resp.body && resp.status == 0)
                kelp_admin_respond_error(&resp, 500, "no response");
            enum MHD_Result rc = send_response(conn, &resp, NULL);
            free(resp.body);
            return rc;
        }
    }
    if (allow[0]) {
        kelp_admin_response resp = {0};
        char message[192];
        snprintf(message, sizeof(message), "method %s is not allowed here (allowed: %s)", method, allow);
        kelp_admin_respond_error(&resp, 405, message);
        enum MHD_Result rc = send_response(conn, &resp, allow);
        free(resp.body);
        return rc;
    }
    return send_error(conn, 404, "no such endpoint");
}

/* GET /healthz stays open: it shows only that the thread runs, and
 * liveness probes carry no credentials. */
static bool is_open_route(const char *method, const char *url)
{
    return strcmp(method, "GET") == 0 && strcmp(url, "/healthz") == 0;
}

/* True when the request may go on; otherwise a 401 is queued in *rc. */
static bool authorized(kelp_admin *admin, struct MHD_Connection *conn, const char *method, const char *url,
                       enum MHD_Result *rc)
{
    if (!admin->cb.get_auth || is_open_route(method, url))
        return true;
    kelp_admin_auth_config aa;
    admin->cb.get_auth(admin->cb.ctx, &aa);
    const char *header = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    bool ok = kelp_http_auth_check(&aa, header);
    if (!ok) {
        const char *challenges[2];
        size_t n = kelp_http_auth_challenges(&aa, challenges);
        kelp_admin_response resp = {0};
        kelp_admin_respond_error(&resp, 401, header ? "invalid credentials" : "authentication required");
        *rc = send_response_with(conn, &resp, NULL, challenges, n);
        free(resp.body);
    }
    OPENSSL_cleanse(&aa, sizeof(aa));
    return ok;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    kelp_admin *admin = cls;
    pending_request *pr = *con_cls;
    if (!pr) {
        pr = calloc(1, sizeof(*pr));
        if (!pr)
            return MHD_NO;
        kelp_buf_init(&pr->body);
        *con_cls = pr;
        /* Credentials first: a refused request's body is never looked at. */
        enum MHD_Result rc;
        if (!authorized(admin, conn, method, url, &rc)) {
            pr->answered = true;
            return rc;
        }
        /* Refuse a declared oversized body before reading any of it. */
        const char *length = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (length && strtoull(length, NULL, 10) > KELP_ADMIN_MAX_BODY) {
            pr->too_large = pr->answered = true;
            return send_error(conn, 413, "request body too large");
        }
        return MHD_YES;
    }
    if (pr->answered) {
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        if (!pr->too_large && pr->body.len + *upload_data_size <= KELP_ADMIN_MAX_BODY) {
            kelp_buf_append(&pr->body, upload_data, *upload_data_size);
        } else {
            pr->too_large = true; /* keep reading, answer once the body is over */
            kelp_buf_free(&pr->body);
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    pr->answered = true;
    if (pr->too_large)
        return send_error(conn, 413, "request body too large");
    if (pr->body.len > 0 && !kelp_buf_append(&pr->body, "", 1))
        return send_error(conn, 500, "out of memory");
    if (pr->body.failed)
        return send_error(conn, 500, "out of memory");
    return dispatch(admin, conn, method, url, pr);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode code)
{
    pending_request *pr = *con_cls;
    if (!pr)
        return;
    kelp_buf_free(&pr->body);
    free(pr);
    *con_cls = NULL;
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    char line[512];
    vsnprintf(line, sizeof(line), fmt, ap);
    size_t len = strlen(line);
    while (len > 0 && line[len - 1] == '\n')
        line[--len] = '\0';
    KELP_WARN("admin", "%s", line);
}

int kelp_admin_listen(const char *addr, char *err, size_t errlen)
{
    return kelp_http_listen("admin", addr, err, errlen);
}

/* Starts a daemon on a listening socket (closed on error); fills d and the
 * bound address. */
static int daemon_start(kelp_admin *admin, int fd, const kelp_http_tls *tls, admin_daemon *d, char *bound,
                        size_t boundlen, char *err, size_t errlen)
{
    kelp_http_tls own;
    if (kelp_http_tls_copy(tls, &own) != 0) {
        snprintf(err, errlen, "out of memory");
        close(fd);
        return -1;
    }
    struct sockaddr_storage ss;
    socklen_t sslen = sizeof(ss);
    if (getsockname(fd, (struct sockaddr *)&ss, &sslen) != 0) {
        snprintf(err, errlen, "cannot read the admin socket address: %s", strerror(errno));
        kelp_http_tls_free(&own);
        close(fd);
        return -1;
    }
    unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG;
    if (ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    struct MHD_OptionItem tls_options[3];
    flags |= kelp_http_tls_mhd_options(&own, tls_options);
    struct MHD_Daemon *mhd = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, admin, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
        MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_CONNECTION_LIMIT, ADMIN_CONNECTION_LIMIT,
        MHD_OPTION_CONNECTION_TIMEOUT, ADMIN_IDLE_TIMEOUT_SECONDS, MHD_OPTION_NOTIFY_COMPLETED, on_completed,
        NULL, MHD_OPTION_ARRAY, tls_options, MHD_OPTION_END);
    kelp_format_sockaddr(&ss, bound, boundlen);
    if (!mhd) {
        snprintf(err, errlen, "cannot start the admin %s server on %s", own.cert ? "HTTPS" : "HTTP", bound);
        kelp_http_tls_free(&own);
        close(fd);
        return -1;
    }
    d->mhd = mhd;
    d->listen_fd = fd;
    d->quiesced = false;
    d->tls = own;
    return 0;
}

/* Stops accepting without joining, so a request handler may call it.
 * release_port: the socket is done with (a rebind); otherwise another
 * daemon serves it now through a descriptor of its own. */
static void daemon_quiesce(admin_daemon *d, bool release_port)
{
    if (MHD_quiesce_daemon(d->mhd) >= 0) {
        d->quiesced = true;
        if (release_port)
            shutdown(d->listen_fd, SHUT_RDWR); /* frees the port now; closed after the stop */
    }
}

static void daemon_stop(admin_daemon *d)
{
    MHD_stop_daemon(d->mhd); /* closes the socket unless it was quiesced */
    if (d->quiesced)
        close(d->listen_fd);
    d->mhd = NULL;
    d->listen_fd = -1;
    d->quiesced = false;
    kelp_http_tls_free(&d->tls);
}

kelp_admin *kelp_admin_start_fd(int listen_fd, const kelp_admin_callbacks *cb, const kelp_http_tls *tls, char *err,
                                size_t errlen)
{
    kelp_admin *admin = calloc(1, sizeof(*admin));
    if (!admin) {
        close(listen_fd);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    admin->cb = *cb;
    if (kelp_http_tls_copy(tls, &admin->tls) != 0) {
        close(listen_fd);
        free(admin);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&admin->lock, NULL);
    if (daemon_start(admin, listen_fd, &admin->tls, &admin->current, admin->bound, sizeof(admin->bound), err,
                     errlen) != 0) {
        kelp_http_tls_free(&admin->tls);
        pthread_mutex_destroy(&admin->lock);
        free(admin);
        return NULL;
    }
    KELP_INFO("admin", "admin %s endpoint on %s", admin->tls.cert ? "HTTPS" : "HTTP", admin->bound);
    return admin;
}

kelp_admin *kelp_admin_start(const char *addr, const kelp_admin_callbacks *cb, const kelp_http_tls *tls, char *err,
                             size_t errlen)
{
    int fd = kelp_admin_listen(addr, err, errlen);
    return fd < 0 ? NULL : kelp_admin_start_fd(fd, cb, tls, err, errlen);
}

/* Room for one more retired daemon, so nothing fails once a new one runs. */
static int reserve_retired(kelp_admin *admin)
{
    pthread_mutex_lock(&admin->lock);
    admin_daemon *grown = realloc(admin->retired, (admin->retired_count + 1) * sizeof(*grown));
    if (grown)
        admin->retired = grown;
    pthread_mutex_unlock(&admin->lock);
    return grown ? 0 : -1;
}

int kelp_admin_set_tls(kelp_admin *admin, const kelp_http_tls *tls, char *err, size_t errlen)
{
    kelp_http_tls next_tls;
    if (kelp_http_tls_copy(tls, &next_tls) != 0 || reserve_retired(admin) != 0) {
        kelp_http_tls_free(&next_tls);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    pthread_mutex_lock(&admin->lock);
    bool listening = admin->current.mhd != NULL;
    int current_fd = admin->current.listen_fd;
    pthread_mutex_unlock(&admin->lock);
    admin_daemon next = {.mhd = NULL, .listen_fd = -1, .quiesced = false};
    char bound[sizeof(admin->bound)] = "";
    if (listening) {
        int fd = kelp_http_listen_dup("admin", current_fd, err, errlen);
        if (fd < 0 || daemon_start(admin, fd, &next_tls, &next, bound, sizeof(bound), err, errlen) != 0) {
            kelp_http_tls_free(&next_tls);
            return -1;
        }
        pthread_mutex_lock(&admin->lock);
        daemon_quiesce(&admin->current, false);
        admin->retired[admin->retired_count++] = admin->current;
        admin->current = next;
        snprintf(admin->bound, sizeof(admin->bound), "%s", bound);
        pthread_mutex_unlock(&admin->lock);
    }
    kelp_http_tls_free(&admin->tls);
    admin->tls = next_tls;
    if (listening)
        KELP_INFO("admin", "admin endpoint on %s now serves %s", bound, next_tls.cert ? "HTTPS" : "HTTP");
    return 0;
}

int kelp_admin_rebind_fd(kelp_admin *admin, int listen_fd, char *err, size_t errlen)
{
    if (reserve_retired(admin) != 0) {
        if (listen_fd >= 0)
            close(listen_fd);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    admin_daemon next = {.mhd = NULL, .listen_fd = -1, .quiesced = false};
    char bound[sizeof(admin->bound)] = "";
    if (listen_fd >= 0 &&
        daemon_start(admin, listen_fd, &admin->tls, &next, bound, sizeof(bound), err, errlen) != 0)
        return -1;
    pthread_mutex_lock(&admin->lock);
    if (admin->current.mhd) {
        daemon_quiesce(&admin->current, true);
        admin->retired[admin->retired_count++] = admin->current;
    }
    admin->current = next;
    snprintf(admin->bound, sizeof(admin->bound), "%s", bound);
    pthread_mutex_unlock(&admin->lock);
    if (next.mhd)
        KELP_INFO("admin", "admin HTTP endpoint moved to %s", bound);
    else
        KELP_INFO("admin", "admin HTTP endpoint disabled");
    return 0;
}

int kelp_admin_bound_address(kelp_admin *admin, char *buf, size_t buflen)
{
    pthread_mutex_lock(&admin->lock);
    int rc = admin->current.mhd ? 0 : -1;
    if (rc == 0)
        snprintf(buf, buflen, "%s", admin->bound);
    pthread_mutex_unlock(&admin->lock);
    return rc;
}

void kelp_admin_stop(kelp_admin *admin)
{
    if (!admin)
        return;
    if (admin->current.mhd)
        daemon_stop(&admin->current);
    for (size_t i = 0; i < admin->retired_count; i++)
        daemon_stop(&admin->retired[i]);
    free(admin->retired);
    kelp_http_tls_free(&admin->tls);
    pthread_mutex_destroy(&admin->lock);
    free(admin);
}
