/* Decompression with the codecs' own libraries: zlib (gzip), snappy (raw
 * blocks and the xerial framing Kafka's Java client writes), the lz4 frame
 * format and zstd. Every decoder is bounded by max_out. */
#include "records/compression.h"

#include <lz4frame.h>
#include <snappy-c.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "records/byte_order.h"

#define CHUNK 65536

/* Makes room for at least one more chunk, within the max_out budget. */
static uint8_t *room(kelp_buf *out, size_t start, size_t max_out, size_t *avail)
{
    size_t used = out->len - start;
    if (used >= max_out)
        return NULL;
    size_t want = max_out - used < CHUNK ? max_out - used : CHUNK;
    if (!kelp_buf_reserve(out, want))
        return NULL;
    *avail = out->cap - out->len;
    if (*avail > max_out - used)
        *avail = max_out - used;
    return out->data + out->len;
}

static int gzip_decompress(const uint8_t *in, size_t len, size_t max_out, kelp_buf *out)
{
    z_stream z;
    memset(&z, 0, sizeof(z));
    if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
        return KELP_DECOMPRESS_NO_MEMORY;
    size_t start = out->len;
    z.next_in = (Bytef *)in;
    int rc = KELP_DECOMPRESS_CORRUPT;
    size_t left = len;
    for (;;) {
        size_t avail;
        uint8_t *dst = room(out, start, max_out, &avail);
        if (!dst) {
            rc = out->failed ? KELP_DECOMPRESS_NO_MEMORY : KELP_DECOMPRESS_CORRUPT;
            break;
        }
        uInt in_now = left > UINT32_MAX ? UINT32_MAX : (uInt)left;
        z.avail_in = in_now;
        z.next_out = dst;
        z.avail_out = avail > UINT32_MAX ? UINT32_MAX : (uInt)avail;
        uInt out_before = z.avail_out;
        int zr = inflate(&z, Z_NO_FLUSH);
        out->len += out_before - z.avail_out;
        left -= in_now - z.avail_in;
        if (zr == Z_STREAM_END) {
            rc = KELP_DECOMPRESS_OK;
            break;
        }
        if (zr != Z_OK && zr != Z_BUF_ERROR)
            break;
        if (zr == Z_BUF_ERROR && left == 0)
            break; /* truncated stream */
    }
    inflateEnd(&z);
    return rc;
}

static int snappy_block(const uint8_t *in, size_t len, size_t start, size_t max_out, kelp_buf *out)
{
    size_t n;
    if (snappy_uncompressed_length((const char *)in, len, &n) != SNAPPY_OK)
        return KELP_DECOMPRESS_CORRUPT;
    if (n > max_out - (out->len - start))
        return KELP_DECOMPRESS_CORRUPT;
    /* The length is the sender's claim: a few bytes could make us allocate
     * max_out. Checking the block first (no output) bounds it by what the
     * compressed bytes can really expand to. */
    if (snappy_validate_compressed_buffer((const char *)in, len) != SNAPPY_OK)
        return KELP_DECOMPRESS_CORRUPT;
    /* An empty block still has to parse; an empty buffer has no storage
     * to point into, so it decodes into a byte of its own. */
    char none;
    uint8_t *dst = n ? kelp_buf_extend(out, n) : (uint8_t *)&none;
    if (!dst)
        return KELP_DECOMPRESS_NO_MEMORY;
    size_t got = n;
    if (snappy_uncompress((const char *)in, len, (char *)dst, &got) != SNAPPY_OK || got != n)
        return KELP_DECOMPRESS_CORRUPT;
    return KELP_DECOMPRESS_OK;
}

/* xerial snappy-java stream: 8-byte magic, two 4-byte versions, then
 * blocks each prefixed with a big-endian 4-byte compressed length. */
static const uint8_t xerial_magic[8] = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0};
#define XERIAL_HEADER 16

