/* Compression and decompression of record batch payloads for the codecs Kafka uses. */
#ifndef KELP_RECORDS_COMPRESSION_H
#define KELP_RECORDS_COMPRESSION_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

enum kelp_compression {
    KELP_COMPRESSION_NONE = 0,
    KELP_COMPRESSION_GZIP = 1,
    KELP_COMPRESSION_SNAPPY = 2,
    KELP_COMPRESSION_LZ4 = 3,
    KELP_COMPRESSION_ZSTD = 4,
};

enum {
    KELP_DECOMPRESS_OK = 0,
    KELP_DECOMPRESS_CORRUPT = -1,     /* malformed input, or output beyond max_out */
    KELP_DECOMPRESS_UNSUPPORTED = -2, /* unknown codec number */
    KELP_DECOMPRESS_NO_MEMORY = -3,
};

/* Appends the decompressed form of in[0..len) to out. Output larger than
 * max_out is refused, so a small hostile payload cannot exhaust memory. */
int kelp_decompress(int codec, const uint8_t *in, size_t len, size_t max_out, kelp_buf *out);

/* Appends in[0..len) compressed with codec to out (NONE copies it); on
 * failure out is left as it was. The same status codes as kelp_decompress. */
int kelp_compress(int codec, const uint8_t *in, size_t len, kelp_buf *out);

#endif
