/* Confluent's wire format of a schematized key or value: magic byte 0, the
 * schema id (4 bytes big-endian), for Protobuf the message-index path
 * (a zigzag varint count, then that many zigzag varints; a count of 0
 * means [0]), then the serialized payload. */
#ifndef KELP_SCHEMA_WIRE_FORMAT_H
#define KELP_SCHEMA_WIRE_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KELP_WIRE_MAX_INDEXES 32 /* deeper nesting than any real schema */

typedef struct kelp_wire_frame {
    int32_t id;
    int32_t indexes[KELP_WIRE_MAX_INDEXES];
    size_t n_indexes;
    const uint8_t *payload;
    size_t payload_len;
} kelp_wire_frame;

/* The magic byte and the id: 0, or -1 with a reason when p is unframed. */
int kelp_wire_frame_header(const uint8_t *p, size_t len, kelp_wire_frame *f, char *why, size_t whylen);
/* The message-index path after the header (Protobuf only); moves f->payload past it. */
int kelp_wire_frame_indexes(kelp_wire_frame *f, char *why, size_t whylen);

#endif
