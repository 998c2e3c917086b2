/* The clean-shutdown marker. A clean stop makes every active segment's
 * index files whole and durable and then writes the marker; the next start
 * takes it away (durably, before anything is appended) and trusts those
 * indexes, checking only the batches after their last entry, instead of
 * reading and checksumming every active segment. Without the marker (a
 * crash, or a stop that could not sync) recovery checks everything. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "storage/storage_internal.h"

static const char marker_path[] = KELP_LAYOUT_TOPICS_DIR "/" KELP_LAYOUT_META_DIR "/" KELP_LAYOUT_CLEAN_SHUTDOWN_FILE;
static const char marker_dir[] = KELP_LAYOUT_TOPICS_DIR "/" KELP_LAYOUT_META_DIR;

int kelp_clean_shutdown_take(kelp_storage *s, bool *clean)
{
    const kelp_fs_ops *ops = s->fs->ops;
    kelp_buf body;
    kelp_buf_init(&body);
    int rc = ops->read_file(s->fs, marker_path, &body);
    kelp_buf_free(&body);
    *clean = rc == 0;
    if (rc == -ENOENT)
        return KELP_STORAGE_OK;
    /* Unreadable or present: it must be gone before this process writes,
     * or a crash of this process would pass for a clean stop. */
    rc = ops->remove_recursive(s->fs, marker_path);
    if (rc == 0 || rc == -ENOENT)
        rc = ops->sync_dir(s->fs, marker_dir);
    if (rc != 0) {
        KELP_ERROR(STORAGE_LOG, "cannot remove %s: %s", marker_path, strerror(-rc));
        return KELP_STORAGE_ERR_IO;
    }
    return KELP_STORAGE_OK;
}

void kelp_clean_shutdown_mark(kelp_storage *s)
{
    const kelp_fs_ops *ops = s->fs->ops;
    size_t nfiles = 0, cap = 0;
    kelp_fs_file **files = NULL;
    int rc = KELP_STORAGE_OK;
    for (size_t t = 0; t < s->topic_count && rc == 0; t++) {
        kelp_topic *topic = s->topics[t];
        for (int32_t i = 0; i < topic->partition_count && rc == 0; i++) {
            kelp_partition *p = topic->partitions[i];
            if (!p || p->segment_count == 0 || p->failed) {
                rc = p && p->failed ? KELP_STORAGE_ERR_IO : rc;
                continue;
            }
            kelp_segment *seg = p->segments[p->segment_count - 1];
            /* The time index ends with the segment's maximum, as a sealed one's does. */
            kelp_segment_flush_entries(s, seg);
            if (!kelp_sync_reserve((void **)&files, &cap, nfiles + 3, sizeof(*files))) {
                rc = KELP_STORAGE_ERR_NO_MEMORY;
                break;
            }
            /* The log too: the final sync round left it clean, so this costs
             * nothing, but the marker must not depend on that round. */
            nfiles += kelp_sync_segment_files(seg, true, &files[nfiles]);
        }
    }
    bool whole_fs;
    if (rc == 0)
        rc = kelp_sync_files(s, files, nfiles, &whole_fs);
    free(files);
    if (rc == 0)
        rc = ops->mkdirs(s->fs, marker_dir);
    if (rc == 0)
        rc = ops->write_file_atomic(s->fs, marker_path, "{}\n", 3);
    if (rc != 0)
        KELP_WARN(STORAGE_LOG, "no clean-shutdown marker (%s): the next start checks every active segment",
                  rc < 0 ? strerror(-rc) : "a partition could not be synced");
}
