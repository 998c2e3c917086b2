/* Small-file writes off the event loop: a thread that replaces or removes
 * files through the fs table, in the order they were queued, and reports
 * each completion back on the loop thread. Committed offsets and group
 * metadata go through it so that no fsync ever stalls the loop. */
#ifndef KELP_STORAGE_FILE_WRITER_H
#define KELP_STORAGE_FILE_WRITER_H

#include <stddef.h>

#include "net/event_loop.h"
#include "storage/fs.h"

typedef struct kelp_file_writer kelp_file_writer;

/* Called on the loop thread once the operation is durable (status 0) or
 * failed (negative errno). */
typedef void (*kelp_file_writer_done_fn)(void *ctx, int status);

kelp_file_writer *kelp_file_writer_start(kelp_fs *fs, kelp_loop *loop);
/* Replaces path with a copy of data (parents are created). done may be NULL. */
int kelp_file_writer_put(kelp_file_writer *w, const char *path, const void *data, size_t len,
                         kelp_file_writer_done_fn done, void *ctx);
/* Removes path and everything below it. done may be NULL. */
int kelp_file_writer_remove(kelp_file_writer *w, const char *path, kelp_file_writer_done_fn done, void *ctx);
/* Finishes every queued operation and joins the thread. Completions still
 * due are posted to the loop, so stop it while the loop still runs when
 * callers wait for them; operations queued without one need no loop. */
void kelp_file_writer_stop(kelp_file_writer *w);

#endif
