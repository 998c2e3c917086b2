/* Fetch: stored batches served back as they were produced, up to the high
 * watermark, with min_bytes/max_wait long-polling driven by group commits
 * and a timer (never a busy loop). */
#include <stdlib.h>
#include <string.h>

#include "broker/authorizer.h"
#include "broker/broker.h"
#include "util/clock.h"
#include "util/log.h"
#include "metrics/server_metrics.h"
#include "protocol/generated/kafka_messages.h"
#include "protocol/kafka_errors.h"
#include "records/byte_order.h"
#include "records/record_batch.h"
#include "storage/producer_state.h"
#include "storage/topic_name.h"

#define ISOLATION_READ_COMMITTED 1

struct kelp_fetch_wait {
    kelp_fetch_wait *next, *prev;
    kelp_broker *broker;
    kelp_request *req;
    kafka_FetchRequest in;
    kelp_timer *timer;
};

typedef kafka_FetchResponse_PartitionData partition_data;

/* The read buffers of one response, freed once it is encoded. */
typedef struct fetch_buffers {
    kelp_buf *bufs;
    int32_t count;
} fetch_buffers;

static void buffers_free(fetch_buffers *fb)
{
    for (int32_t i = 0; i < fb->count; i++)
        kelp_buf_free(&fb->bufs[i]);
    free(fb->bufs);
}

static kelp_topic *resolve_topic(kelp_broker *b, kelp_request *req, const kafka_FetchRequest_FetchTopic *t,
                                 int16_t *error)
{
    if (req->api_version >= 13) {
        kelp_topic *topic = kelp_storage_find_topic_by_id(b->storage, t->topic_id.b);
        *error = topic ? KAFKA_ERR_NONE : KAFKA_ERR_UNKNOWN_TOPIC_ID;
        if (topic && !kelp_authorized(b, req, KELP_ACL_RESOURCE_TOPIC, kelp_topic_name(topic),
                                      strlen(kelp_topic_name(topic)), KELP_ACL_OP_READ)) {
            *error = KAFKA_ERR_TOPIC_AUTHORIZATION_FAILED;
            return NULL;
        }
        return topic;
    }
    if (!kelp_authorized_kw(b, req, KELP_ACL_RESOURCE_TOPIC, t->topic, KELP_ACL_OP_READ)) {
        *error = KAFKA_ERR_TOPIC_AUTHORIZATION_FAILED;
        return NULL;
    }
    if (t->topic.len <= 0 || !kelp_topic_name_valid(t->topic.ptr, (size_t)t->topic.len) ||
        kelp_topic_name_reserved(t->topic.ptr, (size_t)t->topic.len)) {
        *error = KAFKA_ERR_INVALID_TOPIC_EXCEPTION;
        return NULL;
    }
    kelp_topic *topic = kelp_storage_find_topic(b->storage, t->topic.ptr, (size_t)t->topic.len);
    *error = topic ? KAFKA_ERR_NONE : KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    return topic;
}

/* The aborted transactions a read_committed reader of the fetched range
 * needs to drop their records. */
typedef struct aborted_list {
    kelp_arena *arena;
    kafka_FetchResponse_AbortedTransaction *v;
    int32_t count, cap;
    bool failed;
} aborted_list;

static int add_aborted(void *ctx, const kelp_txn_span *span)
{
    aborted_list *l = ctx;
    if (l->count == l->cap) {
        int32_t cap = l->cap ? l->cap * 2 : 8;
        kafka_FetchResponse_AbortedTransaction *n = kelp_arena_alloc(l->arena, (size_t)cap * sizeof(*n));
        if (!n) {
            l->failed = true;
            return 1;
        }
        if (l->count)
            memcpy(n, l->v, (size_t)l->count * sizeof(*n));
        l->v = n;
        l->cap = cap;
    }
    l->v[l->count].producer_id = span->producer_id;
    l->v[l->count].first_offset = span->first_offset;
    l->count++;
    return 0;
}

