/* Big-endian field access for Kafka's on-wire and on-disk formats. */
#ifndef KELP_RECORDS_BYTE_ORDER_H
#define KELP_RECORDS_BYTE_ORDER_H

#include <stdint.h>

static inline uint16_t kelp_be16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }

static inline uint32_t kelp_be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static inline uint64_t kelp_be64(const uint8_t *p) { return ((uint64_t)kelp_be32(p) << 32) | kelp_be32(p + 4); }

static inline void kelp_put_be16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static inline void kelp_put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static inline void kelp_put_be64(uint8_t *p, uint64_t v)
{
    kelp_put_be32(p, (uint32_t)(v >> 32));
    kelp_put_be32(p + 4, (uint32_t)v);
}

#endif
