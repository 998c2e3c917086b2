/* CRC-32C (Castagnoli), the checksum of Kafka record batches (magic 2). */
#ifndef KELP_RECORDS_CRC32C_H
#define KELP_RECORDS_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* Continues a checksum: start with crc = 0; feeding data in pieces gives the
 * same result as feeding it at once. */
uint32_t kelp_crc32c(uint32_t crc, const void *data, size_t len);

#endif
