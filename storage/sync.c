/* Group commit. Appends publish (under the lock) which segments hold
 * unsynced bytes and how far the log was written; a sync round takes that
 * snapshot, fdatasyncs outside the lock, and only then moves each
 * partition's durable end, so the high watermark never passes bytes that
 * are not on disk. Completions reach the loop thread through an eventfd. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "util/log.h"
#include "metrics/sync_metrics.h"
#include "storage/storage_internal.h"

#include <time.h>

/* How long a failed round waits before the next attempt. */
#define SYNC_RETRY_MS 200

int kelp_sync_mark_dirty(kelp_partition *p, kelp_segment *seg, bool new_file)
{
    kelp_storage *s = p->storage;
    int rc = KELP_STORAGE_OK;
    pthread_mutex_lock(&s->lock);
    if (!seg->needs_sync) {
        if (p->dirty_count == p->dirty_cap) {
            size_t cap = p->dirty_cap ? p->dirty_cap * 2 : 4;
            kelp_segment **n = realloc(p->dirty_segments, cap * sizeof(*n));
            if (!n) {
                rc = KELP_STORAGE_ERR_NO_MEMORY;
                goto out;
            }
            p->dirty_segments = n;
            p->dirty_cap = cap;
        }
        p->dirty_segments[p->dirty_count++] = seg;
        seg->needs_sync = true;
    }
    if (new_file)
        p->dir_dirty = true;
    p->written_end = p->log_end;
    if (!p->in_dirty_list) {
        p->in_dirty_list = true;
        p->dirty_next = s->dirty_head;
        s->dirty_head = p;
    }
out:
    pthread_mutex_unlock(&s->lock);
    return rc;
}

bool kelp_sync_reserve(void **arr, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return true;
    size_t n = *cap ? *cap * 2 : 16;
    while (n < need)
        n *= 2;
    void *p = realloc(*arr, n * elem);
    if (!p)
        return false;
    *arr = p;
    *cap = n;
    return true;
}

size_t kelp_sync_segment_files(const kelp_segment *seg, bool indexes, kelp_fs_file *out[3])
{
    size_t n = 0;
    out[n++] = seg->log;
    if (indexes && seg->index)
        out[n++] = seg->index;
    if (indexes && seg->timeindex)
        out[n++] = seg->timeindex;
    return n;
}

int kelp_sync_files(kelp_storage *s, kelp_fs_file **files, size_t n, bool *whole_fs)
{
    const kelp_fs_ops *ops = s->fs->ops;
    *whole_fs = false;
    if (ops->sync_files)
        return n > 0 ? ops->sync_files(s->fs, files, n, whole_fs) : 0;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = ops->sync(files[i]);
    return rc;
}

/* Under the lock: moves dirty partitions into the work arrays. */
static void take_snapshot(kelp_storage *s, size_t *nparts, size_t *nsegs)
{
    *nparts = *nsegs = 0;
    while (s->dirty_head) {
        kelp_partition *p = s->dirty_head;
        if (!kelp_sync_reserve((void **)&s->work_parts, &s->work_part_cap, *nparts + 1, sizeof(*s->work_parts)) ||
            !kelp_sync_reserve((void **)&s->work_segs, &s->work_seg_cap, *nsegs + p->dirty_count,
                               sizeof(*s->work_segs)))
            break; /* the rest stays dirty for the next round */
        s->dirty_head = p->dirty_next;
        p->in_dirty_list = false;
        size_t part = (*nparts)++;
        s->work_parts[part] = (sync_part_item){.p = p, .target = p->written_end, .dir = p->dir_dirty};
        p->dir_dirty = false;
        for (size_t i = 0; i < p->dirty_count; i++) {
            p->dirty_segments[i]->needs_sync = false;
            kelp_segment *seg = p->dirty_segments[i];
            s->work_segs[(*nsegs)++] =
                (sync_seg_item){.seg = seg, .part = part, .indexes = atomic_load(&seg->sealed)};
        }
        p->dirty_count = 0;
    }
}

