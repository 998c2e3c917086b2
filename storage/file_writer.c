/* One thread, one FIFO: a later write to a path always lands after an
 * earlier one, so the file ends with the newest content. */
#include "storage/file_writer.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"

typedef struct write_op {
    struct write_op *next;
    bool remove;
    char *path;
    void *data;
    size_t len;
    kelp_file_writer_done_fn done;
    void *ctx;
    int status;
} write_op;

struct kelp_file_writer {
    kelp_fs *fs;
    kelp_loop *loop;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    write_op *head, *tail;
    bool stopping;
};

static void op_free(write_op *op)
{
    free(op->path);
    free(op->data);
    free(op);
}

static void deliver_on_loop(void *ctx)
{
    write_op *op = ctx;
    op->done(op->ctx, op->status);
    op_free(op);
}

static int parent_dirs(kelp_fs *fs, const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return 0;
    size_t n = (size_t)(slash - path);
    char *dir = malloc(n + 1);
    if (!dir)
        return -ENOMEM;
    memcpy(dir, path, n);
    dir[n] = '\0';
    int rc = fs->ops->mkdirs(fs, dir);
    free(dir);
    return rc;
}

static int run_remove(kelp_fs *fs, write_op *op)
{
    return fs->ops->remove_recursive(fs, op->path);
}

static int run_put(kelp_fs *fs, write_op *op)
{
    int rc = fs->ops->write_file_atomic(fs, op->path, op->data, op->len);
    if (rc == -ENOENT) {
        rc = parent_dirs(fs, op->path);
        if (rc == 0)
            rc = fs->ops->write_file_atomic(fs, op->path, op->data, op->len);
    }
    return rc;
}

/* Writes a run of puts: one batched call where the backend has it, and a
 * path written twice in the run is written once, with its newest content. */
static void run_puts(kelp_fs *fs, write_op **ops, size_t n)
{
    if (!fs->ops->write_files_atomic || n == 1) {
        for (size_t i = 0; i < n; i++)
            ops[i]->status = run_put(fs, ops[i]);
        return;
    }
    kelp_fs_write *files = calloc(n, sizeof(*files));
    size_t *slot = calloc(n, sizeof(*slot)); /* ops[i] is files[slot[i]] */
    if (!files || !slot) {
        free(files);
        free(slot);
        for (size_t i = 0; i < n; i++)
            ops[i]->status = run_put(fs, ops[i]);
        return;
    }
    size_t nfiles = 0;
    for (size_t i = 0; i < n; i++) {
        size_t j = 0;
        while (j < nfiles && strcmp(files[j].path, ops[i]->path) != 0)
            j++;
        if (j == nfiles)
            nfiles++;
        files[j] = (kelp_fs_write){.path = ops[i]->path, .data = ops[i]->data, .len = ops[i]->len};
        slot[i] = j;
    }
    fs->ops->write_files_atomic(fs, files, nfiles);
    for (size_t i = 0; i < n; i++)
        ops[i]->status = files[slot[i]].status;
    free(files);
    free(slot);
}

static void complete(kelp_file_writer *w, write_op *op)
{
    if (op->status != 0)
        KELP_WARN("offsets", "%s %s failed: %s", op->remove ? "removing" : "writing", op->path,
                  strerror(-op->status));
    if (!op->done || kelp_loop_post(w->loop, deliver_on_loop, op) != 0) {
        if (op->done)
            KELP_ERROR("offsets", "lost the completion of %s", op->path);
        op_free(op);
    }
}

/* Most puts a batch takes at once (bounds the coalescing scan). */
#define BATCH_MAX 512

static void *writer_thread(void *arg)
{
    kelp_file_writer *w = arg;
    pthread_setname_np(pthread_self(), "kelp-writer");
    write_op *batch[BATCH_MAX];
    pthread_mutex_lock(&w->lock);
    for (;;) {
        while (!w->head && !w->stopping)
            pthread_cond_wait(&w->wake, &w->lock);
        if (!w->head)
            break; /* stopping and drained */
        /* Take a run of puts (or one remove) off the queue. */
        size_t n = 0;
        bool remove = w->head->remove;
        while (w->head && n < BATCH_MAX && w->head->remove == remove && (!remove || n == 0)) {
            batch[n++] = w->head;
            w->head = w->head->next;
        }
        if (!w->head)
            w->tail = NULL;
        pthread_mutex_unlock(&w->lock);

        if (remove)
            batch[0]->status = run_remove(w->fs, batch[0]);
        else
            run_puts(w->fs, batch, n);
        for (size_t i = 0; i < n; i++)
            complete(w, batch[i]);
        pthread_mutex_lock(&w->lock);
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

kelp_file_writer *kelp_file_writer_start(kelp_fs *fs, kelp_loop *loop)
{
    kelp_file_writer *w = calloc(1, sizeof(*w));
    if (!w)
        return NULL;
    w->fs = fs;
    w->loop = loop;
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->wake, NULL);
    if (pthread_create(&w->thread, NULL, writer_thread, w) != 0) {
        pthread_cond_destroy(&w->wake);
        pthread_mutex_destroy(&w->lock);
        free(w);
        return NULL;
    }
    return w;
}

static int enqueue(kelp_file_writer *w, bool remove, const char *path, const void *data, size_t len,
                   kelp_file_writer_done_fn done, void *ctx)
{
    write_op *op = calloc(1, sizeof(*op));
    if (!op)
        return -1;
    op->remove = remove;
    op->path = strdup(path);
    op->data = len ? malloc(len) : NULL;
    if (!op->path || (len && !op->data)) {
        op_free(op);
        return -1;
    }
    if (len)
        memcpy(op->data, data, len);
    op->len = len;
    op->done = done;
    op->ctx = ctx;
    pthread_mutex_lock(&w->lock);
    if (w->tail)
        w->tail->next = op;
    else
        w->head = op;
    w->tail = op;
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->lock);
    return 0;
}

int kelp_file_writer_put(kelp_file_writer *w, const char *path, const void *data, size_t len,
                         kelp_file_writer_done_fn done, void *ctx)
{
    return enqueue(w, false, path, data, len, done, ctx);
}

int kelp_file_writer_remove(kelp_file_writer *w, const char *path, kelp_file_writer_done_fn done, void *ctx)
{
    return enqueue(w, true, path, NULL, 0, done, ctx);
}

void kelp_file_writer_stop(kelp_file_writer *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->lock);
    w->stopping = true;
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->thread, NULL);
    pthread_cond_destroy(&w->wake);
    pthread_mutex_destroy(&w->lock);
    free(w);
}
