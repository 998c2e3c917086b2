/* Rewriting a batch without some of its records (compaction). The kept
 * records are copied byte for byte, so their offset and timestamp deltas,
 * keys, values and headers stay exactly as produced; the batch keeps its
 * base offset, last offset delta, producer fields and codec. */
#include "records/batch_filter.h"

#include <string.h>

#include "records/byte_order.h"
#include "records/compression.h"
#include "records/crc32c.h"

#define KELP_BATCH_OFF_RECORD_COUNT 57

int kelp_batch_filter(const uint8_t *batch, size_t len, kelp_record_keep_fn keep, void *ctx, kelp_buf *scratch,
                      kelp_buf *kept, kelp_buf *out)
{
    kelp_record_iter it;
    if (kelp_record_iter_init(&it, batch, len, scratch) != KELP_BATCH_OK)
        return -1;
    kelp_buf_clear(kept);
    int32_t kept_count = 0, total = 0;
    int64_t max_ts = -1;
    for (;;) {
        const uint8_t *start = it.pos;
        kelp_record r;
        int rc = kelp_record_iter_next(&it, &r);
        if (rc < 0)
            return -1;
        if (rc == 0)
            break;
        total++;
        /* Wrapping, not overflowing, on a corrupt base offset. */
        int64_t offset = (int64_t)((uint64_t)it.header.base_offset + (uint64_t)(int64_t)r.offset_delta);
        int64_t ts = kelp_record_timestamp(&it.header, &r);
        if (!keep(ctx, &r, offset, ts))
            continue;
        if (!kelp_buf_append(kept, start, (size_t)(it.pos - start)))
            return -1;
        kept_count++;
        if (ts > max_ts)
            max_ts = ts;
    }
    if (kept_count == total)
        return KELP_FILTER_ALL;
    if (kept_count == 0)
        return KELP_FILTER_NONE;

    size_t at = out->len;
    if (!kelp_buf_append(out, batch, KELP_BATCH_HEADER_SIZE))
        return -1;
    int codec = it.header.attributes & KELP_BATCH_ATTR_COMPRESSION_MASK;
    if (kelp_compress(codec, kept->data, kept->len, out) != KELP_DECOMPRESS_OK) {
        out->len = at;
        return -1;
    }
    uint8_t *b = out->data + at;
    size_t blen = out->len - at;
    kelp_put_be32(b + KELP_BATCH_OFF_LENGTH, (uint32_t)(blen - KELP_BATCH_LOG_OVERHEAD));
    kelp_put_be32(b + KELP_BATCH_OFF_RECORD_COUNT, (uint32_t)kept_count);
    if (!(it.header.attributes & KELP_BATCH_ATTR_LOG_APPEND_TIME))
        kelp_put_be64(b + KELP_BATCH_OFF_MAX_TIMESTAMP, (uint64_t)max_ts);
    uint32_t crc = kelp_crc32c(0, b + KELP_BATCH_OFF_ATTRIBUTES, blen - KELP_BATCH_OFF_ATTRIBUTES);
    kelp_put_be32(b + KELP_BATCH_OFF_CRC, crc);
    return KELP_FILTER_SOME;
}