/* The offset after the last whole batch header in buf. */
static int64_t data_end_offset(const kelp_buf *buf, int64_t fallback)
{
    int64_t end = fallback;
    for (size_t pos = 0; pos + KELP_BATCH_HEADER_SIZE <= buf->len;) {
        end = (int64_t)kelp_be64(buf->data + pos) + (int32_t)kelp_be32(buf->data + pos + KELP_BATCH_OFF_LAST_OFFSET_DELTA) + 1;
        pos += KELP_BATCH_LOG_OVERHEAD + kelp_be32(buf->data + pos + KELP_BATCH_OFF_LENGTH);
    }
    return end;
}

/* Reads one partition into buf within limit; returns the bytes read. */
static size_t fetch_partition(kelp_broker *b, kelp_request *req, kelp_partition *p,
                              const kafka_FetchRequest_FetchPartition *in, bool read_committed,
                              size_t limit, bool first_data, kelp_buf *buf, partition_data *out)
{
    int64_t hw = kelp_partition_high_watermark(p);
    int64_t start = kelp_partition_log_start_offset(p);
    int64_t lso = kelp_partition_last_stable_offset(p);
    out->high_watermark = hw;
    out->last_stable_offset = lso;
    out->log_start_offset = start;
    out->records = (kw_bytes){.ptr = NULL, .len = 0};
    if (read_committed) {
        out->aborted_transactions = NULL;
        out->aborted_transactions_count = 0;
    }
    /* Our leader epoch is always 0. */
    if (in->current_leader_epoch > 0) {
        out->error_code = KAFKA_ERR_UNKNOWN_LEADER_EPOCH;
        return 0;
    }
    if (in->fetch_offset < start || in->fetch_offset > kelp_partition_log_end_offset(p)) {
        out->error_code = KAFKA_ERR_OFFSET_OUT_OF_RANGE;
        return 0;
    }
    out->error_code = KAFKA_ERR_NONE;
    /* read_committed readers stop at the last stable offset: nothing of an
     * open transaction, and its aborted records named for them to drop. */
    int64_t end = read_committed ? lso : hw;
    if (in->fetch_offset >= end || limit == 0 || in->partition_max_bytes <= 0)
        return 0;
    int64_t n = kelp_partition_read_until(p, in->fetch_offset, end, limit, buf);
    if (n < 0) {
        out->error_code = n == KELP_STORAGE_ERR_OFFSET_OUT_OF_RANGE ? KAFKA_ERR_OFFSET_OUT_OF_RANGE
                                                                     : KAFKA_ERR_KAFKA_STORAGE_ERROR;
        kelp_buf_clear(buf);
        return 0;
    }
    /* Only the first partition with data may exceed the limits (KIP-74);
     * later ones are cut, as Kafka cuts them, and the client re-fetches. */
    if (!first_data && buf->len > limit)
        buf->len = limit;
    out->records = (kw_bytes){.ptr = buf->data, .len = (int32_t)buf->len};
    if (read_committed && buf->len > 0) {
        aborted_list l = {.arena = &req->arena};
        kelp_producer_state_aborted(kelp_partition_producers(p), start, in->fetch_offset,
                                    data_end_offset(buf, in->fetch_offset + 1), add_aborted, &l);
        if (l.failed) {
            out->error_code = KAFKA_ERR_UNKNOWN_SERVER_ERROR;
            out->records = (kw_bytes){.ptr = NULL, .len = 0};
            kelp_buf_clear(buf);
            return 0;
        }
        out->aborted_transactions = l.v;
        out->aborted_transactions_count = l.count;
    }
    return buf->len;
}

