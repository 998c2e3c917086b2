/* Local directory backend of the storage file-system table: every path is
 * resolved relative to an open descriptor of the root directory. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* openat family, d_type, mkdtemp */
#endif
#include "storage/fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "metrics/histogram.h"
#include "storage/flush_policy.h"
#include "storage/layout.h"

#define SMALL_FILE_MAX (64 * 1024 * 1024)

typedef struct local_fs {
    kelp_fs base;
    int root_fd;
    kelp_flush_policy flush;
} local_fs;

struct kelp_fs_file {
    int fd;
};

static int root_of(kelp_fs *fs) { return ((local_fs *)fs)->root_fd; }

/* The directory part of path ("." for a top-level name). */
static void parent_of(const char *path, char *out, size_t cap)
{
    const char *slash = strrchr(path, '/');
    if (!slash) {
        snprintf(out, cap, ".");
        return;
    }
    size_t n = (size_t)(slash - path);
    if (n >= cap)
        n = cap - 1;
    memcpy(out, path, n);
    out[n] = '\0';
}

static int sync_dir_at(int root, const char *path)
{
    int fd = openat(root, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    int rc = fsync(fd) == 0 ? 0 : -errno;
    close(fd);
    return rc;
}

static int local_sync_dir(kelp_fs *fs, const char *path) { return sync_dir_at(root_of(fs), path); }

static int local_mkdirs(kelp_fs *fs, const char *path)
{
    char buf[KELP_LAYOUT_PATH_MAX];
    size_t len = strlen(path);
    if (len == 0 || len >= sizeof(buf))
        return -ENAMETOOLONG;
    memcpy(buf, path, len + 1);
    for (size_t i = 1; i <= len; i++) {
        if (buf[i] != '/' && buf[i] != '\0')
            continue;
        char saved = buf[i];
        buf[i] = '\0';
        if (mkdirat(root_of(fs), buf, 0755) == 0) {
            char parent[KELP_LAYOUT_PATH_MAX];
            parent_of(buf, parent, sizeof(parent));
            int rc = sync_dir_at(root_of(fs), parent);
            if (rc != 0)
                return rc;
        } else if (errno != EEXIST) {
            return -errno;
        }
        buf[i] = saved;
    }
    return 0;
}

static int local_open_append(kelp_fs *fs, const char *path, kelp_fs_file **out)
{
    int fd = openat(root_of(fs), path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0)
        return -errno;
    kelp_fs_file *f = malloc(sizeof(*f));
    if (!f) {
        close(fd);
        return -ENOMEM;
    }
    f->fd = fd;
    *out = f;
    return 0;
}

static int local_append(kelp_fs_file *f, const struct iovec *iov_in, int iovcnt)
{
    struct iovec iov[16];
    if (iovcnt <= 0 || iovcnt > 16)
        return -EINVAL;
    memcpy(iov, iov_in, sizeof(*iov) * (size_t)iovcnt);
    struct iovec *cur = iov;
    while (iovcnt > 0) {
        ssize_t n = writev(f->fd, cur, iovcnt);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (n == 0)
            return -EIO;
        while (iovcnt > 0 && (size_t)n >= cur->iov_len) {
            n -= (ssize_t)cur->iov_len;
            cur++;
            iovcnt--;
        }
        if (iovcnt > 0) {
            cur->iov_base = (uint8_t *)cur->iov_base + n;
            cur->iov_len -= (size_t)n;
        }
    }
    return 0;
}

static int local_sync(kelp_fs_file *f) { return fdatasync(f->fd) == 0 ? 0 : -errno; }

/* fdatasync each file or one syncfs, whichever the policy expects to be
 * faster (storage/flush_policy.h). Every fdatasync waits for its own
 * journal commit and device cache flush; syncfs pays one of each but also
 * waits for other writers' dirty data on the same file system. */
static int local_sync_files(kelp_fs *fs, kelp_fs_file *const *files, size_t n, bool *whole_fs)
{
    kelp_flush_policy *policy = &((local_fs *)fs)->flush;
    kelp_flush_method m = kelp_flush_policy_pick(policy, n);
    *whole_fs = m == KELP_FLUSH_WHOLE_FS;
    int64_t start_ns = kelp_metrics_now_ns();
    int rc = 0;
    if (m == KELP_FLUSH_WHOLE_FS)
        rc = syncfs(root_of(fs)) == 0 ? 0 : -errno;
    else
        for (size_t i = 0; i < n && rc == 0; i++)
            rc = fdatasync(files[i]->fd) == 0 ? 0 : -errno;
    if (rc == 0)
        kelp_flush_policy_record(policy, m, n, (double)(kelp_metrics_now_ns() - start_ns) / 1e6);
    else
        *whole_fs = false;
    return rc;
}

static ssize_t local_pread(kelp_fs_file *f, void *buf, size_t len, uint64_t off)
{
    size_t done = 0;
    while (done < len) {
        ssize_t n = pread(f->fd, (uint8_t *)buf + done, len - done, (off_t)(off + done));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (n == 0)
            break;
        done += (size_t)n;
    }
    return (ssize_t)done;
}

static int64_t local_size(kelp_fs_file *f)
{
    struct stat st;
    return fstat(f->fd, &st) == 0 ? (int64_t)st.st_size : -errno;
}

static int local_truncate(kelp_fs_file *f, uint64_t len) { return ftruncate(f->fd, (off_t)len) == 0 ? 0 : -errno; }

static void local_close(kelp_fs_file *f)
{
    if (f) {
        close(f->fd);
        free(f);
    }
}

static int local_list(kelp_fs *fs, const char *path, kelp_fs_list_fn fn, void *ctx)
{
    int fd = openat(root_of(fs), path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    DIR *d = fdopendir(fd);
    if (!d) {
        int e = errno;
        close(fd);
        return -e;
    }
    int rc = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        bool is_dir = e->d_type == DT_DIR;
        if (e->d_type == DT_UNKNOWN) {
            struct stat st;
            is_dir = fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
        }
        if (fn(ctx, e->d_name, is_dir) != 0)
            break;
    }
    closedir(d);
    return rc;
}

static int local_read_file(kelp_fs *fs, const char *path, kelp_buf *out)
{
    int fd = openat(root_of(fs), path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    struct stat st;
    int rc = 0;
    if (fstat(fd, &st) != 0) {
        rc = -errno;
    } else if (st.st_size > SMALL_FILE_MAX) {
        rc = -EFBIG;
    } else if (st.st_size > 0) { /* an empty file appends nothing */
        kelp_fs_file f = {fd};
        uint8_t *dst = kelp_buf_extend(out, (size_t)st.st_size);
        if (!dst) {
            rc = -ENOMEM;
        } else {
            ssize_t n = local_pread(&f, dst, (size_t)st.st_size, 0);
            if (n < 0)
                rc = (int)n;
            else
                out->len -= (size_t)st.st_size - (size_t)n;
        }
    }
    close(fd);
    return rc;
}

static int local_write_file_atomic(kelp_fs *fs, const char *path, const void *data, size_t len)
{
    char tmp[KELP_LAYOUT_PATH_MAX + 8];
    if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
        return -ENAMETOOLONG;
    int fd = openat(root_of(fs), tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return -errno;
    kelp_fs_file f = {fd};
    struct iovec iov = {(void *)data, len};
    int rc = len ? local_append(&f, &iov, 1) : 0;
    if (rc == 0 && fsync(fd) != 0)
        rc = -errno;
    close(fd);
    if (rc == 0 && renameat(root_of(fs), tmp, root_of(fs), path) != 0)
        rc = -errno;
    if (rc != 0) {
        unlinkat(root_of(fs), tmp, 0);
        return rc;
    }
    char parent[KELP_LAYOUT_PATH_MAX];
    parent_of(path, parent, sizeof(parent));
    return sync_dir_at(root_of(fs), parent);
}

/* Writes a temporary file beside path (no sync); creates parents on demand. */
static int write_tmp(kelp_fs *fs, const char *tmp, const char *path, const void *data, size_t len)
{
    int fd = openat(root_of(fs), tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0 && errno == ENOENT) {
        char parent[KELP_LAYOUT_PATH_MAX];
        parent_of(path, parent, sizeof(parent));
        int rc = local_mkdirs(fs, parent);
        if (rc != 0)
            return rc;
        fd = openat(root_of(fs), tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    }
    if (fd < 0)
        return -errno;
    kelp_fs_file f = {fd};
    struct iovec iov = {(void *)data, len};
    int rc = len ? local_append(&f, &iov, 1) : 0;
    close(fd);
    return rc;
}

/* Many files for two flushes of the file system: write every temporary
 * file, syncfs (their data), rename them into place, syncfs (the renames).
 * A crash leaves each file old or new, never torn. */
static int local_write_files_atomic(kelp_fs *fs, kelp_fs_write *files, size_t n)
{
    char tmp[KELP_LAYOUT_PATH_MAX + 8];
    for (size_t i = 0; i < n; i++) {
        if (snprintf(tmp, sizeof(tmp), "%s.tmp", files[i].path) >= (int)sizeof(tmp)) {
            files[i].status = -ENAMETOOLONG;
            continue;
        }
        files[i].status = write_tmp(fs, tmp, files[i].path, files[i].data, files[i].len);
        if (files[i].status != 0)
            unlinkat(root_of(fs), tmp, 0);
    }
    if (syncfs(root_of(fs)) != 0) {
        int e = -errno;
        for (size_t i = 0; i < n; i++)
            if (files[i].status == 0)
                files[i].status = e;
        return e;
    }
    for (size_t i = 0; i < n; i++) {
        if (files[i].status != 0)
            continue;
        snprintf(tmp, sizeof(tmp), "%s.tmp", files[i].path);
        if (renameat(root_of(fs), tmp, root_of(fs), files[i].path) != 0) {
            files[i].status = -errno;
            unlinkat(root_of(fs), tmp, 0);
        }
    }
    if (syncfs(root_of(fs)) != 0) {
        int e = -errno;
        for (size_t i = 0; i < n; i++)
            if (files[i].status == 0)
                files[i].status = e;
        return e;
    }
    return 0;
}

static int remove_at(int dirfd_, const char *name)
{
    if (unlinkat(dirfd_, name, 0) == 0 || errno == ENOENT)
        return 0;
    if (errno != EISDIR && errno != EPERM)
        return -errno;
    int fd = openat(dirfd_, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    DIR *d = fdopendir(fd);
    if (!d) {
        int e = errno;
        close(fd);
        return -e;
    }
    int rc = 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            rc = remove_at(dirfd(d), e->d_name);
    }
    closedir(d);
    if (rc == 0 && unlinkat(dirfd_, name, AT_REMOVEDIR) != 0)
        rc = -errno;
    return rc;
}

static int local_remove_recursive(kelp_fs *fs, const char *path) { return remove_at(root_of(fs), path); }

static int local_rename(kelp_fs *fs, const char *from, const char *to)
{
    return renameat(root_of(fs), from, root_of(fs), to) == 0 ? 0 : -errno;
}

static void local_destroy(kelp_fs *fs)
{
    if (fs) {
        close(root_of(fs));
        kelp_flush_policy_destroy(&((local_fs *)fs)->flush);
        free(fs);
    }
}

static int local_space(kelp_fs *f, int64_t *total, int64_t *usable);

static int local_os_fd(kelp_fs_file *f) { return f->fd; }

static const kelp_fs_ops local_ops = {
    .mkdirs = local_mkdirs,
    .open_append = local_open_append,
    .append = local_append,
    .sync = local_sync,
    .sync_files = local_sync_files,
    .pread = local_pread,
    .size = local_size,
    .os_fd = local_os_fd,
    .truncate = local_truncate,
    .close = local_close,
    .list = local_list,
    .read_file = local_read_file,
    .write_file_atomic = local_write_file_atomic,
    .write_files_atomic = local_write_files_atomic,
    .remove_recursive = local_remove_recursive,
    .rename = local_rename,
    .sync_dir = local_sync_dir,
    .space = local_space,
    .destroy = local_destroy,
};

static int local_space(kelp_fs *f, int64_t *total, int64_t *usable)
{
    local_fs *fs = (local_fs *)f;
    struct statvfs st;
    if (fstatvfs(fs->root_fd, &st) != 0)
        return -errno;
    *total = (int64_t)st.f_blocks * (int64_t)st.f_frsize;
    *usable = (int64_t)st.f_bavail * (int64_t)st.f_frsize;
    return 0;
}

/* mkdir -p for the root itself, which may be an absolute path. */
static int make_root(const char *root)
{
    char buf[4096];
    size_t len = strlen(root);
    if (len == 0 || len >= sizeof(buf))
        return -ENAMETOOLONG;
    memcpy(buf, root, len + 1);
    for (size_t i = 1; i <= len; i++) {
        if (buf[i] != '/' && buf[i] != '\0')
            continue;
        char saved = buf[i];
        buf[i] = '\0';
        if (mkdir(buf, 0755) != 0 && errno != EEXIST)
            return -errno;
        buf[i] = saved;
    }
    return 0;
}

kelp_fs *kelp_fs_local_open(const char *root, char *err, size_t errlen)
{
    int rc = root ? make_root(root) : -EINVAL;
    if (rc != 0) {
        snprintf(err, errlen, "cannot create data directory \"%s\": %s", root ? root : "(none)", strerror(-rc));
        return NULL;
    }
    int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "cannot open data directory \"%s\": %s", root, strerror(errno));
        return NULL;
    }
    local_fs *fs = calloc(1, sizeof(*fs));
    if (!fs) {
        close(fd);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    fs->base.ops = &local_ops;
    fs->root_fd = fd;
    kelp_flush_policy_init(&fs->flush);
    return &fs->base;
}
