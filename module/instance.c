/* A module instance: the configuration, the server core, the admin
 * endpoint and the schema registry, and the rules for changing the
 * configuration at run time.
 *
 * Two locks: state_lock serializes start/reconfigure/stop and guards the
 * server, admin and life-cycle fields; cfg_lock guards cfg for the short
 * reads the admin thread makes. stop never holds state_lock while it joins
 * the admin thread, because an admin request may be waiting for it.
 *
 * The schema registry keeps its files through the running storage's
 * kelp_fs: it is detached before the storage closes (stop, switch) and
 * attached, which reloads it, once the next storage runs.
 *
 * Both HTTP endpoints read "admin_auth" under cfg_lock for every request,
 * so a credential change applies from the next request on. A changed
 * certificate or key (other paths, or other file contents at the same
 * paths, seen by any reconfiguration, SIGHUP included) restarts their
 * daemons on the same sockets. */
#include "module/instance.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admin/admin_http.h"
#include "schema/registry.h"
#include "schema/registry_http.h"
#include "util/log.h"
#include "broker/broker.h"
#include "server/server.h"

struct kelp_instance {
    kelp_host_api host;
    bool has_log_sink;

    pthread_mutex_t cfg_lock;
    kelp_config cfg;

    pthread_mutex_t state_lock;
    kelp_server *server;
    kelp_admin *admin;
    kelp_schema_registry *registry;
    kelp_schema_http *schema_http; /* NULL while "schema_registry" is "" */
    kelp_http_tls tls;             /* what both endpoints serve (plain: HTTP) */
    bool running;
    bool stopping;
};

static kelp_config config_snapshot(kelp_instance *inst)
{
    pthread_mutex_lock(&inst->cfg_lock);
    kelp_config cfg = inst->cfg;
    pthread_mutex_unlock(&inst->cfg_lock);
    return cfg;
}

char *kelp_instance_config_json(kelp_instance *inst)
{
    kelp_config cfg = config_snapshot(inst);
    return kelp_config_to_json(&cfg);
}

static char *admin_get_config(void *ctx)
{
    return kelp_instance_config_json(ctx);
}

static int admin_apply_config(void *ctx, const char *patch_json, char *err, size_t errlen)
{
    return kelp_instance_reconfigure(ctx, patch_json, err, errlen);
}

static char *admin_groups_json(void *ctx, const char *group_id, unsigned *status)
{
    kelp_instance *inst = ctx;
    return kelp_server_query(inst->server, kelp_broker_groups_json, group_id, status);
}

static char *admin_topics_json(void *ctx, const char *name, unsigned *status)
{
    kelp_instance *inst = ctx;
    return kelp_server_query(inst->server, kelp_broker_topics_json, name, status);
}

static char *admin_create_topic(void *ctx, const char *body, unsigned *status)
{
    kelp_instance *inst = ctx;
    return kelp_server_query(inst->server, kelp_broker_topics_create, body, status);
}

static char *admin_delete_topic(void *ctx, const char *name, unsigned *status)
{
    kelp_instance *inst = ctx;
    return kelp_server_query(inst->server, kelp_broker_topics_delete, name, status);
}

static char *admin_topic_producers(void *ctx, const char *name, unsigned *status)
{
    kelp_instance *inst = ctx;
    return kelp_server_query(inst->server, kelp_broker_topic_producers_json, name, status);
}

static char *admin_metrics_text(void *ctx, unsigned *status)
{
    kelp_instance *inst = ctx;
    return kelp_server_query(inst->server, kelp_broker_metrics_text, NULL, status);
}

static char *admin_drain(void *ctx, int action, unsigned *status)
{
    kelp_instance *inst = ctx;
    return kelp_server_drain(inst->server, action, status);
}

static char *admin_listeners_json(void *ctx, unsigned *status)
{
    kelp_instance *inst = ctx;
    return kelp_server_listeners_json(inst->server, status);
}

/* The endpoints' view of "admin_auth", taken for each request. */
static void http_auth_settings(void *ctx, kelp_admin_auth_config *out)
{
    kelp_instance *inst = ctx;
    pthread_mutex_lock(&inst->cfg_lock);
    *out = inst->cfg.admin_auth;
    pthread_mutex_unlock(&inst->cfg_lock);
}

