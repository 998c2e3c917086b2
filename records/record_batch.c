/* Batch header parsing and validation of produced record batches. */
#include "records/record_batch.h"

#include "records/byte_order.h"
#include "records/compression.h"
#include "records/crc32c.h"

/* batchLength counts everything after itself: header rest plus records. */
#define MIN_BATCH_LENGTH (KELP_BATCH_HEADER_SIZE - KELP_BATCH_LOG_OVERHEAD)

int kelp_batch_header_parse(const uint8_t *p, size_t len, kelp_batch_header *h)
{
    if (len < KELP_BATCH_HEADER_SIZE || p[KELP_BATCH_OFF_MAGIC] != 2)
        return -1;
    h->base_offset = (int64_t)kelp_be64(p);
    h->batch_length = (int32_t)kelp_be32(p + 8);
    h->partition_leader_epoch = (int32_t)kelp_be32(p + 12);
    h->magic = (int8_t)p[16];
    h->crc = kelp_be32(p + 17);
    h->attributes = (int16_t)kelp_be16(p + 21);
    h->last_offset_delta = (int32_t)kelp_be32(p + 23);
    h->base_timestamp = (int64_t)kelp_be64(p + 27);
    h->max_timestamp = (int64_t)kelp_be64(p + 35);
    h->producer_id = (int64_t)kelp_be64(p + 43);
    h->producer_epoch = (int16_t)kelp_be16(p + 51);
    h->base_sequence = (int32_t)kelp_be32(p + 53);
    h->record_count = (int32_t)kelp_be32(p + 57);
    return 0;
}

enum kelp_batch_status kelp_batch_check_crc(const uint8_t *batch, size_t len)
{
    if (len < KELP_BATCH_HEADER_SIZE)
        return KELP_BATCH_CORRUPT;
    if (batch[KELP_BATCH_OFF_MAGIC] != 2)
        return KELP_BATCH_UNSUPPORTED_MAGIC;
    int32_t batch_length = (int32_t)kelp_be32(batch + KELP_BATCH_OFF_LENGTH);
    if (batch_length < MIN_BATCH_LENGTH || (size_t)batch_length + KELP_BATCH_LOG_OVERHEAD != len)
        return KELP_BATCH_CORRUPT;
    uint32_t crc = kelp_crc32c(0, batch + KELP_BATCH_OFF_ATTRIBUTES, len - KELP_BATCH_OFF_ATTRIBUTES);
    return crc == kelp_be32(batch + KELP_BATCH_OFF_CRC) ? KELP_BATCH_OK : KELP_BATCH_CORRUPT;
}

void kelp_batch_set_log_append_time(uint8_t *batch, size_t len, int64_t append_ms)
{
    uint16_t attrs = kelp_be16(batch + KELP_BATCH_OFF_ATTRIBUTES);
    kelp_put_be16(batch + KELP_BATCH_OFF_ATTRIBUTES, (uint16_t)(attrs | KELP_BATCH_ATTR_LOG_APPEND_TIME));
    kelp_put_be64(batch + KELP_BATCH_OFF_MAX_TIMESTAMP, (uint64_t)append_ms);
    uint32_t crc = kelp_crc32c(0, batch + KELP_BATCH_OFF_ATTRIBUTES, len - KELP_BATCH_OFF_ATTRIBUTES);
    kelp_put_be32(batch + KELP_BATCH_OFF_CRC, crc);
}

/* Walks every record of one batch, checking framing (headers included) and
 * offset deltas. */
static enum kelp_batch_status check_records(const uint8_t *batch, size_t len, kelp_buf *scratch, int64_t *keyless)
{
    kelp_record_iter it;
    enum kelp_batch_status st = kelp_record_iter_init(&it, batch, len, scratch);
    if (st != KELP_BATCH_OK)
        return st;
    kelp_record r;
    int32_t expected = 0;
    int rc;
    while ((rc = kelp_record_iter_next(&it, &r)) == 1) {
        if (r.offset_delta != expected)
            return KELP_BATCH_INVALID_RECORD;
        if (r.key_len < 0)
            (*keyless)++;
        expected++;
    }
    if (rc < 0 || it.pos != it.end)
        return KELP_BATCH_INVALID_RECORD;
    return KELP_BATCH_OK;
}

static enum kelp_batch_status validate_one(const uint8_t *p, size_t len, int32_t max_batch_bytes, size_t *size,
                                           kelp_buf *scratch, kelp_batch_header *h, int64_t *keyless)
{
    if (len <= KELP_BATCH_OFF_MAGIC)
        return KELP_BATCH_CORRUPT;
    /* Legacy message sets keep their magic byte at the same position. */
    if (p[KELP_BATCH_OFF_MAGIC] != 2)
        return KELP_BATCH_UNSUPPORTED_MAGIC;
    if (len < KELP_BATCH_HEADER_SIZE)
        return KELP_BATCH_CORRUPT;
    kelp_batch_header_parse(p, len, h);
    if (h->batch_length < MIN_BATCH_LENGTH)
        return KELP_BATCH_CORRUPT;
    size_t total = (size_t)h->batch_length + KELP_BATCH_LOG_OVERHEAD;
    if (max_batch_bytes >= 0 && total > (size_t)max_batch_bytes)
        return KELP_BATCH_TOO_LARGE;
    if (total > len)
        return KELP_BATCH_CORRUPT;
    *size = total;
    enum kelp_batch_status st = kelp_batch_check_crc(p, total);
    if (st != KELP_BATCH_OK)
        return st;
    if ((h->attributes & KELP_BATCH_ATTR_COMPRESSION_MASK) > KELP_COMPRESSION_ZSTD)
        return KELP_BATCH_UNSUPPORTED_COMPRESSION;
    if (h->record_count <= 0 || h->last_offset_delta != h->record_count - 1)
        return KELP_BATCH_INVALID_RECORD;
    return check_records(p, total, scratch, keyless);
}

enum kelp_batch_status kelp_batches_validate(const uint8_t *p, size_t len, int32_t max_batch_bytes,
                                             kelp_batches_info *info)
{
    kelp_batches_info local = {0, 0, -1, -1, 0};
    kelp_buf scratch;
    kelp_buf_init(&scratch);
    enum kelp_batch_status st = len == 0 ? KELP_BATCH_CORRUPT : KELP_BATCH_OK;
    size_t pos = 0;
    while (st == KELP_BATCH_OK && pos < len) {
        kelp_batch_header h;
        size_t size = 0;
        st = validate_one(p + pos, len - pos, max_batch_bytes, &size, &scratch, &h, &local.keyless_records);
        if (st != KELP_BATCH_OK)
            break;
        if (local.batch_count == 0)
            local.first_timestamp = h.base_timestamp;
        if (h.max_timestamp > local.max_timestamp)
            local.max_timestamp = h.max_timestamp;
        local.batch_count++;
        local.record_count += h.record_count;
        pos += size;
    }
    kelp_buf_free(&scratch);
    if (info)
        *info = local;
    return st;
}
