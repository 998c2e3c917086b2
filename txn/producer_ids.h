/* Producer ids that are never handed out twice, across restarts: ids are
 * taken from a block whose end is made durable on the filer
 * (topics/kafka/.meta/producer_id_block) before the first of them is used,
 * and the next block is reserved while the current one still lasts. A
 * restart skips what was left of the block. Loop thread only. */
#ifndef KELP_TXN_PRODUCER_IDS_H
#define KELP_TXN_PRODUCER_IDS_H

#include <stdint.h>

#include "storage/file_writer.h"
#include "storage/fs.h"

#define KELP_PRODUCER_ID_BLOCK 1000

typedef struct kelp_producer_ids kelp_producer_ids;

/* Reads the last reserved end and reserves the first block (durably). */
kelp_producer_ids *kelp_producer_ids_open(kelp_fs *fs, kelp_file_writer *writer, char *err, size_t errlen);
void kelp_producer_ids_free(kelp_producer_ids *ids);
/* 0 with *id set; -1 when the reserved ids ran out before the next
 * reservation became durable (the caller answers with a retriable error). */
int kelp_producer_ids_next(kelp_producer_ids *ids, int64_t *id);

#endif
