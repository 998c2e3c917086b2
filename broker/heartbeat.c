/* Heartbeat: keeps a member's session alive and tells it of rebalances. */
#include "broker/authorizer.h"
#include "broker/group_common.h"
#include "groups/coordinator.h"
#include "protocol/generated/kafka_messages.h"
#include "protocol/kafka_errors.h"

int kelp_handle_heartbeat(kelp_broker *b, kelp_request *req)
{
    kafka_HeartbeatRequest in;
    if (kafka_HeartbeatRequest_decode(&req->body, &req->arena, req->api_version, &in) != 0)
        return -1;
    kafka_HeartbeatResponse resp;
    kafka_HeartbeatResponse_init(&resp);
    if (!kelp_authorized_kw(b, req, KELP_ACL_RESOURCE_GROUP, in.group_id, KELP_ACL_OP_READ))
        resp.error_code = KAFKA_ERR_GROUP_AUTHORIZATION_FAILED;
    else
        resp.error_code =
            kelp_coordinator_heartbeat(b->groups, in.group_id, in.generation_id, in.member_id, in.group_instance_id);
    KELP_RESPOND(req, HeartbeatResponse, &resp);
    return 0;
}
