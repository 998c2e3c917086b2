/* Builds v2 record batches field by field, following Kafka's documented
 * layout, and compresses the records section with the codec libraries. */
#include "t/unit/batch_builder.h"

#include <lz4frame.h>
#include <snappy-c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "records/byte_order.h"
#include "records/compression.h"
#include "records/crc32c.h"
#include "records/record_batch.h"

static void put_varlong(kelp_buf *b, int64_t v)
{
    uint64_t z = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
    while (z >= 0x80) {
        uint8_t c = (uint8_t)(z | 0x80);
        kelp_buf_append(b, &c, 1);
        z >>= 7;
    }
    uint8_t c = (uint8_t)z;
    kelp_buf_append(b, &c, 1);
}

/* len > 0 gives binary bytes (which may hold NULs); else s is a C string. */
static void put_bytes(kelp_buf *b, const char *s, int32_t len)
{
    if (!s) {
        put_varlong(b, -1);
        return;
    }
    size_t n = len > 0 ? (size_t)len : strlen(s);
    put_varlong(b, (int64_t)n);
    kelp_buf_append(b, s, n);
}

static void put_string(kelp_buf *b, const char *s)
{
    put_bytes(b, s, 0);
}

static void put_record(kelp_buf *b, int32_t delta, int64_t ts_delta, const test_record *r)
{
    kelp_buf body;
    kelp_buf_init(&body);
    uint8_t attrs = 0;
    kelp_buf_append(&body, &attrs, 1);
    put_varlong(&body, ts_delta);
    put_varlong(&body, delta);
    put_bytes(&body, r->key, r->key_len);
    put_bytes(&body, r->value, r->value_len);
    if (r->header_key) {
        put_varlong(&body, 1);
        put_string(&body, r->header_key);
        put_string(&body, r->header_value);
    } else {
        put_varlong(&body, 0);
    }
    put_varlong(b, (int64_t)body.len);
    kelp_buf_append(b, body.data, body.len);
    kelp_buf_free(&body);
}

static int compress_gzip(const kelp_buf *in, kelp_buf *out)
{
    z_stream z;
    memset(&z, 0, sizeof(z));
    if (deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return -1;
    size_t bound = deflateBound(&z, (uLong)in->len) + 32;
    uint8_t *dst = kelp_buf_extend(out, bound);
    z.next_in = in->data;
    z.avail_in = (uInt)in->len;
    z.next_out = dst;
    z.avail_out = (uInt)bound;
    int rc = deflate(&z, Z_FINISH);
    out->len -= z.avail_out;
    deflateEnd(&z);
    return rc == Z_STREAM_END ? 0 : -1;
}

static int compress_snappy(const kelp_buf *in, bool xerial, kelp_buf *out)
{
    if (xerial) {
        static const uint8_t header[16] = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0, 0, 0, 0, 1, 0, 0, 0, 1};
        kelp_buf_append(out, header, sizeof(header));
        /* Two blocks, so the block loop is exercised. */
        size_t half = in->len / 2;
        const uint8_t *parts[2] = {in->data, in->data + half};
        size_t sizes[2] = {half, in->len - half};
        for (int i = 0; i < 2; i++) {
            size_t n = snappy_max_compressed_length(sizes[i]);
            uint8_t *len_at = kelp_buf_extend(out, 4);
            size_t at = (size_t)(len_at - out->data);
            uint8_t *dst = kelp_buf_extend(out, n);
            if (snappy_compress((const char *)parts[i], sizes[i], (char *)dst, &n) != SNAPPY_OK)
                return -1;
            out->len = at + 4 + n;
            kelp_put_be32(out->data + at, (uint32_t)n);
        }
        return 0;
    }
    size_t n = snappy_max_compressed_length(in->len);
    size_t at = out->len;
    uint8_t *dst = kelp_buf_extend(out, n);
    if (snappy_compress((const char *)in->data, in->len, (char *)dst, &n) != SNAPPY_OK)
        return -1;
    out->len = at + n;
    return 0;
}

static int compress_lz4(const kelp_buf *in, kelp_buf *out)
{
    size_t bound = LZ4F_compressFrameBound(in->len, NULL);
    size_t at = out->len;
    uint8_t *dst = kelp_buf_extend(out, bound);
    size_t n = LZ4F_compressFrame(dst, bound, in->data, in->len, NULL);
    if (LZ4F_isError(n))
        return -1;
    out->len = at + n;
    return 0;
}

