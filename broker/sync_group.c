/* SyncGroup: the leader hands in the assignment, every member waits for
 * its own part of it. */
#include "broker/authorizer.h"
#include "broker/group_common.h"
#include "groups/coordinator.h"
#include "protocol/generated/kafka_messages.h"
#include "protocol/kafka_errors.h"

void kelp_sync_group_reply(void *waiter, const kelp_sync_result *r)
{
    kelp_request *req = waiter;
    kafka_SyncGroupResponse resp;
    kafka_SyncGroupResponse_init(&resp);
    resp.error_code = r->error;
    resp.protocol_type = kelp_kw_nullable(r->error ? NULL : r->protocol_type);
    resp.protocol_name = kelp_kw_nullable(r->error ? NULL : r->protocol_name);
    resp.assignment = (kw_bytes){.ptr = r->assignment ? r->assignment : (const uint8_t *)"",
                                 .len = r->error ? 0 : (int32_t)r->assignment_len};
    KELP_RESPOND(req, SyncGroupResponse, &resp);
}

int kelp_handle_sync_group(kelp_broker *b, kelp_request *req)
{
    kafka_SyncGroupRequest in;
    if (kafka_SyncGroupRequest_decode(&req->body, &req->arena, req->api_version, &in) != 0)
        return -1;
    if (!kelp_authorized_kw(b, req, KELP_ACL_RESOURCE_GROUP, in.group_id, KELP_ACL_OP_READ)) {
        kelp_sync_result denied = {.error = KAFKA_ERR_GROUP_AUTHORIZATION_FAILED};
        kelp_sync_group_reply(req, &denied);
        return 0;
    }
    kelp_sync_assignment *assignments =
        kelp_arena_alloc(&req->arena, ((size_t)in.assignments_count + 1) * sizeof(*assignments));
    if (!assignments)
        return -1;
    for (int32_t i = 0; i < in.assignments_count; i++)
        assignments[i] = (kelp_sync_assignment){.member_id = in.assignments[i].member_id,
                                                .assignment = in.assignments[i].assignment};
    kelp_sync_params params = {
        .group_id = in.group_id,
        .generation = in.generation_id,
        .member_id = in.member_id,
        .instance_id = in.group_instance_id,
        .protocol_type = in.protocol_type,
        .protocol_name = in.protocol_name,
        .assignments = assignments,
        .assignment_count = in.assignments_count,
        .waiter = req,
    };
    kelp_coordinator_sync(b->groups, &params);
    return 0;
}
