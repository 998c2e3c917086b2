/* LeaveGroup: one member (v0-2) or a batch of members by id or instance id
 * (v3+, which is also how an admin removes static members). */
#include "broker/authorizer.h"
#include "broker/group_common.h"
#include "groups/coordinator.h"
#include "protocol/generated/kafka_messages.h"
#include "protocol/kafka_errors.h"

int kelp_handle_leave_group(kelp_broker *b, kelp_request *req)
{
    kafka_LeaveGroupRequest in;
    if (kafka_LeaveGroupRequest_decode(&req->body, &req->arena, req->api_version, &in) != 0)
        return -1;
    kafka_LeaveGroupResponse resp;
    kafka_LeaveGroupResponse_init(&resp);
    const kw_str no_instance = {NULL, -1};
    if (!kelp_authorized_kw(b, req, KELP_ACL_RESOURCE_GROUP, in.group_id, KELP_ACL_OP_READ)) {
        resp.error_code = KAFKA_ERR_GROUP_AUTHORIZATION_FAILED;
        KELP_RESPOND(req, LeaveGroupResponse, &resp);
        return 0;
    }
    if (req->api_version < 3) {
        resp.error_code = kelp_coordinator_leave(b->groups, in.group_id, in.member_id, no_instance);
        KELP_RESPOND(req, LeaveGroupResponse, &resp);
        return 0;
    }
    resp.error_code = kelp_coordinator_leave_group_error(b->groups, in.group_id);
    if (resp.error_code == KAFKA_ERR_NONE && in.members_count > 0) {
        resp.members = kelp_arena_alloc(&req->arena, (size_t)in.members_count * sizeof(*resp.members));
        if (!resp.members)
            return -1;
        resp.members_count = in.members_count;
        for (int32_t i = 0; i < in.members_count; i++) {
            const kafka_LeaveGroupRequest_MemberIdentity *m = &in.members[i];
            kafka_LeaveGroupResponse_MemberResponse *out = &resp.members[i];
            kafka_LeaveGroupResponse_MemberResponse_init(out);
            out->member_id = m->member_id;
            out->group_instance_id = m->group_instance_id;
            out->error_code = kelp_coordinator_leave(b->groups, in.group_id, m->member_id, m->group_instance_id);
        }
    }
    KELP_RESPOND(req, LeaveGroupResponse, &resp);
    return 0;
}
