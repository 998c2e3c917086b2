/* ListGroups: every group, optionally filtered by state (v4+) and type
 * (v5+; all groups here are "classic"). Filters match case-insensitively. */
#include <strings.h>

#include "broker/authorizer.h"
#include "broker/group_common.h"
#include "groups/coordinator.h"
#include "protocol/generated/kafka_messages.h"
#include "protocol/kafka_errors.h"

#define GROUP_TYPE "classic"

typedef struct list_walk {
    kelp_broker *b;
    bool all_visible; /* DESCRIBE on the cluster: every group, else those it may DESCRIBE */
    kelp_request *req;
    const kafka_ListGroupsRequest *in;
    kafka_ListGroupsResponse_ListedGroup *out;
    int32_t count, cap;
    bool failed;
} list_walk;

static bool state_wanted(const kafka_ListGroupsRequest *in, kelp_group_state state)
{
    if (in->states_filter_count <= 0)
        return true;
    for (int32_t i = 0; i < in->states_filter_count; i++)
        if (kelp_group_state_parse(in->states_filter[i].ptr, (size_t)in->states_filter[i].len) == (int)state)
            return true;
    return false;
}

static bool type_wanted(const kafka_ListGroupsRequest *in)
{
    if (in->types_filter_count <= 0)
        return true;
    for (int32_t i = 0; i < in->types_filter_count; i++)
        if (in->types_filter[i].len == (int32_t)strlen(GROUP_TYPE) &&
            strncasecmp(in->types_filter[i].ptr, GROUP_TYPE, strlen(GROUP_TYPE)) == 0)
            return true;
    return false;
}

static void on_group(void *ctx, const kelp_group *g)
{
    list_walk *w = ctx;
    if (w->failed || g->state == KELP_GROUP_DEAD || !state_wanted(w->in, g->state) || !type_wanted(w->in))
        return;
    if (!w->all_visible && !kelp_authorized(w->b, w->req, KELP_ACL_RESOURCE_GROUP, g->id, g->id_len, KELP_ACL_OP_DESCRIBE))
        return;
    if (w->count == w->cap) {
        int32_t cap = w->cap ? w->cap * 2 : 16;
        kafka_ListGroupsResponse_ListedGroup *grown = kelp_arena_alloc(&w->req->arena, (size_t)cap * sizeof(*grown));
        if (!grown) {
            w->failed = true;
            return;
        }
        if (w->count)
            memcpy(grown, w->out, (size_t)w->count * sizeof(*grown));
        w->out = grown;
        w->cap = cap;
    }
    kafka_ListGroupsResponse_ListedGroup *lg = &w->out[w->count++];
    kafka_ListGroupsResponse_ListedGroup_init(lg);
    /* The group may go away before the response is encoded: copy. */
    lg->group_id = (kw_str){.ptr = kelp_arena_kw_dup(&w->req->arena, (kw_str){g->id, (int32_t)g->id_len}),
                            .len = (int32_t)g->id_len};
    lg->protocol_type = kelp_kw_or_empty(g->protocol_type);
    lg->group_state = kelp_kw_or_empty(kelp_group_state_name(g->state));
    lg->group_type = kelp_kw_or_empty(GROUP_TYPE);
    if (!lg->group_id.ptr)
        w->failed = true;
}

int kelp_handle_list_groups(kelp_broker *b, kelp_request *req)
{
    kafka_ListGroupsRequest in;
    if (kafka_ListGroupsRequest_decode(&req->body, &req->arena, req->api_version, &in) != 0)
        return -1;
    list_walk w = {.b = b, .all_visible = kelp_authorized_cluster(b, req, KELP_ACL_OP_DESCRIBE), .req = req, .in = &in};
    kelp_coordinator_each(b->groups, on_group, &w);
    kafka_ListGroupsResponse resp;
    kafka_ListGroupsResponse_init(&resp);
    if (w.failed) {
        resp.error_code = KAFKA_ERR_UNKNOWN_SERVER_ERROR;
    } else {
        resp.groups = w.out;
        resp.groups_count = w.count;
    }
    KELP_RESPOND(req, ListGroupsResponse, &resp);
    return 0;
}
