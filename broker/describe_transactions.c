/* DescribeTransactions: a transactional id's state, producer, timeout and
 * the partitions of its open transaction. */
#include <string.h>

#include "broker/authorizer.h"
#include "broker/broker.h"
#include "broker/group_common.h"
#include "protocol/generated/kafka_messages.h"
#include "protocol/kafka_errors.h"

typedef kafka_DescribeTransactionsResponse_TransactionState txn_out;

/* The partitions grouped by topic, in the order they joined; as Kafka,
 * without the topics the principal may not describe. */
static int describe_topics(kelp_broker *b, kelp_request *req, const kelp_txn *t, txn_out *out)
{
    kelp_arena *a = &req->arena;
    out->topics = kelp_arena_alloc(a, (t->partition_count + 1) * sizeof(*out->topics));
    if (!out->topics)
        return -1;
    out->topics_count = 0;
    for (size_t i = 0; i < t->partition_count; i++) {
        const char *topic = t->partitions[i].topic;
        if (!kelp_authorized(b, req, KELP_ACL_RESOURCE_TOPIC, topic, strlen(topic), KELP_ACL_OP_DESCRIBE))
            continue;
        kafka_DescribeTransactionsResponse_TopicData *d = NULL;
        for (int32_t k = 0; k < out->topics_count && !d; k++)
            if (kw_str_eq(out->topics[k].topic, topic))
                d = &out->topics[k];
        if (!d) {
            d = &out->topics[out->topics_count++];
            kafka_DescribeTransactionsResponse_TopicData_init(d);
            d->topic = kelp_kw_or_empty(topic);
            d->partitions = kelp_arena_alloc(a, (t->partition_count + 1) * sizeof(*d->partitions));
            if (!d->partitions)
                return -1;
            d->partitions_count = 0;
        }
        d->partitions[d->partitions_count++] = t->partitions[i].partition;
    }
    return 0;
}

int kelp_handle_describe_transactions(kelp_broker *b, kelp_request *req)
{
    kafka_DescribeTransactionsRequest in;
    if (kafka_DescribeTransactionsRequest_decode(&req->body, &req->arena, req->api_version, &in) != 0)
        return -1;
    kelp_arena *a = &req->arena;
    kafka_DescribeTransactionsResponse resp;
    kafka_DescribeTransactionsResponse_init(&resp);
    int32_t n = in.transactional_ids_count > 0 ? in.transactional_ids_count : 0;
    resp.transaction_states = kelp_arena_alloc(a, (size_t)(n + 1) * sizeof(*resp.transaction_states));
    if (!resp.transaction_states)
        return -1;
    resp.transaction_states_count = n;
    for (int32_t i = 0; i < n; i++) {
        txn_out *out = &resp.transaction_states[i];
        kafka_DescribeTransactionsResponse_TransactionState_init(out);
        kw_str id = in.transactional_ids[i];
        out->transactional_id = id;
        out->transaction_state = kelp_kw_or_empty("");
        out->producer_id = -1;
        out->producer_epoch = -1;
        out->transaction_start_time_ms = -1;
        if (!kelp_authorized_kw(b, req, KELP_ACL_RESOURCE_TRANSACTIONAL_ID, id, KELP_ACL_OP_DESCRIBE)) {
            out->error_code = KAFKA_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED;
            continue;
        }
        const kelp_txn *t = id.len > 0 ? kelp_txn_find(b->txns, id.ptr, (size_t)id.len) : NULL;
        if (!t) {
            out->error_code = KAFKA_ERR_TRANSACTIONAL_ID_NOT_FOUND;
            continue;
        }
        out->transaction_state = kelp_kw_or_empty(kelp_txn_status_name(t->status));
        out->transaction_timeout_ms = t->timeout_ms;
        out->transaction_start_time_ms = t->start_ms;
        out->producer_id = t->producer_id;
        out->producer_epoch = t->epoch;
        if (describe_topics(b, req, t, out) != 0)
            return -1;
    }
    KELP_RESPOND(req, DescribeTransactionsResponse, &resp);
    return 0;
}
