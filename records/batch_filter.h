/* Dropping records from a stored batch, for compaction. */
#ifndef KELP_RECORDS_BATCH_FILTER_H
#define KELP_RECORDS_BATCH_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "records/record_batch.h"
#include "util/buf.h"

/* Whether to keep one record; offset is its absolute offset, timestamp its
 * effective timestamp. */
typedef bool (*kelp_record_keep_fn)(void *ctx, const kelp_record *r, int64_t offset, int64_t timestamp);

enum {
    KELP_FILTER_ALL = 0,  /* every record kept: the batch stays as stored, nothing appended */
    KELP_FILTER_NONE = 1, /* no record kept: the batch goes */
    KELP_FILTER_SOME = 2, /* the rebuilt batch was appended to out */
};

/* Runs keep over every record of one whole batch. scratch and kept are
 * work buffers. Returns a KELP_FILTER_* value, or -1 when the batch cannot
 * be read or rebuilt (out unchanged). */
int kelp_batch_filter(const uint8_t *batch, size_t len, kelp_record_keep_fn keep, void *ctx, kelp_buf *scratch,
                      kelp_buf *kept, kelp_buf *out);

#endif
