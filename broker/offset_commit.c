/* OffsetCommit: checked against the group (generation, member, static
 * instance), then each partition's offset is written to its filer file; the
 * answer goes out once every file is durable. */
#include "broker/authorizer.h"
#include "broker/group_common.h"
#include "groups/coordinator.h"
#include "offsets/offset_store.h"
#include "protocol/generated/kafka_messages.h"
#include "protocol/kafka_errors.h"
#include "util/clock.h"

typedef kafka_OffsetCommitResponse_OffsetCommitResponsePartition partition_response;

typedef struct commit_wait {
    kelp_request *req;
    kafka_OffsetCommitResponse resp;
    int32_t pending;
    bool all_queued;
} commit_wait;

typedef struct partition_wait {
    commit_wait *wait;
    partition_response *out;
} partition_wait;

static void maybe_respond(commit_wait *w)
{
    if (w->all_queued && w->pending == 0)
        KELP_RESPOND(w->req, OffsetCommitResponse, &w->resp);
}

static void on_written(void *ctx, int status)
{
    partition_wait *pw = ctx;
    /* A write that failed is retriable for the client. */
    if (status != 0)
        pw->out->error_code = KAFKA_ERR_COORDINATOR_NOT_AVAILABLE;
    pw->wait->pending--;
    maybe_respond(pw->wait);
}

static int16_t check_partition(kelp_broker *b, kelp_request *req,
                               const kafka_OffsetCommitRequest_OffsetCommitRequestTopic *t,
                               const kafka_OffsetCommitRequest_OffsetCommitRequestPartition *p)
{
    if (!kelp_authorized_kw(b, req, KELP_ACL_RESOURCE_TOPIC, t->name, KELP_ACL_OP_READ))
        return KAFKA_ERR_TOPIC_AUTHORIZATION_FAILED;
    if (!kelp_topic_name_usable(t->name))
        return KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    kelp_topic *topic = kelp_storage_find_topic(b->storage, t->name.ptr, (size_t)t->name.len);
    if (!topic || !kelp_topic_partition(topic, p->partition_index))
        return KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    if (p->committed_metadata.len > KELP_OFFSET_METADATA_MAX)
        return KAFKA_ERR_OFFSET_METADATA_TOO_LARGE;
    return KAFKA_ERR_NONE;
}

int kelp_handle_offset_commit(kelp_broker *b, kelp_request *req)
{
    kafka_OffsetCommitRequest in;
    if (kafka_OffsetCommitRequest_decode(&req->body, &req->arena, req->api_version, &in) != 0)
        return -1;
    kelp_arena *a = &req->arena;
    commit_wait *w = kelp_arena_alloc(a, sizeof(*w));
    if (!w)
        return -1;
    w->req = req;
    kafka_OffsetCommitResponse_init(&w->resp);
    int16_t group_error =
        !kelp_authorized_kw(b, req, KELP_ACL_RESOURCE_GROUP, in.group_id, KELP_ACL_OP_READ)
            ? KAFKA_ERR_GROUP_AUTHORIZATION_FAILED
            : kelp_coordinator_validate_commit(b->groups, in.group_id, in.generation_id_or_member_epoch, in.member_id,
                                               in.group_instance_id, req->api_version);
    if (in.topics_count > 0) {
        w->resp.topics = kelp_arena_alloc(a, (size_t)in.topics_count * sizeof(*w->resp.topics));
        if (!w->resp.topics)
            return -1;
        w->resp.topics_count = in.topics_count;
    }
    int64_t now = kelp_clock_wall_ms();
    for (int32_t t = 0; t < in.topics_count; t++) {
        const kafka_OffsetCommitRequest_OffsetCommitRequestTopic *tin = &in.topics[t];
        kafka_OffsetCommitResponse_OffsetCommitResponseTopic *tout = &w->resp.topics[t];
        kafka_OffsetCommitResponse_OffsetCommitResponseTopic_init(tout);
        tout->name = tin->name;
        if (tin->partitions_count > 0) {
            tout->partitions = kelp_arena_alloc(a, (size_t)tin->partitions_count * sizeof(*tout->partitions));
            if (!tout->partitions)
                return -1;
            tout->partitions_count = tin->partitions_count;
        }
        for (int32_t i = 0; i < tin->partitions_count; i++) {
            const kafka_OffsetCommitRequest_OffsetCommitRequestPartition *pin = &tin->partitions[i];
            partition_response *pout = &tout->partitions[i];
            kafka_OffsetCommitResponse_OffsetCommitResponsePartition_init(pout);
            pout->partition_index = pin->partition_index;
            pout->error_code = group_error ? group_error : check_partition(b, req, tin, pin);
            if (pout->error_code)
                continue;
            partition_wait *pw = kelp_arena_alloc(a, sizeof(*pw));
            if (!pw) {
                pout->error_code = KAFKA_ERR_UNKNOWN_SERVER_ERROR;
                continue;
            }
            *pw = (partition_wait){.wait = w, .out = pout};
            /* v1 carries the client's commit time; later versions use ours. */
            int64_t at = req->api_version == 1 && pin->commit_timestamp >= 0 ? pin->commit_timestamp : now;
            kw_str md = pin->committed_metadata;
            if (kelp_offset_store_commit(b->offsets, in.group_id.ptr, (size_t)in.group_id.len, tin->name.ptr,
                                         (size_t)tin->name.len, pin->partition_index, pin->committed_offset,
                                         pin->committed_leader_epoch, md.len > 0 ? md.ptr : "",
                                         md.len > 0 ? (size_t)md.len : 0, at, on_written, pw) != 0) {
                pout->error_code = KAFKA_ERR_UNKNOWN_SERVER_ERROR;
                continue;
            }
            w->pending++;
        }
    }
    w->all_queued = true;
    maybe_respond(w);
    return 0;
}
