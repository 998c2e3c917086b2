/* Committed consumer offsets: an in-memory table of every group's offsets,
 * loaded from the filer at start, with each commit written to its own file
 * (offsets/offset_path.h) through the file writer. Loop thread only. */
#ifndef KELP_OFFSETS_OFFSET_STORE_H
#define KELP_OFFSETS_OFFSET_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "storage/file_writer.h"
#include "storage/fs.h"

/* Longest commit metadata kept (Kafka's offset.metadata.max.bytes). */
#define KELP_OFFSET_METADATA_MAX 4096

typedef struct kelp_offset_store kelp_offset_store;

typedef struct kelp_committed_offset {
    char *topic;
    int32_t partition;
    int64_t offset;
    int32_t leader_epoch; /* -1: unknown */
    int64_t commit_ms;    /* unix ms */
    char *metadata;       /* NUL-terminated, may be empty */
    size_t metadata_len;
} kelp_committed_offset;

/* Loads every committed offset below the filer root. Files that cannot be
 * parsed are skipped with a warning, never fatal. */
kelp_offset_store *kelp_offset_store_open(kelp_fs *fs, kelp_file_writer *writer, char *err, size_t errlen);
void kelp_offset_store_free(kelp_offset_store *s);

const kelp_committed_offset *kelp_offset_store_get(const kelp_offset_store *s, const char *group, size_t glen,
                                                   const char *topic, size_t tlen, int32_t partition);

/* Records a commit and queues its file; done(ctx, status) runs on the loop
 * thread once it is durable. -1 (nothing queued) when out of memory or the
 * path cannot be built. */
int kelp_offset_store_commit(kelp_offset_store *s, const char *group, size_t glen, const char *topic,
                             size_t tlen, int32_t partition, int64_t offset, int32_t leader_epoch,
                             const char *metadata, size_t metadata_len, int64_t commit_ms,
                             kelp_file_writer_done_fn done, void *ctx);

/* Forgets one partition's offset and removes its file; false when none. */
bool kelp_offset_store_delete(kelp_offset_store *s, const char *group, size_t glen, const char *topic,
                              size_t tlen, int32_t partition);
/* Forgets every group's offsets of a deleted topic, and their files. */
void kelp_offset_store_delete_topic(kelp_offset_store *s, const char *topic, size_t tlen);
/* Forgets all of a group's offsets and removes its directory. */
void kelp_offset_store_delete_group(kelp_offset_store *s, const char *group, size_t glen);

/* A group's offsets sorted by topic then partition: a malloc'd array of
 * pointers (free it, not the entries), valid until the next change. */
size_t kelp_offset_store_list(const kelp_offset_store *s, const char *group, size_t glen,
                              const kelp_committed_offset ***out);
bool kelp_offset_store_has_group(const kelp_offset_store *s, const char *group, size_t glen);

/* Calls fn for every group with at least one committed offset. */
void kelp_offset_store_each_group(const kelp_offset_store *s,
                                  void (*fn)(void *ctx, const char *group, size_t glen), void *ctx);

#endif
