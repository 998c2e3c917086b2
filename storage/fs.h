/* The file-system operations the log needs, on paths relative to the filer
 * root. The local directory backend implements them with POSIX calls; a
 * SeaweedFS filer backend can implement the same table over HTTP, which is
 * why the table offers only what a filer can do: create/append, ranged
 * reads, atomic small-file replacement by rename. truncate may be
 * unsupported (-ENOTSUP); only local recovery relies on it.
 *
 * Every operation returns 0 (or a count) on success and a negative errno on
 * failure. File handles may be synced from one thread while another appends
 * to them or reads them; nothing else is shared between threads. */
#ifndef KELP_STORAGE_FS_H
#define KELP_STORAGE_FS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "util/buf.h"

typedef struct kelp_fs kelp_fs;
typedef struct kelp_fs_file kelp_fs_file;

/* Called once per directory entry (never "." or ".."); non-zero stops the walk. */
typedef int (*kelp_fs_list_fn)(void *ctx, const char *name, bool is_dir);

/* One file of a batched replacement (write_files_atomic). */
typedef struct kelp_fs_write {
    const char *path;
    const void *data;
    size_t len;
    int status; /* set by the call: 0 or a negative errno */
} kelp_fs_write;

typedef struct kelp_fs_ops {
    /* Creates the directory and any missing parents, durably. */
    int (*mkdirs)(kelp_fs *fs, const char *path);
    /* Opens a file for appending and reading, creating it when missing. */
    int (*open_append)(kelp_fs *fs, const char *path, kelp_fs_file **out);
    /* Appends all the bytes or fails; after a failure the file may hold a
     * prefix of them (the caller truncates where it can). */
    int (*append)(kelp_fs_file *f, const struct iovec *iov, int iovcnt);
    /* Makes appended data durable (fdatasync locally). */
    int (*sync)(kelp_fs_file *f);
    /* Makes several files' appended data durable at once; 0, or a negative
     * errno when any may have failed. *whole_fs: it flushed the whole file
     * system, new directory entries included. NULL: sync each. */
    int (*sync_files)(kelp_fs *fs, kelp_fs_file *const *files, size_t n, bool *whole_fs);
    /* Reads up to len bytes at off; fewer only at the end of the file. */
    ssize_t (*pread)(kelp_fs_file *f, void *buf, size_t len, uint64_t off);
    int64_t (*size)(kelp_fs_file *f);
    /* The file's OS descriptor, for sendfile; NULL or -1 where the backend
     * has none. */
    int (*os_fd)(kelp_fs_file *f);
    int (*truncate)(kelp_fs_file *f, uint64_t len);
    void (*close)(kelp_fs_file *f);
    /* Lists a directory; -ENOENT when it does not exist. */
    int (*list)(kelp_fs *fs, const char *dir, kelp_fs_list_fn fn, void *ctx);
    /* Reads a whole small file into out (appending); -ENOENT when missing. */
    int (*read_file)(kelp_fs *fs, const char *path, kelp_buf *out);
    /* Replaces a small file atomically and durably (temp file, sync, rename, sync dir). */
    int (*write_file_atomic)(kelp_fs *fs, const char *path, const void *data, size_t len);
    /* Replaces several small files, each atomically, creating missing
     * parents; all of them are durable when it returns. Sets each status and
     * returns 0, or a negative errno when nothing could be made durable.
     * Lets a backend pay one flush for many files (committed offsets). */
    int (*write_files_atomic)(kelp_fs *fs, kelp_fs_write *files, size_t n);
    int (*remove_recursive)(kelp_fs *fs, const char *path);
    int (*rename)(kelp_fs *fs, const char *from, const char *to);
    /* Makes entries created in a directory durable (no-op where creation is durable). */
    int (*sync_dir)(kelp_fs *fs, const char *path);
    /* Capacity of the volume holding the root and the bytes still free
     * for writing (DescribeLogDirs); -ENOTSUP where a backend cannot tell. */
    int (*space)(kelp_fs *fs, int64_t *total, int64_t *usable);
    void (*destroy)(kelp_fs *fs);
    /* Whether a failed sync may be retried with the same data still to
     * send (a filer that was unreachable), unlike a local fdatasync, after
     * whose failure the kernel may have dropped the pages. */
    bool retry_failed_sync;
    /* Whether a write sent by a process that has since died may still be
     * applied (a filer finishing a request): a new process then never
     * writes where the old one might have, and starts a fresh segment. */
    bool writes_may_land_late;
} kelp_fs_ops;

struct kelp_fs {
    const kelp_fs_ops *ops;
};

/* The local directory backend rooted at root (created when missing); NULL
 * with a message in err on failure. */
kelp_fs *kelp_fs_local_open(const char *root, char *err, size_t errlen);

#endif
