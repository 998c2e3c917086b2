/* Shared definitions of the storage layer's own files; not for other layers. */
#ifndef KELP_STORAGE_INTERNAL_H
#define KELP_STORAGE_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "util/buf.h"
#include "storage/fs.h"
#include "storage/layout.h"
#include "storage/producer_state.h"
#include "storage/storage.h"
#include "storage/topic_config.h"

#define STORAGE_LOG "storage"

/* One segment: a .log file with its two indexes, also kept in memory. */
typedef struct kelp_segment {
    atomic_int refs; /* the partition's, plus the cleaner's while it reads the segment */
    int64_t base_offset;
    const kelp_partition *partition; /* whose directory holds its files */
    /* The log stays open; the index files are opened when entries are
     * first written to them (at seal), so a partition whose only segment
     * is active holds one descriptor. NULL until then. */
    kelp_fs_file *log, *index, *timeindex;
    uint64_t size;           /* bytes written to .log */
    int64_t next_offset;     /* offset after its last batch */
    kelp_buf offset_entries; /* copy of .index */
    kelp_buf time_entries;   /* copy of .timeindex */
    /* How much of each the files hold: an active segment's entries stay in
     * memory until it is sealed (recovery rebuilds them from the log). */
    size_t offset_entries_on_disk, time_entries_on_disk;
    uint64_t bytes_since_index;
    int64_t max_timestamp; /* -1 when empty */
    int64_t max_timestamp_batch; /* base offset of the batch holding it */
    int64_t first_timestamp;     /* max timestamp of its first batch (segment.ms counts from it); -1 */
    bool needs_sync;             /* under storage lock */
    /* No longer active. Only then are its index files synced: an active
     * segment's indexes are rebuilt from its log at every start. */
    atomic_bool sealed;
} kelp_segment;

struct kelp_partition {
    kelp_storage *storage;
    kelp_topic *topic;
    int32_t index;
    char dir[KELP_LAYOUT_PATH_MAX];
    kelp_segment **segments; /* ascending base offsets; the last is active */
    size_t segment_count, segment_cap;
    int64_t log_start;
    int64_t log_end;
    int64_t high_watermark; /* loop thread only */
    bool failed;            /* an unrecoverable write error: no more appends */
    bool inherited_active;  /* the active segment was written by an earlier process */
    /* Compaction (loop thread): a job is out; how far the log was cleaned
     * with every key known; when the oldest kept tombstone expires (0: none). */
    bool cleaning;
    int64_t cleaned_upto;
    int64_t tombstone_expiry;
    kelp_producer_state producers; /* loop thread: idempotence and transactions */

    /* Under the storage lock: what the sync thread has to do. */
    int64_t written_end;
    int64_t durable_end;
    kelp_segment **dirty_segments;
    size_t dirty_count, dirty_cap;
    bool dir_dirty;
    bool in_dirty_list, in_completed_list;
    kelp_partition *dirty_next, *completed_next;
};

struct kelp_topic {
    kelp_storage *storage;
    char *name;
    size_t name_len;
    uint8_t id[16];
    int64_t created_ms;
    int32_t partition_count;
    kelp_partition **partitions;
    kelp_topic_config config; /* only the keys in config.set are the topic's own */
};

typedef struct sync_part_item {
    kelp_partition *p;
    int64_t target;
    bool dir;
    bool failed;
} sync_part_item;

typedef struct sync_seg_item {
    kelp_segment *seg;
    size_t part;
    bool indexes; /* a sealed segment: its index files are synced too */
    bool failed;
} sync_seg_item;

struct kelp_storage {
    kelp_storage_options opt;
    char *root; /* a copy of opt.root */
    kelp_fs *fs;
    bool clean_start; /* the last stop was clean: active indexes are trusted */
    kelp_topic **topics; /* sorted by name */
    kelp_topic **by_id;  /* sorted by id */
    size_t topic_count, topic_cap;
    kelp_buf scratch; /* loop thread: batch reads */
    kelp_topic_config defaults; /* what a topic inherits for keys it does not set */

    pthread_mutex_t lock; /* guards the fields marked "under storage lock" and below */
    pthread_cond_t wake;
    bool sync_requested, stopping;
    kelp_partition *dirty_head, *completed_head;

    pthread_mutex_t round_lock; /* one sync round at a time; guards the work arrays */
    sync_part_item *work_parts;
    size_t work_part_cap;
    sync_seg_item *work_segs;
    size_t work_seg_cap;
    kelp_fs_file **work_files;
    size_t work_file_cap;

    kelp_partition **notify; /* loop thread: completions being reported */
    size_t notify_cap;

    pthread_t thread;
    bool thread_started;
    int event_fd;

    /* The cleaner thread (compaction): jobs in, finished jobs out (to the
     * loop through event_fd). Guarded by cleaner_lock. */
    pthread_mutex_t cleaner_lock;
    pthread_cond_t cleaner_wake;
    struct kelp_clean_job *cleaner_queue, *cleaner_done;
    bool cleaner_stopping, cleaner_started;
    pthread_t cleaner_thread;
};

/* A topic's value for a config key: its own, else the inherited default. */
static inline int64_t kelp_topic_config_value(const kelp_topic *t, kelp_topic_config_key key)
{
    return t->config.set & (1u << key) ? t->config.value[key] : t->storage->defaults.value[key];
}

/* retention.c: removes segments [0, count) of p (durable, not being synced). */
int kelp_partition_remove_head_segments(kelp_partition *p, size_t count);