/* Builds the response; returns the number of record bytes in it. */
static size_t fetch_build(kelp_broker *b, kelp_request *req, const kafka_FetchRequest *in,
                          kafka_FetchResponse *resp, fetch_buffers *fb)
{
    kelp_arena *a = &req->arena;
    kafka_FetchResponse_init(resp);
    resp->session_id = 0; /* sessionless: every fetch names all its partitions */
    if (in->session_id != 0) {
        resp->error_code = KAFKA_ERR_FETCH_SESSION_ID_NOT_FOUND;
        return 0;
    }
    if (in->session_epoch > 0) {
        resp->error_code = KAFKA_ERR_INVALID_FETCH_SESSION_EPOCH;
        return 0;
    }
    int32_t total_parts = 0;
    for (int32_t t = 0; t < in->topics_count; t++)
        total_parts += in->topics[t].partitions_count;
    fb->bufs = calloc((size_t)total_parts + 1, sizeof(*fb->bufs));
    resp->responses = kelp_arena_alloc(a, (size_t)(in->topics_count + 1) * sizeof(*resp->responses));
    if (!fb->bufs || !resp->responses) {
        resp->error_code = KAFKA_ERR_UNKNOWN_SERVER_ERROR;
        return 0;
    }
    resp->responses_count = in->topics_count;
    bool read_committed = req->api_version >= 4 && in->isolation_level == ISOLATION_READ_COMMITTED;
    size_t remaining = req->api_version >= 3 && in->max_bytes >= 0 ? (size_t)in->max_bytes : (size_t)INT32_MAX;
    size_t total = 0;
    for (int32_t t = 0; t < in->topics_count; t++) {
        const kafka_FetchRequest_FetchTopic *tin = &in->topics[t];
        kafka_FetchResponse_FetchableTopicResponse *tout = &resp->responses[t];
        kafka_FetchResponse_FetchableTopicResponse_init(tout);
        tout->topic = tin->topic;
        tout->topic_id = tin->topic_id;
        int16_t topic_error;
        kelp_topic *topic = resolve_topic(b, req, tin, &topic_error);
        tout->partitions = kelp_arena_alloc(a, (size_t)(tin->partitions_count + 1) * sizeof(*tout->partitions));
        if (!tout->partitions) {
            resp->error_code = KAFKA_ERR_UNKNOWN_SERVER_ERROR;
            return 0;
        }
        tout->partitions_count = tin->partitions_count;
        for (int32_t i = 0; i < tin->partitions_count; i++) {
            const kafka_FetchRequest_FetchPartition *pin = &tin->partitions[i];
            partition_data *pout = &tout->partitions[i];
            kafka_FetchResponse_PartitionData_init(pout);
            pout->partition_index = pin->partition;
            if (read_committed) /* an empty list, not null, tells the client nothing was aborted */
                pout->aborted_transactions_count = 0;
            kelp_partition *p = topic ? kelp_topic_partition(topic, pin->partition) : NULL;
            if (!p) {
                pout->error_code = topic ? KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION : topic_error;
                pout->high_watermark = -1;
                pout->records = (kw_bytes){.ptr = NULL, .len = 0};
                continue;
            }
            size_t limit = (size_t)(pin->partition_max_bytes > 0 ? pin->partition_max_bytes : 0);
            if (limit > remaining)
                limit = remaining;
            kelp_buf *buf = &fb->bufs[fb->count++];
            kelp_buf_init(buf);
            size_t n = fetch_partition(b, req, p, pin, read_committed, limit, total == 0, buf, pout);
            total += n;
            remaining = n >= remaining ? 0 : remaining - n;
        }
    }
    return total;
}

/* What an answer serves, for the metrics: error codes and, per topic, the
 * record bytes and the records of the whole batches among them. */