static kelp_admin_callbacks admin_callbacks(kelp_instance *inst)
{
    return (kelp_admin_callbacks){.ctx = inst,
                                  .get_config = admin_get_config,
                                  .apply_config = admin_apply_config,
                                  .groups_json = admin_groups_json,
                                  .topics_json = admin_topics_json,
                                  .create_topic = admin_create_topic,
                                  .delete_topic = admin_delete_topic,
                                  .topic_producers = admin_topic_producers,
                                  .metrics_text = admin_metrics_text,
                                  .drain = admin_drain,
                                  .listeners_json = admin_listeners_json,
                                  .get_auth = http_auth_settings};
}

int kelp_instance_create(const kelp_host_api *host, const char *config_json, kelp_instance **out, char *err,
                         size_t errlen)
{
    *out = NULL;
    if (host && host->abi_version != KELP_MODULE_ABI_VERSION) {
        snprintf(err, errlen, "host uses module ABI version %u, this module has version %u",
                 (unsigned)host->abi_version, (unsigned)KELP_MODULE_ABI_VERSION);
        return -1;
    }
    kelp_config cfg;
    kelp_config_defaults(&cfg);
    if (config_json && config_json[0] && kelp_config_apply_json(&cfg, config_json, err, errlen) != 0)
        return -1;
    kelp_instance *inst = calloc(1, sizeof(*inst));
    if (!inst) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (host)
        inst->host = *host;
    inst->cfg = cfg;
    inst->registry = kelp_schema_registry_new();
    if (!inst->registry) {
        snprintf(err, errlen, "out of memory");
        free(inst);
        return -1;
    }
    if (kelp_server_create(&inst->cfg, &inst->server, err, errlen) != 0) {
        kelp_schema_registry_free(inst->registry);
        free(inst);
        return -1;
    }
    kelp_server_set_schema_registry(inst->server, inst->registry);
    pthread_mutex_init(&inst->cfg_lock, NULL);
    pthread_mutex_init(&inst->state_lock, NULL);
    if (inst->host.log) {
        kelp_log_set_sink(inst->host.log, inst->host.ctx);
        inst->has_log_sink = true;
    }
    kelp_log_set_level(cfg.log_level);
    kelp_log_set_format(cfg.log_format);
    *out = inst;
    return 0;
}

static kelp_schema_http *serve_registry(kelp_instance *inst, int fd, const kelp_http_tls *tls, char *err,
                                        size_t errlen)
{
    kelp_http_auth_source auth = {.ctx = inst, .get = http_auth_settings};
    return kelp_schema_http_start_fd(fd, inst->registry, &auth, tls, err, errlen);
}

/* Loads the registry from the running storage and serves it on addr. */
static int start_registry(kelp_instance *inst, const char *addr, char *err, size_t errlen)
{
    if (kelp_schema_registry_attach(inst->registry, kelp_server_fs(inst->server), err, errlen) != 0)
        return -1;
    int fd = kelp_schema_http_listen(addr, err, errlen);
    if (fd >= 0)
        inst->schema_http = serve_registry(inst, fd, &inst->tls, err, errlen);
    if (!inst->schema_http) {
        char ignored[64];
        kelp_schema_registry_attach(inst->registry, NULL, ignored, sizeof(ignored));
        return -1;
    }
    return 0;
}

/* Points the registry at the running storage again (reloading it), or
 * detaches it when it is not served. A storage that cannot be read leaves
 * it detached: it answers 50001 until the next switch. */
static void reattach_registry(kelp_instance *inst, bool served)
{
    char err[256];
    if (kelp_schema_registry_attach(inst->registry, served ? kelp_server_fs(inst->server) : NULL, err,
                                    sizeof(err)) != 0)
        KELP_ERROR("schema", "%s", err);
}

int kelp_instance_start(kelp_instance *inst, char *err, size_t errlen)
{
    pthread_mutex_lock(&inst->state_lock);
    int rc = -1;
    if (inst->running || inst->stopping) {
        snprintf(err, errlen, "the instance was started already");
        goto out;
    }
    kelp_config cfg = config_snapshot(inst);
    /* The certificate first: a bad file stops the start before anything runs. */
    kelp_http_tls tls;
    if (kelp_http_tls_load(&cfg.admin_auth, &tls, err, errlen) != 0)
        goto out;
    kelp_http_tls_free(&inst->tls);
    inst->tls = tls;
    if (kelp_server_start(inst->server, err, errlen) != 0)
        goto out;
    if (cfg.admin[0]) {
        kelp_admin_callbacks cb = admin_callbacks(inst);
        inst->admin = kelp_admin_start(cfg.admin, &cb, &inst->tls, err, errlen);
        if (!inst->admin) {
            char ignored[256];
            kelp_server_stop(inst->server, ignored, sizeof(ignored));
            goto out;
        }
    }
    if (cfg.schema_registry[0] && start_registry(inst, cfg.schema_registry, err, errlen) != 0) {
        char ignored[256];
        kelp_admin_stop(inst->admin);
        inst->admin = NULL;
        kelp_server_stop(inst->server, ignored, sizeof(ignored));
        goto out;
    }
    inst->running = true;
    rc = 0;
out:
    pthread_mutex_unlock(&inst->state_lock);
    return rc;
}

