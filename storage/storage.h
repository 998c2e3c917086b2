/* The storage layer: topics, partitions and their segmented logs under the
 * filer root (see storage/layout.h), with group commit.
 *
 * Threading: every function is called from one thread (the event loop);
 * the only other thread is the internal sync thread, which reports through
 * kelp_storage_completion_fd() / kelp_storage_process_completions(). */
#ifndef KELP_STORAGE_STORAGE_H
#define KELP_STORAGE_STORAGE_H

#include <stddef.h>
#include <stdint.h>

#include "storage/topic_config.h"
#include "util/buf.h"

typedef struct kelp_storage kelp_storage;
typedef struct kelp_topic kelp_topic;
typedef struct kelp_partition kelp_partition;

enum {
    KELP_STORAGE_OK = 0,
    KELP_STORAGE_ERR_IO = -1,
    KELP_STORAGE_ERR_EXISTS = -2,
    KELP_STORAGE_ERR_NOT_FOUND = -3,
    KELP_STORAGE_ERR_OFFSET_OUT_OF_RANGE = -4,
    KELP_STORAGE_ERR_INVALID = -5,
    KELP_STORAGE_ERR_NO_MEMORY = -6,
};

#define KELP_STORAGE_DEFAULT_SEGMENT_BYTES (1024LL * 1024 * 1024)
#define KELP_STORAGE_DEFAULT_INDEX_INTERVAL 4096
#define KELP_STORAGE_MAX_PARTITIONS 100000

struct kelp_filer_options;

typedef struct kelp_storage_options {
    const char *root;             /* filer root directory (local backend) */
    /* When set, the SeaweedFS filer backend instead (storage/fs_filer.h);
     * root then names it for DescribeLogDirs. */
    const struct kelp_filer_options *filer;
    int64_t segment_bytes;        /* roll the active segment past this size (default 1 GiB) */
    int32_t index_interval_bytes; /* default 4096 */
    /* Called on the caller's (event loop) thread from
     * kelp_storage_process_completions() after a group commit made partitions durable. */
    void (*on_durable)(void *ctx, kelp_partition *p, int64_t high_watermark);
    void *ctx;
} kelp_storage_options;

/* Loads all topics, runs recovery, starts the sync thread. */
int kelp_storage_open(const kelp_storage_options *opt, kelp_storage **out, char *err, size_t errlen);
/* Syncs everything, stops the thread, frees. */
int kelp_storage_close(kelp_storage *s);

kelp_topic *kelp_storage_find_topic(kelp_storage *s, const char *name, size_t len);
kelp_topic *kelp_storage_find_topic_by_id(kelp_storage *s, const uint8_t id[16]);
/* ERR_EXISTS, ERR_INVALID (bad name or partition count); durable before
 * return. config: the topic's own configs (its set keys), or NULL for none. */
int kelp_storage_create_topic(kelp_storage *s, const char *name, size_t len, int32_t partitions,
                              const kelp_topic_config *config, kelp_topic **out);
/* Deleting a topic takes two steps, so the caller can let go of it in
 * between: detach removes it from the catalogue (lookups no longer find
 * it) and delivers its last completions; drop moves its directory to
 * trash (path returned, for the caller to remove in the background) and
 * frees it. */
void kelp_storage_detach_topic(kelp_storage *s, kelp_topic *t);
int kelp_storage_drop_topic(kelp_storage *s, kelp_topic *t, char *trash, size_t cap);
/* Replaces a topic's own configs, durably (topic.json); unchanged on error. */
int kelp_storage_set_topic_config(kelp_storage *s, kelp_topic *t, const kelp_topic_config *config);
/* Grows a topic to count partitions (more than it has); durable before
 * return. ERR_INVALID for a count that does not grow it. */
int kelp_storage_add_partitions(kelp_storage *s, kelp_topic *t, int32_t count);
/* What topics inherit for the configs they do not set (the broker's
 * log.* settings). Loop thread. */
void kelp_storage_set_topic_defaults(kelp_storage *s, const kelp_topic_config *defaults);
size_t kelp_storage_topic_count(kelp_storage *s);
kelp_topic *kelp_storage_topic_at(kelp_storage *s, size_t i); /* sorted by name */

