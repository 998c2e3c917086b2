/* Producer state rules follow Kafka's ProducerStateManager: a new epoch
 * starts at sequence 0; within an epoch each batch continues the last one
 * (wrapping after INT32_MAX); a batch equal to one of the last five is a
 * retry; a producer the log no longer knows may start anywhere. */
#include "storage/producer_state.h"

#include <stdlib.h>
#include <string.h>

#include "records/control_batch.h"

void kelp_producer_state_init(kelp_producer_state *ps)
{
    memset(ps, 0, sizeof(*ps));
    kelp_strmap_init(&ps->producers);
}

void kelp_producer_state_free(kelp_producer_state *ps)
{
    size_t pos = 0;
    const char *key;
    size_t len;
    void *value;
    while (kelp_strmap_next(&ps->producers, &pos, &key, &len, &value))
        free(value);
    kelp_strmap_free(&ps->producers);
    free(ps->open);
    free(ps->aborted);
    memset(ps, 0, sizeof(*ps));
}

static kelp_producer *find(const kelp_producer_state *ps, int64_t producer_id)
{
    return kelp_strmap_get(&ps->producers, &producer_id, sizeof(producer_id));
}

const kelp_producer *kelp_producer_state_get(const kelp_producer_state *ps, int64_t producer_id)
{
    return find(ps, producer_id);
}

bool kelp_producer_state_next(const kelp_producer_state *ps, size_t *pos, const kelp_producer **out)
{
    const char *key;
    size_t len;
    void *value;
    if (!kelp_strmap_next(&ps->producers, pos, &key, &len, &value))
        return false;
    *out = value;
    return true;
}

static int32_t batch_last_seq(const kelp_batch_header *h)
{
    int64_t last = (int64_t)h->base_sequence + h->last_offset_delta;
    return (int32_t)(last > INT32_MAX ? last - INT32_MAX - 1 : last);
}

static bool in_sequence(int32_t last_seq, int32_t first_seq)
{
    return last_seq == INT32_MAX ? first_seq == 0 : (int64_t)first_seq == (int64_t)last_seq + 1;
}

enum kelp_producer_check kelp_producer_state_check(const kelp_producer_state *ps, const kelp_batch_header *h,
                                                   int64_t *dup_first, int64_t *dup_last)
{
    if (h->producer_id < 0)
        return KELP_PRODUCER_OK;
    const kelp_producer *e = find(ps, h->producer_id);
    if (!e)
        return KELP_PRODUCER_OK;
    bool transactional = (h->attributes & KELP_BATCH_ATTR_TRANSACTIONAL) != 0;
    if (h->producer_epoch < e->epoch)
        return KELP_PRODUCER_INVALID_EPOCH;
    if (h->producer_epoch == e->epoch) {
        int32_t last = batch_last_seq(h);
        for (uint8_t i = 0; i < e->batch_count; i++)
            if (e->batches[i].first_seq == h->base_sequence && e->batches[i].last_seq == last) {
                *dup_first = e->batches[i].first_offset;
                *dup_last = e->batches[i].last_offset;
                return KELP_PRODUCER_DUPLICATE;
            }
    }
    if (!transactional && e->txn_first_offset >= 0)
        return KELP_PRODUCER_INVALID_TXN_STATE;
    if (h->producer_epoch != e->epoch)
        return h->base_sequence == 0 ? KELP_PRODUCER_OK : KELP_PRODUCER_OUT_OF_ORDER;
    int32_t last_seq = e->batch_count ? e->batches[e->batch_count - 1].last_seq : -1;
    return in_sequence(last_seq, h->base_sequence) ? KELP_PRODUCER_OK : KELP_PRODUCER_OUT_OF_ORDER;
}

static int span_push(kelp_txn_span **v, size_t *count, size_t *cap, kelp_txn_span span)
{
    if (*count == *cap) {
        size_t n = *cap ? *cap * 2 : 4;
        kelp_txn_span *grown = realloc(*v, n * sizeof(*grown));
        if (!grown)
            return -1;
        *v = grown;
        *cap = n;
    }
    (*v)[(*count)++] = span;
    return 0;
}

/* A marker closes the producer's open transaction. */
static int end_transaction(kelp_producer_state *ps, kelp_producer *e, int64_t marker_offset, int type)
{
    if (e->txn_first_offset < 0)
        return 0;
    for (size_t i = 0; i < ps->open_count; i++)
        if (ps->open[i].producer_id == e->producer_id && ps->open[i].last_offset < 0) {
            ps->open[i].last_offset = marker_offset;
            break;
        }
    int rc = 0;
    if (type == KELP_CONTROL_ABORT)
        rc = span_push(&ps->aborted, &ps->aborted_count, &ps->aborted_cap,
                       (kelp_txn_span){e->producer_id, e->txn_first_offset, marker_offset});
    e->txn_first_offset = -1;
    return rc;
}

