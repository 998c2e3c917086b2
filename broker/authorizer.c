#include "broker/authorizer.h"

#include <stdio.h>
#include <string.h>

#include "protocol/kafka_errors.h"
#include "util/log.h"

bool kelp_super_user(const kelp_broker *b, const char *principal)
{
    size_t n = strlen(principal);
    for (const char *p = b->cfg.security.super_users; *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        const char *name = p;
        if (len > 5 && memcmp(name, "User:", 5) == 0) {
            name += 5;
            len -= 5;
        }
        if (len == n && memcmp(name, principal, n) == 0)
            return true;
        if (!nl)
            break;
        p = nl + 1;
    }
    return false;
}

/* The peer's address without its port; IPv6 without brackets, as Kafka
 * writes hosts in ACLs. */
static void peer_host(kelp_request *req, char *out, size_t cap)
{
    kelp_conn *conn = kelp_conn_slot_conn(req->slot);
    const char *peer = conn ? kelp_conn_peer(conn) : "";
    if (!peer)
        peer = "";
    const char *end;
    if (peer[0] == '[') {
        peer++;
        end = strchr(peer, ']');
    } else {
        end = strrchr(peer, ':');
        /* More than one colon and no brackets: an IPv6 address without a port. */
        if (end && strchr(peer, ':') != end)
            end = NULL;
    }
    size_t len = end ? (size_t)(end - peer) : strlen(peer);
    snprintf(out, cap, "%.*s", (int)len, peer);
}

typedef struct who {
    const char *principal; /* "User:<name>", NULL when out of memory */
    char host[64];
    bool super;
} who;

static void identify(kelp_broker *b, kelp_request *req, who *w)
{
    const char *name = kelp_request_principal(req);
    w->super = kelp_super_user(b, name);
    /* In the request's arena: a certificate subject may be long, and a
     * truncated one could match another principal's ACLs. */
    size_t n = strlen(name) + sizeof("User:");
    char *p = kelp_arena_alloc(&req->arena, n);
    if (p)
        snprintf(p, n, "User:%s", name);
    w->principal = p;
    peer_host(req, w->host, sizeof(w->host));
}

bool kelp_authorized(kelp_broker *b, kelp_request *req, int8_t resource_type, const char *name, size_t len,
                     int8_t op)
{
    if (!kelp_authorizer_on(b))
        return true;
    who w;
    identify(b, req, &w);
    if (w.super)
        return true;
    bool ok = w.principal && kelp_acl_authorize(&b->acls, w.principal, w.host, resource_type, name, len, op);
    if (!ok)
        KELP_DEBUG("security", "denied %s from %s: %s on %s %.*s", w.principal ? w.principal : "?", w.host, kelp_acl_op_name(op),
                   kelp_acl_resource_name(resource_type), (int)len, name);
    return ok;
}

bool kelp_authorized_kw(kelp_broker *b, kelp_request *req, int8_t resource_type, kw_str name, int8_t op)
{
    if (name.len < 0 || !name.ptr)
        return kelp_authorized(b, req, resource_type, "", 0, op);
    return kelp_authorized(b, req, resource_type, name.ptr, (size_t)name.len, op);
}

bool kelp_authorized_cluster(kelp_broker *b, kelp_request *req, int8_t op)
{
    return kelp_authorized(b, req, KELP_ACL_RESOURCE_CLUSTER, KELP_ACL_CLUSTER_NAME, strlen(KELP_ACL_CLUSTER_NAME),
                           op);
}

bool kelp_authorized_any(kelp_broker *b, kelp_request *req, int8_t resource_type, int8_t op)
{
    if (!kelp_authorizer_on(b))
        return true;
    who w;
    identify(b, req, &w);
    return w.super || (w.principal && kelp_acl_authorize_any(&b->acls, w.principal, w.host, resource_type, op));
}

int32_t kelp_authorized_operations(kelp_broker *b, kelp_request *req, int8_t resource_type, const char *name,
                                   size_t len, int32_t bits)
{
    int32_t out = 0;
    for (int8_t op = KELP_ACL_OP_READ; op <= KELP_ACL_OP_DESCRIBE_TOKENS; op++)
        if ((bits & (1 << op)) && kelp_authorized(b, req, resource_type, name, len, op))
            out |= 1 << op;
    return out;
}

int16_t kelp_config_resource_denied(kelp_broker *b, kelp_request *req, int8_t config_resource_type, kw_str name,
                                    int8_t op)
{
    if (config_resource_type == 2)
        return kelp_authorized_kw(b, req, KELP_ACL_RESOURCE_TOPIC, name, op) ? 0 : KAFKA_ERR_TOPIC_AUTHORIZATION_FAILED;
    if (config_resource_type == 4 || config_resource_type == 8)
        return kelp_authorized_cluster(b, req, op) ? 0 : KAFKA_ERR_CLUSTER_AUTHORIZATION_FAILED;
    return 0;
}
