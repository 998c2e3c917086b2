/* Test helper: builds valid Kafka v2 record batches, optionally compressed
 * with any codec Kafka uses, so tests can produce and store realistic data. */
#ifndef KELP_TEST_BATCH_BUILDER_H
#define KELP_TEST_BATCH_BUILDER_H

#include <stdbool.h>
#include <stdint.h>

#include "util/buf.h"

typedef struct test_record {
    const char *key;   /* NULL: null key */
    const char *value; /* NULL: null value */
    int64_t timestamp;
    const char *header_key; /* one header when set */
    const char *header_value;
    int32_t key_len;   /* > 0: key holds that many binary bytes */
    int32_t value_len; /* > 0: value holds that many binary bytes */
} test_record;

typedef struct test_batch_options {
    int codec;              /* KELP_COMPRESSION_* */
    bool snappy_xerial;     /* frame snappy as Kafka's Java client does */
    bool log_append_time;   /* timestamp type bit */
    int64_t base_offset;    /* what a producer sends: normally 0 */
    int64_t producer_id;    /* -1 unless idempotent */
} test_batch_options;

/* Appends one batch holding n records (n >= 1) to out; 0 ok, -1 failure. */
int test_batch_build(kelp_buf *out, const test_batch_options *opt, const test_record *recs, int n);

/* Convenience: an uncompressed batch of n records "k<i>"/"v<i>" with
 * timestamps ts0, ts0+1, ... */
int test_batch_simple(kelp_buf *out, int n, int64_t ts0);

/* Recomputes the CRC of the batch at p after a test edited its fields. */
void test_batch_fix_crc(uint8_t *p);

#endif
