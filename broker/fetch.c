/* Fetch: stored batches served back as they were produced, up to the high
 * watermark, with min_bytes/max_wait long-polling driven by group commits
 * and a timer (never a busy loop). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker/authorizer.h"
#include "broker/broker.h"
#include "util/clock.h"
#include "util/log.h"
#include "metrics/server_metrics.h"
#include "net/output.h"
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

/* One partition's records in a response: where they lie in the log, and
 * how they travel. A records field points at its fetch_part until the
 * response is sent: the encoder then leaves a gap that a file range
 * (sendfile) fills, or, where the backend has no descriptors, the bytes are
 * read into mem first. */
typedef struct fetch_part {
    partition_data *out; /* this partition's answer */
    const kafka_FetchResponse_FetchableTopicResponse *topic; /* and its topic's */
    kelp_partition *partition;
    kelp_log_slice slice;
    uint64_t records; /* offsets served from the fetch offset on (metrics) */
    bool by_file;                     /* fd holds a descriptor per range */
    int fd[KELP_SLICE_MAX_RANGES];
    kelp_buf mem;
} fetch_part;

typedef struct fetch_parts {
    fetch_part *v; /* one per requested partition, in request order */
    int32_t count;
    kelp_file_range *ranges; /* filled while the response is encoded */
    size_t range_count, range_cap;
} fetch_parts;

static void parts_free(fetch_parts *fp)
{
    for (int32_t i = 0; i < fp->count; i++) {
        fetch_part *part = &fp->v[i];
        kelp_buf_free(&part->mem);
        for (int r = 0; part->by_file && r < part->slice.count; r++)
            if (part->fd[r] >= 0)
                close(part->fd[r]);
    }
    free(fp->v);
    kelp_file_ranges_free(fp->ranges, fp->range_count);
    memset(fp, 0, sizeof(*fp));
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

/* Locates one partition's records within limit; returns their bytes. */
static size_t fetch_partition(kelp_request *req, kelp_partition *p, const kafka_FetchRequest_FetchPartition *in,
                              bool read_committed, size_t limit, bool first_data, fetch_part *part)
{
    partition_data *out = part->out;
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
    /* Only the first partition with data may exceed the limits (KIP-74);
     * a later one gets only the whole batches that fit, and the client
     * fetches the rest next time. */
    int rc = kelp_partition_slice(p, in->fetch_offset, end, limit, first_data, &part->slice);
    if (rc != KELP_STORAGE_OK) {
        out->error_code = rc == KELP_STORAGE_ERR_OFFSET_OUT_OF_RANGE ? KAFKA_ERR_OFFSET_OUT_OF_RANGE
                                                                     : KAFKA_ERR_KAFKA_STORAGE_ERROR;
        part->slice.bytes = 0;
        return 0;
    }
    if (part->slice.bytes == 0)
        return 0;
    part->partition = p;
    part->records = part->slice.next_offset > in->fetch_offset ? (uint64_t)(part->slice.next_offset - in->fetch_offset) : 0;
    out->records = (kw_bytes){.ptr = (const uint8_t *)part, .len = (int32_t)part->slice.bytes};
    if (read_committed) {
        aborted_list l = {.arena = &req->arena};
        kelp_producer_state_aborted(kelp_partition_producers(p), start, in->fetch_offset,
                                    part->slice.next_offset, add_aborted, &l);
        if (l.failed) {
            out->error_code = KAFKA_ERR_UNKNOWN_SERVER_ERROR;
            out->records = (kw_bytes){.ptr = NULL, .len = 0};
            part->slice.bytes = 0;
            part->partition = NULL;
            return 0;
        }
        out->aborted_transactions = l.v;
        out->aborted_transactions_count = l.count;
    }
    return part->slice.bytes;
}

/* Builds the response; returns the number of record bytes in it. */
static size_t fetch_build(kelp_broker *b, kelp_request *req, const kafka_FetchRequest *in,
                          kafka_FetchResponse *resp, fetch_parts *fp)
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
    fp->v = calloc((size_t)total_parts + 1, sizeof(*fp->v));
    resp->responses = kelp_arena_alloc(a, (size_t)(in->topics_count + 1) * sizeof(*resp->responses));
    if (!fp->v || !resp->responses) {
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
            fetch_part *part = &fp->v[fp->count++];
            kelp_buf_init(&part->mem);
            part->out = pout;
            part->topic = tout;
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
            size_t n = fetch_partition(req, p, pin, read_committed, limit, total == 0, part);
            total += n;
            remaining = n >= remaining ? 0 : remaining - n;
        }
    }
    return total;
}

/* What an answer serves, for the metrics: error codes and, per topic, the
 * record bytes and the offsets they cover. */
