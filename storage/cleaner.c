/* Compaction. The loop picks a partition's cleanable segments (sealed,
 * durable, older than min.compaction.lag.ms) and hands them, with a
 * reference each, to the cleaner thread. The thread learns the last offset
 * of every key in them, writes each segment that loses records to
 * <base>.log.cleaned (+ indexes), makes those durable and then writes the
 * swap marker. Back on the loop the .cleaned files are renamed over the
 * old ones and the marker is removed. Recovery finishes a swap whose
 * marker exists and discards .cleaned files without one, so a crash at any
 * point leaves either the old or the new segment, whole. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/log.h"
#include "util/strmap.h"
#include "records/batch_filter.h"
#include "records/byte_order.h"
#include "storage/storage_internal.h"

#define CLEANED_SUFFIX ".cleaned"
#define SWAP_MARKER "cleaner-swap"
#define WRITE_CHUNK (1u << 20)

typedef struct kelp_clean_job {
    kelp_storage *s;
    uint8_t topic_id[16];
    int32_t partition;
    char dir[KELP_LAYOUT_PATH_MAX];
    kelp_segment **segs; /* referenced; ascending */
    bool *rewritten;
    size_t n;
    int64_t upto; /* end offset of the last segment */
    int64_t now_ms, delete_retention_ms;
    int64_t tombstone_expiry; /* result: the earliest time a kept tombstone may go (0: none) */
    int status;
    struct kelp_clean_job *next;
} kelp_clean_job;

/* ---- cleaner thread ---- */

typedef struct clean_ctx {
    kelp_clean_job *job;
    kelp_strmap latest; /* key -> last offset + 1 */
    int64_t tombstone_expiry;
    kelp_buf batch, scratch, kept, out;
} clean_ctx;

static bool is_plain_batch(const uint8_t *hdr)
{
    int16_t attrs = (int16_t)kelp_be16(hdr + KELP_BATCH_OFF_ATTRIBUTES);
    return !(attrs & (KELP_BATCH_ATTR_CONTROL | KELP_BATCH_ATTR_TRANSACTIONAL));
}

/* Reads the whole batch at pos into c->batch: its length, 0 at the end, -1 on error. */
static int64_t read_batch_at(kelp_fs *fs, kelp_segment *seg, uint64_t pos, kelp_buf *into)
{
    uint8_t hdr[KELP_BATCH_HEADER_SIZE];
    if (pos >= seg->size)
        return 0;
    if (fs->ops->pread(seg->log, hdr, sizeof(hdr), pos) != (ssize_t)sizeof(hdr))
        return -1;
    uint64_t total = KELP_BATCH_LOG_OVERHEAD + (uint64_t)kelp_be32(hdr + KELP_BATCH_OFF_LENGTH);
    if (total < KELP_BATCH_HEADER_SIZE || pos + total > seg->size)
        return -1;
    kelp_buf_clear(into);
    uint8_t *dst = kelp_buf_extend(into, (size_t)total);
    if (!dst || fs->ops->pread(seg->log, dst, (size_t)total, pos) != (ssize_t)total)
        return -1;
    return (int64_t)total;
}

static bool note_latest(void *ctx, const kelp_record *r, int64_t offset, int64_t ts)
{
    (void)ts;
    clean_ctx *c = ctx;
    if (r->key_len >= 0 &&
        kelp_strmap_put(&c->latest, r->key, (size_t)r->key_len, (void *)(uintptr_t)(offset + 1)) != 0)
        c->job->status = KELP_STORAGE_ERR_NO_MEMORY;
    return true;
}

