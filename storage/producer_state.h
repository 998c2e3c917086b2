/* Idempotent and transactional producers as a partition sees them: per
 * producer id its epoch, the sequences and offsets of its last five batches
 * (so a retried batch is recognised and answered with its first offset),
 * and its open transaction; per partition the transactions not yet stable
 * and the aborted ones (the last stable offset and read_committed fetches
 * come from them). Everything here is derived from the log: appends update
 * it, and a partition's recovery rebuilds it by walking the batch headers.
 * Loop thread only. */
#ifndef KELP_STORAGE_PRODUCER_STATE_H
#define KELP_STORAGE_PRODUCER_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "records/record_batch.h"
#include "util/strmap.h"

/* Kafka's ProducerStateEntry.NumBatchesToRetain. */
#define KELP_PRODUCER_BATCHES_KEPT 5

typedef struct kelp_producer_batch {
    int32_t first_seq, last_seq;
    int64_t first_offset, last_offset;
} kelp_producer_batch;

typedef struct kelp_producer {
    int64_t producer_id;
    int16_t epoch;
    int32_t coordinator_epoch; /* of its last marker; -1 none */
    int64_t last_timestamp;    /* max timestamp of its last batch; -1 */
    int64_t txn_first_offset;  /* first offset of its open transaction; -1 */
    uint8_t batch_count;       /* batches[0] is the oldest */
    kelp_producer_batch batches[KELP_PRODUCER_BATCHES_KEPT];
} kelp_producer;

/* A transaction's span in the log: from its first batch to its marker
 * (last_offset -1 while the marker is not written). */
typedef struct kelp_txn_span {
    int64_t producer_id;
    int64_t first_offset;
    int64_t last_offset;
} kelp_txn_span;

typedef struct kelp_producer_state {
    kelp_strmap producers; /* 8-byte producer id -> kelp_producer */
    kelp_txn_span *open;   /* open, or ended by a marker not yet durable; by first offset */
    size_t open_count, open_cap;
    kelp_txn_span *aborted; /* by marker offset */
    size_t aborted_count, aborted_cap;
} kelp_producer_state;

enum kelp_producer_check {
    KELP_PRODUCER_OK = 0,
    KELP_PRODUCER_DUPLICATE,         /* the batch is stored already: answer with its offsets */
    KELP_PRODUCER_OUT_OF_ORDER,      /* OUT_OF_ORDER_SEQUENCE_NUMBER */
    KELP_PRODUCER_INVALID_EPOCH,     /* INVALID_PRODUCER_EPOCH: an older epoch than the log's */
    KELP_PRODUCER_INVALID_TXN_STATE, /* INVALID_TXN_STATE: a plain batch inside an open transaction */
};

void kelp_producer_state_init(kelp_producer_state *ps);
void kelp_producer_state_free(kelp_producer_state *ps);

/* Whether a produced (non-control) batch may be appended; on DUPLICATE the
 * stored batch's first and last offsets. */
enum kelp_producer_check kelp_producer_state_check(const kelp_producer_state *ps, const kelp_batch_header *h,
                                                   int64_t *dup_first, int64_t *dup_last);
/* Records an appended batch at base_offset; control_type is the marker
 * type of a control batch (-1 otherwise). -1 when out of memory. */
int kelp_producer_state_apply(kelp_producer_state *ps, const kelp_batch_header *h, int64_t base_offset,
                              int control_type);

/* The same for a marker, recording the coordinator epoch it carries. */
int kelp_producer_state_apply_marker(kelp_producer_state *ps, const kelp_batch_header *h, int64_t base_offset,
                                     int control_type, int32_t coordinator_epoch);

/* The last stable offset: the high watermark, or the first offset of the
 * oldest transaction that is open or whose marker is not yet durable. */
int64_t kelp_producer_state_lso(kelp_producer_state *ps, int64_t high_watermark);

/* Aborted transactions a read_committed fetch of [from, upto) must know:
 * those whose marker is at or after from and whose first offset is below
 * upto. Calls fn for each; stops early when it returns non-zero. Entries
 * wholly below log_start are dropped on the way. */
void kelp_producer_state_aborted(kelp_producer_state *ps, int64_t log_start, int64_t from, int64_t upto,
                                 int (*fn)(void *ctx, const kelp_txn_span *span), void *ctx);

/* Forgets producers idle (by their last batch's timestamp) longer than
 * expiration_ms that have no open transaction, as Kafka's
 * producer.id.expiration.ms; returns how many. */
size_t kelp_producer_state_expire(kelp_producer_state *ps, int64_t now_ms, int64_t expiration_ms);

const kelp_producer *kelp_producer_state_get(const kelp_producer_state *ps, int64_t producer_id);
/* Iteration as kelp_strmap_next. */
bool kelp_producer_state_next(const kelp_producer_state *ps, size_t *pos, const kelp_producer **out);
/* The sequence number of the producer's last batch's last record; -1 none. */
static inline int32_t kelp_producer_last_sequence(const kelp_producer *e)
{
    return e->batch_count ? e->batches[e->batch_count - 1].last_seq : -1;
}

#endif
