/* Fuzz target: record batches as a producer sends them and as the log
 * stores them: validation (CRC, framing, records, decompression), the
 * record and header iterators, timestamp look-ups, control markers,
 * compaction's filter and LogAppendTime stamping.
 *
 * Byte 0 holds flags: bit 0 recomputes each batch's CRC-32C first, so that
 * mutations get past the checksum into the record parsing. The rest is a
 * produce payload: whole batches, back to back. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/fuzz_util.h"
#include "records/batch_filter.h"
#include "records/control_batch.h"
#include "records/crc32c.h"
#include "records/record_batch.h"
#include "util/buf.h"

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* The whole batch at p (its batchLength), 0 when it does not fit. */
static size_t batch_size(const uint8_t *p, size_t len)
{
    if (len < KELP_BATCH_LOG_OVERHEAD)
        return 0;
    uint32_t n = get32(p + KELP_BATCH_OFF_LENGTH);
    if (n > len - KELP_BATCH_LOG_OVERHEAD)
        return 0;
    return KELP_BATCH_LOG_OVERHEAD + (size_t)n;
}

static void fix_crcs(uint8_t *p, size_t len)
{
    for (size_t off = 0, n; off < len && (n = batch_size(p + off, len - off)) != 0; off += n)
        if (n > KELP_BATCH_OFF_ATTRIBUTES)
            put32(p + off + KELP_BATCH_OFF_CRC,
                  kelp_crc32c(0, p + off + KELP_BATCH_OFF_ATTRIBUTES, n - KELP_BATCH_OFF_ATTRIBUTES));
}

/* Keeps every other record, so that a filtered batch gets rebuilt. */
static bool keep_alternate(void *ctx, const kelp_record *r, int64_t offset, int64_t timestamp)
{
    (void)r;
    (void)timestamp;
    unsigned *calls = ctx;
    /* Unsigned: a corrupt batch's offsets may be anywhere in int64_t. */
    return ((uint64_t)offset + (*calls)++) % 2 == 0;
}

static void walk_batch(const uint8_t *batch, size_t len, bool validated)
{
    kelp_batch_header h;
    (void)kelp_batch_header_parse(batch, len, &h);
    (void)kelp_batch_check_crc(batch, len);

    kelp_buf scratch;
    kelp_buf_init(&scratch);
    kelp_record_iter it;
    if (kelp_record_iter_init(&it, batch, len, &scratch) == KELP_BATCH_OK) {
        kelp_record r;
        while (kelp_record_iter_next(&it, &r) == 1) {
            (void)kelp_record_timestamp(&it.header, &r);
            const uint8_t *pos = r.headers, *end = r.headers + r.headers_len;
            kelp_record_header rh;
            for (int32_t i = 0; i < r.header_count && kelp_record_header_next(&pos, end, &rh) == 1; i++)
                ;
        }
    }

    int64_t offset, ts;
    (void)kelp_batch_find_timestamp(batch, len, 0, 0, &offset, &ts);
    (void)kelp_batch_find_timestamp(batch, len, INT64_MAX, INT64_MIN, &offset, &ts);
    (void)kelp_batch_max_timestamp_offset(batch, len, &offset, &ts);
    int32_t coordinator_epoch;
    (void)kelp_control_batch_type(batch, len);
    (void)kelp_control_batch_parse(batch, len, &coordinator_epoch);

    kelp_buf kept, out;
    kelp_buf_init(&kept);
    kelp_buf_init(&out);
    unsigned calls = 0;
    (void)kelp_batch_filter(batch, len, keep_alternate, &calls, &scratch, &kept, &out);
    /* A rebuilt batch replaces the stored one: recovery must accept it. */
    if (validated && out.len && kelp_batch_check_crc(out.data, out.len) != KELP_BATCH_OK)
        abort();
    kelp_buf_free(&out);
    kelp_buf_free(&kept);
    kelp_buf_free(&scratch);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t flags = data[0];
    size_t len = size - 1;
    uint8_t *p = calloc(1, len ? len : 1);
    if (!p)
        return 0;
    if (len)
        memcpy(p, data + 1, len);
    if (flags & 1)
        fix_crcs(p, len);

    kelp_batches_info info;
    enum kelp_batch_status st = kelp_batches_validate(p, len, 1 << 20, &info);
    /* The stored-side readers run on validated batches in the broker, but
     * recovery and fetch read whatever the log holds: walk every batch. */
    for (size_t off = 0, n; off < len && (n = batch_size(p + off, len - off)) != 0; off += n) {
        uint8_t *batch = malloc(n);
        if (!batch)
            break;
        memcpy(batch, p + off, n);
        walk_batch(batch, n, st == KELP_BATCH_OK);
        if (st == KELP_BATCH_OK) {
            kelp_batch_set_log_append_time(batch, n, 1700000000000);
            if (kelp_batch_check_crc(batch, n) != KELP_BATCH_OK)
                abort();
        }
        free(batch);
    }
    free(p);
    return 0;
}