static bool keep_record(void *ctx, const kelp_record *r, int64_t offset, int64_t ts)
{
    clean_ctx *c = ctx;
    if (r->key_len < 0)
        return true; /* written before the topic was compacted: nothing to compare */
    uintptr_t latest = (uintptr_t)kelp_strmap_get(&c->latest, r->key, (size_t)r->key_len);
    if (latest != (uintptr_t)(offset + 1))
        return false;
    if (r->value_len < 0) {
        int64_t horizon = ts + c->job->delete_retention_ms;
        if (ts < 0 || horizon < ts || horizon <= c->job->now_ms)
            return false; /* a tombstone past delete.retention.ms */
        if (!c->tombstone_expiry || horizon < c->tombstone_expiry)
            c->tombstone_expiry = horizon;
    }
    return true;
}

/* First pass: the last offset of every key. */
static int learn_keys(clean_ctx *c)
{
    kelp_fs *fs = c->job->s->fs;
    for (size_t i = 0; i < c->job->n; i++) {
        kelp_segment *seg = c->job->segs[i];
        uint64_t pos = 0;
        int64_t len;
        while ((len = read_batch_at(fs, seg, pos, &c->batch)) > 0) {
            if (is_plain_batch(c->batch.data) &&
                kelp_batch_filter(c->batch.data, c->batch.len, note_latest, c, &c->scratch, &c->kept, &c->out) < 0)
                return KELP_STORAGE_ERR_IO;
            if (c->job->status != 0)
                return c->job->status;
            pos += (uint64_t)len;
        }
        if (len < 0)
            return KELP_STORAGE_ERR_IO;
    }
    return KELP_STORAGE_OK;
}

static int cleaned_path(char *out, size_t cap, const char *dir, int64_t base, const char *suffix)
{
    char name[64];
    snprintf(name, sizeof(name), "%s%s", suffix, CLEANED_SUFFIX);
    return kelp_layout_segment_file(out, cap, dir, base, name);
}

static int flush_out(kelp_fs *fs, kelp_fs_file *f, kelp_buf *out)
{
    if (out->len == 0)
        return 0;
    struct iovec iov = {out->data, out->len};
    int rc = fs->ops->append(f, &iov, 1);
    kelp_buf_clear(out);
    return rc;
}

/* Second pass over one segment: writes <base>.log.cleaned and its indexes
 * when it loses records; *changed says whether it did. */
