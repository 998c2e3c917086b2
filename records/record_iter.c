/* Record iteration inside one batch (decompressing when needed) and the
 * timestamp lookups built on it. */
#include "records/record_batch.h"

#include <stdbool.h>

#include "records/compression.h"

/* Zigzag varints as Kafka writes them inside records. */
static int read_varlong(const uint8_t **pp, const uint8_t *end, int64_t *out)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 70; shift += 7) {
        if (*pp >= end)
            return -1;
        uint8_t b = *(*pp)++;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = (int64_t)((v >> 1) ^ (~(v & 1) + 1));
            return 0;
        }
    }
    return -1;
}

static int read_varint(const uint8_t **pp, const uint8_t *end, int32_t *out)
{
    const uint8_t *start = *pp;
    int64_t v;
    if (read_varlong(pp, end, &v) != 0 || *pp - start > 5 || v < INT32_MIN || v > INT32_MAX)
        return -1;
    *out = (int32_t)v;
    return 0;
}

/* A length-prefixed byte string; -1 means null when allow_null. */
static int read_bytes(const uint8_t **pp, const uint8_t *end, bool allow_null, const uint8_t **data, int32_t *len)
{
    if (read_varint(pp, end, len) != 0)
        return -1;
    if (*len < 0) {
        if (*len != -1 || !allow_null)
            return -1;
        *data = NULL;
        return 0;
    }
    if ((size_t)(end - *pp) < (size_t)*len)
        return -1;
    *data = *pp;
    *pp += *len;
    return 0;
}

enum kelp_batch_status kelp_record_iter_init(kelp_record_iter *it, const uint8_t *batch, size_t len,
                                             kelp_buf *scratch)
{
    if (len <= KELP_BATCH_OFF_MAGIC)
        return KELP_BATCH_CORRUPT;
    if (kelp_batch_header_parse(batch, len, &it->header) != 0)
        return len < KELP_BATCH_HEADER_SIZE ? KELP_BATCH_CORRUPT : KELP_BATCH_UNSUPPORTED_MAGIC;
    if (it->header.batch_length < KELP_BATCH_HEADER_SIZE - KELP_BATCH_LOG_OVERHEAD ||
        (size_t)it->header.batch_length + KELP_BATCH_LOG_OVERHEAD > len)
        return KELP_BATCH_CORRUPT;
    const uint8_t *records = batch + KELP_BATCH_HEADER_SIZE;
    size_t records_len = (size_t)it->header.batch_length + KELP_BATCH_LOG_OVERHEAD - KELP_BATCH_HEADER_SIZE;
    it->remaining = it->header.record_count < 0 ? 0 : it->header.record_count;
    int codec = it->header.attributes & KELP_BATCH_ATTR_COMPRESSION_MASK;
    if (codec == KELP_COMPRESSION_NONE) {
        it->pos = records;
        it->end = records + records_len;
        return KELP_BATCH_OK;
    }
    kelp_buf_clear(scratch);
    int rc = kelp_decompress(codec, records, records_len, KELP_BATCH_MAX_DECOMPRESSED, scratch);
    if (rc == KELP_DECOMPRESS_UNSUPPORTED)
        return KELP_BATCH_UNSUPPORTED_COMPRESSION;
    if (rc != KELP_DECOMPRESS_OK)
        return KELP_BATCH_CORRUPT;
    /* Empty output leaves scratch without storage: point at nothing real. */
    it->pos = scratch->len ? scratch->data : records;
    it->end = scratch->len ? scratch->data + scratch->len : records;
    return KELP_BATCH_OK;
}

int kelp_record_iter_next(kelp_record_iter *it, kelp_record *r)
{
    if (it->remaining == 0)
        return 0;
    const uint8_t *p = it->pos;
    int32_t size;
    if (read_varint(&p, it->end, &size) != 0 || size <= 0 || (size_t)(it->end - p) < (size_t)size)
        return -1;
    const uint8_t *end = p + size;
    r->attributes = (int8_t)*p++;
    if (read_varlong(&p, end, &r->timestamp_delta) != 0 || read_varint(&p, end, &r->offset_delta) != 0 ||
        read_bytes(&p, end, true, &r->key, &r->key_len) != 0 ||
        read_bytes(&p, end, true, &r->value, &r->value_len) != 0 || read_varint(&p, end, &r->header_count) != 0 ||
        r->header_count < 0)
        return -1;
    r->headers = p;
    r->headers_len = (size_t)(end - p);
    /* Every header needs at least two bytes, so a bogus count fails fast. */
    if ((size_t)r->header_count > r->headers_len / 2 + 1)
        return -1;
    const uint8_t *hp = p;
    kelp_record_header h;
    for (int32_t i = 0; i < r->header_count; i++)
        if (kelp_record_header_next(&hp, end, &h) != 1)
            return -1;
    if (hp != end)
        return -1;
    it->pos = end;
    it->remaining--;
    return 1;
}

int kelp_record_header_next(const uint8_t **pos, const uint8_t *end, kelp_record_header *h)
{
    if (*pos >= end)
        return 0;
    if (read_bytes(pos, end, false, &h->key, &h->key_len) != 0 ||
        read_bytes(pos, end, true, &h->value, &h->value_len) != 0)
        return -1;
    return 1;
}

int64_t kelp_record_timestamp(const kelp_batch_header *h, const kelp_record *r)
{
    if (h->attributes & KELP_BATCH_ATTR_LOG_APPEND_TIME)
        return h->max_timestamp;
    return (int64_t)((uint64_t)h->base_timestamp + (uint64_t)r->timestamp_delta);
}

/* The absolute offset of a record; wraps instead of overflowing on a
 * corrupt base offset (stored bytes are not trusted here). */
static int64_t record_offset(const kelp_batch_header *h, const kelp_record *r)
{
    return (int64_t)((uint64_t)h->base_offset + (uint64_t)(int64_t)r->offset_delta);
}

int kelp_batch_find_timestamp(const uint8_t *batch, size_t len, int64_t target_ts, int64_t min_offset, int64_t *offset,
                              int64_t *ts)
{
    kelp_buf scratch;
    kelp_buf_init(&scratch);
    kelp_record_iter it;
    int found = -1;
    if (kelp_record_iter_init(&it, batch, len, &scratch) == KELP_BATCH_OK) {
        kelp_record r;
        int rc;
        found = 0;
        while ((rc = kelp_record_iter_next(&it, &r)) == 1) {
            int64_t t = kelp_record_timestamp(&it.header, &r);
            if (t >= target_ts && record_offset(&it.header, &r) >= min_offset) {
                *offset = record_offset(&it.header, &r);
                *ts = t;
                found = 1;
                break;
            }
        }
        if (rc < 0)
            found = -1;
    }
    kelp_buf_free(&scratch);
    return found;
}

int kelp_batch_max_timestamp_offset(const uint8_t *batch, size_t len, int64_t *offset, int64_t *ts)
{
    kelp_buf scratch;
    kelp_buf_init(&scratch);
    kelp_record_iter it;
    int found = -1;
    if (kelp_record_iter_init(&it, batch, len, &scratch) == KELP_BATCH_OK) {
        kelp_record r;
        int rc;
        found = 0;
        while ((rc = kelp_record_iter_next(&it, &r)) == 1) {
            int64_t t = kelp_record_timestamp(&it.header, &r);
            if (found == 0 || t > *ts) {
                *offset = record_offset(&it.header, &r);
                *ts = t;
                found = 1;
            }
        }
        if (rc < 0)
            found = -1;
    }
    kelp_buf_free(&scratch);
    return found;
}