/* cleaner.c */
int kelp_cleaner_start(kelp_storage *s);
void kelp_cleaner_stop(kelp_storage *s);
/* On the loop thread: swaps in what finished jobs wrote. */
void kelp_cleaner_finish_jobs(kelp_storage *s);
/* recovery.c calls it before loading segments: completes or discards an
 * interrupted swap, removes leftover cleaner files. */
int kelp_cleaner_recover(kelp_partition *p);

/* segment.c */
int kelp_segment_open(kelp_partition *p, int64_t base, kelp_segment **out);
/* Drops a reference; the last one closes the files and frees. Any thread. */
void kelp_segment_close(kelp_fs *fs, kelp_segment *seg);
void kelp_segment_retain(kelp_segment *seg);
/* Records one appended batch in the indexes (memory, and files when write_files). */
int kelp_segment_index_batch(kelp_storage *s, kelp_segment *seg, uint64_t pos, int64_t base, uint64_t size,
                             int64_t max_ts, bool write_files);
/* When the segment stops being active: marks it sealed and writes its
 * index entries (kelp_segment_flush_entries). */
int kelp_segment_seal(kelp_storage *s, kelp_segment *seg);
/* Adds the final time index entry and writes the entries kept in memory
 * to the index files; the segment stays as active as it was. */
void kelp_segment_flush_entries(kelp_storage *s, kelp_segment *seg);
/* The same, in memory only (a segment being written elsewhere). */
void kelp_segment_seal_entries(kelp_storage *s, kelp_segment *seg);
/* Loads an active segment's index files after a clean shutdown, checking
 * them against the log and walking only the batches after their last
 * entry; -1 when they do not fit (the segment is rebuilt then). */
int kelp_segment_load_active(kelp_storage *s, kelp_partition *p, kelp_segment *seg);
/* Largest position whose entry offset <= offset (0 when none). */
uint64_t kelp_segment_lookup_position(const kelp_segment *seg, int64_t offset);
/* The indexed batch position nearest at or below pos (0 when none). */
uint64_t kelp_segment_batch_at_or_before(const kelp_segment *seg, uint64_t pos);
/* Offset from which a scan for timestamp ts must start. */
int64_t kelp_segment_lookup_time(const kelp_segment *seg, int64_t ts);
/* Reads the 61-byte header at pos: 0 ok, -1 none there / malformed. */
int kelp_segment_read_header(kelp_storage *s, kelp_segment *seg, uint64_t pos, uint8_t hdr[61]);
/* Rebuilds both indexes by walking batch headers (with CRC when check_crc).
 * Stops at the first bad batch: *valid_end and seg->next_offset describe what is good. */
int kelp_segment_rebuild(kelp_storage *s, kelp_segment *seg, bool check_crc, uint64_t *valid_end);
/* Writes the in-memory indexes to their files, replacing them. */
int kelp_segment_write_indexes(kelp_storage *s, kelp_partition *p, kelp_segment *seg);
/* Loads trusted index files of a sealed segment; -1 when they look wrong. */
/* Ends a segment's readable bytes at size, dropping index entries past it. */
void kelp_segment_limit(kelp_segment *seg, uint64_t size);
int kelp_segment_load_indexes(kelp_storage *s, kelp_partition *p, kelp_segment *seg, int64_t next_offset);

/* recovery.c */
int kelp_partition_recover(kelp_partition *p);

/* clean_shutdown.c: reads and durably removes the marker (*clean: it was
 * there); at close, syncs every active segment whole and writes it. */
int kelp_clean_shutdown_take(kelp_storage *s, bool *clean);
void kelp_clean_shutdown_mark(kelp_storage *s);

/* partition.c: updates the producer state for one appended (or, in
 * recovery, found) batch. */
void kelp_partition_track_producer(kelp_partition *p, const uint8_t *batch, size_t len);

/* partition.c */
kelp_partition *kelp_partition_new(kelp_storage *s, kelp_topic *t, int32_t index);
void kelp_partition_free(kelp_partition *p);
/* Opens a fresh segment at log_end and makes it active. */
int kelp_partition_roll(kelp_partition *p);
int kelp_partition_add_segment(kelp_partition *p, kelp_segment *seg);

/* sync.c */
int kelp_sync_start(kelp_storage *s);
void kelp_sync_stop(kelp_storage *s);
/* One group commit round: syncs everything dirty now; reports completions.
 * True when a sync failed that the file system lets us retry. */
bool kelp_sync_round(kelp_storage *s);
/* Publishes an append to the sync thread (loop thread, takes the lock). */
int kelp_sync_mark_dirty(kelp_partition *p, kelp_segment *seg, bool new_file);
/* The files of a segment a flush covers: its log and, with indexes, the
 * index files that are open (one not open has nothing unsynced: written
 * whole and durably, or not at all). Returns how many, at most 3. */
size_t kelp_sync_segment_files(const kelp_segment *seg, bool indexes, kelp_fs_file *out[3]);
/* Flushes files at once where the backend can, else one by one; whole_fs
 * tells that the file system's directories were flushed too. */
int kelp_sync_files(kelp_storage *s, kelp_fs_file **files, size_t n, bool *whole_fs);
/* Grows *arr to hold need elements of elem bytes (doubling). */
bool kelp_sync_reserve(void **arr, size_t *cap, size_t need, size_t elem);

#endif