/* Under the lock: a segment whose sync failed is synced again next round. */
static void remark_dirty(kelp_partition *p, kelp_segment *seg)
{
    if (seg->needs_sync)
        return;
    if (p->dirty_count == p->dirty_cap) {
        size_t cap = p->dirty_cap ? p->dirty_cap * 2 : 4;
        kelp_segment **n = realloc(p->dirty_segments, cap * sizeof(*n));
        if (!n)
            return; /* the next append marks it again */
        p->dirty_segments = n;
        p->dirty_cap = cap;
    }
    p->dirty_segments[p->dirty_count++] = seg;
    seg->needs_sync = true;
    if (!p->in_dirty_list) {
        p->in_dirty_list = true;
        p->dirty_next = p->storage->dirty_head;
        p->storage->dirty_head = p;
    }
}

bool kelp_sync_round(kelp_storage *s)
{
    const kelp_fs_ops *ops = s->fs->ops;
    pthread_mutex_lock(&s->round_lock);
    int64_t round_start_ns = kelp_metrics_now_ns();
    bool round_failed = false;
    size_t nparts, nsegs;
    pthread_mutex_lock(&s->lock);
    take_snapshot(s, &nparts, &nsegs);
    pthread_mutex_unlock(&s->lock);

    bool whole_fs = false;
    size_t nfiles = 0;
    if (ops->sync_files &&
        kelp_sync_reserve((void **)&s->work_files, &s->work_file_cap, nsegs * 3, sizeof(*s->work_files))) {
        /* The files of the round at once: one flush for all where the
         * backend can. */
        for (size_t i = 0; i < nsegs; i++)
            nfiles += kelp_sync_segment_files(s->work_segs[i].seg, s->work_segs[i].indexes, &s->work_files[nfiles]);
        int rc = kelp_sync_files(s, s->work_files, nfiles, &whole_fs);
        if (rc != 0) {
            KELP_ERROR(STORAGE_LOG, "sync of %zu files failed: %s", nfiles, strerror(-rc));
            for (size_t i = 0; i < nsegs; i++) {
                s->work_parts[s->work_segs[i].part].failed = true;
                s->work_segs[i].failed = true;
            }
            round_failed = true;
            whole_fs = false;
        }
    } else {
        for (size_t i = 0; i < nsegs; i++) {
            kelp_fs_file *files[3];
            size_t n = kelp_sync_segment_files(s->work_segs[i].seg, s->work_segs[i].indexes, files);
            int rc = 0;
            for (size_t f = 0; f < n && rc == 0; f++)
                rc = ops->sync(files[f]);
            if (rc != 0) {
                sync_part_item *w = &s->work_parts[s->work_segs[i].part];
                KELP_ERROR(STORAGE_LOG, "sync of %s failed: %s", w->p->dir, strerror(-rc));
                w->failed = true;
                s->work_segs[i].failed = true;
                round_failed = true;
            }
        }
    }
    for (size_t i = 0; i < nparts && !whole_fs; i++) {
        sync_part_item *w = &s->work_parts[i];
        if (w->dir && !w->failed) {
            int rc = ops->sync_dir(s->fs, w->p->dir);
            if (rc != 0) {
                KELP_ERROR(STORAGE_LOG, "sync of directory %s failed: %s", w->p->dir, strerror(-rc));
                w->failed = true;
                round_failed = true;
            }
        }
    }

    bool any = false, retry = false;
    pthread_mutex_lock(&s->lock);
    if (ops->retry_failed_sync)
        for (size_t i = 0; i < nsegs; i++)
            if (s->work_segs[i].failed) {
                remark_dirty(s->work_parts[s->work_segs[i].part].p, s->work_segs[i].seg);
                retry = true;
            }
    for (size_t i = 0; i < nparts; i++) {
        sync_part_item *w = &s->work_parts[i];
        /* After a failed fdatasync the kernel may have dropped the data:
         * the high watermark stays where it is. */
        if (w->failed || w->target <= w->p->durable_end)
            continue;
        w->p->durable_end = w->target;
        if (!w->p->in_completed_list) {
            w->p->in_completed_list = true;
            w->p->completed_next = s->completed_head;
            s->completed_head = w->p;
        }
        any = true;
    }
    pthread_mutex_unlock(&s->lock);
    if (any) {
        uint64_t one = 1;
        ssize_t n = write(s->event_fd, &one, sizeof(one));
        (void)n; /* a saturated counter is still readable */
    }
    /* Rounds with nothing to sync (a shutdown's last one) say nothing of the disk. */
    if (nparts > 0)
        kelp_sync_metrics_round((double)(kelp_metrics_now_ns() - round_start_ns) / 1e9, round_failed);
    pthread_mutex_unlock(&s->round_lock);
    return retry;
}

