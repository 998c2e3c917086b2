/* Opening a partition: find its segments, trust sealed segments whose
 * indexes look right (rebuilding the others), and validate the active one
 * batch by batch, cutting a torn or corrupt tail. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "records/byte_order.h"
#include "records/record_batch.h"
#include "storage/storage_internal.h"

typedef struct base_list {
    int64_t *v;
    size_t n, cap;
    bool failed;
} base_list;

static int collect_segment(void *ctx, const char *name, bool is_dir)
{
    base_list *l = ctx;
    int64_t base;
    if (is_dir || kelp_layout_parse_segment_name(name, &base) != 0)
        return 0;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        int64_t *v = realloc(l->v, cap * sizeof(*v));
        if (!v) {
            l->failed = true;
            return 1;
        }
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = base;
    return 0;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Hook for DeleteRecords/retention: a persisted log start offset. */
static int64_t read_log_start_checkpoint(kelp_partition *p)
{
    char path[KELP_LAYOUT_PATH_MAX];
    if (snprintf(path, sizeof(path), "%s/%s", p->dir, KELP_LAYOUT_LOG_START_FILE) >= (int)sizeof(path))
        return -1;
    kelp_buf b;
    kelp_buf_init(&b);
    int64_t v = -1;
    if (p->storage->fs->ops->read_file(p->storage->fs, path, &b) == 0 && b.len > 0 && b.len < 24) {
        v = 0;
        for (size_t i = 0; i < b.len && b.data[i] != '\n'; i++) {
            if (b.data[i] < '0' || b.data[i] > '9') {
                v = -1;
                break;
            }
            v = v * 10 + (b.data[i] - '0');
        }
    }
    kelp_buf_free(&b);
    return v;
}

static int recover_active(kelp_partition *p, kelp_segment *seg)
{
    kelp_storage *s = p->storage;
    /* After a clean stop the log is durable and its indexes whole. */
    if (s->clean_start && kelp_segment_load_active(s, p, seg) == 0)
        return KELP_STORAGE_OK;
    uint64_t valid_end;
    int rc = kelp_segment_rebuild(s, seg, true, &valid_end);
    if (rc != 0)
        return rc;
    if (valid_end < seg->size) {
        KELP_WARN(STORAGE_LOG, "%s: cutting %" PRIu64 " bytes of torn or corrupt data after offset %" PRId64, p->dir,
                  seg->size - valid_end, seg->next_offset);
        rc = s->fs->ops->truncate(seg->log, valid_end);
        if (rc != 0) {
            KELP_ERROR(STORAGE_LOG, "%s: cannot truncate: %s", p->dir, strerror(-rc));
            return KELP_STORAGE_ERR_IO;
        }
        seg->size = valid_end;
    }
    /* What survived a crash is on disk already; after a process crash it may
     * still sit in the page cache, so make it durable before serving it. */
    if (s->fs->ops->sync(seg->log) != 0)
        return KELP_STORAGE_ERR_IO;
    /* The rebuilt entries stay in memory, as an active segment's do, and
     * replace the files' contents when the segment is sealed. */
    return KELP_STORAGE_OK;
}

/* The producer state lives in the log: walk every batch header, reading
 * the whole batch only for markers. */
static int rebuild_producers(kelp_partition *p)
{
    kelp_storage *s = p->storage;
    uint8_t hdr[KELP_BATCH_HEADER_SIZE];
    for (size_t i = 0; i < p->segment_count; i++) {
        kelp_segment *seg = p->segments[i];
        bool sealed = i + 1 < p->segment_count;
        uint64_t pos = 0;
        while (kelp_segment_read_header(s, seg, pos, hdr) == 0) {
            /* A sealed segment ends where the next one begins. Bytes past
             * that are a write of an earlier process that reached the
             * filer after it died: never served, never counted. */
            if (sealed && (int64_t)kelp_be64(hdr) >= p->segments[i + 1]->base_offset)
                break;
            uint64_t total = KELP_BATCH_LOG_OVERHEAD + (uint64_t)kelp_be32(hdr + KELP_BATCH_OFF_LENGTH);
            int64_t producer_id = (int64_t)kelp_be64(hdr + 43);
            uint16_t attributes = kelp_be16(hdr + KELP_BATCH_OFF_ATTRIBUTES);
            if (producer_id >= 0 && (attributes & KELP_BATCH_ATTR_CONTROL) && total <= 4096) {
                kelp_buf_clear(&s->scratch);
                uint8_t *dst = kelp_buf_extend(&s->scratch, (size_t)total);
                if (!dst)
                    return KELP_STORAGE_ERR_NO_MEMORY;
                if (s->fs->ops->pread(seg->log, dst, (size_t)total, pos) != (ssize_t)total)
                    return KELP_STORAGE_ERR_IO;
                kelp_partition_track_producer(p, dst, (size_t)total);
            } else if (producer_id >= 0) {
                kelp_partition_track_producer(p, hdr, sizeof(hdr));
            }
            pos += total;
        }
        /* Bytes after a sealed segment's last whole batch are never served. */
        if (sealed && pos < seg->size) {
            KELP_WARN(STORAGE_LOG, "%s: ignoring %" PRIu64 " bytes of torn or late data at the end of segment %" PRId64,
                      p->dir, seg->size - pos, seg->base_offset);
            kelp_segment_limit(seg, pos);
        }
    }
    return KELP_STORAGE_OK;
}

