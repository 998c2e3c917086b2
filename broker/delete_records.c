/* DeleteRecords: moves partitions' log start offsets up. Records below the
 * new start are unreadable at once; the answer goes out once each new start
 * is durable in its checkpoint file, and the next retention pass removes
 * the whole segments below it. */
#include "broker/authorizer.h"
#include "broker/group_common.h"
#include "broker/log_maintenance.h"
#include "protocol/generated/kafka_messages.h"
#include "protocol/kafka_errors.h"
#include "storage/layout.h"

typedef kafka_DeleteRecordsResponse_DeleteRecordsPartitionResult partition_result;

typedef struct delete_wait {
    kelp_request *req;
    kafka_DeleteRecordsResponse resp;
    int32_t pending;
    bool all_queued;
} delete_wait;

typedef struct partition_wait {
    delete_wait *wait;
    partition_result *out;
} partition_wait;

static void maybe_respond(delete_wait *w)
{
    if (w->all_queued && w->pending == 0)
        KELP_RESPOND(w->req, DeleteRecordsResponse, &w->resp);
}

static void on_checkpoint_written(void *ctx, int status)
{
    partition_wait *pw = ctx;
    if (status != 0) {
        pw->out->error_code = KAFKA_ERR_KAFKA_STORAGE_ERROR;
        pw->out->low_watermark = -1;
    }
    pw->wait->pending--;
    maybe_respond(pw->wait);
}

static kelp_partition *find_partition(kelp_broker *b, kw_str topic, int32_t index)
{
    if (!kelp_topic_name_usable(topic))
        return NULL;
    kelp_topic *t = kelp_storage_find_topic(b->storage, topic.ptr, (size_t)topic.len);
    return t ? kelp_topic_partition(t, index) : NULL;
}

/* Moves one partition's log start; 0 (and *low set) or a Kafka error. */
static int16_t delete_below(kelp_partition *p, int64_t offset, int64_t *low)
{
    /* As in Kafka: a log that is only compacted keeps its start. The
     * broker-wide policy is always delete, so only the topic's own counts. */
    const kelp_topic_config *own = kelp_topic_configs(kelp_partition_topic(p));
    bool compact_only = (own->set & (1u << KELP_TC_CLEANUP_POLICY)) &&
                        !(own->value[KELP_TC_CLEANUP_POLICY] & KELP_CLEANUP_DELETE);
    if (compact_only)
        return KAFKA_ERR_POLICY_VIOLATION;
    if (offset < -1)
        return KAFKA_ERR_OFFSET_OUT_OF_RANGE;
    int rc = kelp_partition_delete_records(p, offset, low);
    if (rc == KELP_STORAGE_ERR_OFFSET_OUT_OF_RANGE)
        return KAFKA_ERR_OFFSET_OUT_OF_RANGE;
    return rc == 0 ? KAFKA_ERR_NONE : KAFKA_ERR_KAFKA_STORAGE_ERROR;
}

int kelp_handle_delete_records(kelp_broker *b, kelp_request *req)
{
    kafka_DeleteRecordsRequest in;
    if (kafka_DeleteRecordsRequest_decode(&req->body, &req->arena, req->api_version, &in) != 0)
        return -1;
    kelp_arena *a = &req->arena;
    delete_wait *w = kelp_arena_alloc(a, sizeof(*w));
    if (!w)
        return -1;
    w->req = req;
    kafka_DeleteRecordsResponse_init(&w->resp);
    if (in.topics_count > 0) {
        w->resp.topics = kelp_arena_alloc(a, (size_t)in.topics_count * sizeof(*w->resp.topics));
        if (!w->resp.topics)
            return -1;
        w->resp.topics_count = in.topics_count;
    }
    bool moved = false;
    for (int32_t t = 0; t < in.topics_count; t++) {
        const kafka_DeleteRecordsRequest_DeleteRecordsTopic *tin = &in.topics[t];
        kafka_DeleteRecordsResponse_DeleteRecordsTopicResult *tout = &w->resp.topics[t];
        kafka_DeleteRecordsResponse_DeleteRecordsTopicResult_init(tout);
        tout->name = tin->name;
        if (tin->partitions_count > 0) {
            tout->partitions = kelp_arena_alloc(a, (size_t)tin->partitions_count * sizeof(*tout->partitions));
            if (!tout->partitions)
                return -1;
            tout->partitions_count = tin->partitions_count;
        }
        for (int32_t i = 0; i < tin->partitions_count; i++) {
            partition_result *pout = &tout->partitions[i];
            kafka_DeleteRecordsResponse_DeleteRecordsPartitionResult_init(pout);
            pout->partition_index = tin->partitions[i].partition_index;
            pout->low_watermark = -1;
            if (!kelp_authorized_kw(b, req, KELP_ACL_RESOURCE_TOPIC, tin->name, KELP_ACL_OP_DELETE)) {
                pout->error_code = KAFKA_ERR_TOPIC_AUTHORIZATION_FAILED;
                continue;
            }
            kelp_partition *p = find_partition(b, tin->name, pout->partition_index);
            if (!p) {
                pout->error_code = KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION;
                continue;
            }
            int64_t low;
            pout->error_code = delete_below(p, tin->partitions[i].offset, &low);
            if (pout->error_code)
                continue;
            pout->low_watermark = low;
            moved = true;
            char path[KELP_LAYOUT_PATH_MAX], text[32];
            size_t text_len;
            partition_wait *pw = kelp_arena_alloc(a, sizeof(*pw));
            if (!pw || kelp_partition_log_start_checkpoint(p, path, sizeof(path), text, sizeof(text), &text_len) != 0) {
                pout->error_code = KAFKA_ERR_KAFKA_STORAGE_ERROR;
                pout->low_watermark = -1;
                continue;
            }
            *pw = (partition_wait){.wait = w, .out = pout};
            if (kelp_file_writer_put(b->writer, path, text, text_len, on_checkpoint_written, pw) != 0) {
                pout->error_code = KAFKA_ERR_KAFKA_STORAGE_ERROR;
                pout->low_watermark = -1;
                continue;
            }
            w->pending++;
        }
    }
    if (moved)
        kelp_log_maintenance_soon(b);
    w->all_queued = true;
    maybe_respond(w);
    return 0;
}
