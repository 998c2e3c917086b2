/* DescribeAcls, CreateAcls and DeleteAcls over the broker's ACL store.
 * Changes are answered only once topics/kafka/.meta/acls.json holds them. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "broker/authorizer.h"
#include "broker/broker.h"
#include "protocol/generated/kafka_messages.h"
#include "protocol/kafka_errors.h"
#include "util/log.h"

#define NULL_STR ((kw_str){NULL, -1})
#define NO_AUTHORIZER "No Authorizer is configured."

static kw_str cstr(const char *s) { return (kw_str){.ptr = s, .len = (int32_t)strlen(s)}; }

/* A NUL-terminated copy of a wire string; NULL for a null one (or no memory). */
static char *arena_cstr(kelp_arena *a, kw_str s)
{
    if (s.len < 0 || (!s.ptr && s.len > 0))
        return NULL;
    char *out = kelp_arena_alloc(a, (size_t)s.len + 1);
    if (out) {
        if (s.len > 0)
            memcpy(out, s.ptr, (size_t)s.len);
        out[s.len] = '\0';
    }
    return out;
}

/* A filter's strings; a null one stays NULL, which matches anything. */
static int filter_strings(kelp_arena *a, kw_str name, kw_str principal, kw_str host, kelp_acl_filter *f)
{
    f->name = name.len >= 0 ? arena_cstr(a, name) : NULL;
    f->principal = principal.len >= 0 ? arena_cstr(a, principal) : NULL;
    f->host = host.len >= 0 ? arena_cstr(a, host) : NULL;
    return (name.len >= 0 && !f->name) || (principal.len >= 0 && !f->principal) || (host.len >= 0 && !f->host)
               ? -1
               : 0;
}

/* Queues the whole store; done runs once it is durable. */
static int persist_acls(kelp_broker *b, kelp_file_writer_done_fn done, void *ctx)
{
    kelp_buf text;
    kelp_buf_init(&text);
    int rc = kelp_acl_store_to_json(&b->acls, &text) == 0
                 ? kelp_file_writer_put(b->writer, KELP_ACLS_PATH, text.data, text.len, done, ctx)
                 : -1;
    kelp_buf_free(&text);
    return rc;
}

int kelp_handle_describe_acls(kelp_broker *b, kelp_request *req)
{
    kafka_DescribeAclsRequest in;
    if (kafka_DescribeAclsRequest_decode(&req->body, &req->arena, req->api_version, &in) != 0)
        return -1;
    kafka_DescribeAclsResponse resp;
    kafka_DescribeAclsResponse_init(&resp);
    resp.error_message = NULL_STR;
    kelp_acl_filter f = {.resource_type = in.resource_type_filter,
                         .pattern_type = in.pattern_type_filter,
                         .operation = in.operation,
                         .permission = in.permission_type};
    const char *why = NULL;
    if (!kelp_authorizer_on(b)) {
        resp.error_code = KAFKA_ERR_SECURITY_DISABLED;
        why = NO_AUTHORIZER;
    } else if (!kelp_authorized_cluster(b, req, KELP_ACL_OP_DESCRIBE)) {
        resp.error_code = KAFKA_ERR_CLUSTER_AUTHORIZATION_FAILED;
        why = "Cluster authorization failed.";
    } else if (filter_strings(&req->arena, in.resource_name_filter, in.principal_filter, in.host_filter, &f) != 0) {
        return -1;
    } else {
        resp.error_code = kelp_acl_filter_validate(&f, &why);
    }
    if (resp.error_code != KAFKA_ERR_NONE) {
        resp.error_message = cstr(why);
        KELP_RESPOND(req, DescribeAclsResponse, &resp);
        return 0;
    }
    typedef kafka_DescribeAclsResponse_DescribeAclsResource resource;
    size_t n = b->acls.count;
    resource *res = kelp_arena_alloc(&req->arena, (n ? n : 1) * sizeof(*res));
    const kelp_acl **first = kelp_arena_alloc(&req->arena, (n ? n : 1) * sizeof(*first));
    int32_t *slot = kelp_arena_alloc(&req->arena, (n ? n : 1) * sizeof(*slot));
    if (!res || !first || !slot)
        return -1;
    /* One entry per resource pattern, its bindings under it: first find
     * each matching binding's resource, then fill them. */
    for (size_t i = 0; i < n; i++) {
        const kelp_acl *a = &b->acls.acls[i];
        slot[i] = -1;
        if (!kelp_acl_filter_matches(&f, a))
            continue;
        for (int32_t k = 0; k < resp.resources_count && slot[i] < 0; k++)
            if (first[k]->resource_type == a->resource_type && first[k]->pattern_type == a->pattern_type &&
                strcmp(first[k]->name, a->name) == 0)
                slot[i] = k;
        if (slot[i] < 0) {
            slot[i] = resp.resources_count;
            first[resp.resources_count] = a;
            resource *r = &res[resp.resources_count++];
            kafka_DescribeAclsResponse_DescribeAclsResource_init(r);
            r->resource_type = a->resource_type;
            r->resource_name = cstr(a->name);
            r->pattern_type = a->pattern_type;
        }
        res[slot[i]].acls_count++;
    }
    for (int32_t k = 0; k < resp.resources_count; k++) {
        res[k].acls = kelp_arena_alloc(&req->arena, (size_t)res[k].acls_count * sizeof(*res[k].acls));
        if (!res[k].acls)
            return -1;
        res[k].acls_count = 0;
    }
    for (size_t i = 0; i < n; i++) {
        if (slot[i] < 0)
            continue;
        const kelp_acl *a = &b->acls.acls[i];
        resource *r = &res[slot[i]];
        kafka_DescribeAclsResponse_AclDescription *d = &r->acls[r->acls_count++];
        kafka_DescribeAclsResponse_AclDescription_init(d);
        d->principal = cstr(a->principal);
        d->host = cstr(a->host);
        d->operation = a->operation;
        d->permission_type = a->permission;
    }
    resp.resources = res;
    KELP_RESPOND(req, DescribeAclsResponse, &resp);
    return 0;
}