static void fetch_account(kelp_broker *b, kelp_request *req, const kafka_FetchResponse *resp,
                          const fetch_parts *fp)
{
    kelp_request_note_error(req, resp->error_code);
    const kafka_FetchResponse_FetchableTopicResponse *looked_up = NULL;
    kelp_topic_traffic *traffic = NULL;
    for (int32_t i = 0; i < fp->count; i++) {
        const fetch_part *part = &fp->v[i];
        const partition_data *pout = part->out;
        kelp_request_note_error(req, pout->error_code);
        if (pout->error_code != KAFKA_ERR_NONE || pout->records.len <= 0 || !b->metrics)
            continue;
        if (looked_up != part->topic) { /* a topic's parts are consecutive */
            looked_up = part->topic;
            /* From version 13 on the request names topics by id only. */
            const char *name = NULL;
            size_t len = 0;
            if (part->topic->topic.len > 0) {
                name = part->topic->topic.ptr;
                len = (size_t)part->topic->topic.len;
            } else {
                kelp_topic *topic = kelp_storage_find_topic_by_id(b->storage, part->topic->topic_id.b);
                name = topic ? kelp_topic_name(topic) : NULL;
                len = name ? strlen(name) : 0;
            }
            traffic = name ? kelp_metrics_topic(b->metrics, name, len) : NULL;
        }
        if (traffic) {
            traffic->bytes_out += (uint64_t)pout->records.len;
            traffic->records_out += part->records;
        }
    }
}

/* The encoder met a records field: a part sent by file leaves its gap here. */
static bool claim_records(void *ctx, const uint8_t *ptr, size_t at)
{
    fetch_parts *fp = ctx;
    uintptr_t p = (uintptr_t)ptr, first = (uintptr_t)fp->v, end = (uintptr_t)(fp->v + fp->count);
    if (p < first || p >= end || (p - first) % sizeof(*fp->v) != 0)
        return false;
    fetch_part *part = &fp->v[(p - first) / sizeof(*fp->v)];
    if (!part->by_file || fp->range_count + (size_t)part->slice.count > fp->range_cap)
        return false;
    for (int i = 0; i < part->slice.count; i++) {
        const kelp_log_range *r = &part->slice.range[i];
        fp->ranges[fp->range_count++] = (kelp_file_range){.at = at, .fd = part->fd[i], .off = r->pos, .len = r->len};
        part->fd[i] = -1;
    }
    return true;
}

/* Takes a descriptor per range of the part (false, with none kept, where
 * the backend has none). */
static bool part_take_files(fetch_part *part)
{
    for (int i = 0; i < part->slice.count; i++) {
        part->fd[i] = kelp_partition_slice_fd(part->partition, &part->slice.range[i]);
        if (part->fd[i] < 0) {
            while (i-- > 0)
                close(part->fd[i]);
            return false;
        }
    }
    return true;
}

/* Each part's records go by file where the backend has descriptors; the
 * others are read in now (a failed read answers KAFKA_STORAGE_ERROR). */
static void fetch_prepare(fetch_parts *fp)
{
    size_t ranges = 0;
    for (int32_t i = 0; i < fp->count; i++) {
        fetch_part *part = &fp->v[i];
        if (part->partition && part->slice.bytes > 0)
            ranges += (size_t)part->slice.count;
    }
    if (ranges > 0) {
        fp->ranges = calloc(ranges, sizeof(*fp->ranges));
        fp->range_cap = fp->ranges ? ranges : 0;
    }
    for (int32_t i = 0; i < fp->count; i++) {
        fetch_part *part = &fp->v[i];
        if (!part->partition || part->slice.bytes == 0)
            continue;
        if (fp->ranges && part_take_files(part)) {
            part->by_file = true;
            continue;
        }
        if (kelp_partition_slice_read(part->partition, &part->slice, &part->mem) != KELP_STORAGE_OK) {
            part->out->error_code = KAFKA_ERR_KAFKA_STORAGE_ERROR;
            part->out->records = (kw_bytes){.ptr = NULL, .len = 0};
            part->records = 0;
            continue;
        }
        part->out->records = (kw_bytes){.ptr = part->mem.data, .len = (int32_t)part->mem.len};
    }
}

static void fetch_send(kelp_broker *b, kelp_request *req, kafka_FetchResponse *resp, fetch_parts *fp)
{
    fetch_prepare(fp);
    fetch_account(b, req, resp, fp);
    kelp_buf buf;
    kw_writer w;
    kelp_response_begin(req, &buf, &w);
    kw_external external = {.claim = claim_records, .ctx = fp};
    w.external = &external;
    kafka_FetchResponse_encode(&w, req->api_version, resp);
    /* Every part by file must have left its gap, or the frame would not
     * be what its length says. */
    size_t expected = 0;
    for (int32_t i = 0; i < fp->count; i++)
        if (fp->v[i].by_file)
            expected += (size_t)fp->v[i].slice.count;
    if (fp->range_count != expected)
        w.err = 1;
    kelp_file_range *ranges = fp->ranges;
    size_t n = fp->range_count;
    fp->ranges = NULL;
    fp->range_count = 0;
    kelp_response_send_ranges(req, &buf, &w, ranges, n);
    parts_free(fp);
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
    fetch_parts fp = {0};
    size_t bytes = fetch_build(b, req, in, &resp, &fp);
    bool enough = force || resp.error_code != KAFKA_ERR_NONE || in->max_wait_ms <= 0 ||
                  (int64_t)bytes >= (int64_t)in->min_bytes || b->stopping;
    if (!enough) {
        parts_free(&fp);
        return false;
    }
    fetch_send(b, req, &resp, &fp);
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
