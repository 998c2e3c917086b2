/* JoinGroup: decoded here, decided by the group coordinator, answered when
 * the join phase ends (possibly at once). */
#include "broker/authorizer.h"
#include "broker/group_common.h"
#include "groups/coordinator.h"
#include "protocol/generated/kafka_messages.h"
#include "protocol/kafka_errors.h"

void kelp_join_group_reply(void *waiter, const kelp_join_result *r)
{
    kelp_request *req = waiter;
    int16_t v = req->api_version;
    kafka_JoinGroupResponse resp;
    kafka_JoinGroupResponse_init(&resp);
    resp.error_code = r->error;
    resp.generation_id = r->generation;
    resp.protocol_type = kelp_kw_nullable(r->protocol_type);
    /* The protocol name is nullable only from v7. */
    resp.protocol_name = v >= 7 ? kelp_kw_nullable(r->protocol_name) : kelp_kw_or_empty(r->protocol_name);
    resp.leader = kelp_kw_or_empty(r->leader_id);
    resp.member_id = kelp_kw_or_empty(r->member_id);
    resp.skip_assignment = r->skip_assignment;
    if (r->member_count > 0) {
        resp.members = kelp_arena_alloc(&req->arena, (size_t)r->member_count * sizeof(*resp.members));
        if (!resp.members) {
            resp.error_code = KAFKA_ERR_UNKNOWN_SERVER_ERROR;
        } else {
            resp.members_count = r->member_count;
            for (int32_t i = 0; i < r->member_count; i++) {
                kafka_JoinGroupResponse_JoinGroupResponseMember_init(&resp.members[i]);
                resp.members[i].member_id = kelp_kw_or_empty(r->members[i].member_id);
                resp.members[i].group_instance_id = kelp_kw_nullable(r->members[i].instance_id);
                resp.members[i].metadata =
                    (kw_bytes){.ptr = r->members[i].metadata ? r->members[i].metadata : (const uint8_t *)"",
                               .len = (int32_t)r->members[i].metadata_len};
            }
        }
    }
    KELP_RESPOND(req, JoinGroupResponse, &resp);
}

int kelp_handle_join_group(kelp_broker *b, kelp_request *req)
{
    kafka_JoinGroupRequest in;
    if (kafka_JoinGroupRequest_decode(&req->body, &req->arena, req->api_version, &in) != 0)
        return -1;
    if (!kelp_authorized_kw(b, req, KELP_ACL_RESOURCE_GROUP, in.group_id, KELP_ACL_OP_READ)) {
        kelp_join_result denied = {.error = KAFKA_ERR_GROUP_AUTHORIZATION_FAILED, .generation = -1};
        kelp_join_group_reply(req, &denied);
        return 0;
    }
    kelp_group_protocol *protocols =
        kelp_arena_alloc(&req->arena, ((size_t)in.protocols_count + 1) * sizeof(*protocols));
    if (!protocols)
        return -1;
    bool names_ok = true;
    for (int32_t i = 0; i < in.protocols_count; i++) {
        const kafka_JoinGroupRequest_JoinGroupRequestProtocol *p = &in.protocols[i];
        protocols[i].name = kelp_arena_kw_dup(&req->arena, p->name);
        if (!protocols[i].name || memchr(p->name.ptr, '\0', (size_t)p->name.len) || p->metadata.len < 0)
            names_ok = false;
        protocols[i].metadata = (uint8_t *)p->metadata.ptr;
        protocols[i].metadata_len = p->metadata.len > 0 ? (size_t)p->metadata.len : 0;
    }
    kelp_join_params params = {
        .group_id = in.group_id,
        .member_id = in.member_id,
        .instance_id = in.group_instance_id,
        .protocol_type = in.protocol_type,
        .client_id = kelp_arena_kw_dup(&req->arena, req->client_id),
        .client_host = kelp_request_client_host(req),
        .session_timeout_ms = in.session_timeout_ms,
        /* v0 has no rebalance timeout: the session timeout serves as both. */
        .rebalance_timeout_ms = req->api_version == 0 || in.rebalance_timeout_ms <= 0 ? in.session_timeout_ms
                                                                                      : in.rebalance_timeout_ms,
        .protocols = protocols,
        .protocol_count = names_ok ? in.protocols_count : 0,
        .version = req->api_version,
        .waiter = req,
    };
    kelp_coordinator_join(b->groups, &params);
    return 0;
}