/* Moves the admin endpoint onto listen_fd (-1: disables it). */
static int move_admin(kelp_instance *inst, int listen_fd, char *err, size_t errlen)
{
    if (inst->admin)
        return kelp_admin_rebind_fd(inst->admin, listen_fd, err, errlen);
    if (listen_fd < 0)
        return 0;
    kelp_admin_callbacks cb = admin_callbacks(inst);
    inst->admin = kelp_admin_start_fd(listen_fd, &cb, &inst->tls, err, errlen);
    return inst->admin ? 0 : -1;
}

/* Both endpoints serve tls from now on; on error neither changed. */
static int switch_tls(kelp_instance *inst, const kelp_http_tls *tls, char *err, size_t errlen)
{
    if (inst->admin && kelp_admin_set_tls(inst->admin, tls, err, errlen) != 0)
        return -1;
    if (inst->schema_http && kelp_schema_http_set_tls(inst->schema_http, tls, err, errlen) != 0) {
        char ignored[256];
        if (inst->admin && kelp_admin_set_tls(inst->admin, &inst->tls, ignored, sizeof(ignored)) != 0)
            KELP_ERROR("admin", "admin endpoint keeps the new certificate: %s", ignored);
        return -1;
    }
    return 0;
}

/* Back to what inst->tls holds, after a reconfiguration failed later on. */
static void restore_tls(kelp_instance *inst)
{
    char err[256];
    if (switch_tls(inst, &inst->tls, err, sizeof(err)) != 0)
        KELP_ERROR("admin", "cannot go back to the previous HTTPS certificate: %s", err);
}

int kelp_instance_reconfigure(kelp_instance *inst, const char *config_json, char *err, size_t errlen)
{
    pthread_mutex_lock(&inst->state_lock);
    int rc = -1;
    int admin_fd = -1, registry_fd = -1;
    kelp_http_tls next_tls = {NULL, NULL};
    bool tls_changed = false;
    if (inst->stopping) {
        snprintf(err, errlen, "Kelp is stopping; the configuration cannot change now");
        goto out;
    }
    kelp_config current = config_snapshot(inst);
    kelp_config next = current;
    if (kelp_config_apply_json(&next, config_json, err, errlen) != 0)
        goto out;
    if (strcmp(next.data_dir, current.data_dir) != 0) {
        snprintf(err, errlen, "configuration key \"data\" cannot change while Kelp runs");
        goto out;
    }
    /* The certificate is read again every time, so renewed files at the
     * same paths are picked up too; one that cannot be served is refused. */
    if (inst->running && kelp_http_tls_load(&next.admin_auth, &next_tls, err, errlen) != 0)
        goto out;
    bool tls_moves = inst->running && !kelp_http_tls_equal(&next_tls, &inst->tls);
    /* Bind a new admin socket before anything changes: it is what can fail. */
    bool admin_moves = inst->running && strcmp(next.admin, current.admin) != 0;
    if (admin_moves && next.admin[0]) {
        admin_fd = kelp_admin_listen(next.admin, err, errlen);
        if (admin_fd < 0)
            goto out;
    }
    bool registry_moves = inst->running && strcmp(next.schema_registry, current.schema_registry) != 0;
    if (registry_moves && next.schema_registry[0]) {
        registry_fd = kelp_schema_http_listen(next.schema_registry, err, errlen);
        if (registry_fd < 0)
            goto out;
    }
    if (tls_moves) {
        if (switch_tls(inst, &next_tls, err, errlen) != 0)
            goto out;
        tls_changed = true;
    }
    /* Another storage is a restart of the server behind the same listener. */
    bool storage_moves = memcmp(&next.storage, &current.storage, sizeof(next.storage)) != 0;
    if (storage_moves) {
        kelp_config switched = next;
        snprintf(switched.listen, sizeof(switched.listen), "%s", current.listen);
        /* The registry lets go of the old storage's files before they close. */
        reattach_registry(inst, false);
        int switched_rc = kelp_server_switch_storage(inst->server, &switched, err, errlen);
        reattach_registry(inst, inst->schema_http != NULL);
        if (switched_rc != 0)
            goto out;
    }
    if (kelp_server_reconfigure(inst->server, &next, err, errlen) != 0)
        goto out;
    if (tls_moves) {
        kelp_http_tls_free(&inst->tls);
        inst->tls = next_tls; /* what a moved endpoint below serves */
        next_tls = (kelp_http_tls){NULL, NULL};
        tls_changed = false;
    }
    if (registry_moves) {
        /* Registry handlers never take state_lock, so joining them here is safe. */
        kelp_schema_http_stop(inst->schema_http);
        inst->schema_http = NULL;
        if (registry_fd >= 0) {
            char sr_err[256];
            reattach_registry(inst, true);
            inst->schema_http = serve_registry(inst, registry_fd, &inst->tls, sr_err, sizeof(sr_err));
            registry_fd = -1; /* owned by the registry server now, also on error */
            if (!inst->schema_http)
                KELP_ERROR("schema", "schema registry not served: %s", sr_err);
        }
        if (!inst->schema_http) {
            reattach_registry(inst, false);
            if (next.schema_registry[0])
                snprintf(next.schema_registry, sizeof(next.schema_registry), "%s", "");
        }
    }
    if (admin_moves) {
        int fd = admin_fd;
        admin_fd = -1; /* owned by the admin endpoint now, also on error */
        if (move_admin(inst, fd, err, errlen) != 0) {
            /* Only resource exhaustion gets here; the endpoint stays where it was. */
            KELP_ERROR("admin", "admin endpoint stays on %s: %s", current.admin, err);
            snprintf(next.admin, sizeof(next.admin), "%s", current.admin);
        }
    }
    pthread_mutex_lock(&inst->cfg_lock);
    inst->cfg = next;
    pthread_mutex_unlock(&inst->cfg_lock);
    kelp_log_set_level(next.log_level);
    kelp_log_set_format(next.log_format);
    KELP_INFO("config", "configuration changed");
    rc = 0;
out:
    if (tls_changed)
        restore_tls(inst);
    if (admin_fd >= 0)
        close(admin_fd);
    if (registry_fd >= 0)
        close(registry_fd);
    kelp_http_tls_free(&next_tls);
    pthread_mutex_unlock(&inst->state_lock);
    return rc;
}

