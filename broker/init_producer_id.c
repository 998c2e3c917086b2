/* InitProducerId: a new producer id for an idempotent producer, or the
 * transactional id's producer id with a bumped epoch. */
#include "broker/authorizer.h"
#include "broker/broker.h"
#include "broker/txn_common.h"
#include "protocol/generated/kafka_messages.h"

typedef struct init_wait {
    kelp_request *req;
} init_wait;

static void replied(void *ctx, int16_t error, int64_t producer_id, int16_t epoch)
{
    init_wait *w = ctx;
    kafka_InitProducerIdResponse resp;
    kafka_InitProducerIdResponse_init(&resp);
    resp.error_code = kelp_txn_error_for_version(error, w->req->api_version, 4);
    resp.producer_id = error ? -1 : producer_id;
    resp.producer_epoch = error ? -1 : epoch;
    KELP_RESPOND(w->req, InitProducerIdResponse, &resp);
}

int kelp_handle_init_producer_id(kelp_broker *b, kelp_request *req)
{
    kafka_InitProducerIdRequest in;
    if (kafka_InitProducerIdRequest_decode(&req->body, &req->arena, req->api_version, &in) != 0)
        return -1;
    init_wait *w = kelp_arena_alloc(&req->arena, sizeof(*w));
    if (!w)
        return -1;
    w->req = req;
    /* A transactional producer needs WRITE on its id; an idempotent one
     * IDEMPOTENT_WRITE on the cluster or WRITE on some topic. */
    if (in.transactional_id.len >= 0) {
        if (!kelp_authorized_kw(b, req, KELP_ACL_RESOURCE_TRANSACTIONAL_ID, in.transactional_id, KELP_ACL_OP_WRITE)) {
            replied(w, KAFKA_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED, -1, -1);
            return 0;
        }
    } else if (!kelp_authorized_cluster(b, req, KELP_ACL_OP_IDEMPOTENT_WRITE) &&
               !kelp_authorized_any(b, req, KELP_ACL_RESOURCE_TOPIC, KELP_ACL_OP_WRITE)) {
        replied(w, KAFKA_ERR_CLUSTER_AUTHORIZATION_FAILED, -1, -1);
        return 0;
    }
    int64_t expected_id = req->api_version >= 3 ? in.producer_id : -1;
    int16_t expected_epoch = req->api_version >= 3 ? in.producer_epoch : -1;
    kelp_txn_init_producer(b->txns, in.transactional_id, in.transaction_timeout_ms, expected_id, expected_epoch,
                           replied, w);
    return 0;
}
