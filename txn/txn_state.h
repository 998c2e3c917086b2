/* One transactional id's state as the transaction coordinator keeps it,
 * and its file on the filer:
 *   topics/kafka/.meta/transactions/<id>/state.json
 * (the id encoded as group ids are, offsets/offset_path.h). */
#ifndef KELP_TXN_TXN_STATE_H
#define KELP_TXN_TXN_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

#define KELP_TXN_ROOT "topics/kafka/.meta/transactions"
#define KELP_TXN_FILE "state.json"
#define KELP_PRODUCER_ID_BLOCK_FILE "topics/kafka/.meta/producer_id_block"

/* Kafka's TransactionState, with Kafka's names (txn_state_name). */
typedef enum kelp_txn_status {
    KELP_TXN_EMPTY = 0,
    KELP_TXN_ONGOING,
    KELP_TXN_PREPARE_COMMIT,
    KELP_TXN_PREPARE_ABORT,
    KELP_TXN_COMPLETE_COMMIT,
    KELP_TXN_COMPLETE_ABORT,
    KELP_TXN_DEAD,
    KELP_TXN_PREPARE_EPOCH_FENCE,
    KELP_TXN_STATUS_COUNT
} kelp_txn_status;

typedef struct kelp_txn_partition {
    char *topic;
    int32_t partition;
} kelp_txn_partition;

/* An offset committed inside the transaction: it becomes the group's
 * committed offset when the transaction commits. */
typedef struct kelp_txn_offset {
    char *group;
    size_t group_len;
    char *topic;
    int32_t partition;
    int64_t offset;
    int32_t leader_epoch;
    char *metadata;
    size_t metadata_len;
} kelp_txn_offset;

typedef struct kelp_txn {
    char *id;
    size_t id_len;
    int64_t producer_id;
    int16_t epoch;
    int64_t last_producer_id; /* before the last epoch bump (KIP-360 resumes); -1 */
    int16_t last_epoch;
    /* Transactions v2 (KIP-890): the last end came from EndTxn v5 and
     * bumped the epoch, so a retry arrives with the epoch before it. */
    bool tv2;
    int64_t next_producer_id; /* v2, epoch exhausted: the id the end moves to; -1 */
    int32_t timeout_ms;
    kelp_txn_status status;
    int64_t start_ms;  /* wall time the open transaction began; -1 */
    int64_t update_ms; /* wall time of the last change */
    kelp_txn_partition *partitions;
    size_t partition_count, partition_cap;
    char **groups; /* NUL-terminated copies; group_lens their lengths */
    size_t *group_lens;
    size_t group_count, group_cap;
    kelp_txn_offset *offsets;
    size_t offset_count, offset_cap;
} kelp_txn;

const char *kelp_txn_status_name(kelp_txn_status s);
/* A transaction whose outcome is decided but whose markers are still being written. */
static inline bool kelp_txn_status_preparing(kelp_txn_status s)
{
    return s == KELP_TXN_PREPARE_COMMIT || s == KELP_TXN_PREPARE_ABORT || s == KELP_TXN_PREPARE_EPOCH_FENCE;
}

kelp_txn *kelp_txn_new(const char *id, size_t id_len);
void kelp_txn_free(kelp_txn *t);
/* Forgets the partitions, groups and offsets of the ended transaction. */
void kelp_txn_clear_members(kelp_txn *t);
/* -1 when out of memory; adding what is there already changes nothing. */
int kelp_txn_add_partition(kelp_txn *t, const char *topic, size_t topic_len, int32_t partition);
bool kelp_txn_has_partition(const kelp_txn *t, const char *topic, size_t topic_len, int32_t partition);
int kelp_txn_add_group(kelp_txn *t, const char *group, size_t len);
bool kelp_txn_has_group(const kelp_txn *t, const char *group, size_t len);
/* Replaces the pending offset of the same group and partition. */
int kelp_txn_put_offset(kelp_txn *t, const char *group, size_t group_len, const char *topic, size_t topic_len,
                        int32_t partition, int64_t offset, int32_t leader_epoch, const char *metadata,
                        size_t metadata_len);

/* The file's text (NUL-terminated, malloc'd) and its parse. The id comes
 * from the directory name, so any bytes survive. NULL on failure. */
char *kelp_txn_to_json(const kelp_txn *t);
kelp_txn *kelp_txn_from_json(const char *id, size_t id_len, const char *text, size_t len);

/* The file's path; -1 when the id cannot be encoded (too long). */
int kelp_txn_file_path(char *out, size_t cap, const char *id, size_t id_len);
int kelp_txn_dir_path(char *out, size_t cap, const char *id, size_t id_len);

#endif