int kelp_instance_stop(kelp_instance *inst, char *err, size_t errlen)
{
    pthread_mutex_lock(&inst->state_lock);
    bool was_running = inst->running;
    kelp_admin *admin = inst->admin;
    kelp_schema_http *schema_http = inst->schema_http;
    inst->admin = NULL;
    inst->schema_http = NULL;
    inst->stopping = true; /* reconfigure refuses from now on */
    pthread_mutex_unlock(&inst->state_lock);
    if (!was_running)
        return 0;
    kelp_admin_stop(admin); /* joins admin requests, which may have waited for state_lock */
    kelp_schema_http_stop(schema_http);
    char ignored[64];
    kelp_schema_registry_attach(inst->registry, NULL, ignored, sizeof(ignored));
    int rc = kelp_server_stop(inst->server, err, errlen);
    pthread_mutex_lock(&inst->state_lock);
    inst->running = false;
    pthread_mutex_unlock(&inst->state_lock);
    return rc;
}

void kelp_instance_destroy(kelp_instance *inst)
{
    if (!inst)
        return;
    if (inst->running) {
        char err[256];
        if (kelp_instance_stop(inst, err, sizeof(err)) != 0)
            KELP_ERROR("server", "stop failed: %s", err);
    }
    kelp_server_destroy(inst->server);
    kelp_schema_registry_free(inst->registry);
    kelp_http_tls_free(&inst->tls);
    if (inst->has_log_sink)
        kelp_log_set_sink(NULL, NULL);
    pthread_mutex_destroy(&inst->state_lock);
    pthread_mutex_destroy(&inst->cfg_lock);
    free(inst);
}

int kelp_instance_bound_address(kelp_instance *inst, int kind, char *buf, size_t buflen)
{
    if (buflen > 0)
        buf[0] = '\0';
    pthread_mutex_lock(&inst->state_lock);
    int rc = -1;
    if (kind == KELP_LISTENER_KAFKA && inst->running)
        rc = kelp_server_bound_address(inst->server, buf, buflen);
    else if (kind == KELP_LISTENER_ADMIN && inst->admin)
        rc = kelp_admin_bound_address(inst->admin, buf, buflen);
    else if (kind == KELP_LISTENER_SCHEMA_REGISTRY && inst->schema_http)
        rc = kelp_schema_http_bound_address(inst->schema_http, buf, buflen);
    pthread_mutex_unlock(&inst->state_lock);
    return rc;
}
