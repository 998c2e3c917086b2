/* Transaction markers: the control batches a transaction coordinator writes
 * to each partition of a transaction when it commits or aborts. */
#ifndef KELP_RECORDS_CONTROL_BATCH_H
#define KELP_RECORDS_CONTROL_BATCH_H

#include <stddef.h>
#include <stdint.h>

enum kelp_control_type {
    KELP_CONTROL_ABORT = 0,
    KELP_CONTROL_COMMIT = 1,
};

/* Bytes of a marker batch: header plus one record with a 4-byte key and a
 * 6-byte value. */
#define KELP_CONTROL_BATCH_SIZE 78

/* Writes a marker batch (base offset 0; the log assigns it) into
 * out[KELP_CONTROL_BATCH_SIZE], CRC included. */
void kelp_control_batch_build(uint8_t out[KELP_CONTROL_BATCH_SIZE], int64_t producer_id, int16_t producer_epoch,
                              enum kelp_control_type type, int32_t coordinator_epoch, int64_t timestamp_ms);

/* The marker type of a whole control batch: 0 abort, 1 commit, -1 when the
 * batch is not a control batch or its first record key is not a marker. */
int kelp_control_batch_type(const uint8_t *batch, size_t len);
/* The same, and the coordinator epoch the marker's value carries (-1 when
 * the value is too short to hold one). */
int kelp_control_batch_parse(const uint8_t *batch, size_t len, int32_t *coordinator_epoch);

#endif