int kelp_producer_state_apply(kelp_producer_state *ps, const kelp_batch_header *h, int64_t base_offset,
                              int control_type)
{
    if (h->producer_id < 0)
        return 0;
    kelp_producer *e = find(ps, h->producer_id);
    if (!e) {
        e = calloc(1, sizeof(*e));
        if (!e)
            return -1;
        e->producer_id = h->producer_id;
        e->epoch = h->producer_epoch;
        e->coordinator_epoch = -1;
        e->last_timestamp = -1;
        e->txn_first_offset = -1;
        if (kelp_strmap_put(&ps->producers, &e->producer_id, sizeof(e->producer_id), e) != 0) {
            free(e);
            return -1;
        }
    }
    /* A new epoch forgets the old one's batches (markers may bump it too). */
    if (h->producer_epoch != e->epoch) {
        e->epoch = h->producer_epoch;
        e->batch_count = 0;
    }
    if (h->attributes & KELP_BATCH_ATTR_CONTROL) {
        if (control_type < 0)
            return 0;
        e->last_timestamp = h->max_timestamp;
        return end_transaction(ps, e, base_offset, control_type);
    }
    if (h->base_sequence >= 0) {
        if (e->batch_count == KELP_PRODUCER_BATCHES_KEPT) {
            memmove(&e->batches[0], &e->batches[1], (KELP_PRODUCER_BATCHES_KEPT - 1) * sizeof(e->batches[0]));
            e->batch_count--;
        }
        e->batches[e->batch_count++] = (kelp_producer_batch){
            .first_seq = h->base_sequence,
            .last_seq = batch_last_seq(h),
            .first_offset = base_offset,
            .last_offset = base_offset + h->last_offset_delta,
        };
    }
    e->last_timestamp = h->max_timestamp;
    if ((h->attributes & KELP_BATCH_ATTR_TRANSACTIONAL) && e->txn_first_offset < 0) {
        e->txn_first_offset = base_offset;
        if (span_push(&ps->open, &ps->open_count, &ps->open_cap, (kelp_txn_span){e->producer_id, base_offset, -1}) != 0)
            return -1;
    }
    return 0;
}

int kelp_producer_state_apply_marker(kelp_producer_state *ps, const kelp_batch_header *h, int64_t base_offset,
                                     int control_type, int32_t coordinator_epoch)
{
    int rc = kelp_producer_state_apply(ps, h, base_offset, control_type);
    kelp_producer *e = h->producer_id >= 0 ? find(ps, h->producer_id) : NULL;
    if (rc == 0 && e && control_type >= 0)
        e->coordinator_epoch = coordinator_epoch;
    return rc;
}

int64_t kelp_producer_state_lso(kelp_producer_state *ps, int64_t high_watermark)
{
    int64_t lso = high_watermark;
    size_t kept = 0;
    for (size_t i = 0; i < ps->open_count; i++) {
        kelp_txn_span s = ps->open[i];
        /* Ended and its marker durable: stable for good. */
        if (s.last_offset >= 0 && s.last_offset < high_watermark)
            continue;
        if (s.first_offset < lso)
            lso = s.first_offset;
        ps->open[kept++] = s;
    }
    ps->open_count = kept;
    return lso;
}

void kelp_producer_state_aborted(kelp_producer_state *ps, int64_t log_start, int64_t from, int64_t upto,
                                 int (*fn)(void *ctx, const kelp_txn_span *span), void *ctx)
{
    size_t gone = 0;
    while (gone < ps->aborted_count && ps->aborted[gone].last_offset < log_start)
        gone++;
    if (gone) {
        memmove(ps->aborted, ps->aborted + gone, (ps->aborted_count - gone) * sizeof(*ps->aborted));
        ps->aborted_count -= gone;
    }
    /* Markers are appended in offset order: find the first at or after from. */
    size_t lo = 0, hi = ps->aborted_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ps->aborted[mid].last_offset < from)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t i = lo; i < ps->aborted_count; i++)
        if (ps->aborted[i].first_offset < upto && fn(ctx, &ps->aborted[i]) != 0)
            return;
}

size_t kelp_producer_state_expire(kelp_producer_state *ps, int64_t now_ms, int64_t expiration_ms)
{
    size_t removed = 0;
    bool again = true;
    /* The map cannot change during a walk: remove one, then walk again. */
    while (again) {
        again = false;
        size_t pos = 0;
        const char *key;
        size_t len;
        void *value;
        while (kelp_strmap_next(&ps->producers, &pos, &key, &len, &value)) {
            kelp_producer *e = value;
            if (e->txn_first_offset < 0 && e->last_timestamp >= 0 && now_ms - e->last_timestamp > expiration_ms) {
                kelp_strmap_remove(&ps->producers, &e->producer_id, sizeof(e->producer_id));
                free(e);
                removed++;
                again = true;
                break;
            }
        }
    }
    return removed;
}