static int compress_zstd(const kelp_buf *in, kelp_buf *out)
{
    size_t bound = ZSTD_compressBound(in->len);
    size_t at = out->len;
    uint8_t *dst = kelp_buf_extend(out, bound);
    size_t n = ZSTD_compress(dst, bound, in->data, in->len, 3);
    if (ZSTD_isError(n))
        return -1;
    out->len = at + n;
    return 0;
}

void test_batch_fix_crc(uint8_t *p)
{
    size_t total = (size_t)kelp_be32(p + KELP_BATCH_OFF_LENGTH) + KELP_BATCH_LOG_OVERHEAD;
    kelp_put_be32(p + KELP_BATCH_OFF_CRC,
                  kelp_crc32c(0, p + KELP_BATCH_OFF_ATTRIBUTES, total - KELP_BATCH_OFF_ATTRIBUTES));
}

int test_batch_build(kelp_buf *out, const test_batch_options *opt, const test_record *recs, int n)
{
    if (n < 1)
        return -1;
    int64_t base_ts = recs[0].timestamp, max_ts = recs[0].timestamp;
    for (int i = 1; i < n; i++)
        if (recs[i].timestamp > max_ts)
            max_ts = recs[i].timestamp;
    kelp_buf plain;
    kelp_buf_init(&plain);
    for (int i = 0; i < n; i++)
        put_record(&plain, i, recs[i].timestamp - base_ts, &recs[i]);

    size_t start = out->len;
    uint8_t *h = kelp_buf_extend(out, KELP_BATCH_HEADER_SIZE);
    if (!h) {
        kelp_buf_free(&plain);
        return -1;
    }
    int rc = 0;
    switch (opt->codec) {
    case KELP_COMPRESSION_NONE: kelp_buf_append(out, plain.data, plain.len); break;
    case KELP_COMPRESSION_GZIP: rc = compress_gzip(&plain, out); break;
    case KELP_COMPRESSION_SNAPPY: rc = compress_snappy(&plain, opt->snappy_xerial, out); break;
    case KELP_COMPRESSION_LZ4: rc = compress_lz4(&plain, out); break;
    case KELP_COMPRESSION_ZSTD: rc = compress_zstd(&plain, out); break;
    default: rc = -1;
    }
    kelp_buf_free(&plain);
    if (rc != 0 || out->failed)
        return -1;
    h = out->data + start;
    int16_t attrs = (int16_t)(opt->codec | (opt->log_append_time ? KELP_BATCH_ATTR_LOG_APPEND_TIME : 0));
    kelp_put_be64(h + 0, (uint64_t)opt->base_offset);
    kelp_put_be32(h + 8, (uint32_t)(out->len - start - KELP_BATCH_LOG_OVERHEAD));
    kelp_put_be32(h + 12, 0xffffffffu);
    h[16] = 2;
    kelp_put_be16(h + 21, (uint16_t)attrs);
    kelp_put_be32(h + 23, (uint32_t)(n - 1));
    kelp_put_be64(h + 27, (uint64_t)base_ts);
    kelp_put_be64(h + 35, (uint64_t)max_ts);
    kelp_put_be64(h + 43, (uint64_t)opt->producer_id);
    kelp_put_be16(h + 51, opt->producer_id >= 0 ? 0 : 0xffff);
    kelp_put_be32(h + 53, opt->producer_id >= 0 ? 0 : 0xffffffffu);
    kelp_put_be32(h + 57, (uint32_t)n);
    test_batch_fix_crc(h);
    return 0;
}

int test_batch_simple(kelp_buf *out, int n, int64_t ts0)
{
    test_record *recs = calloc((size_t)n, sizeof(*recs));
    char (*keys)[24] = calloc((size_t)n, sizeof(*keys));
    char (*values)[24] = calloc((size_t)n, sizeof(*values));
    int rc = -1;
    if (recs && keys && values) {
        for (int i = 0; i < n; i++) {
            snprintf(keys[i], sizeof(keys[i]), "k%d", i);
            snprintf(values[i], sizeof(values[i]), "v%d", i);
            recs[i] = (test_record){.key = keys[i], .value = values[i], .timestamp = ts0 + i};
        }
        test_batch_options opt = {.codec = KELP_COMPRESSION_NONE, .producer_id = -1};
        rc = test_batch_build(out, &opt, recs, n);
    }
    free(recs);
    free(keys);
    free(values);
    return rc;
}
