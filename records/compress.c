/* Compression with the codecs' own libraries, for batches the broker
 * rewrites (compaction): gzip through zlib, snappy in the xerial framing
 * Kafka's Java client writes (every Kafka client reads it), the lz4 frame
 * format and zstd. */
#include "records/compression.h"

#include <lz4frame.h>
#include <snappy-c.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "records/byte_order.h"

static int gzip_compress(const uint8_t *in, size_t len, kelp_buf *out)
{
    z_stream z;
    memset(&z, 0, sizeof(z));
    if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return KELP_DECOMPRESS_NO_MEMORY;
    size_t bound = deflateBound(&z, (uLong)len) + 32;
    uint8_t *dst = kelp_buf_extend(out, bound);
    if (!dst) {
        deflateEnd(&z);
        return KELP_DECOMPRESS_NO_MEMORY;
    }
    z.next_in = (Bytef *)in;
    z.avail_in = (uInt)len;
    z.next_out = dst;
    z.avail_out = (uInt)bound;
    int rc = deflate(&z, Z_FINISH);
    size_t produced = bound - z.avail_out;
    deflateEnd(&z);
    out->len -= bound - produced;
    return rc == Z_STREAM_END ? KELP_DECOMPRESS_OK : KELP_DECOMPRESS_CORRUPT;
}

#define XERIAL_BLOCK 32768

static int snappy_compress_xerial(const uint8_t *in, size_t len, kelp_buf *out)
{
    static const uint8_t header[16] = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0, 0, 0, 0, 1, 0, 0, 0, 1};
    if (!kelp_buf_append(out, header, sizeof(header)))
        return KELP_DECOMPRESS_NO_MEMORY;
    for (size_t pos = 0; pos < len;) {
        size_t n = len - pos < XERIAL_BLOCK ? len - pos : XERIAL_BLOCK;
        size_t cap = snappy_max_compressed_length(n);
        uint8_t *dst = kelp_buf_extend(out, 4 + cap);
        if (!dst)
            return KELP_DECOMPRESS_NO_MEMORY;
        size_t clen = cap;
        if (snappy_compress((const char *)in + pos, n, (char *)dst + 4, &clen) != SNAPPY_OK)
            return KELP_DECOMPRESS_CORRUPT;
        kelp_put_be32(dst, (uint32_t)clen);
        out->len -= cap - clen;
        pos += n;
    }
    return KELP_DECOMPRESS_OK;
}

static int lz4_compress(const uint8_t *in, size_t len, kelp_buf *out)
{
    size_t cap = LZ4F_compressFrameBound(len, NULL);
    uint8_t *dst = kelp_buf_extend(out, cap);
    if (!dst)
        return KELP_DECOMPRESS_NO_MEMORY;
    size_t n = LZ4F_compressFrame(dst, cap, in, len, NULL);
    if (LZ4F_isError(n))
        return KELP_DECOMPRESS_CORRUPT;
    out->len -= cap - n;
    return KELP_DECOMPRESS_OK;
}

static int zstd_compress(const uint8_t *in, size_t len, kelp_buf *out)
{
    size_t cap = ZSTD_compressBound(len);
    uint8_t *dst = kelp_buf_extend(out, cap);
    if (!dst)
        return KELP_DECOMPRESS_NO_MEMORY;
    size_t n = ZSTD_compress(dst, cap, in, len, ZSTD_CLEVEL_DEFAULT);
    if (ZSTD_isError(n))
        return KELP_DECOMPRESS_CORRUPT;
    out->len -= cap - n;
    return KELP_DECOMPRESS_OK;
}

int kelp_compress(int codec, const uint8_t *in, size_t len, kelp_buf *out)
{
    size_t start = out->len;
    int rc;
    switch (codec) {
    case KELP_COMPRESSION_NONE:
        rc = kelp_buf_append(out, in, len) ? KELP_DECOMPRESS_OK : KELP_DECOMPRESS_NO_MEMORY;
        break;
    case KELP_COMPRESSION_GZIP:
        rc = gzip_compress(in, len, out);
        break;
    case KELP_COMPRESSION_SNAPPY:
        rc = snappy_compress_xerial(in, len, out);
        break;
    case KELP_COMPRESSION_LZ4:
        rc = lz4_compress(in, len, out);
        break;
    case KELP_COMPRESSION_ZSTD:
        rc = zstd_compress(in, len, out);
        break;
    default:
        rc = KELP_DECOMPRESS_UNSUPPORTED;
    }
    if (rc != KELP_DECOMPRESS_OK)
        out->len = start;
    return rc;
}
