/* EndTxn: commit or abort the open transaction; answered once its markers
 * are durable in every partition and, on commit, its offsets applied. */
#include "broker/authorizer.h"
#include "broker/broker.h"
#include "broker/txn_common.h"
#include "protocol/generated/kafka_messages.h"

typedef struct end_wait {
    kelp_request *req;
} end_wait;

static void replied(void *ctx, int16_t error, int64_t producer_id, int16_t epoch)
{
    end_wait *w = ctx;
    kafka_EndTxnResponse resp;
    kafka_EndTxnResponse_init(&resp);
    resp.error_code = kelp_txn_error_for_version(error, w->req->api_version, 2);
    resp.producer_id = producer_id;
    resp.producer_epoch = epoch;
    KELP_RESPOND(w->req, EndTxnResponse, &resp);
}

int kelp_handle_end_txn(kelp_broker *b, kelp_request *req)
{
    kafka_EndTxnRequest in;
    if (kafka_EndTxnRequest_decode(&req->body, &req->arena, req->api_version, &in) != 0)
        return -1;
    end_wait *w = kelp_arena_alloc(&req->arena, sizeof(*w));
    if (!w)
        return -1;
    w->req = req;
    if (!kelp_authorized_kw(b, req, KELP_ACL_RESOURCE_TRANSACTIONAL_ID, in.transactional_id, KELP_ACL_OP_WRITE)) {
        replied(w, KAFKA_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED, -1, -1);
        return 0;
    }
    /* v5 is transactions v2: every end bumps the epoch, answered in the response. */
    kelp_txn_end(b->txns, in.transactional_id, in.producer_id, in.producer_epoch, in.committed, req->api_version >= 5,
                 replied, w);
    return 0;
}
