/* ListTransactions: transactional ids filtered by state, producer id and
 * (v1) how long their transaction has been open, as Kafka filters them. */
#include <string.h>

#include "broker/authorizer.h"
#include "broker/broker.h"
#include "broker/group_common.h"
#include "protocol/generated/kafka_messages.h"
#include "util/clock.h"

typedef struct list_ctx {
    kelp_broker *b;
    kelp_request *req;
    const kafka_ListTransactionsRequest *in;
    bool state_wanted[KELP_TXN_STATUS_COUNT];
    bool any_state_filter;
    int64_t now_ms;
    kelp_arena *arena;
    kafka_ListTransactionsResponse *resp;
    int32_t cap;
    bool failed;
} list_ctx;

static bool wanted(const list_ctx *lc, const kelp_txn *t)
{
    if (t->status == KELP_TXN_DEAD)
        return false;
    if (lc->any_state_filter && !lc->state_wanted[t->status])
        return false;
    if (lc->in->producer_id_filters_count > 0) {
        bool found = false;
        for (int32_t i = 0; i < lc->in->producer_id_filters_count && !found; i++)
            found = lc->in->producer_id_filters[i] == t->producer_id;
        if (!found)
            return false;
    }
    if (lc->in->duration_filter >= 0 && lc->now_ms - t->start_ms <= lc->in->duration_filter)
        return false;
    return true;
}

static void collect(void *ctx, const kelp_txn *t)
{
    list_ctx *lc = ctx;
    if (lc->failed || !wanted(lc, t))
        return;
    /* Only the ids the principal may describe are listed. */
    if (!kelp_authorized(lc->b, lc->req, KELP_ACL_RESOURCE_TRANSACTIONAL_ID, t->id, t->id_len, KELP_ACL_OP_DESCRIBE))
        return;
    kafka_ListTransactionsResponse *r = lc->resp;
    if (r->transaction_states_count == lc->cap) {
        int32_t cap = lc->cap ? lc->cap * 2 : 16;
        kafka_ListTransactionsResponse_TransactionState *n = kelp_arena_alloc(lc->arena, (size_t)cap * sizeof(*n));
        if (!n) {
            lc->failed = true;
            return;
        }
        if (r->transaction_states_count)
            memcpy(n, r->transaction_states, (size_t)r->transaction_states_count * sizeof(*n));
        r->transaction_states = n;
        lc->cap = cap;
    }
    kafka_ListTransactionsResponse_TransactionState *s = &r->transaction_states[r->transaction_states_count++];
    kafka_ListTransactionsResponse_TransactionState_init(s);
    s->transactional_id = (kw_str){.ptr = t->id, .len = (int32_t)t->id_len};
    s->producer_id = t->producer_id;
    s->transaction_state = kelp_kw_or_empty(kelp_txn_status_name(t->status));
}

int kelp_handle_list_transactions(kelp_broker *b, kelp_request *req)
{
    kafka_ListTransactionsRequest in;
    if (kafka_ListTransactionsRequest_decode(&req->body, &req->arena, req->api_version, &in) != 0)
        return -1;
    if (req->api_version < 1)
        in.duration_filter = -1;
    kelp_arena *a = &req->arena;
    kafka_ListTransactionsResponse resp;
    kafka_ListTransactionsResponse_init(&resp);
    list_ctx lc = {.b = b, .req = req, .in = &in, .now_ms = kelp_clock_wall_ms(), .arena = a, .resp = &resp};
    int32_t filters = in.state_filters_count > 0 ? in.state_filters_count : 0;
    resp.unknown_state_filters = kelp_arena_alloc(a, (size_t)(filters + 1) * sizeof(*resp.unknown_state_filters));
    if (!resp.unknown_state_filters)
        return -1;
    for (int32_t i = 0; i < filters; i++) {
        kw_str f = in.state_filters[i];
        bool known = false;
        for (int s = 0; s < KELP_TXN_STATUS_COUNT && !known; s++)
            if (kw_str_eq(f, kelp_txn_status_name((kelp_txn_status)s))) {
                lc.state_wanted[s] = true;
                known = true;
            }
        lc.any_state_filter = true;
        if (!known)
            resp.unknown_state_filters[resp.unknown_state_filters_count++] = f;
    }
    kelp_txn_each(b->txns, collect, &lc);
    if (lc.failed)
        return -1;
    KELP_RESPOND(req, ListTransactionsResponse, &resp);
    return 0;
}
