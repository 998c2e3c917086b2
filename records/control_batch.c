/* Transaction marker batches, laid out as Kafka writes them: transactional
 * and control attributes, the producer's id and epoch, no sequence, and one
 * record whose key is (version 0, type) and whose value is (version 0,
 * coordinator epoch). */
#include "records/control_batch.h"

#include <string.h>

#include "records/byte_order.h"
#include "records/crc32c.h"
#include "records/record_batch.h"

/* The record after the header: length 16 (zigzag 32), attributes 0,
 * timestamp delta 0, offset delta 0, key length 4 (zigzag 8), key, value
 * length 6 (zigzag 12), value, no headers. */
#define RECORD_BODY_LEN 16

void kelp_control_batch_build(uint8_t out[KELP_CONTROL_BATCH_SIZE], int64_t producer_id, int16_t producer_epoch,
                              enum kelp_control_type type, int32_t coordinator_epoch, int64_t timestamp_ms)
{
    memset(out, 0, KELP_CONTROL_BATCH_SIZE);
    kelp_put_be64(out, 0);
    kelp_put_be32(out + KELP_BATCH_OFF_LENGTH, KELP_CONTROL_BATCH_SIZE - KELP_BATCH_LOG_OVERHEAD);
    kelp_put_be32(out + KELP_BATCH_OFF_LEADER_EPOCH, 0);
    out[KELP_BATCH_OFF_MAGIC] = 2;
    kelp_put_be16(out + KELP_BATCH_OFF_ATTRIBUTES, KELP_BATCH_ATTR_TRANSACTIONAL | KELP_BATCH_ATTR_CONTROL);
    kelp_put_be32(out + KELP_BATCH_OFF_LAST_OFFSET_DELTA, 0);
    kelp_put_be64(out + 27, (uint64_t)timestamp_ms);                       /* base timestamp */
    kelp_put_be64(out + KELP_BATCH_OFF_MAX_TIMESTAMP, (uint64_t)timestamp_ms);
    kelp_put_be64(out + 43, (uint64_t)producer_id);
    kelp_put_be16(out + 51, (uint16_t)producer_epoch);
    kelp_put_be32(out + 53, 0xFFFFFFFFu);                                  /* base sequence -1 */
    kelp_put_be32(out + 57, 1);                                            /* record count */
    uint8_t *r = out + KELP_BATCH_HEADER_SIZE;
    r[0] = RECORD_BODY_LEN * 2; /* zigzag varint */
    r[1] = 0;                   /* attributes */
    r[2] = 0;                   /* timestamp delta */
    r[3] = 0;                   /* offset delta */
    r[4] = 4 * 2;               /* key length */
    kelp_put_be16(r + 5, 0);    /* key version */
    kelp_put_be16(r + 7, (uint16_t)type);
    r[9] = 6 * 2; /* value length */
    kelp_put_be16(r + 10, 0); /* value version */
    kelp_put_be32(r + 12, (uint32_t)coordinator_epoch);
    r[16] = 0; /* header count */
    uint32_t crc = kelp_crc32c(0, out + KELP_BATCH_OFF_ATTRIBUTES, KELP_CONTROL_BATCH_SIZE - KELP_BATCH_OFF_ATTRIBUTES);
    kelp_put_be32(out + KELP_BATCH_OFF_CRC, crc);
}

int kelp_control_batch_type(const uint8_t *batch, size_t len)
{
    int32_t coordinator_epoch;
    return kelp_control_batch_parse(batch, len, &coordinator_epoch);
}

int kelp_control_batch_parse(const uint8_t *batch, size_t len, int32_t *coordinator_epoch)
{
    *coordinator_epoch = -1;
    kelp_batch_header h;
    if (kelp_batch_header_parse(batch, len, &h) != 0 || !(h.attributes & KELP_BATCH_ATTR_CONTROL) ||
        (h.attributes & KELP_BATCH_ATTR_COMPRESSION_MASK) || h.record_count < 1)
        return -1;
    kelp_record_iter it;
    if (kelp_record_iter_init(&it, batch, len, NULL) != KELP_BATCH_OK)
        return -1;
    kelp_record rec;
    if (kelp_record_iter_next(&it, &rec) != 1 || rec.key_len < 4)
        return -1;
    int16_t type = (int16_t)kelp_be16(rec.key + 2);
    if (rec.value_len >= 6)
        *coordinator_epoch = (int32_t)kelp_be32(rec.value + 2);
    return type == KELP_CONTROL_ABORT || type == KELP_CONTROL_COMMIT ? type : -1;
}