const char *kelp_topic_name(const kelp_topic *t);
const uint8_t *kelp_topic_id(const kelp_topic *t); /* 16 bytes, random v4, never all-zero */
int32_t kelp_topic_partition_count(const kelp_topic *t);
/* The topic's configs; a key not in ->set is inherited from the broker. */
const kelp_topic_config *kelp_topic_configs(const kelp_topic *t);
kelp_partition *kelp_topic_partition(kelp_topic *t, int32_t index); /* NULL if out of range */

kelp_topic *kelp_partition_topic(kelp_partition *p);
int32_t kelp_partition_index(const kelp_partition *p);
/* The file-system table under the filer root, for the other files the
 * gateway keeps there (cluster id, consumer offsets). Loop thread only. */
struct kelp_fs;
struct kelp_fs *kelp_storage_fs(kelp_storage *s);

int64_t kelp_partition_log_start_offset(const kelp_partition *p);
/* Bytes of its segment files (.log), what DescribeLogDirs and retention.bytes count. */
int64_t kelp_partition_size_bytes(const kelp_partition *p);
/* Capacity and free bytes of the storage volume; negative errno when unknown. */
int kelp_storage_space(kelp_storage *s, int64_t *total, int64_t *usable);
/* The filer root as configured (the one log directory Kelp reports). */
const char *kelp_storage_root(const kelp_storage *s);
int64_t kelp_partition_high_watermark(const kelp_partition *p); /* durable end offset: what consumers may read */
int64_t kelp_partition_log_end_offset(const kelp_partition *p); /* written end offset (maybe not durable yet) */

/* Appends already-validated v2 batches. Rewrites, in place and outside the
 * CRC, each batch's baseOffset (consecutive offsets) and partitionLeaderEpoch
 * (0), so the stored bytes are otherwise exactly what the producer sent.
 * Writes to the segment (page cache) and updates indexes; rolls segments by
 * size. Does NOT wait for durability. *base_offset = offset of the first record. */
int kelp_partition_append(kelp_partition *p, uint8_t *batches, size_t len, int64_t *base_offset, int64_t *last_offset);

/* Group commit: wakes the sync thread, which fdatasyncs every segment/index
 * with unsynced data (one sync serves all appends so far, also newly created
 * files' directories), then reports each partition's new high watermark
 * through on_durable. Cheap; call it after every append. */
void kelp_storage_request_sync(kelp_storage *s);
int kelp_storage_completion_fd(kelp_storage *s); /* eventfd: readable when completions wait; put it in epoll */
/* On the loop thread: read the eventfd and call on_durable for each completed partition. */
void kelp_storage_process_completions(kelp_storage *s);
int kelp_storage_sync_all(kelp_storage *s); /* blocking full sync (shutdown) */

/* Where a fetch's bytes lie: stored batches, as produced, in one or more
 * segment files (a fetch sends them from there without reading them). */
enum { KELP_SLICE_MAX_RANGES = 8 };
struct kelp_fs_file;
typedef struct kelp_log_range {
    struct kelp_fs_file *file;
    uint64_t pos;
    size_t len;
} kelp_log_range;
typedef struct kelp_log_slice {
    kelp_log_range range[KELP_SLICE_MAX_RANGES];
    int count;
    size_t bytes;
    int64_t next_offset; /* after its last batch; the read's offset when empty */
} kelp_log_slice;

/* Locates stored batches for a fetch: from the batch that contains offset,
 * whole batches that begin below limit and below the high watermark, at most
 * max_bytes of them, except that the first comes whole even when larger if
 * whole_first (KIP-74). Goes on into later segments while room is left.
 * Reads only batch headers near the ends (through the offset index). 0, or
 * ERR_OFFSET_OUT_OF_RANGE when offset < log start or > high watermark. */
int kelp_partition_slice(kelp_partition *p, int64_t offset, int64_t limit, size_t max_bytes, bool whole_first,
                         kelp_log_slice *out);
/* Appends the slice's bytes to out (a backend without descriptors). */
int kelp_partition_slice_read(kelp_partition *p, const kelp_log_slice *slice, kelp_buf *out);
/* A descriptor of the range's file, for a sender to keep and close (so a
 * segment removed meanwhile stays readable); -1 where the backend has none
 * (the filer). */