static int clean_segment(clean_ctx *c, kelp_segment *seg, bool *changed)
{
    kelp_storage *s = c->job->s;
    kelp_fs *fs = s->fs;
    *changed = false;
    /* Does it lose anything? Decide before writing a byte. The same pass
     * notes the tombstones it keeps (keep_record takes a minimum, so the
     * writing pass noting them again changes nothing). */
    uint64_t pos = 0;
    int64_t len;
    while ((len = read_batch_at(fs, seg, pos, &c->batch)) > 0) {
        if (is_plain_batch(c->batch.data)) {
            int rc = kelp_batch_filter(c->batch.data, c->batch.len, keep_record, c, &c->scratch, &c->kept, &c->out);
            kelp_buf_clear(&c->out);
            if (rc < 0)
                return KELP_STORAGE_ERR_IO;
            *changed |= rc != KELP_FILTER_ALL;
        }
        pos += (uint64_t)len;
    }
    if (len < 0)
        return KELP_STORAGE_ERR_IO;
    if (!*changed)
        return KELP_STORAGE_OK;

    char path[KELP_LAYOUT_PATH_MAX];
    if (cleaned_path(path, sizeof(path), c->job->dir, seg->base_offset, KELP_LAYOUT_LOG_SUFFIX) != 0)
        return KELP_STORAGE_ERR_INVALID;
    kelp_fs_file *f;
    int rc = fs->ops->open_append(fs, path, &f);
    if (rc != 0)
        return KELP_STORAGE_ERR_IO;
    if (fs->ops->size(f) != 0 && fs->ops->truncate(f, 0) != 0) {
        fs->ops->close(f);
        return KELP_STORAGE_ERR_IO;
    }
    /* Indexes built in memory as the batches go out, as appends build them. */
    kelp_segment idx;
    memset(&idx, 0, sizeof(idx));
    idx.base_offset = seg->base_offset;
    idx.max_timestamp = -1;
    idx.first_timestamp = -1;
    kelp_buf_init(&idx.offset_entries);
    kelp_buf_init(&idx.time_entries);
    uint64_t written = 0;
    rc = KELP_STORAGE_OK;
    for (pos = 0; rc == 0 && (len = read_batch_at(fs, seg, pos, &c->batch)) > 0; pos += (uint64_t)len) {
        size_t at = c->out.len;
        int fr = KELP_FILTER_ALL;
        if (is_plain_batch(c->batch.data))
            fr = kelp_batch_filter(c->batch.data, c->batch.len, keep_record, c, &c->scratch, &c->kept, &c->out);
        if (fr < 0) {
            rc = KELP_STORAGE_ERR_IO;
            break;
        }
        if (fr == KELP_FILTER_NONE)
            continue;
        if (fr == KELP_FILTER_ALL && !kelp_buf_append(&c->out, c->batch.data, c->batch.len)) {
            rc = KELP_STORAGE_ERR_NO_MEMORY;
            break;
        }
        const uint8_t *b = c->out.data + at;
        uint64_t blen = c->out.len - at;
        kelp_segment_index_batch(s, &idx, written, (int64_t)kelp_be64(b), blen,
                                 (int64_t)kelp_be64(b + KELP_BATCH_OFF_MAX_TIMESTAMP), false);
        written += blen;
        if (c->out.len >= WRITE_CHUNK && flush_out(fs, f, &c->out) != 0)
            rc = KELP_STORAGE_ERR_IO;
    }
    if (rc == 0 && len < 0)
        rc = KELP_STORAGE_ERR_IO;
    if (rc == 0 && (flush_out(fs, f, &c->out) != 0 || fs->ops->sync(f) != 0))
        rc = KELP_STORAGE_ERR_IO;
    fs->ops->close(f);
    kelp_buf_clear(&c->out);
    if (rc == 0) {
        kelp_segment_seal_entries(s, &idx);
        char ipath[KELP_LAYOUT_PATH_MAX], tpath[KELP_LAYOUT_PATH_MAX];
        if (cleaned_path(ipath, sizeof(ipath), c->job->dir, seg->base_offset, KELP_LAYOUT_INDEX_SUFFIX) != 0 ||
            cleaned_path(tpath, sizeof(tpath), c->job->dir, seg->base_offset, KELP_LAYOUT_TIMEINDEX_SUFFIX) != 0 ||
            fs->ops->write_file_atomic(fs, ipath, idx.offset_entries.data, idx.offset_entries.len) != 0 ||
            fs->ops->write_file_atomic(fs, tpath, idx.time_entries.data, idx.time_entries.len) != 0)
            rc = KELP_STORAGE_ERR_IO;
    }
    kelp_buf_free(&idx.offset_entries);
    kelp_buf_free(&idx.time_entries);
    return rc;
}

/* The marker names the topic (a recreated topic of the same name must not
 * adopt these files) and the segments to swap. */
static int write_marker(kelp_clean_job *job)
{
    kelp_buf m;
    kelp_buf_init(&m);
    char line[64];
    for (int i = 0; i < 16; i++) {
        snprintf(line, sizeof(line), "%02x", job->topic_id[i]);
        kelp_buf_append(&m, line, 2);
    }
    kelp_buf_append(&m, "\n", 1);
    for (size_t i = 0; i < job->n; i++) {
        if (!job->rewritten[i])
            continue;
        int n = snprintf(line, sizeof(line), "%" PRId64 "\n", job->segs[i]->base_offset);
        kelp_buf_append(&m, line, (size_t)n);
    }
    char path[KELP_LAYOUT_PATH_MAX];
    int rc = snprintf(path, sizeof(path), "%s/%s", job->dir, SWAP_MARKER) < (int)sizeof(path)
                 ? job->s->fs->ops->write_file_atomic(job->s->fs, path, m.data, m.len)
                 : -ENAMETOOLONG;
    kelp_buf_free(&m);
    return rc == 0 ? KELP_STORAGE_OK : KELP_STORAGE_ERR_IO;
}

