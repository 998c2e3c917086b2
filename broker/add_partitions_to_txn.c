/* AddPartitionsToTxn: partitions join the producer's transaction before it
 * writes to them. Up to v3 one transaction per request (clients); v4+
 * several, each possibly VerifyOnly (the form brokers use). */
#include "broker/authorizer.h"
#include "broker/broker.h"
#include "broker/group_common.h"
#include "broker/txn_common.h"
#include "protocol/generated/kafka_messages.h"

typedef kafka_AddPartitionsToTxnRequest_AddPartitionsToTxnTopic topic_in;
typedef kafka_AddPartitionsToTxnResponse_AddPartitionsToTxnTopicResult topic_result;
typedef kafka_AddPartitionsToTxnResponse_AddPartitionsToTxnPartitionResult partition_result;

typedef struct add_wait {
    kelp_request *req;
    kafka_AddPartitionsToTxnResponse resp;
    int32_t pending;
} add_wait;

/* One transaction's answer: its topics' results and what they wait for. */
typedef struct txn_wait {
    add_wait *wait;
    topic_result *results;
    int32_t result_count;
} txn_wait;

static void maybe_respond(add_wait *w)
{
    if (--w->pending == 0)
        KELP_RESPOND(w->req, AddPartitionsToTxnResponse, &w->resp);
}

static void set_all(txn_wait *tw, int16_t error)
{
    for (int32_t t = 0; t < tw->result_count; t++)
        for (int32_t p = 0; p < tw->results[t].results_by_partition_count; p++)
            tw->results[t].results_by_partition[p].partition_error_code = error;
}

static void replied(void *ctx, int16_t error, int64_t producer_id, int16_t epoch)
{
    (void)producer_id;
    (void)epoch;
    txn_wait *tw = ctx;
    set_all(tw, kelp_txn_error_for_version(error, tw->wait->req->api_version, 2));
    maybe_respond(tw->wait);
}

/* Builds the result skeleton; false on no memory. *unknown is set when a
 * partition does not exist (each such gets UNKNOWN_TOPIC_OR_PARTITION) or
 * its topic may not be written (TOPIC_AUTHORIZATION_FAILED). */
static bool build_results(kelp_broker *b, kelp_request *req, kelp_arena *a, const topic_in *topics, int32_t count, txn_wait *tw,
                          kelp_txn_topic_partition **parts, size_t *part_count, bool *unknown)
{
    size_t total = 0;
    for (int32_t t = 0; t < count; t++)
        total += (size_t)(topics[t].partitions_count > 0 ? topics[t].partitions_count : 0);
    tw->results = kelp_arena_alloc(a, (size_t)(count + 1) * sizeof(*tw->results));
    *parts = kelp_arena_alloc(a, (total + 1) * sizeof(**parts));
    if (!tw->results || !*parts)
        return false;
    tw->result_count = count;
    *part_count = 0;
    *unknown = false;
    for (int32_t t = 0; t < count; t++) {
        topic_result *r = &tw->results[t];
        kafka_AddPartitionsToTxnResponse_AddPartitionsToTxnTopicResult_init(r);
        r->name = topics[t].name;
        int32_t n = topics[t].partitions_count > 0 ? topics[t].partitions_count : 0;
        r->results_by_partition = kelp_arena_alloc(a, (size_t)(n + 1) * sizeof(*r->results_by_partition));
        if (!r->results_by_partition)
            return false;
        r->results_by_partition_count = n;
        bool allowed = kelp_authorized_kw(b, req, KELP_ACL_RESOURCE_TOPIC, topics[t].name, KELP_ACL_OP_WRITE);
        kelp_topic *topic = allowed && kelp_topic_name_usable(topics[t].name)
                                ? kelp_storage_find_topic(b->storage, topics[t].name.ptr, (size_t)topics[t].name.len)
                                : NULL;
        for (int32_t i = 0; i < n; i++) {
            partition_result *pr = &r->results_by_partition[i];
            kafka_AddPartitionsToTxnResponse_AddPartitionsToTxnPartitionResult_init(pr);
            pr->partition_index = topics[t].partitions[i];
            if (!allowed) {
                pr->partition_error_code = KAFKA_ERR_TOPIC_AUTHORIZATION_FAILED;
                *unknown = true;
                continue;
            }
            if (!topic || !kelp_topic_partition(topic, topics[t].partitions[i])) {
                pr->partition_error_code = KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION;
                *unknown = true;
                continue;
            }
            (*parts)[(*part_count)++] = (kelp_txn_topic_partition){topics[t].name, topics[t].partitions[i]};
        }
    }
    return true;
}