/* A CreateAcls or DeleteAcls request waiting for the ACL file. */
typedef struct acl_change {
    kelp_request *req;
    bool create;
    kafka_CreateAclsResponse create_resp;
    kafka_DeleteAclsResponse delete_resp;
} acl_change;

static void change_respond(acl_change *c)
{
    if (c->create)
        KELP_RESPOND(c->req, CreateAclsResponse, &c->create_resp);
    else
        KELP_RESPOND(c->req, DeleteAclsResponse, &c->delete_resp);
    free(c);
}

static void change_written(void *ctx, int status)
{
    acl_change *c = ctx;
    if (status != 0) {
        KELP_ERROR("security", "cannot write %s: %s", KELP_ACLS_PATH, strerror(-status));
        /* The change holds in memory but may be lost at a restart: say so. */
        if (c->create) {
            for (int32_t i = 0; i < c->create_resp.results_count; i++)
                if (c->create_resp.results[i].error_code == KAFKA_ERR_NONE) {
                    c->create_resp.results[i].error_code = KAFKA_ERR_UNKNOWN_SERVER_ERROR;
                    c->create_resp.results[i].error_message = cstr("The ACLs could not be stored");
                }
        } else {
            for (int32_t i = 0; i < c->delete_resp.filter_results_count; i++)
                if (c->delete_resp.filter_results[i].error_code == KAFKA_ERR_NONE) {
                    c->delete_resp.filter_results[i].error_code = KAFKA_ERR_UNKNOWN_SERVER_ERROR;
                    c->delete_resp.filter_results[i].error_message = cstr("The ACLs could not be stored");
                }
        }
    }
    change_respond(c);
}

/* Answers now when nothing changed, else once the file is written. */
static void change_finish(kelp_broker *b, acl_change *c, bool changed)
{
    if (changed && persist_acls(b, change_written, c) == 0)
        return;
    if (changed)
        change_written(c, -EIO);
    else
        change_respond(c);
}

/* Why a Create/DeleteAcls request is refused as a whole, if it is. */
static int16_t alter_refusal(kelp_broker *b, kelp_request *req, const char **why)
{
    if (!kelp_authorizer_on(b)) {
        *why = NO_AUTHORIZER;
        return KAFKA_ERR_SECURITY_DISABLED;
    }
    if (!kelp_authorized_cluster(b, req, KELP_ACL_OP_ALTER)) {
        *why = "Cluster authorization failed.";
        return KAFKA_ERR_CLUSTER_AUTHORIZATION_FAILED;
    }
    return KAFKA_ERR_NONE;
}

int kelp_handle_create_acls(kelp_broker *b, kelp_request *req)
{
    kafka_CreateAclsRequest in;
    if (kafka_CreateAclsRequest_decode(&req->body, &req->arena, req->api_version, &in) != 0)
        return -1;
    size_t n = in.creations_count > 0 ? (size_t)in.creations_count : 0;
    acl_change *c = calloc(1, sizeof(*c));
    kafka_CreateAclsResponse_AclCreationResult *results =
        kelp_arena_alloc(&req->arena, (n ? n : 1) * sizeof(*results));
    if (!c || !results) {
        free(c);
        return -1;
    }
    c->req = req;
    c->create = true;
    kafka_CreateAclsResponse_init(&c->create_resp);
    c->create_resp.results = results;
    c->create_resp.results_count = (int32_t)n;
    const char *all_why = NULL;
    int16_t all_error = alter_refusal(b, req, &all_why);
    bool changed = false;
    for (size_t i = 0; i < n; i++) {
        const kafka_CreateAclsRequest_AclCreation *cr = &in.creations[i];
        kafka_CreateAclsResponse_AclCreationResult *r = &results[i];
        kafka_CreateAclsResponse_AclCreationResult_init(r);
        r->error_message = NULL_STR;
        if (all_error) {
            r->error_code = all_error;
            r->error_message = cstr(all_why);
            continue;
        }
        kelp_acl a = {.resource_type = cr->resource_type,
                      .pattern_type = cr->resource_pattern_type,
                      .operation = cr->operation,
                      .permission = cr->permission_type,
                      .name = arena_cstr(&req->arena, cr->resource_name),
                      .principal = arena_cstr(&req->arena, cr->principal),
                      .host = arena_cstr(&req->arena, cr->host)};
        const char *why = NULL;
        r->error_code = kelp_acl_validate(&a, &why);
        if (r->error_code) {
            r->error_message = cstr(why);
            continue;
        }
        int rc = kelp_acl_store_add(&b->acls, &a);
        if (rc < 0) {
            r->error_code = KAFKA_ERR_UNKNOWN_SERVER_ERROR;
            r->error_message = cstr("Out of memory");
        } else {
            /* An equal binding already there is a success, as in Kafka; it
             * is still written so that the answer waits for its file. */
            changed = true;
            if (rc > 0)
                KELP_INFO("security", "ACL added: %s %s %s:%s %s %s from %s", a.principal,
                          a.permission == KELP_ACL_PERMISSION_ALLOW ? "ALLOW" : "DENY", kelp_acl_op_name(a.operation),
                          kelp_acl_resource_name(a.resource_type), a.name,
                          a.pattern_type == KELP_ACL_PATTERN_PREFIXED ? "(prefixed)" : "", a.host);
        }
    }
    change_finish(b, c, changed);
    return 0;
}

