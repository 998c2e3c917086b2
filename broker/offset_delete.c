/* OffsetDelete: removes committed offsets of a group, except for topics a
 * live consumer group member still subscribes to. */
#include "broker/authorizer.h"
#include "broker/group_common.h"
#include "groups/coordinator.h"
#include "offsets/offset_store.h"
#include "protocol/generated/kafka_messages.h"
#include "protocol/kafka_errors.h"

int kelp_handle_offset_delete(kelp_broker *b, kelp_request *req)
{
    kafka_OffsetDeleteRequest in;
    if (kafka_OffsetDeleteRequest_decode(&req->body, &req->arena, req->api_version, &in) != 0)
        return -1;
    kelp_arena *a = &req->arena;
    kafka_OffsetDeleteResponse resp;
    kafka_OffsetDeleteResponse_init(&resp);
    resp.error_code = kelp_authorized_kw(b, req, KELP_ACL_RESOURCE_GROUP, in.group_id, KELP_ACL_OP_DELETE)
                          ? kelp_coordinator_offset_delete_error(b->groups, in.group_id)
                          : KAFKA_ERR_GROUP_AUTHORIZATION_FAILED;
    if (resp.error_code == KAFKA_ERR_NONE && in.topics_count > 0) {
        resp.topics = kelp_arena_alloc(a, (size_t)in.topics_count * sizeof(*resp.topics));
        if (!resp.topics)
            return -1;
        resp.topics_count = in.topics_count;
        for (int32_t t = 0; t < in.topics_count; t++) {
            const kafka_OffsetDeleteRequest_OffsetDeleteRequestTopic *tin = &in.topics[t];
            kafka_OffsetDeleteResponse_OffsetDeleteResponseTopic *tout = &resp.topics[t];
            kafka_OffsetDeleteResponse_OffsetDeleteResponseTopic_init(tout);
            tout->name = tin->name;
            tout->partitions = kelp_arena_alloc(a, ((size_t)tin->partitions_count + 1) * sizeof(*tout->partitions));
            if (!tout->partitions)
                return -1;
            tout->partitions_count = tin->partitions_count;
            bool allowed = kelp_authorized_kw(b, req, KELP_ACL_RESOURCE_TOPIC, tin->name, KELP_ACL_OP_READ);
            bool usable = allowed && kelp_topic_name_usable(tin->name);
            bool subscribed = usable && kelp_coordinator_subscribed(b->groups, in.group_id, tin->name.ptr,
                                                                    (size_t)tin->name.len);
            for (int32_t i = 0; i < tin->partitions_count; i++) {
                kafka_OffsetDeleteResponse_OffsetDeleteResponsePartition *pout = &tout->partitions[i];
                kafka_OffsetDeleteResponse_OffsetDeleteResponsePartition_init(pout);
                pout->partition_index = tin->partitions[i].partition_index;
                if (!allowed)
                    pout->error_code = KAFKA_ERR_TOPIC_AUTHORIZATION_FAILED;
                else if (!usable)
                    pout->error_code = KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION;
                else if (subscribed)
                    pout->error_code = KAFKA_ERR_GROUP_SUBSCRIBED_TO_TOPIC;
                else
                    kelp_offset_store_delete(b->offsets, in.group_id.ptr, (size_t)in.group_id.len, tin->name.ptr,
                                             (size_t)tin->name.len, pout->partition_index);
            }
        }
    }
    KELP_RESPOND(req, OffsetDeleteResponse, &resp);
    return 0;
}