static void run_job(kelp_clean_job *job)
{
    clean_ctx c = {.job = job};
    kelp_strmap_init(&c.latest);
    kelp_buf_init(&c.batch);
    kelp_buf_init(&c.scratch);
    kelp_buf_init(&c.kept);
    kelp_buf_init(&c.out);
    int rc = learn_keys(&c);
    bool any = false;
    for (size_t i = 0; rc == 0 && i < job->n; i++) {
        rc = clean_segment(&c, job->segs[i], &job->rewritten[i]);
        any |= job->rewritten[i];
    }
    if (rc == 0 && any)
        rc = write_marker(job);
    job->status = rc;
    job->tombstone_expiry = c.tombstone_expiry;
    kelp_strmap_free(&c.latest);
    kelp_buf_free(&c.batch);
    kelp_buf_free(&c.scratch);
    kelp_buf_free(&c.kept);
    kelp_buf_free(&c.out);
}

static void *cleaner_main(void *arg)
{
    kelp_storage *s = arg;
    pthread_setname_np(pthread_self(), "kelp-cleaner");
    pthread_mutex_lock(&s->cleaner_lock);
    for (;;) {
        while (!s->cleaner_queue && !s->cleaner_stopping)
            pthread_cond_wait(&s->cleaner_wake, &s->cleaner_lock);
        if (!s->cleaner_queue)
            break;
        kelp_clean_job *job = s->cleaner_queue;
        s->cleaner_queue = job->next;
        pthread_mutex_unlock(&s->cleaner_lock);
        run_job(job);
        pthread_mutex_lock(&s->cleaner_lock);
        job->next = s->cleaner_done;
        s->cleaner_done = job;
        uint64_t one = 1;
        ssize_t w = write(s->event_fd, &one, sizeof(one));
        (void)w;
    }
    pthread_mutex_unlock(&s->cleaner_lock);
    return NULL;
}

/* ---- loop thread ---- */

static void job_free(kelp_clean_job *job)
{
    for (size_t i = 0; i < job->n; i++)
        kelp_segment_close(job->s->fs, job->segs[i]);
    free(job->segs);
    free(job->rewritten);
    free(job);
}

static void remove_cleaned_files(kelp_fs *fs, const char *dir, int64_t base)
{
    static const char *const suffixes[] = {KELP_LAYOUT_LOG_SUFFIX, KELP_LAYOUT_INDEX_SUFFIX,
                                           KELP_LAYOUT_TIMEINDEX_SUFFIX};
    for (size_t k = 0; k < 3; k++) {
        char path[KELP_LAYOUT_PATH_MAX];
        if (cleaned_path(path, sizeof(path), dir, base, suffixes[k]) == 0)
            fs->ops->remove_recursive(fs, path);
    }
}

static void remove_marker(kelp_fs *fs, const char *dir)
{
    char path[KELP_LAYOUT_PATH_MAX];
    if (snprintf(path, sizeof(path), "%s/%s", dir, SWAP_MARKER) < (int)sizeof(path))
        fs->ops->remove_recursive(fs, path);
}

/* Renames one segment's .cleaned files over its files. */
static int swap_files(kelp_fs *fs, const char *dir, int64_t base)
{
    static const char *const suffixes[] = {KELP_LAYOUT_INDEX_SUFFIX, KELP_LAYOUT_TIMEINDEX_SUFFIX,
                                           KELP_LAYOUT_LOG_SUFFIX};
    for (size_t k = 0; k < 3; k++) {
        char from[KELP_LAYOUT_PATH_MAX], to[KELP_LAYOUT_PATH_MAX];
        if (cleaned_path(from, sizeof(from), dir, base, suffixes[k]) != 0 ||
            kelp_layout_segment_file(to, sizeof(to), dir, base, suffixes[k]) != 0)
            return -ENAMETOOLONG;
        int rc = fs->ops->rename(fs, from, to);
        if (rc != 0 && rc != -ENOENT)
            return rc;
    }
    return 0;
}

