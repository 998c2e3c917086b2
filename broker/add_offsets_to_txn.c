/* AddOffsetsToTxn: a consumer group joins the transaction, so that its
 * TxnOffsetCommit offsets commit or abort with it. */
#include "broker/authorizer.h"
#include "broker/broker.h"
#include "broker/txn_common.h"
#include "groups/coordinator.h"
#include "protocol/generated/kafka_messages.h"

typedef struct add_wait {
    kelp_request *req;
} add_wait;

static void replied(void *ctx, int16_t error, int64_t producer_id, int16_t epoch)
{
    (void)producer_id;
    (void)epoch;
    add_wait *w = ctx;
    kafka_AddOffsetsToTxnResponse resp;
    kafka_AddOffsetsToTxnResponse_init(&resp);
    resp.error_code = kelp_txn_error_for_version(error, w->req->api_version, 2);
    KELP_RESPOND(w->req, AddOffsetsToTxnResponse, &resp);
}

int kelp_handle_add_offsets_to_txn(kelp_broker *b, kelp_request *req)
{
    kafka_AddOffsetsToTxnRequest in;
    if (kafka_AddOffsetsToTxnRequest_decode(&req->body, &req->arena, req->api_version, &in) != 0)
        return -1;
    add_wait *w = kelp_arena_alloc(&req->arena, sizeof(*w));
    if (!w)
        return -1;
    w->req = req;
    if (!kelp_authorized_kw(b, req, KELP_ACL_RESOURCE_TRANSACTIONAL_ID, in.transactional_id, KELP_ACL_OP_WRITE)) {
        replied(w, KAFKA_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED, -1, -1);
        return 0;
    }
    if (!kelp_authorized_kw(b, req, KELP_ACL_RESOURCE_GROUP, in.group_id, KELP_ACL_OP_READ)) {
        replied(w, KAFKA_ERR_GROUP_AUTHORIZATION_FAILED, -1, -1);
        return 0;
    }
    if (!kelp_group_id_valid(in.group_id)) {
        replied(w, KAFKA_ERR_INVALID_GROUP_ID, -1, -1);
        return 0;
    }
    kelp_txn_add_offsets(b->txns, in.transactional_id, in.producer_id, in.producer_epoch, in.group_id, replied, w);
    return 0;
}
