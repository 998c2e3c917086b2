/* TxnOffsetCommit: offsets a transaction commits for a consumer group,
 * kept with the transaction until it ends (applied on commit, dropped on
 * abort). Checked against the group as Kafka's group coordinator does. */
#include "broker/authorizer.h"
#include "broker/broker.h"
#include "broker/group_common.h"
#include "broker/txn_common.h"
#include "groups/coordinator.h"
#include "offsets/offset_store.h"
#include "protocol/generated/kafka_messages.h"

typedef kafka_TxnOffsetCommitResponse_TxnOffsetCommitResponsePartition partition_response;

typedef struct commit_wait {
    kelp_request *req;
    kafka_TxnOffsetCommitResponse resp;
} commit_wait;

static void replied(void *ctx, int16_t error, int64_t producer_id, int16_t epoch)
{
    (void)producer_id;
    (void)epoch;
    commit_wait *w = ctx;
    for (int32_t t = 0; t < w->resp.topics_count; t++)
        for (int32_t i = 0; i < w->resp.topics[t].partitions_count; i++) {
            partition_response *p = &w->resp.topics[t].partitions[i];
            /* Partitions refused on their own keep their error. */
            if (p->error_code == KAFKA_ERR_NONE)
                p->error_code = error;
        }
    KELP_RESPOND(w->req, TxnOffsetCommitResponse, &w->resp);
}

static int16_t group_error(kelp_broker *b, const kafka_TxnOffsetCommitRequest *in)
{
    if (!kelp_group_id_valid(in->group_id))
        return KAFKA_ERR_INVALID_GROUP_ID;
    /* Without member and generation (before v3, or a producer outside any
     * group) nothing about members is checked. */
    if (in->generation_id < 0 && in->member_id.len <= 0)
        return KAFKA_ERR_NONE;
    return kelp_coordinator_validate_commit(b->groups, in->group_id, in->generation_id, in->member_id,
                                            in->group_instance_id, 8);
}

int kelp_handle_txn_offset_commit(kelp_broker *b, kelp_request *req)
{
    kafka_TxnOffsetCommitRequest in;
    if (kafka_TxnOffsetCommitRequest_decode(&req->body, &req->arena, req->api_version, &in) != 0)
        return -1;
    if (req->api_version < 3) {
        in.generation_id = -1;
        in.member_id = (kw_str){.ptr = "", .len = 0};
        in.group_instance_id = (kw_str){.ptr = NULL, .len = -1};
    }
    kelp_arena *a = &req->arena;
    commit_wait *w = kelp_arena_alloc(a, sizeof(*w));
    if (!w)
        return -1;
    w->req = req;
    kafka_TxnOffsetCommitResponse_init(&w->resp);
    int32_t total = 0;
    for (int32_t t = 0; t < in.topics_count; t++)
        total += in.topics[t].partitions_count > 0 ? in.topics[t].partitions_count : 0;
    kelp_txn_commit_offset *offsets = kelp_arena_alloc(a, (size_t)(total + 1) * sizeof(*offsets));
    w->resp.topics = kelp_arena_alloc(a, (size_t)(in.topics_count + 1) * sizeof(*w->resp.topics));
    if (!offsets || !w->resp.topics)
        return -1;
    w->resp.topics_count = in.topics_count;
    /* The transactional id first, then the group, then each topic (Kafka's order). */
    int16_t gerr =
        !kelp_authorized_kw(b, req, KELP_ACL_RESOURCE_TRANSACTIONAL_ID, in.transactional_id, KELP_ACL_OP_WRITE)
            ? KAFKA_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED
        : !kelp_authorized_kw(b, req, KELP_ACL_RESOURCE_GROUP, in.group_id, KELP_ACL_OP_READ)
            ? KAFKA_ERR_GROUP_AUTHORIZATION_FAILED
            : group_error(b, &in);
    size_t n = 0;
    for (int32_t t = 0; t < in.topics_count; t++) {
        const kafka_TxnOffsetCommitRequest_TxnOffsetCommitRequestTopic *tin = &in.topics[t];
        kafka_TxnOffsetCommitResponse_TxnOffsetCommitResponseTopic *tout = &w->resp.topics[t];
        kafka_TxnOffsetCommitResponse_TxnOffsetCommitResponseTopic_init(tout);
        tout->name = tin->name;
        int32_t count = tin->partitions_count > 0 ? tin->partitions_count : 0;
        tout->partitions = kelp_arena_alloc(a, (size_t)(count + 1) * sizeof(*tout->partitions));
        if (!tout->partitions)
            return -1;
        tout->partitions_count = count;
        bool allowed = kelp_authorized_kw(b, req, KELP_ACL_RESOURCE_TOPIC, tin->name, KELP_ACL_OP_READ);
        kelp_topic *topic = allowed && kelp_topic_name_usable(tin->name)
                                ? kelp_storage_find_topic(b->storage, tin->name.ptr, (size_t)tin->name.len)
                                : NULL;
        for (int32_t i = 0; i < count; i++) {
            const kafka_TxnOffsetCommitRequest_TxnOffsetCommitRequestPartition *pin = &tin->partitions[i];
            partition_response *pout = &tout->partitions[i];
            kafka_TxnOffsetCommitResponse_TxnOffsetCommitResponsePartition_init(pout);
            pout->partition_index = pin->partition_index;
            if (gerr)
                pout->error_code = gerr;
            else if (!allowed)
                pout->error_code = KAFKA_ERR_TOPIC_AUTHORIZATION_FAILED;
            else if (!topic || !kelp_topic_partition(topic, pin->partition_index))
                pout->error_code = KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION;
            else if (pin->committed_metadata.len > KELP_OFFSET_METADATA_MAX)
                pout->error_code = KAFKA_ERR_OFFSET_METADATA_TOO_LARGE;
            if (pout->error_code)
                continue;
            offsets[n++] = (kelp_txn_commit_offset){
                .topic = tin->name,
                .partition = pin->partition_index,
                .offset = pin->committed_offset,
                .leader_epoch = req->api_version >= 2 ? pin->committed_leader_epoch : -1,
                .metadata = pin->committed_metadata,
            };
        }
    }
    if (n == 0) {
        replied(w, KAFKA_ERR_NONE, -1, -1);
        return 0;
    }
    /* v5 (transactions v2) adds the group itself, as AddOffsetsToTxn would. */
    kelp_txn_commit_offsets(b->txns, in.transactional_id, in.producer_id, in.producer_epoch, in.group_id,
                            req->api_version >= 5, offsets, n, replied, w);
    return 0;
}
