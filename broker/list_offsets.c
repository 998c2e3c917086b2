/* ListOffsets: earliest, latest, max-timestamp and by-timestamp lookups. */
#include <string.h>

#include "broker/authorizer.h"
#include "broker/broker.h"
#include "protocol/generated/kafka_messages.h"
#include "protocol/kafka_errors.h"
#include "storage/topic_name.h"

/* Kafka's special timestamps. */
#define TS_LATEST (-1)
#define TS_EARLIEST (-2)
#define TS_MAX_TIMESTAMP (-3)       /* v7+ */
#define TS_EARLIEST_LOCAL (-4)      /* v8+ */
#define TS_LATEST_TIERED (-5)       /* v9+ */

typedef kafka_ListOffsetsResponse_ListOffsetsPartitionResponse partition_response;

static void lookup(kelp_request *req, kelp_partition *p, const kafka_ListOffsetsRequest_ListOffsetsPartition *in,
                   bool read_committed, partition_response *out)
{
    /* read_committed readers see up to the last stable offset, as Fetch serves them. */
    int64_t end = read_committed ? kelp_partition_last_stable_offset(p) : kelp_partition_high_watermark(p);
    out->error_code = KAFKA_ERR_NONE;
    out->timestamp = -1;
    out->offset = -1;
    out->leader_epoch = -1;
    if (in->current_leader_epoch > 0) {
        out->error_code = KAFKA_ERR_UNKNOWN_LEADER_EPOCH;
        return;
    }
    int64_t ts = in->timestamp;
    int16_t v = req->api_version;
    if (ts == TS_LATEST) {
        out->offset = end;
    } else if (ts == TS_EARLIEST || (ts == TS_EARLIEST_LOCAL && v >= 8)) {
        out->offset = kelp_partition_log_start_offset(p);
    } else if (ts == TS_MAX_TIMESTAMP && v >= 7) {
        int64_t off, max_ts;
        /* A record not yet durable is not reported, as Fetch would not serve it. */
        if (kelp_partition_max_timestamp(p, &off, &max_ts) == 1 && off < end) {
            out->offset = off;
            out->timestamp = max_ts;
        }
    } else if (ts == TS_LATEST_TIERED && v >= 9) {
        /* Nothing is tiered: no offset, as Kafka answers without remote storage. */
    } else if (ts < 0) {
        out->error_code = KAFKA_ERR_INVALID_REQUEST;
        return;
    } else {
        int64_t off, found;
        if (kelp_partition_offset_for_timestamp(p, ts, &off, &found) == 1 && off < end) {
            out->offset = off;
            out->timestamp = found;
        }
    }
    if (out->offset >= 0)
        out->leader_epoch = 0;
}

int kelp_handle_list_offsets(kelp_broker *b, kelp_request *req)
{
    kafka_ListOffsetsRequest in;
    if (kafka_ListOffsetsRequest_decode(&req->body, &req->arena, req->api_version, &in) != 0)
        return -1;
    kelp_arena *a = &req->arena;
    kafka_ListOffsetsResponse resp;
    kafka_ListOffsetsResponse_init(&resp);
    resp.topics = kelp_arena_alloc(a, (size_t)(in.topics_count + 1) * sizeof(*resp.topics));
    if (!resp.topics)
        return -1;
    resp.topics_count = in.topics_count;
    bool read_committed = req->api_version >= 2 && in.isolation_level == 1;
    for (int32_t t = 0; t < in.topics_count; t++) {
        const kafka_ListOffsetsRequest_ListOffsetsTopic *tin = &in.topics[t];
        kafka_ListOffsetsResponse_ListOffsetsTopicResponse *tout = &resp.topics[t];
        kafka_ListOffsetsResponse_ListOffsetsTopicResponse_init(tout);
        tout->name = tin->name;
        tout->partitions = kelp_arena_alloc(a, (size_t)(tin->partitions_count + 1) * sizeof(*tout->partitions));
        if (!tout->partitions)
            return -1;
        tout->partitions_count = tin->partitions_count;
        bool name_ok = tin->name.len > 0 && kelp_topic_name_valid(tin->name.ptr, (size_t)tin->name.len) &&
                       !kelp_topic_name_reserved(tin->name.ptr, (size_t)tin->name.len);
        bool allowed = kelp_authorized_kw(b, req, KELP_ACL_RESOURCE_TOPIC, tin->name, KELP_ACL_OP_DESCRIBE);
        kelp_topic *topic = name_ok && allowed ? kelp_storage_find_topic(b->storage, tin->name.ptr, (size_t)tin->name.len)
                                               : NULL;
        for (int32_t i = 0; i < tin->partitions_count; i++) {
            partition_response *pout = &tout->partitions[i];
            kafka_ListOffsetsResponse_ListOffsetsPartitionResponse_init(pout);
            pout->partition_index = tin->partitions[i].partition_index;
            kelp_partition *p = topic ? kelp_topic_partition(topic, pout->partition_index) : NULL;
            if (!allowed)
                pout->error_code = KAFKA_ERR_TOPIC_AUTHORIZATION_FAILED;
            else if (!name_ok)
                pout->error_code = KAFKA_ERR_INVALID_TOPIC_EXCEPTION;
            else if (!p)
                pout->error_code = KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION;
            else
                lookup(req, p, &tin->partitions[i], read_committed, pout);
        }
    }
    KELP_RESPOND(req, ListOffsetsResponse, &resp);
    return 0;
}