static int snappy_decompress(const uint8_t *in, size_t len, size_t max_out, kelp_buf *out)
{
    size_t start = out->len;
    if (len < XERIAL_HEADER || memcmp(in, xerial_magic, sizeof(xerial_magic)) != 0)
        return snappy_block(in, len, start, max_out, out);
    size_t pos = XERIAL_HEADER;
    while (pos < len) {
        if (len - pos < 4)
            return KELP_DECOMPRESS_CORRUPT;
        uint32_t n = kelp_be32(in + pos);
        pos += 4;
        if (n > len - pos)
            return KELP_DECOMPRESS_CORRUPT;
        int rc = snappy_block(in + pos, n, start, max_out, out);
        if (rc != KELP_DECOMPRESS_OK)
            return rc;
        pos += n;
    }
    return KELP_DECOMPRESS_OK;
}

static int lz4_decompress(const uint8_t *in, size_t len, size_t max_out, kelp_buf *out)
{
    LZ4F_dctx *ctx;
    if (LZ4F_isError(LZ4F_createDecompressionContext(&ctx, LZ4F_VERSION)))
        return KELP_DECOMPRESS_NO_MEMORY;
    size_t start = out->len;
    size_t pos = 0;
    int rc = KELP_DECOMPRESS_CORRUPT;
    for (;;) {
        size_t avail;
        uint8_t *dst = room(out, start, max_out, &avail);
        if (!dst) {
            rc = out->failed ? KELP_DECOMPRESS_NO_MEMORY : KELP_DECOMPRESS_CORRUPT;
            break;
        }
        size_t src_n = len - pos, dst_n = avail;
        size_t hint = LZ4F_decompress(ctx, dst, &dst_n, in + pos, &src_n, NULL);
        if (LZ4F_isError(hint))
            break;
        out->len += dst_n;
        pos += src_n;
        if (hint == 0) { /* frame complete */
            rc = pos == len ? KELP_DECOMPRESS_OK : KELP_DECOMPRESS_CORRUPT;
            break;
        }
        if (pos == len && dst_n == 0)
            break; /* input ended inside the frame */
    }
    LZ4F_freeDecompressionContext(ctx);
    return rc;
}

static int zstd_decompress(const uint8_t *in, size_t len, size_t max_out, kelp_buf *out)
{
    ZSTD_DStream *ds = ZSTD_createDStream();
    if (!ds)
        return KELP_DECOMPRESS_NO_MEMORY;
    size_t start = out->len;
    ZSTD_inBuffer src = {in, len, 0};
    int rc = KELP_DECOMPRESS_CORRUPT;
    for (;;) {
        size_t avail;
        uint8_t *dst = room(out, start, max_out, &avail);
        if (!dst) {
            rc = out->failed ? KELP_DECOMPRESS_NO_MEMORY : KELP_DECOMPRESS_CORRUPT;
            break;
        }
        ZSTD_outBuffer o = {dst, avail, 0};
        size_t r = ZSTD_decompressStream(ds, &o, &src);
        if (ZSTD_isError(r))
            break;
        out->len += o.pos;
        if (r == 0 && src.pos == src.size) {
            rc = KELP_DECOMPRESS_OK; /* last frame complete, input used up */
            break;
        }
        if (src.pos == src.size && o.pos < o.size)
            break; /* input ended inside a frame */
    }
    ZSTD_freeDStream(ds);
    return rc;
}

int kelp_decompress(int codec, const uint8_t *in, size_t len, size_t max_out, kelp_buf *out)
{
    switch (codec) {
    case KELP_COMPRESSION_NONE:
        if (len > max_out)
            return KELP_DECOMPRESS_CORRUPT;
        return kelp_buf_append(out, in, len) ? KELP_DECOMPRESS_OK : KELP_DECOMPRESS_NO_MEMORY;
    case KELP_COMPRESSION_GZIP: return gzip_decompress(in, len, max_out, out);
    case KELP_COMPRESSION_SNAPPY: return snappy_decompress(in, len, max_out, out);
    case KELP_COMPRESSION_LZ4: return lz4_decompress(in, len, max_out, out);
    case KELP_COMPRESSION_ZSTD: return zstd_decompress(in, len, max_out, out);
    }
    return KELP_DECOMPRESS_UNSUPPORTED;
}
