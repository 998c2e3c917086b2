/* DescribeProducers: the idempotent and transactional producers each
 * partition knows, from its producer state. */
#include "broker/authorizer.h"
#include "broker/broker.h"
#include "broker/group_common.h"
#include "protocol/generated/kafka_messages.h"
#include "protocol/kafka_errors.h"
#include "storage/producer_state.h"

typedef kafka_DescribeProducersResponse_PartitionResponse partition_response;

static int describe_partition(kelp_arena *a, kelp_partition *p, partition_response *out)
{
    const kelp_producer_state *ps = kelp_partition_producers(p);
    size_t n = ps->producers.count;
    out->active_producers = kelp_arena_alloc(a, (n + 1) * sizeof(*out->active_producers));
    if (!out->active_producers)
        return -1;
    size_t pos = 0, i = 0;
    const kelp_producer *e;
    while (i < n && kelp_producer_state_next(ps, &pos, &e)) {
        kafka_DescribeProducersResponse_ProducerState *s = &out->active_producers[i++];
        kafka_DescribeProducersResponse_ProducerState_init(s);
        s->producer_id = e->producer_id;
        s->producer_epoch = e->epoch;
        s->last_sequence = kelp_producer_last_sequence(e);
        s->last_timestamp = e->last_timestamp;
        s->coordinator_epoch = e->coordinator_epoch;
        s->current_txn_start_offset = e->txn_first_offset;
    }
    out->active_producers_count = (int32_t)i;
    return 0;
}

int kelp_handle_describe_producers(kelp_broker *b, kelp_request *req)
{
    kafka_DescribeProducersRequest in;
    if (kafka_DescribeProducersRequest_decode(&req->body, &req->arena, req->api_version, &in) != 0)
        return -1;
    kelp_arena *a = &req->arena;
    kafka_DescribeProducersResponse resp;
    kafka_DescribeProducersResponse_init(&resp);
    int32_t topics = in.topics_count > 0 ? in.topics_count : 0;
    resp.topics = kelp_arena_alloc(a, (size_t)(topics + 1) * sizeof(*resp.topics));
    if (!resp.topics)
        return -1;
    resp.topics_count = topics;
    for (int32_t t = 0; t < topics; t++) {
        const kafka_DescribeProducersRequest_TopicRequest *tin = &in.topics[t];
        kafka_DescribeProducersResponse_TopicResponse *tout = &resp.topics[t];
        kafka_DescribeProducersResponse_TopicResponse_init(tout);
        tout->name = tin->name;
        int32_t n = tin->partition_indexes_count > 0 ? tin->partition_indexes_count : 0;
        tout->partitions = kelp_arena_alloc(a, (size_t)(n + 1) * sizeof(*tout->partitions));
        if (!tout->partitions)
            return -1;
        tout->partitions_count = n;
        bool allowed = kelp_authorized_kw(b, req, KELP_ACL_RESOURCE_TOPIC, tin->name, KELP_ACL_OP_READ);
        kelp_topic *topic = allowed && kelp_topic_name_usable(tin->name)
                                ? kelp_storage_find_topic(b->storage, tin->name.ptr, (size_t)tin->name.len)
                                : NULL;
        for (int32_t i = 0; i < n; i++) {
            partition_response *pout = &tout->partitions[i];
            kafka_DescribeProducersResponse_PartitionResponse_init(pout);
            pout->partition_index = tin->partition_indexes[i];
            if (!allowed) {
                pout->error_code = KAFKA_ERR_TOPIC_AUTHORIZATION_FAILED;
                continue;
            }
            kelp_partition *p = topic ? kelp_topic_partition(topic, tin->partition_indexes[i]) : NULL;
            if (!p) {
                pout->error_code = KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION;
                continue;
            }
            if (describe_partition(a, p, pout) != 0)
                return -1;
        }
    }
    KELP_RESPOND(req, DescribeProducersResponse, &resp);
    return 0;
}