static void fetch_account(kelp_broker *b, kelp_request *req, const kafka_FetchResponse *resp)
{
    kelp_request_note_error(req, resp->error_code);
    for (int32_t t = 0; t < resp->responses_count; t++) {
        const kafka_FetchResponse_FetchableTopicResponse *tout = &resp->responses[t];
        kelp_topic_traffic *traffic = NULL;
        bool looked_up = false;
        for (int32_t i = 0; i < tout->partitions_count; i++) {
            const partition_data *pout = &tout->partitions[i];
            kelp_request_note_error(req, pout->error_code);
            if (pout->error_code != KAFKA_ERR_NONE || pout->records.len <= 0 || !b->metrics)
                continue;
            if (!looked_up) {
                looked_up = true;
                /* From version 13 on the request names topics by id only. */
                const char *name = NULL;
                size_t len = 0;
                if (tout->topic.len > 0) {
                    name = tout->topic.ptr;
                    len = (size_t)tout->topic.len;
                } else {
                    kelp_topic *topic = kelp_storage_find_topic_by_id(b->storage, tout->topic_id.b);
                    name = topic ? kelp_topic_name(topic) : NULL;
                    len = name ? strlen(name) : 0;
                }
                traffic = name ? kelp_metrics_topic(b->metrics, name, len) : NULL;
            }
            if (traffic) {
                traffic->bytes_out += (uint64_t)pout->records.len;
                traffic->records_out += kelp_metrics_batch_records(pout->records.ptr, (size_t)pout->records.len);
            }
        }
    }
}

static void fetch_send(kelp_broker *b, kelp_request *req, kafka_FetchResponse *resp, fetch_buffers *fb)
{
    fetch_account(b, req, resp);
    KELP_RESPOND(req, FetchResponse, resp);
    buffers_free(fb);
}

static void waiter_unlink(kelp_broker *b, kelp_fetch_wait *w)
{
    if (w->prev)
        w->prev->next = w->next;
    else
        b->fetch_waiters = w->next;
    if (w->next)
        w->next->prev = w->prev;
    w->next = w->prev = NULL;
}

/* Answers the request if it has enough data (or must answer now); returns true when answered. */
static bool fetch_try(kelp_broker *b, kelp_request *req, const kafka_FetchRequest *in, bool force)
{
    kafka_FetchResponse resp;
    fetch_buffers fb = {0};
    size_t bytes = fetch_build(b, req, in, &resp, &fb);
    bool enough = force || resp.error_code != KAFKA_ERR_NONE || in->max_wait_ms <= 0 ||
                  (int64_t)bytes >= (int64_t)in->min_bytes || b->stopping;
    if (!enough) {
        buffers_free(&fb);
        return false;
    }
    fetch_send(b, req, &resp, &fb);
    return true;
}

static void fetch_timeout(void *ctx)
{
    kelp_fetch_wait *w = ctx;
    kelp_broker *b = w->broker;
    w->timer = NULL;
    waiter_unlink(b, w);
    fetch_try(b, w->req, &w->in, true); /* frees the request and w (in its arena) */
}

int kelp_handle_fetch(kelp_broker *b, kelp_request *req)
{
    kelp_fetch_wait *w = kelp_arena_alloc(&req->arena, sizeof(*w));
    if (!w)
        return -1;
    if (kafka_FetchRequest_decode(&req->body, &req->arena, req->api_version, &w->in) != 0)
        return -1;
    if (fetch_try(b, req, &w->in, false))
        return 0;
    w->broker = b;
    w->req = req;
    int64_t wait = w->in.max_wait_ms;
    w->timer = kelp_timer_add(b->loop, kelp_clock_mono_ms() + wait, fetch_timeout, w);
    if (!w->timer) {
        fetch_try(b, req, &w->in, true);
        return 0;
    }
    w->next = b->fetch_waiters;
    w->prev = NULL;
    if (b->fetch_waiters)
        b->fetch_waiters->prev = w;
    b->fetch_waiters = w;
    return 0;
}

void kelp_fetch_wake(kelp_broker *b, bool all)
{
    kelp_fetch_wait *w = b->fetch_waiters;
    while (w) {
        kelp_fetch_wait *next = w->next;
        kelp_request *req = w->req;
        /* Unlink first: an answered request frees w with its arena. */
        waiter_unlink(b, w);
        kelp_timer *timer = w->timer;
        if (fetch_try(b, req, &w->in, all)) {
            kelp_timer_cancel(b->loop, timer);
        } else {
            w->next = b->fetch_waiters;
            w->prev = NULL;
            if (b->fetch_waiters)
                b->fetch_waiters->prev = w;
            b->fetch_waiters = w;
        }
        w = next;
    }
}