static size_t find_segment(const kelp_partition *p, const kelp_segment *seg)
{
    for (size_t i = 0; i < p->segment_count; i++)
        if (p->segments[i] == seg)
            return i;
    return SIZE_MAX;
}

/* Opens the swapped-in files of segment i in place of the old ones. */
static int reopen_segment(kelp_partition *p, size_t i)
{
    kelp_storage *s = p->storage;
    kelp_segment *old = p->segments[i], *seg;
    int rc = kelp_segment_open(p, old->base_offset, &seg);
    if (rc != 0)
        return rc;
    int64_t next = i + 1 < p->segment_count ? p->segments[i + 1]->base_offset : p->log_end;
    if (kelp_segment_load_indexes(s, p, seg, next) != 0) {
        uint64_t valid_end;
        rc = kelp_segment_rebuild(s, seg, false, &valid_end);
        if (rc == 0) {
            seg->next_offset = next;
            kelp_segment_seal(s, seg);
            rc = kelp_segment_write_indexes(s, p, seg);
        }
        if (rc != 0) {
            kelp_segment_close(s->fs, seg);
            return rc;
        }
    }
    p->segments[i] = seg;
    kelp_segment_close(s->fs, old);
    return KELP_STORAGE_OK;
}

static void finish_job(kelp_storage *s, kelp_clean_job *job)
{
    kelp_topic *t = kelp_storage_find_topic_by_id(s, job->topic_id);
    kelp_partition *p = t ? kelp_topic_partition(t, job->partition) : NULL;
    if (p)
        p->cleaning = false;
    bool any = false;
    for (size_t i = 0; i < job->n; i++)
        any |= job->rewritten[i];
    if (!p || job->status != 0) {
        if (job->status != 0)
            KELP_WARN(STORAGE_LOG, "%s: compaction failed (%d); the segments stay as they are", job->dir,
                      job->status);
        if (p) {
            for (size_t i = 0; i < job->n; i++)
                remove_cleaned_files(s->fs, job->dir, job->segs[i]->base_offset);
            if (any)
                remove_marker(s->fs, job->dir);
        }
        job_free(job);
        return;
    }
    /* No sync round may hold these segments while they are replaced. */
    pthread_mutex_lock(&s->round_lock);
    int failed = 0;
    size_t swapped = 0;
    for (size_t i = 0; i < job->n && !failed; i++) {
        if (!job->rewritten[i])
            continue;
        if (find_segment(p, job->segs[i]) == SIZE_MAX) {
            /* Retention removed it meanwhile. */
            remove_cleaned_files(s->fs, job->dir, job->segs[i]->base_offset);
            continue;
        }
        failed = swap_files(s->fs, job->dir, job->segs[i]->base_offset);
        swapped++;
    }
    if (!failed && any)
        failed = s->fs->ops->sync_dir(s->fs, job->dir);
    if (failed) {
        /* The marker stays: recovery finishes the swap at the next start. */
        KELP_ERROR(STORAGE_LOG, "%s: cannot swap in compacted segments: %s", job->dir, strerror(-failed));
        p->failed = true;
        pthread_mutex_unlock(&s->round_lock);
        job_free(job);
        return;
    }
    if (any)
        remove_marker(s->fs, job->dir);
    for (size_t i = 0; i < job->n; i++) {
        size_t at = job->rewritten[i] ? find_segment(p, job->segs[i]) : SIZE_MAX;
        if (at != SIZE_MAX && reopen_segment(p, at) != 0) {
            KELP_ERROR(STORAGE_LOG, "%s: cannot reopen compacted segment %" PRId64, job->dir,
                       job->segs[i]->base_offset);
            p->failed = true;
        }
    }
    pthread_mutex_unlock(&s->round_lock);
    p->cleaned_upto = job->upto;
    p->tombstone_expiry = job->tombstone_expiry;
    if (swapped)
        KELP_INFO(STORAGE_LOG, "%s: compacted %zu segment(s) up to offset %" PRId64, job->dir, swapped, job->upto);
    job_free(job);
}

