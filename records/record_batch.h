/* Kafka record batches, magic 2: header access, validation of produced
 * payloads, and a record iterator. Stored bytes are never modified here. */
#ifndef KELP_RECORDS_RECORD_BATCH_H
#define KELP_RECORDS_RECORD_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

#define KELP_BATCH_HEADER_SIZE 61  /* bytes before the first record */
#define KELP_BATCH_LOG_OVERHEAD 12 /* baseOffset(8) + batchLength(4) */

/* Field positions inside a batch. */
#define KELP_BATCH_OFF_BASE_OFFSET 0
#define KELP_BATCH_OFF_LENGTH 8
#define KELP_BATCH_OFF_LEADER_EPOCH 12
#define KELP_BATCH_OFF_MAGIC 16
#define KELP_BATCH_OFF_CRC 17
#define KELP_BATCH_OFF_ATTRIBUTES 21 /* the CRC covers from here to the end */
#define KELP_BATCH_OFF_LAST_OFFSET_DELTA 23
#define KELP_BATCH_OFF_MAX_TIMESTAMP 35

#define KELP_BATCH_ATTR_COMPRESSION_MASK 0x07
#define KELP_BATCH_ATTR_LOG_APPEND_TIME 0x08
#define KELP_BATCH_ATTR_TRANSACTIONAL 0x10
#define KELP_BATCH_ATTR_CONTROL 0x20

typedef struct kelp_batch_header {
    int64_t base_offset;
    int32_t batch_length;
    int32_t partition_leader_epoch;
    int8_t magic;
    uint32_t crc;
    int16_t attributes;
    int32_t last_offset_delta;
    int64_t base_timestamp;
    int64_t max_timestamp;
    int64_t producer_id;
    int16_t producer_epoch;
    int32_t base_sequence;
    int32_t record_count;
} kelp_batch_header;

/* 0 ok, -1 too short or magic other than 2. Checks nothing else. */
int kelp_batch_header_parse(const uint8_t *p, size_t len, kelp_batch_header *h);

/* compression = attributes & 7 (0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd);
 * timestamp type bit 3; transactional bit 4; control bit 5. */
enum kelp_batch_status {
    KELP_BATCH_OK = 0,
    KELP_BATCH_CORRUPT,                 /* -> Kafka CORRUPT_MESSAGE 2 */
    KELP_BATCH_INVALID_RECORD,          /* -> INVALID_RECORD 87 */
    KELP_BATCH_UNSUPPORTED_MAGIC,       /* -> UNSUPPORTED_FOR_MESSAGE_FORMAT 43 */
    KELP_BATCH_TOO_LARGE,               /* -> MESSAGE_TOO_LARGE 10 */
    KELP_BATCH_UNSUPPORTED_COMPRESSION, /* -> UNSUPPORTED_COMPRESSION_TYPE 76 */
};

typedef struct kelp_batches_info {
    int32_t batch_count;
    int64_t record_count;
    int64_t max_timestamp;
    int64_t first_timestamp; /* base timestamp of the first batch */
    int64_t keyless_records; /* records with a null key (a compacted topic refuses them) */
} kelp_batches_info;

/* Upper bound for one batch's decompressed records: a guard against
 * compression bombs, far above anything a producer legitimately sends. */
#define KELP_BATCH_MAX_DECOMPRESSED (256u * 1024 * 1024)

/* Validates a produce payload: whole v2 batches only, batchLength consistent,
 * CRC-32C over attributes..end, lastOffsetDelta == recordCount-1 >= 0, each
 * batch <= max_batch_bytes; the records inside are parsed and checked
 * (varint framing, offset deltas 0..n-1, lengths), decompressing compressed
 * batches to do so. Bytes are never modified. info may be NULL. */
enum kelp_batch_status kelp_batches_validate(const uint8_t *p, size_t len, int32_t max_batch_bytes,
                                             kelp_batches_info *info);

/* Header sanity and CRC of one whole batch (what recovery checks). */
enum kelp_batch_status kelp_batch_check_crc(const uint8_t *batch, size_t len);
/* Stamps one whole, valid batch with the broker's time (a topic with
 * message.timestamp.type=LogAppendTime): sets the timestamp-type attribute
 * and the max timestamp, and recomputes the CRC, as Kafka does. Readers then
 * take every record's timestamp from the batch. */
void kelp_batch_set_log_append_time(uint8_t *batch, size_t len, int64_t append_ms);

/* One record as it appears inside a batch; pointers refer to the batch
 * (or to the iterator's scratch buffer for compressed batches). */
typedef struct kelp_record {
    int8_t attributes;
    int64_t timestamp_delta;
    int32_t offset_delta;
    const uint8_t *key;
    int32_t key_len; /* -1: null key */
    const uint8_t *value;
    int32_t value_len; /* -1: null value */
    int32_t header_count;
    const uint8_t *headers; /* header_count encoded headers; see kelp_record_header_next */
    size_t headers_len;
} kelp_record;

typedef struct kelp_record_header {
    const uint8_t *key;
    int32_t key_len;
    const uint8_t *value;
    int32_t value_len; /* -1: null value */
} kelp_record_header;

typedef struct kelp_record_iter {
    kelp_batch_header header;
    const uint8_t *pos, *end;
    int32_t remaining;
} kelp_record_iter;

/* Starts iterating one whole batch, decompressing into scratch (cleared
 * first) when the batch is compressed. The CRC is not checked. */
enum kelp_batch_status kelp_record_iter_init(kelp_record_iter *it, const uint8_t *batch, size_t len,
                                             kelp_buf *scratch);
/* 1 with *r filled, 0 after the last record, -1 when the records are malformed. */
int kelp_record_iter_next(kelp_record_iter *it, kelp_record *r);
/* Walks r->headers: 1 with *h filled, 0 at the end, -1 malformed. */
int kelp_record_header_next(const uint8_t **pos, const uint8_t *end, kelp_record_header *h);

/* Timestamp of a record of this batch (LogAppendTime batches carry one for all). */
int64_t kelp_record_timestamp(const kelp_batch_header *h, const kelp_record *r);

/* First record at or after min_offset with timestamp >= target_ts: 1 found
 * (*offset, *ts set), 0 none in batch, -1 corrupt. */
int kelp_batch_find_timestamp(const uint8_t *batch, size_t len, int64_t target_ts, int64_t min_offset, int64_t *offset,
                              int64_t *ts);
/* The record holding the batch's largest timestamp (the first one on ties):
 * 1 found, 0 empty batch, -1 corrupt. */
int kelp_batch_max_timestamp_offset(const uint8_t *batch, size_t len, int64_t *offset, int64_t *ts);

#endif
