/* OffsetForLeaderEpoch: the end offset of a leader epoch, with which
 * clients check that what they read was not truncated. Kelp's partitions
 * have had one leader and epoch 0 from the start, so epoch 0 ends at the
 * high watermark (the durable end, the furthest any consumer has read) and
 * any other epoch is unknown (Kafka's UNDEFINED answer: -1, -1). */
#include "broker/authorizer.h"
#include "broker/group_common.h"
#include "protocol/generated/kafka_messages.h"
#include "protocol/kafka_errors.h"

typedef kafka_OffsetForLeaderEpochResponse_EpochEndOffset epoch_end;

static void answer(kelp_broker *b, kelp_request *req, kw_str topic, const kafka_OffsetForLeaderEpochRequest_OffsetForLeaderPartition *in,
                   epoch_end *out)
{
    kafka_OffsetForLeaderEpochResponse_EpochEndOffset_init(out);
    out->partition = in->partition;
    out->leader_epoch = -1;
    out->end_offset = -1;
    if (!kelp_authorized_kw(b, req, KELP_ACL_RESOURCE_TOPIC, topic, KELP_ACL_OP_DESCRIBE)) {
        out->error_code = KAFKA_ERR_TOPIC_AUTHORIZATION_FAILED;
        return;
    }
    kelp_topic *t = kelp_topic_name_usable(topic) ? kelp_storage_find_topic(b->storage, topic.ptr, (size_t)topic.len)
                                                  : NULL;
    kelp_partition *p = t ? kelp_topic_partition(t, in->partition) : NULL;
    if (!p) {
        out->error_code = KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION;
        return;
    }
    /* A client that saw a newer epoch than ours knows a leader we do not. */
    if (in->current_leader_epoch > 0) {
        out->error_code = KAFKA_ERR_UNKNOWN_LEADER_EPOCH;
        return;
    }
    out->error_code = KAFKA_ERR_NONE;
    if (in->leader_epoch == 0) {
        out->leader_epoch = 0;
        out->end_offset = kelp_partition_high_watermark(p);
    }
}

int kelp_handle_offset_for_leader_epoch(kelp_broker *b, kelp_request *req)
{
    kafka_OffsetForLeaderEpochRequest in;
    if (kafka_OffsetForLeaderEpochRequest_decode(&req->body, &req->arena, req->api_version, &in) != 0)
        return -1;
    kelp_arena *a = &req->arena;
    kafka_OffsetForLeaderEpochResponse resp;
    kafka_OffsetForLeaderEpochResponse_init(&resp);
    if (in.topics_count > 0) {
        resp.topics = kelp_arena_alloc(a, (size_t)in.topics_count * sizeof(*resp.topics));
        if (!resp.topics)
            return -1;
        resp.topics_count = in.topics_count;
    }
    for (int32_t i = 0; i < in.topics_count; i++) {
        const kafka_OffsetForLeaderEpochRequest_OffsetForLeaderTopic *tin = &in.topics[i];
        kafka_OffsetForLeaderEpochResponse_OffsetForLeaderTopicResult *tout = &resp.topics[i];
        kafka_OffsetForLeaderEpochResponse_OffsetForLeaderTopicResult_init(tout);
        tout->topic = tin->topic;
        if (tin->partitions_count > 0) {
            tout->partitions = kelp_arena_alloc(a, (size_t)tin->partitions_count * sizeof(*tout->partitions));
            if (!tout->partitions)
                return -1;
            tout->partitions_count = tin->partitions_count;
        }
        for (int32_t k = 0; k < tin->partitions_count; k++)
            answer(b, req, tin->topic, &tin->partitions[k], &tout->partitions[k]);
    }
    KELP_RESPOND(req, OffsetForLeaderEpochResponse, &resp);
    return 0;
}