int kelp_partition_slice_fd(kelp_partition *p, const kelp_log_range *r);

/* Reads a slice (whole_first) into out: the bytes appended (0 when offset ==
 * high watermark), or ERR_OFFSET_OUT_OF_RANGE when offset < log start or >
 * high watermark. */
int64_t kelp_partition_read(kelp_partition *p, int64_t offset, size_t max_bytes, kelp_buf *out);
/* The same, never past limit (a read_committed fetch passes the last
 * stable offset), nor past the high watermark. */
int64_t kelp_partition_read_until(kelp_partition *p, int64_t offset, int64_t limit, size_t max_bytes, kelp_buf *out);

/* Idempotence and transactions: the partition's producers (see
 * storage/producer_state.h), rebuilt from the log at open and updated by
 * every append. */
struct kelp_producer_state;
struct kelp_producer_state *kelp_partition_producers(kelp_partition *p);
/* The high watermark, or the first offset of the oldest transaction that is
 * open or whose marker is not durable yet. */
int64_t kelp_partition_last_stable_offset(kelp_partition *p);
/* Appends a transaction marker (type 0 abort, 1 commit) for a producer;
 * *offset is where it landed. Durable with the next group commit. */
int kelp_partition_append_marker(kelp_partition *p, int64_t producer_id, int16_t producer_epoch, int type,
                                 int32_t coordinator_epoch, int64_t timestamp_ms, int64_t *offset);

/* ListOffsets by timestamp: the first record with timestamp >= ts (using the
 * time index, then the record iterator inside the batch); 1 found (offset,
 * timestamp set), 0 none. Only durable records are considered. */
int kelp_partition_offset_for_timestamp(kelp_partition *p, int64_t ts, int64_t *offset, int64_t *found_ts);
/* Largest timestamp in the log and the offset of the record holding it
 * (ListOffsets MAX_TIMESTAMP); 0 if empty. */
int kelp_partition_max_timestamp(kelp_partition *p, int64_t *offset, int64_t *ts);

/* Log maintenance, one pass (the caller runs it every
 * log.retention.check.interval.ms): for topics whose cleanup.policy has
 * "delete", removes the oldest whole segments that passed retention.ms
 * (their largest timestamp is older) or that retention.bytes does not
 * leave room for, rolling an expired active segment first; for every topic,
 * removes the segments wholly below the log start offset. Returns how many
 * segments it removed; *more is set when work was deferred (a segment not
 * yet durable) and another pass soon would finish it. */
size_t kelp_storage_enforce_retention(kelp_storage *s, int64_t now_ms, bool *more);

/* Forgets, in every partition, producers idle longer than expiration_ms
 * without an open transaction (Kafka's producer.id.expiration.ms). */
size_t kelp_storage_expire_producers(kelp_storage *s, int64_t now_ms, int64_t expiration_ms);

/* Compaction, one pass: for each partition whose cleanup.policy has
 * "compact" and whose sealed, durable segments hold records not yet
 * cleaned (or tombstones now past delete.retention.ms), hands the segments
 * older than min.compaction.lag.ms to the cleaner thread. That thread keeps
 * the latest record of each key (and drops tombstones older than
 * delete.retention.ms), writes the cleaned segments beside the old ones,
 * and the loop swaps them in; offsets never change. Returns the number of
 * partitions handed over. */
size_t kelp_storage_compact(kelp_storage *s, int64_t now_ms);

/* DeleteRecords: raises the log start offset to offset (-1: the high
 * watermark). Records below it are unreadable at once; whole segments below
 * it go in the next retention pass. ERR_OFFSET_OUT_OF_RANGE past the high
 * watermark or below 0. The new value must be persisted by the caller
 * (kelp_partition_log_start_checkpoint) before it is acknowledged. */
int kelp_partition_delete_records(kelp_partition *p, int64_t offset, int64_t *low_watermark);
/* The checkpoint file that keeps the log start offset across restarts, and
 * its content for the current value: 0, or -1 when a buffer is too small. */
int kelp_partition_log_start_checkpoint(const kelp_partition *p, char *path, size_t path_cap, char *text,
                                        size_t text_cap, size_t *text_len);

#endif