/* One transaction of the request: answered now or through replied. */
static int add_transaction(kelp_broker *b, add_wait *w, kw_str txn_id, int64_t producer_id, int16_t epoch,
                           bool verify_only, const topic_in *topics, int32_t count, txn_wait *tw)
{
    kelp_arena *a = &w->req->arena;
    tw->wait = w;
    kelp_txn_topic_partition *parts;
    size_t n;
    bool unknown;
    if (!build_results(b, w->req, a, topics, count, tw, &parts, &n, &unknown))
        return -1;
    w->pending++;
    if (!kelp_authorized_kw(b, w->req, KELP_ACL_RESOURCE_TRANSACTIONAL_ID, txn_id, KELP_ACL_OP_WRITE)) {
        set_all(tw, KAFKA_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
        maybe_respond(w);
        return 0;
    }
    if (verify_only) {
        for (int32_t t = 0; t < tw->result_count; t++)
            for (int32_t i = 0; i < tw->results[t].results_by_partition_count; i++) {
                partition_result *pr = &tw->results[t].results_by_partition[i];
                if (pr->partition_error_code == KAFKA_ERR_NONE)
                    pr->partition_error_code = kelp_txn_error_for_version(
                        kelp_txn_verify_partition(b->txns, txn_id, producer_id, epoch, tw->results[t].name,
                                                  pr->partition_index),
                        w->req->api_version, 2);
            }
        maybe_respond(w);
        return 0;
    }
    if (unknown) {
        /* All or nothing, as Kafka: the known ones were not tried. */
        for (int32_t t = 0; t < tw->result_count; t++)
            for (int32_t i = 0; i < tw->results[t].results_by_partition_count; i++) {
                partition_result *pr = &tw->results[t].results_by_partition[i];
                if (pr->partition_error_code == KAFKA_ERR_NONE)
                    pr->partition_error_code = KAFKA_ERR_OPERATION_NOT_ATTEMPTED;
            }
        maybe_respond(w);
        return 0;
    }
    kelp_txn_add_partitions(b->txns, txn_id, producer_id, epoch, parts, n, replied, tw);
    return 0;
}

int kelp_handle_add_partitions_to_txn(kelp_broker *b, kelp_request *req)
{
    kafka_AddPartitionsToTxnRequest in;
    if (kafka_AddPartitionsToTxnRequest_decode(&req->body, &req->arena, req->api_version, &in) != 0)
        return -1;
    kelp_arena *a = &req->arena;
    add_wait *w = kelp_arena_alloc(a, sizeof(*w));
    if (!w)
        return -1;
    w->req = req;
    kafka_AddPartitionsToTxnResponse_init(&w->resp);
    w->pending = 1; /* held until every transaction is under way */
    if (req->api_version <= 3) {
        txn_wait *tw = kelp_arena_alloc(a, sizeof(*tw));
        if (!tw || add_transaction(b, w, in.v3_and_below_transactional_id, in.v3_and_below_producer_id,
                                   in.v3_and_below_producer_epoch, false, in.v3_and_below_topics,
                                   in.v3_and_below_topics_count, tw) != 0)
            return -1;
        w->resp.results_by_topic_v3_and_below = tw->results;
        w->resp.results_by_topic_v3_and_below_count = tw->result_count;
    } else if (!kelp_authorized_cluster(b, req, KELP_ACL_OP_CLUSTER_ACTION)) {
        /* v4+ is the brokers' form. */
        w->resp.error_code = KAFKA_ERR_CLUSTER_AUTHORIZATION_FAILED;
    } else {
        int32_t n = in.transactions_count > 0 ? in.transactions_count : 0;
        w->resp.results_by_transaction = kelp_arena_alloc(a, (size_t)(n + 1) * sizeof(*w->resp.results_by_transaction));
        txn_wait *tws = kelp_arena_alloc(a, (size_t)(n + 1) * sizeof(*tws));
        if (!w->resp.results_by_transaction || !tws)
            return -1;
        w->resp.results_by_transaction_count = n;
        for (int32_t i = 0; i < n; i++) {
            const kafka_AddPartitionsToTxnRequest_AddPartitionsToTxnTransaction *t = &in.transactions[i];
            kafka_AddPartitionsToTxnResponse_AddPartitionsToTxnResult *r = &w->resp.results_by_transaction[i];
            kafka_AddPartitionsToTxnResponse_AddPartitionsToTxnResult_init(r);
            r->transactional_id = t->transactional_id;
            if (add_transaction(b, w, t->transactional_id, t->producer_id, t->producer_epoch, t->verify_only, t->topics,
                                t->topics_count, &tws[i]) != 0)
                return -1;
            r->topic_results = tws[i].results;
            r->topic_results_count = tws[i].result_count;
        }
    }
    maybe_respond(w);
    return 0;
}