static void *sync_main(void *arg)
{
    kelp_storage *s = arg;
    pthread_setname_np(pthread_self(), "kelp-sync");
    pthread_mutex_lock(&s->lock);
    for (;;) {
        while (!s->sync_requested && !s->stopping)
            pthread_cond_wait(&s->wake, &s->lock);
        if (!s->sync_requested && s->stopping)
            break;
        s->sync_requested = false;
        pthread_mutex_unlock(&s->lock);
        bool retry = kelp_sync_round(s);
        pthread_mutex_lock(&s->lock);
        if (retry && !s->stopping) {
            /* The filer did not take the data: try again soon, not at once. */
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_nsec += SYNC_RETRY_MS * 1000000L;
            until.tv_sec += until.tv_nsec / 1000000000L;
            until.tv_nsec %= 1000000000L;
            while (!s->stopping && pthread_cond_timedwait(&s->wake, &s->lock, &until) == 0) {
            }
            s->sync_requested = true;
        }
    }
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

int kelp_sync_start(kelp_storage *s)
{
    s->event_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (s->event_fd < 0)
        return -errno;
    int rc = pthread_create(&s->thread, NULL, sync_main, s);
    if (rc != 0)
        return -rc;
    s->thread_started = true;
    return 0;
}

void kelp_sync_stop(kelp_storage *s)
{
    if (s->thread_started) {
        pthread_mutex_lock(&s->lock);
        s->stopping = true;
        pthread_cond_signal(&s->wake);
        pthread_mutex_unlock(&s->lock);
        pthread_join(s->thread, NULL);
        s->thread_started = false;
    }
}

void kelp_storage_request_sync(kelp_storage *s)
{
    pthread_mutex_lock(&s->lock);
    if (s->dirty_head && !s->sync_requested) {
        s->sync_requested = true;
        pthread_cond_signal(&s->wake);
    }
    pthread_mutex_unlock(&s->lock);
}

int kelp_storage_completion_fd(kelp_storage *s) { return s->event_fd; }

void kelp_storage_process_completions(kelp_storage *s)
{
    uint64_t v;
    ssize_t r = read(s->event_fd, &v, sizeof(v));
    (void)r; /* EAGAIN when a previous call already drained it */
    size_t n = 0;
    pthread_mutex_lock(&s->lock);
    for (kelp_partition *p = s->completed_head; p; p = p->completed_next) {
        if (n == s->notify_cap &&
            !kelp_sync_reserve((void **)&s->notify, &s->notify_cap, n + 1, sizeof(*s->notify)))
            break;
        s->notify[n++] = p;
    }
    /* Partitions that did not fit stay queued; wake ourselves again. */
    kelp_partition *rest = s->completed_head;
    for (size_t i = 0; i < n; i++) {
        rest = s->notify[i]->completed_next;
        s->notify[i]->in_completed_list = false;
        s->notify[i]->high_watermark = s->notify[i]->durable_end;
    }
    s->completed_head = n ? rest : s->completed_head;
    bool more = s->completed_head != NULL;
    pthread_mutex_unlock(&s->lock);
    if (more) {
        uint64_t one = 1;
        ssize_t w = write(s->event_fd, &one, sizeof(one));
        (void)w;
    }
    for (size_t i = 0; i < n; i++)
        if (s->opt.on_durable)
            s->opt.on_durable(s->opt.ctx, s->notify[i], s->notify[i]->high_watermark);
    kelp_cleaner_finish_jobs(s);
}

int kelp_storage_sync_all(kelp_storage *s)
{
    kelp_sync_round(s);
    kelp_storage_process_completions(s);
    return KELP_STORAGE_OK;
}
