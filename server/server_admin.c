/* What the admin endpoint asks of a running server, answered on the loop
 * thread: the drain, and the listeners with their connections. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/server_internal.h"
#include "util/host_port.h"
#include "util/log.h"

typedef struct drain_call {
    int action; /* > 0 start, < 0 end, 0 only look */
    bool draining;
    size_t connections;
} drain_call;

/* Each open connection reads no more and closes once its pending answers
 * are written, so clients reconnect elsewhere; nothing in flight is lost. */
static void drain_on_loop(kelp_server *srv, void *ctx)
{
    drain_call *call = ctx;
    if (call->action > 0 && !srv->admin_drain) {
        srv->admin_drain = true;
        KELP_INFO("server", "draining: %zu connections to end, new ones refused", srv->conn_count);
        for (size_t i = srv->conn_count; i > 0; i--)
            if (i <= srv->conn_count)
                kelp_conn_close_when_sent(srv->conns[i - 1]);
        kelp_storage_request_sync(srv->storage);
    } else if (call->action < 0 && srv->admin_drain) {
        srv->admin_drain = false;
        KELP_INFO("server", "drain ended: accepting connections again");
    }
    call->draining = srv->admin_drain;
    call->connections = srv->conn_count;
}

char *kelp_server_drain(kelp_server *srv, int action, unsigned *status)
{
    drain_call call = {.action = action};
    if (kelp_server_run_on_loop(srv, drain_on_loop, &call, status) != 0)
        return NULL;
    char *json = malloc(64);
    if (json)
        snprintf(json, 64, "{\"draining\":%s,\"connections\":%zu}", call.draining ? "true" : "false",
                 call.connections);
    *status = json ? (action > 0 ? 202 : 200) : 500;
    return json;
}

static bool add_listener(cJSON *list, const char *name, const char *configured, const kelp_listener *l,
                         const kelp_broker_endpoint *ep, size_t connections)
{
    char bound[KELP_CONFIG_ADDR_MAX + 8], advertised[KELP_CONFIG_ADDR_MAX + 8];
    kelp_format_host_port(bound, sizeof(bound), kelp_listener_host(l), kelp_listener_port(l));
    kelp_format_host_port(advertised, sizeof(advertised), ep->host, (unsigned)ep->port);
    cJSON *o = cJSON_CreateObject();
    return o && cJSON_AddItemToArray(list, o) && cJSON_AddStringToObject(o, "name", name) &&
           cJSON_AddStringToObject(o, "listen", configured) && cJSON_AddStringToObject(o, "bound", bound) &&
           cJSON_AddStringToObject(o, "protocol", kelp_config_protocol_name(ep->protocol)) &&
           cJSON_AddStringToObject(o, "advertised", advertised) &&
           cJSON_AddNumberToObject(o, "connections", (double)connections);
}

typedef struct listeners_call {
    char *json;
} listeners_call;

static void listeners_on_loop(kelp_server *srv, void *ctx)
{
    listeners_call *call = ctx;
    size_t per[KELP_MAX_LISTENERS] = {0};
    for (size_t i = 0; i < srv->conn_count; i++) {
        int index = kelp_conn_listener(srv->conns[i]);
        if (index >= 0 && index < KELP_MAX_LISTENERS)
            per[index]++;
    }
    const kelp_broker *b = &srv->broker;
    cJSON *root = cJSON_CreateObject();
    cJSON *list = root ? cJSON_AddArrayToObject(root, "listeners") : NULL;
    bool ok = list && add_listener(list, KELP_MAIN_LISTENER_NAME, b->cfg.listen, srv->listener, &b->endpoints[0],
                                   per[0]);
    for (int i = 0; ok && i < srv->extras.count && i + 1 < b->endpoint_count; i++) {
        const kelp_listener_entry *e = srv->extras.entries[i];
        ok = add_listener(list, e->name, e->listen, e->l, &b->endpoints[i + 1], per[i + 1]);
    }
    call->json = ok ? cJSON_PrintUnformatted(root) : NULL;
    cJSON_Delete(root);
}

char *kelp_server_listeners_json(kelp_server *srv, unsigned *status)
{
    listeners_call call = {0};
    if (kelp_server_run_on_loop(srv, listeners_on_loop, &call, status) != 0)
        return NULL;
    *status = call.json ? 200 : 500;
    return call.json;
}