void kelp_cleaner_finish_jobs(kelp_storage *s)
{
    pthread_mutex_lock(&s->cleaner_lock);
    kelp_clean_job *done = s->cleaner_done;
    s->cleaner_done = NULL;
    pthread_mutex_unlock(&s->cleaner_lock);
    while (done) {
        kelp_clean_job *next = done->next;
        finish_job(s, done);
        done = next;
    }
}

/* The segments a job may take: sealed, durable, not being synced, and
 * whose newest record is older than min.compaction.lag.ms. */
static size_t cleanable_segments(kelp_partition *p, int64_t now_ms)
{
    int64_t lag = kelp_topic_config_value(p->topic, KELP_TC_MIN_COMPACTION_LAG_MS);
    size_t n = 0;
    for (; n + 1 < p->segment_count; n++) {
        kelp_segment *seg = p->segments[n];
        if (p->segments[n + 1]->base_offset > p->high_watermark || seg->needs_sync)
            break;
        if (seg->max_timestamp >= 0 && lag > 0 && seg->max_timestamp > now_ms - lag)
            break;
    }
    return n;
}

size_t kelp_storage_compact(kelp_storage *s, int64_t now_ms)
{
    size_t handed = 0;
    pthread_mutex_lock(&s->lock); /* needs_sync is read under it */
    for (size_t ti = 0; ti < s->topic_count; ti++) {
        kelp_topic *t = s->topics[ti];
        if (!(kelp_topic_config_value(t, KELP_TC_CLEANUP_POLICY) & KELP_CLEANUP_COMPACT))
            continue;
        for (int32_t pi = 0; pi < t->partition_count; pi++) {
            kelp_partition *p = t->partitions[pi];
            if (!p || p->cleaning || p->failed)
                continue;
            size_t n = cleanable_segments(p, now_ms);
            if (n == 0)
                continue;
            int64_t upto = p->segments[n]->base_offset;
            bool tombstones_due = p->tombstone_expiry && now_ms >= p->tombstone_expiry;
            if (upto <= p->cleaned_upto && !tombstones_due)
                continue;
            kelp_clean_job *job = calloc(1, sizeof(*job));
            if (job) {
                job->segs = calloc(n, sizeof(*job->segs));
                job->rewritten = calloc(n, sizeof(*job->rewritten));
            }
            if (!job || !job->segs || !job->rewritten) {
                if (job) {
                    free(job->segs);
                    free(job->rewritten);
                }
                free(job);
                continue;
            }
            job->s = s;
            memcpy(job->topic_id, t->id, 16);
            job->partition = pi;
            snprintf(job->dir, sizeof(job->dir), "%s", p->dir);
            job->n = n;
            for (size_t i = 0; i < n; i++) {
                kelp_segment_retain(p->segments[i]);
                job->segs[i] = p->segments[i];
            }
            job->upto = upto;
            job->now_ms = now_ms;
            job->delete_retention_ms = kelp_topic_config_value(t, KELP_TC_DELETE_RETENTION_MS);
            p->cleaning = true;
            pthread_mutex_lock(&s->cleaner_lock);
            kelp_clean_job **tail = &s->cleaner_queue;
            while (*tail)
                tail = &(*tail)->next;
            *tail = job;
            pthread_cond_signal(&s->cleaner_wake);
            pthread_mutex_unlock(&s->cleaner_lock);
            handed++;
        }
    }
    pthread_mutex_unlock(&s->lock);
    return handed;
}

int kelp_cleaner_start(kelp_storage *s)
{
    int rc = pthread_create(&s->cleaner_thread, NULL, cleaner_main, s);
    if (rc != 0)
        return -rc;
    s->cleaner_started = true;
    return 0;
}