int kelp_handle_delete_acls(kelp_broker *b, kelp_request *req)
{
    kafka_DeleteAclsRequest in;
    if (kafka_DeleteAclsRequest_decode(&req->body, &req->arena, req->api_version, &in) != 0)
        return -1;
    typedef kafka_DeleteAclsResponse_DeleteAclsFilterResult filter_result;
    typedef kafka_DeleteAclsResponse_DeleteAclsMatchingAcl matching;
    size_t n = in.filters_count > 0 ? (size_t)in.filters_count : 0;
    acl_change *c = calloc(1, sizeof(*c));
    filter_result *results = kelp_arena_alloc(&req->arena, (n ? n : 1) * sizeof(*results));
    if (!c || !results) {
        free(c);
        return -1;
    }
    c->req = req;
    kafka_DeleteAclsResponse_init(&c->delete_resp);
    c->delete_resp.filter_results = results;
    c->delete_resp.filter_results_count = (int32_t)n;
    const char *all_why = NULL;
    int16_t all_error = alter_refusal(b, req, &all_why);
    bool changed = false;
    for (size_t i = 0; i < n; i++) {
        const kafka_DeleteAclsRequest_DeleteAclsFilter *fin = &in.filters[i];
        filter_result *r = &results[i];
        kafka_DeleteAclsResponse_DeleteAclsFilterResult_init(r);
        r->error_message = NULL_STR;
        if (all_error) {
            r->error_code = all_error;
            r->error_message = cstr(all_why);
            continue;
        }
        kelp_acl_filter f = {.resource_type = fin->resource_type_filter,
                             .pattern_type = fin->pattern_type_filter,
                             .operation = fin->operation,
                             .permission = fin->permission_type};
        if (filter_strings(&req->arena, fin->resource_name_filter, fin->principal_filter, fin->host_filter, &f) != 0) {
            free(c);
            return -1;
        }
        const char *why = NULL;
        if ((r->error_code = kelp_acl_filter_validate(&f, &why)) != 0) {
            r->error_message = cstr(why);
            continue;
        }
        size_t matches = 0;
        for (size_t j = 0; j < b->acls.count; j++)
            matches += kelp_acl_filter_matches(&f, &b->acls.acls[j]);
        r->matching_acls = kelp_arena_alloc(&req->arena, (matches ? matches : 1) * sizeof(*r->matching_acls));
        if (!r->matching_acls) {
            free(c);
            return -1;
        }
        /* Each binding is deleted by the first filter that matches it. */
        for (size_t j = 0; j < b->acls.count;) {
            const kelp_acl *a = &b->acls.acls[j];
            if (!kelp_acl_filter_matches(&f, a)) {
                j++;
                continue;
            }
            matching *m = &r->matching_acls[r->matching_acls_count++];
            kafka_DeleteAclsResponse_DeleteAclsMatchingAcl_init(m);
            m->error_message = NULL_STR;
            m->resource_type = a->resource_type;
            m->pattern_type = a->pattern_type;
            m->operation = a->operation;
            m->permission_type = a->permission;
            char *name = arena_cstr(&req->arena, cstr(a->name));
            char *principal = arena_cstr(&req->arena, cstr(a->principal));
            char *host = arena_cstr(&req->arena, cstr(a->host));
            if (!name || !principal || !host) {
                free(c);
                return -1;
            }
            m->resource_name = cstr(name);
            m->principal = cstr(principal);
            m->host = cstr(host);
            KELP_INFO("security", "ACL removed: %s %s %s:%s %s from %s", principal,
                      a->permission == KELP_ACL_PERMISSION_ALLOW ? "ALLOW" : "DENY", kelp_acl_op_name(a->operation),
                      kelp_acl_resource_name(a->resource_type), name, host);
            kelp_acl_store_remove_at(&b->acls, j);
            changed = true;
        }
    }
    change_finish(b, c, changed);
    return 0;
}