int kelp_partition_recover(kelp_partition *p)
{
    kelp_storage *s = p->storage;
    int rc = s->fs->ops->mkdirs(s->fs, p->dir);
    if (rc != 0) {
        KELP_ERROR(STORAGE_LOG, "cannot create %s: %s", p->dir, strerror(-rc));
        return KELP_STORAGE_ERR_IO;
    }
    rc = kelp_cleaner_recover(p);
    if (rc != 0)
        return rc;
    base_list bases = {0};
    rc = s->fs->ops->list(s->fs, p->dir, collect_segment, &bases);
    if (rc != 0 || bases.failed) {
        free(bases.v);
        return rc != 0 ? KELP_STORAGE_ERR_IO : KELP_STORAGE_ERR_NO_MEMORY;
    }
    if (bases.n > 1)
        qsort(bases.v, bases.n, sizeof(*bases.v), cmp_i64);
    int64_t checkpoint = read_log_start_checkpoint(p);
    rc = KELP_STORAGE_OK;
    for (size_t i = 0; i < bases.n && rc == 0; i++) {
        kelp_segment *seg;
        rc = kelp_segment_open(p, bases.v[i], &seg);
        if (rc != 0)
            break;
        rc = kelp_partition_add_segment(p, seg);
        if (rc != 0) {
            kelp_segment_close(s->fs, seg);
            break;
        }
        if (i + 1 < bases.n)
            atomic_store(&seg->sealed, true);
        if (i + 1 == bases.n) {
            rc = recover_active(p, seg);
        } else if (kelp_segment_load_indexes(s, p, seg, bases.v[i + 1]) != 0) {
            KELP_INFO(STORAGE_LOG, "%s: rebuilding the indexes of segment %" PRId64, p->dir, seg->base_offset);
            uint64_t valid_end;
            rc = kelp_segment_rebuild(s, seg, false, &valid_end);
            /* Ending before the next segment's base is normal after
             * compaction; bytes that do not parse are not. */
            if (rc == 0 && (valid_end != seg->size || seg->next_offset > bases.v[i + 1]))
                KELP_WARN(STORAGE_LOG, "%s: segment %" PRId64 " is damaged after offset %" PRId64, p->dir,
                          seg->base_offset, seg->next_offset);
            if (rc == 0) {
                seg->next_offset = bases.v[i + 1];
                kelp_segment_seal(s, seg);
                rc = kelp_segment_write_indexes(s, p, seg);
            }
        }
    }
    free(bases.v);
    if (rc != 0)
        return rc;
    if (p->segment_count == 0) {
        p->log_end = checkpoint > 0 ? checkpoint : 0;
        rc = kelp_partition_roll(p);
        if (rc != 0)
            return rc;
    }
    kelp_segment *active = p->segments[p->segment_count - 1];
    p->log_end = active->next_offset;
    p->log_start = p->segments[0]->base_offset;
    if (checkpoint > p->log_start)
        p->log_start = checkpoint < p->log_end ? checkpoint : p->log_end;
    p->high_watermark = p->log_end;
    p->written_end = p->log_end;
    p->durable_end = p->log_end;
    /* Where a dead process's last writes may still land, they must land
     * in a segment this process never writes to: the first append rolls. */
    p->inherited_active = s->fs->ops->writes_may_land_late && active->size > 0;
    return rebuild_producers(p);
}