void kelp_cleaner_stop(kelp_storage *s)
{
    if (!s->cleaner_started)
        return;
    pthread_mutex_lock(&s->cleaner_lock);
    s->cleaner_stopping = true;
    /* Jobs not started yet are dropped; the running one finishes. */
    kelp_clean_job *queued = s->cleaner_queue;
    s->cleaner_queue = NULL;
    pthread_cond_signal(&s->cleaner_wake);
    pthread_mutex_unlock(&s->cleaner_lock);
    pthread_join(s->cleaner_thread, NULL);
    s->cleaner_started = false;
    kelp_clean_job *done = s->cleaner_done;
    s->cleaner_done = NULL;
    for (kelp_clean_job *lists[2] = {queued, done}, **l = lists; l < lists + 2; l++) {
        while (*l) {
            kelp_clean_job *next = (*l)->next;
            /* Files of a finished job stay for recovery to swap or discard. */
            job_free(*l);
            *l = next;
        }
    }
}

/* ---- recovery ---- */

static int parse_hex_id(const char *text, uint8_t id[16])
{
    for (int i = 0; i < 16; i++) {
        unsigned v;
        if (sscanf(text + 2 * i, "%2x", &v) != 1)
            return -1;
        id[i] = (uint8_t)v;
    }
    return 0;
}

typedef struct leftover_list {
    kelp_fs *fs;
    const char *dir;
    int failed;
} leftover_list;

static int remove_leftover(void *ctx, const char *name, bool is_dir)
{
    leftover_list *l = ctx;
    size_t len = strlen(name), slen = strlen(CLEANED_SUFFIX);
    if (is_dir || len <= slen || strcmp(name + len - slen, CLEANED_SUFFIX) != 0)
        return 0;
    char path[KELP_LAYOUT_PATH_MAX];
    if (snprintf(path, sizeof(path), "%s/%s", l->dir, name) < (int)sizeof(path))
        l->failed |= l->fs->ops->remove_recursive(l->fs, path);
    return 0;
}

int kelp_cleaner_recover(kelp_partition *p)
{
    kelp_fs *fs = p->storage->fs;
    char path[KELP_LAYOUT_PATH_MAX];
    if (snprintf(path, sizeof(path), "%s/%s", p->dir, SWAP_MARKER) >= (int)sizeof(path))
        return KELP_STORAGE_ERR_INVALID;
    kelp_buf m;
    kelp_buf_init(&m);
    int rc = fs->ops->read_file(fs, path, &m);
    if (rc == 0 && kelp_buf_append(&m, "", 1)) {
        uint8_t id[16];
        const char *text = (const char *)m.data;
        if (m.len > 33 && parse_hex_id(text, id) == 0 && memcmp(id, p->topic->id, 16) == 0) {
            /* The .cleaned files were durable before the marker: finish. */
            for (const char *line = strchr(text, '\n'); line && line[1]; line = strchr(line + 1, '\n')) {
                int64_t base = strtoll(line + 1, NULL, 10);
                int sr = swap_files(fs, p->dir, base);
                if (sr != 0) {
                    kelp_buf_free(&m);
                    KELP_ERROR(STORAGE_LOG, "%s: cannot finish swapping compacted segment %" PRId64, p->dir, base);
                    return KELP_STORAGE_ERR_IO;
                }
                KELP_INFO(STORAGE_LOG, "%s: finished swapping compacted segment %" PRId64, p->dir, base);
            }
            if (fs->ops->sync_dir(fs, p->dir) != 0) {
                kelp_buf_free(&m);
                return KELP_STORAGE_ERR_IO;
            }
        }
        fs->ops->remove_recursive(fs, path);
    }
    kelp_buf_free(&m);
    leftover_list l = {fs, p->dir, 0};
    rc = fs->ops->list(fs, p->dir, remove_leftover, &l);
    return rc == 0 || rc == -ENOENT ? KELP_STORAGE_OK : KELP_STORAGE_ERR_IO;
}
