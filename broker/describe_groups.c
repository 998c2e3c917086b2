/* DescribeGroups: state, protocol and members of each group; metadata and
 * assignments only for a Stable group, as Kafka reports them. An unknown
 * group is reported Dead: without an error up to version 5, with
 * GROUP_ID_NOT_FOUND and a message from version 6 (KIP-1043). */
#include <stdio.h>

#include "broker/authorizer.h"
#include "broker/group_common.h"
#include "groups/coordinator.h"
#include "protocol/generated/kafka_messages.h"
#include "protocol/kafka_errors.h"

/* Kafka's AclOperation codes for what a group allows: READ, DELETE, DESCRIBE. */
#define GROUP_AUTHORIZED_OPERATIONS ((1 << 3) | (1 << 6) | (1 << 8))
#define AUTHORIZED_OPERATIONS_OMITTED INT32_MIN

typedef kafka_DescribeGroupsResponse_DescribedGroup described_group;

static int describe(kelp_broker *b, kelp_request *req, kw_str id, bool include_ops, described_group *out)
{
    kafka_DescribeGroupsResponse_DescribedGroup_init(out);
    out->group_id = id;
    out->authorized_operations = AUTHORIZED_OPERATIONS_OMITTED;
    out->protocol_type = kelp_kw_or_empty("");
    out->protocol_data = kelp_kw_or_empty("");
    if (!kelp_authorized_kw(b, req, KELP_ACL_RESOURCE_GROUP, id, KELP_ACL_OP_DESCRIBE)) {
        out->error_code = KAFKA_ERR_GROUP_AUTHORIZATION_FAILED;
        out->group_state = kelp_kw_or_empty("");
        return 0;
    }
    if (include_ops)
        out->authorized_operations = kelp_authorized_operations(b, req, KELP_ACL_RESOURCE_GROUP, id.ptr,
                                                                (size_t)id.len, GROUP_AUTHORIZED_OPERATIONS);
    if (!kelp_group_id_valid(id)) {
        out->error_code = KAFKA_ERR_INVALID_GROUP_ID;
        out->group_state = kelp_kw_or_empty("Dead");
        return 0;
    }
    const kelp_group *g = kelp_coordinator_find(b->groups, id.ptr, (size_t)id.len);
    if (!g) {
        out->group_state = kelp_kw_or_empty(kelp_group_state_name(KELP_GROUP_DEAD));
        if (req->api_version >= 6) {
            out->error_code = KAFKA_ERR_GROUP_ID_NOT_FOUND;
            char *msg = kelp_arena_alloc(&req->arena, (size_t)id.len + 32);
            if (!msg)
                return -1;
            int n = snprintf(msg, (size_t)id.len + 32, "Group %.*s not found.", (int)id.len, id.ptr);
            out->error_message = (kw_str){.ptr = msg, .len = n};
        }
        return 0;
    }
    bool stable = g->state == KELP_GROUP_STABLE;
    out->group_state = kelp_kw_or_empty(kelp_group_state_name(g->state));
    out->protocol_type = kelp_kw_or_empty(g->protocol_type);
    out->protocol_data = kelp_kw_or_empty(stable ? g->protocol_name : NULL);
    if (g->member_count == 0)
        return 0;
    out->members = kelp_arena_alloc(&req->arena, (size_t)g->member_count * sizeof(*out->members));
    if (!out->members)
        return -1;
    int32_t n = 0;
    for (const kelp_group_member *m = g->members; m; m = m->next) {
        kafka_DescribeGroupsResponse_DescribedGroupMember *dm = &out->members[n++];
        kafka_DescribeGroupsResponse_DescribedGroupMember_init(dm);
        dm->member_id = kelp_kw_or_empty(m->member_id);
        dm->group_instance_id = kelp_kw_nullable(m->instance_id);
        dm->client_id = kelp_kw_or_empty(m->client_id);
        dm->client_host = kelp_kw_or_empty(m->client_host);
        const kelp_group_protocol *p = stable ? kelp_member_protocol(m, g->protocol_name) : NULL;
        dm->member_metadata = (kw_bytes){.ptr = p ? p->metadata : (const uint8_t *)"", .len = p ? (int32_t)p->metadata_len : 0};
        dm->member_assignment = (kw_bytes){.ptr = stable && m->assignment ? m->assignment : (const uint8_t *)"",
                                           .len = stable ? (int32_t)m->assignment_len : 0};
    }
    out->members_count = n;
    return 0;
}

int kelp_handle_describe_groups(kelp_broker *b, kelp_request *req)
{
    kafka_DescribeGroupsRequest in;
    if (kafka_DescribeGroupsRequest_decode(&req->body, &req->arena, req->api_version, &in) != 0)
        return -1;
    kafka_DescribeGroupsResponse resp;
    kafka_DescribeGroupsResponse_init(&resp);
    if (in.groups_count > 0) {
        resp.groups = kelp_arena_alloc(&req->arena, (size_t)in.groups_count * sizeof(*resp.groups));
        if (!resp.groups)
            return -1;
        resp.groups_count = in.groups_count;
    }
    for (int32_t i = 0; i < in.groups_count; i++)
        if (describe(b, req, in.groups[i], in.include_authorized_operations, &resp.groups[i]) != 0)
            return -1;
    KELP_RESPOND(req, DescribeGroupsResponse, &resp);
    return 0;
}
