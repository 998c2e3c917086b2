/* Retention: the log start offset (DeleteRecords and its checkpoint) and
 * the removal of whole old segments by time, by size and below the log
 * start. Loop thread only. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "storage/storage_internal.h"

int kelp_partition_delete_records(kelp_partition *p, int64_t offset, int64_t *low_watermark)
{
    if (offset == -1)
        offset = p->high_watermark;
    if (offset < 0 || offset > p->high_watermark)
        return KELP_STORAGE_ERR_OFFSET_OUT_OF_RANGE;
    if (offset > p->log_start)
        p->log_start = offset;
    *low_watermark = p->log_start;
    return KELP_STORAGE_OK;
}

int kelp_partition_log_start_checkpoint(const kelp_partition *p, char *path, size_t path_cap, char *text,
                                        size_t text_cap, size_t *text_len)
{
    int n = snprintf(path, path_cap, "%s/%s", p->dir, KELP_LAYOUT_LOG_START_FILE);
    if (n < 0 || (size_t)n >= path_cap)
        return -1;
    n = snprintf(text, text_cap, "%" PRId64 "\n", p->log_start);
    if (n < 0 || (size_t)n >= text_cap)
        return -1;
    *text_len = (size_t)n;
    return 0;
}

/* Removes one segment's files: the .log first, so that a crash in between
 * leaves only index files, which recovery never reads without their log. */
static void remove_segment_files(kelp_partition *p, int64_t base)
{
    static const char *const suffixes[] = {KELP_LAYOUT_LOG_SUFFIX, KELP_LAYOUT_INDEX_SUFFIX,
                                           KELP_LAYOUT_TIMEINDEX_SUFFIX};
    kelp_fs *fs = p->storage->fs;
    for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
        char path[KELP_LAYOUT_PATH_MAX];
        if (kelp_layout_segment_file(path, sizeof(path), p->dir, base, suffixes[i]) != 0)
            continue;
        int rc = fs->ops->remove_recursive(fs, path);
        if (rc != 0 && rc != -ENOENT)
            KELP_WARN(STORAGE_LOG, "cannot remove %s: %s", path, strerror(-rc));
    }
}

int kelp_partition_remove_head_segments(kelp_partition *p, size_t count)
{
    if (count == 0 || count >= p->segment_count)
        return KELP_STORAGE_ERR_INVALID; /* the active segment always stays */
    for (size_t i = 0; i < count; i++) {
        kelp_segment *seg = p->segments[i];
        int64_t base = seg->base_offset;
        kelp_segment_close(p->storage->fs, seg);
        remove_segment_files(p, base);
    }
    memmove(p->segments, p->segments + count, (p->segment_count - count) * sizeof(*p->segments));
    p->segment_count -= count;
    if (p->log_start < p->segments[0]->base_offset)
        p->log_start = p->segments[0]->base_offset;
    return KELP_STORAGE_OK;
}

/* End offset of segment i: where the next one starts, or the log end. */
static int64_t segment_end(const kelp_partition *p, size_t i)
{
    return i + 1 < p->segment_count ? p->segments[i + 1]->base_offset : p->log_end;
}

/* How many head segments retention may remove now. Sets *roll when the
 * active segment has expired too (it has to be rolled first) and *more
 * when a removable segment still waits for its sync. */
static size_t removable_head(kelp_partition *p, int64_t now_ms, bool *roll, bool *more)
{
    const kelp_topic *t = p->topic;
    bool delete_policy = kelp_topic_config_value(t, KELP_TC_CLEANUP_POLICY) & KELP_CLEANUP_DELETE;
    int64_t retention_ms = kelp_topic_config_value(t, KELP_TC_RETENTION_MS);
    int64_t retention_bytes = kelp_topic_config_value(t, KELP_TC_RETENTION_BYTES);
    int64_t excess = -1;
    if (delete_policy && retention_bytes >= 0)
        excess = kelp_partition_size_bytes(p) - retention_bytes;

    size_t count = 0;
    *roll = false;
    for (size_t i = 0; i < p->segment_count; i++) {
        kelp_segment *seg = p->segments[i];
        bool active = i + 1 == p->segment_count;
        bool below_start = segment_end(p, i) <= p->log_start;
        /* A sealed segment left empty by compaction holds nothing to keep;
         * a log that is only compacted keeps its start where it is, though. */
        bool empty = delete_policy && seg->size == 0 && !active;
        bool expired = delete_policy && retention_ms >= 0 && seg->max_timestamp >= 0 &&
                       seg->max_timestamp < now_ms - retention_ms;
        bool over_size = excess > 0 && (int64_t)seg->size <= excess;
        if (!below_start && !empty && !expired && !over_size)
            break;
        /* Only durable data goes, and only segments the sync thread is done with. */
        if (segment_end(p, i) > p->high_watermark || seg->needs_sync) {
            *more = true;
            break;
        }
        if (active) {
            if (seg->size > 0)
                *roll = true;
            break;
        }
        if (over_size)
            excess -= (int64_t)seg->size;
        count++;
    }
    return count;
}

size_t kelp_storage_enforce_retention(kelp_storage *s, int64_t now_ms, bool *more)
{
    *more = false;
    /* No sync round may be running while segments go away: a round holds
     * pointers to the segments it syncs. Waiting for one round at most is
     * cheaper than starving retention while produces keep rounds going. */
    pthread_mutex_lock(&s->round_lock);
    size_t removed = 0;
    bool rolled = false;
    pthread_mutex_lock(&s->lock); /* needs_sync is read under it */
    for (size_t ti = 0; ti < s->topic_count; ti++) {
        kelp_topic *t = s->topics[ti];
        for (int32_t pi = 0; pi < t->partition_count; pi++) {
            kelp_partition *p = t->partitions[pi];
            if (!p || p->failed)
                continue;
            bool roll;
            size_t count = removable_head(p, now_ms, &roll, more);
            if (count > 0 && kelp_partition_remove_head_segments(p, count) == 0) {
                KELP_INFO(STORAGE_LOG, "%s: retention removed %zu segment(s); log start %" PRId64, p->dir, count,
                          p->log_start);
                removed += count;
            }
            if (roll) {
                /* kelp_partition_roll takes the lock itself. */
                pthread_mutex_unlock(&s->lock);
                if (kelp_partition_roll(p) == 0)
                    rolled = true;
                pthread_mutex_lock(&s->lock);
                *more = true; /* the sealed segment goes once it is synced */
            }
        }
    }
    pthread_mutex_unlock(&s->lock);
    pthread_mutex_unlock(&s->round_lock);
    if (rolled)
        kelp_storage_request_sync(s);
    return removed;
}

size_t kelp_storage_expire_producers(kelp_storage *s, int64_t now_ms, int64_t expiration_ms)
{
    size_t removed = 0;
    for (size_t ti = 0; ti < s->topic_count; ti++) {
        kelp_topic *t = s->topics[ti];
        for (int32_t pi = 0; pi < t->partition_count; pi++)
            if (t->partitions[pi])
                removed += kelp_producer_state_expire(&t->partitions[pi]->producers, now_ms, expiration_ms);
    }
    return removed;
}
