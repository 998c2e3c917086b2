/* CRC-32C through Intel's ISA-L (crc32_iscsi), which picks the fastest
 * code for the CPU at run time: on x86-64 it folds several streams with
 * carry-less multiplication, about seven times the speed of one crc32
 * instruction chain, and the produce path checksums every batch. */
#include "records/crc32c.h"

#include <isa-l/crc.h>
#include <limits.h>

uint32_t kelp_crc32c(uint32_t crc, const void *data, size_t len)
{
    /* ISA-L keeps the register un-inverted between calls and takes an int
     * length, so a continued checksum is inverted in and out, and pieces
     * longer than INT_MAX go in turn. */
    unsigned char *p = (unsigned char *)data; /* ISA-L's prototype lacks const; it only reads */
    uint32_t state = ~crc;
    while (len > 0) {
        int n = len > (size_t)INT_MAX ? INT_MAX : (int)len;
        state = crc32_iscsi(p, n, state);
        p += n;
        len -= (size_t)n;
    }
    return ~state;
}
