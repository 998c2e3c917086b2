/* DeleteGroups: an empty group goes with its committed offsets and files. */
#include "broker/authorizer.h"
#include "broker/group_common.h"
#include "groups/coordinator.h"
#include "protocol/generated/kafka_messages.h"
#include "protocol/kafka_errors.h"

int kelp_handle_delete_groups(kelp_broker *b, kelp_request *req)
{
    kafka_DeleteGroupsRequest in;
    if (kafka_DeleteGroupsRequest_decode(&req->body, &req->arena, req->api_version, &in) != 0)
        return -1;
    kafka_DeleteGroupsResponse resp;
    kafka_DeleteGroupsResponse_init(&resp);
    if (in.groups_names_count > 0) {
        resp.results = kelp_arena_alloc(&req->arena, (size_t)in.groups_names_count * sizeof(*resp.results));
        if (!resp.results)
            return -1;
        resp.results_count = in.groups_names_count;
    }
    for (int32_t i = 0; i < in.groups_names_count; i++) {
        kafka_DeleteGroupsResponse_DeletableGroupResult_init(&resp.results[i]);
        resp.results[i].group_id = in.groups_names[i];
        resp.results[i].error_code =
            kelp_authorized_kw(b, req, KELP_ACL_RESOURCE_GROUP, in.groups_names[i], KELP_ACL_OP_DELETE)
                ? kelp_coordinator_delete(b->groups, in.groups_names[i])
                : KAFKA_ERR_GROUP_AUTHORIZATION_FAILED;
    }
    KELP_RESPOND(req, DeleteGroupsResponse, &resp);
    return 0;
}
