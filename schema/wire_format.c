#include "schema/wire_format.h"

#include <stdio.h>

#define HEADER_LEN 5

int kelp_wire_frame_header(const uint8_t *p, size_t len, kelp_wire_frame *f, char *why, size_t whylen)
{
    if (len < HEADER_LEN || p[0] != 0) {
        snprintf(why, whylen, "not in the schema registry's wire format (magic byte 0 and a 4-byte schema id)");
        return -1;
    }
    f->id = (int32_t)((uint32_t)p[1] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 8 | p[4]);
    f->n_indexes = 0;
    f->payload = p + HEADER_LEN;
    f->payload_len = len - HEADER_LEN;
    return 0;
}

/* One zigzag varint of at most 32 bits: 0, or -1 when malformed. */
static int read_varint(const uint8_t **p, const uint8_t *end, int32_t *out)
{
    uint32_t v = 0;
    for (int shift = 0; shift < 35; shift += 7) {
        if (*p >= end)
            return -1;
        uint8_t b = *(*p)++;
        v |= (uint32_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = (int32_t)(v >> 1) ^ -(int32_t)(v & 1);
            return 0;
        }
    }
    return -1;
}

int kelp_wire_frame_indexes(kelp_wire_frame *f, char *why, size_t whylen)
{
    const uint8_t *p = f->payload, *end = f->payload + f->payload_len;
    int32_t count;
    if (read_varint(&p, end, &count) != 0 || count < 0 || count > KELP_WIRE_MAX_INDEXES) {
        snprintf(why, whylen, "malformed Protobuf message-index path");
        return -1;
    }
    for (int32_t i = 0; i < count; i++)
        if (read_varint(&p, end, &f->indexes[i]) != 0) {
            snprintf(why, whylen, "malformed Protobuf message-index path");
            return -1;
        }
    f->n_indexes = (size_t)count;
    f->payload_len = (size_t)(end - p);
    f->payload = p;
    return 0;
}
