/* SeaweedFS filer backend over libcurl.
 *
 * Files are paths on the filer. An appended file keeps, in memory, what
 * was appended but not yet sent (pending) and what is being sent
 * (inflight); sync sends both as one `?op=append` request, and only a
 * confirmed append moves the durable size. When an append's answer is lost
 * the file's size on the filer tells whether it was applied, so a retry
 * never writes the same bytes twice. The newest confirmed bytes stay in a
 * cache, so that consumers reading the tail of a log cost no request.
 * Small metadata files are written inline (saveInside=true), as other
 * SeaweedFS components expect; files that are appended to cannot be inline.
 *
 * Connections: a pool of at most max_requests curl handles, each keeping
 * its connection open; a request waits for a free handle. */
#include "storage/fs_filer.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storage/layout.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/log.h"

#define FILER_LOG "filer"
#define SMALL_FILE_MAX (64 * 1024 * 1024)
#define LIST_PAGE 1000
#define DIR_MODE_BIT 2147483648.0 /* os.ModeDir in the entry's Mode */

typedef struct filer_fs {
    kelp_fs base;
    char *base_url; /* scheme://host:port + root without its trailing slash */
    char *root;     /* the root as a filer path, without its trailing slash ("" for "/") */
    char *auth;     /* "Authorization: Bearer ..." or NULL */
    long timeout_ms;
    int64_t cache_bytes;
    int64_t pending_max;
    pthread_mutex_t pool_lock;
    pthread_cond_t pool_cond;
    CURL **idle;
    int idle_count, total, max;
} filer_fs;

struct kelp_fs_file {
    filer_fs *fs;
    char *path;
    pthread_mutex_t lock;      /* the fields below */
    pthread_mutex_t sync_lock; /* one sync at a time */
    uint64_t flushed;          /* bytes the filer confirmed */
    kelp_buf inflight;         /* [flushed, flushed + inflight.len): sent, not yet confirmed */
    kelp_buf pending;          /* after inflight: appended, not yet sent */
    bool uncertain;            /* inflight's append may or may not have been applied */
    int64_t uncertain_since;   /* when that append was sent (monotonic ms) */
    bool broken;               /* the filer's copy differs from what was appended */
    kelp_buf cache;            /* [cache_start, flushed) */
    uint64_t cache_start;
    kelp_buf window;           /* read ahead: [window_start, window_start + window.len) */
    uint64_t window_start;
};

/* A read from the filer fetches at least this much: recovery and index
 * rebuilds walk a log batch header by batch header. */
#define READ_AHEAD (1u << 20)

/* ---- requests ---- */

typedef struct http_req {
    const char *method;
    const char *path;  /* relative to the root; "" for the root itself */
    bool dir_slash;    /* a trailing '/' (directories) */
    const char *query; /* without '?', or NULL */
    const void *body;
    size_t body_len;
    curl_mime *mime;
    bool no_content_type;
    bool json;            /* Accept: application/json */
    bool fresh;           /* on a new connection: see filer_sync */
    uint64_t range_start; /* with range_len > 0 */
    uint64_t range_len;
} http_req;

typedef struct http_resp {
    long status;
    kelp_buf body;
    int64_t length; /* Content-Length of a HEAD, -1 unknown */
    size_t body_cap; /* stop reading past this (0: no limit) */
} http_resp;

/* Percent-encodes everything but unreserved characters and '/'. */
static bool url_append_encoded(kelp_buf *out, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        bool plain = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
                     *c == '-' || *c == '_' || *c == '.' || *c == '~' || *c == '/';
        char enc[3] = {'%', hex[*c >> 4], hex[*c & 15]};
        if (!(plain ? kelp_buf_append(out, c, 1) : kelp_buf_append(out, enc, 3)))
            return false;
    }
    return true;
}

static char *build_url(filer_fs *fs, const http_req *r)
{
    kelp_buf u;
    kelp_buf_init(&u);
    bool ok = kelp_buf_append(&u, fs->base_url, strlen(fs->base_url)) && kelp_buf_append(&u, "/", 1) &&
              url_append_encoded(&u, r->path);
    if (ok && r->dir_slash && r->path[0])
        ok = kelp_buf_append(&u, "/", 1);
    if (ok && r->query)
        ok = kelp_buf_append(&u, "?", 1) && kelp_buf_append(&u, r->query, strlen(r->query));
    if (ok)
        ok = kelp_buf_append(&u, "", 1);
    if (!ok) {
        kelp_buf_free(&u);
        return NULL;
    }
    return (char *)u.data;
}

static size_t on_body(char *data, size_t size, size_t n, void *ctx)
{
    http_resp *resp = ctx;
    size_t len = size * n;
    if (resp->body_cap && resp->body.len + len > resp->body_cap)
        return 0; /* more than asked for: abort the transfer */
    return kelp_buf_append(&resp->body, data, len) ? len : 0;
}

static CURL *pool_get(filer_fs *fs)
{
    pthread_mutex_lock(&fs->pool_lock);
    while (fs->idle_count == 0 && fs->total >= fs->max)
        pthread_cond_wait(&fs->pool_cond, &fs->pool_lock);
    CURL *h = NULL;
    if (fs->idle_count > 0) {
        h = fs->idle[--fs->idle_count];
    } else {
        h = curl_easy_init();
        if (h)
            fs->total++;
    }
    pthread_mutex_unlock(&fs->pool_lock);
    return h;
}

static void pool_put(filer_fs *fs, CURL *h)
{
    pthread_mutex_lock(&fs->pool_lock);
    fs->idle[fs->idle_count++] = h;
    pthread_cond_signal(&fs->pool_cond);
    pthread_mutex_unlock(&fs->pool_lock);
}

/* 0 with resp->status set, or a negative errno when no answer came. */
static int http_do(filer_fs *fs, const http_req *r, http_resp *resp)
{
    resp->status = 0;
    resp->length = -1;
    char *url = build_url(fs, r);
    if (!url)
        return -ENOMEM;
    CURL *h = pool_get(fs);
    if (!h) {
        free(url);
        return -ENOMEM;
    }
    /* reset keeps the handle's open connection for reuse */
    curl_easy_reset(h);
    struct curl_slist *headers = curl_slist_append(NULL, "Expect:");
    if (fs->auth)
        headers = curl_slist_append(headers, fs->auth);
    if (r->json)
        headers = curl_slist_append(headers, "Accept: application/json");
    char range[80];
    if (r->range_len > 0) {
        snprintf(range, sizeof(range), "Range: bytes=%llu-%llu", (unsigned long long)r->range_start,
                 (unsigned long long)(r->range_start + r->range_len - 1));
        headers = curl_slist_append(headers, range);
    }
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, fs->timeout_ms);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, fs->timeout_ms);
    curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, resp);
    if (r->fresh) {
        curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, 1L);
        curl_easy_setopt(h, CURLOPT_FORBID_REUSE, 1L);
    }
    if (strcmp(r->method, "HEAD") == 0) {
        curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else if (strcmp(r->method, "GET") != 0) {
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, r->method);
        if (r->mime) {
            curl_easy_setopt(h, CURLOPT_MIMEPOST, r->mime);
        } else if (strcmp(r->method, "DELETE") != 0) {
            curl_easy_setopt(h, CURLOPT_POST, 1L);
            curl_easy_setopt(h, CURLOPT_POSTFIELDS, r->body ? r->body : "");
            curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body_len);
            /* libcurl labels every POST form-urlencoded; the filer reads
             * the label (mkdir must have none at all). */
            headers = curl_slist_append(headers, r->no_content_type ? "Content-Type:"
                                                                    : "Content-Type: application/octet-stream");
        }
    }
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    CURLcode cc = curl_easy_perform(h);
    int rc = 0;
    if (cc == CURLE_OK) {
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status);
        curl_off_t len = -1;
        if (curl_easy_getinfo(h, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &len) == CURLE_OK)
            resp->length = len;
    } else {
        rc = cc == CURLE_OPERATION_TIMEDOUT ? -ETIMEDOUT : cc == CURLE_OUT_OF_MEMORY ? -ENOMEM : -EIO;
        KELP_DEBUG(FILER_LOG, "%s %s: %s", r->method, url, curl_easy_strerror(cc));
    }
    curl_slist_free_all(headers);
    pool_put(fs, h);
    free(url);
    return rc;
}

static int status_errno(long status)
{
    if (status >= 200 && status < 300)
        return 0;
    switch (status) {
    case 404:
        return -ENOENT;
    case 409:
        return -EEXIST;
    case 401:
    case 403:
        return -EACCES;
    case 414:
        return -ENAMETOOLONG;
    case 416:
        return -ERANGE;
    case 507:
        return -ENOSPC;
    default:
        return -EIO;
    }
}

/* One request whose body is not needed: 0 or a negative errno. */
static int http_simple(filer_fs *fs, const http_req *r)
{
    http_resp resp = {0};
    kelp_buf_init(&resp.body);
    int rc = http_do(fs, r, &resp);
    if (rc == 0)
        rc = status_errno(resp.status);
    if (rc != 0 && rc != -ENOENT)
        KELP_WARN(FILER_LOG, "%s /%s%s: %s (HTTP %ld)", r->method, r->path, r->query ? " ?" : "", strerror(-rc),
                  resp.status);
    kelp_buf_free(&resp.body);
    return rc;
}

/* The filer's size of a file: >= 0, or a negative errno. */
static int64_t remote_size(filer_fs *fs, const char *path)
{
    http_req r = {.method = "HEAD", .path = path};
    http_resp resp = {0};
    kelp_buf_init(&resp.body);
    int rc = http_do(fs, &r, &resp);
    kelp_buf_free(&resp.body);
    if (rc != 0)
        return rc;
    rc = status_errno(resp.status);
    if (rc != 0)
        return rc;
    return resp.length >= 0 ? resp.length : -EIO;
}

/* ---- files ---- */

static int filer_open_append(kelp_fs *base, const char *path, kelp_fs_file **out)
{
    filer_fs *fs = (filer_fs *)base;
    int64_t size = remote_size(fs, path);
    if (size == -ENOENT) {
        /* Created now, as a local open would, so listings see it. An empty
         * append, not a PUT: a create whose answer timed out may still be
         * applied after we retried and appended, and a PUT would then
         * replace the appended (acknowledged) bytes with nothing. */
        http_req r = {.method = "PUT", .path = path, .query = "op=append"};
        int rc = http_simple(fs, &r);
        if (rc != 0)
            return rc;
        size = 0;
    }
    if (size < 0)
        return (int)size;
    kelp_fs_file *f = calloc(1, sizeof(*f));
    if (!f || !(f->path = strdup(path))) {
        free(f);
        return -ENOMEM;
    }
    f->fs = fs;
    f->flushed = (uint64_t)size;
    f->cache_start = f->flushed;
    kelp_buf_init(&f->inflight);
    kelp_buf_init(&f->pending);
    kelp_buf_init(&f->cache);
    kelp_buf_init(&f->window);
    pthread_mutex_init(&f->lock, NULL);
    pthread_mutex_init(&f->sync_lock, NULL);
    *out = f;
    return 0;
}

static int filer_append(kelp_fs_file *f, const struct iovec *iov, int iovcnt)
{
    size_t len = 0;
    for (int i = 0; i < iovcnt; i++)
        len += iov[i].iov_len;
    pthread_mutex_lock(&f->lock);
    int rc = 0;
    if (f->broken) {
        rc = -EIO;
    } else if ((int64_t)(f->pending.len + f->inflight.len + len) > f->fs->pending_max) {
        /* The filer is not keeping up (or is down): refuse rather than grow without bound. */
        rc = -ENOSPC;
    } else {
        for (int i = 0; i < iovcnt && rc == 0; i++)
            if (!kelp_buf_append(&f->pending, iov[i].iov_base, iov[i].iov_len))
                rc = -ENOMEM;
    }
    pthread_mutex_unlock(&f->lock);
    return rc;
}

/* The query of a write at `at`: the first bytes of a file are an append
 * (an offset write at 0 would replace the file), the rest go at their
 * offset, which makes a repeated write harmless. */
static void write_query(char *out, size_t cap, uint64_t at)
{
    if (at == 0)
        snprintf(out, cap, "op=append");
    else
        snprintf(out, cap, "offset=%llu", (unsigned long long)at);
}

/* Under f->lock: the confirmed inflight bytes join the cache. */
static void confirm_inflight(kelp_fs_file *f)
{
    f->flushed += f->inflight.len;
    if (f->fs->cache_bytes > 0) {
        if (kelp_buf_append(&f->cache, f->inflight.data, f->inflight.len)) {
            /* Trim in large steps so that a copy is rare. */
            if ((int64_t)f->cache.len > 2 * f->fs->cache_bytes) {
                size_t drop = f->cache.len - (size_t)f->fs->cache_bytes;
                kelp_buf_consume(&f->cache, drop);
                f->cache_start += drop;
            }
        } else {
            kelp_buf_clear(&f->cache);
            f->cache_start = f->flushed;
        }
    } else {
        f->cache_start = f->flushed;
    }
    kelp_buf_clear(&f->inflight);
}

/* Under f->lock: inflight goes back before pending, to be sent again. */
static int requeue_inflight(kelp_fs_file *f)
{
    kelp_buf merged;
    kelp_buf_init(&merged);
    if (!kelp_buf_append(&merged, f->inflight.data, f->inflight.len) ||
        !kelp_buf_append(&merged, f->pending.data, f->pending.len)) {
        kelp_buf_free(&merged);
        return -ENOMEM;
    }
    kelp_buf_free(&f->pending);
    f->pending = merged;
    kelp_buf_clear(&f->inflight);
    return 0;
}

/* An append whose answer was lost: the filer's size says what happened.
 * A write at an offset may be applied twice without harm, but the first
 * write of a file is an append, which a filer still working on it could
 * apply after we looked: its absence is believed only once it is older
 * than a few request timeouts. */
static int settle_uncertain(kelp_fs_file *f)
{
    int64_t size = remote_size(f->fs, f->path);
    if (size < 0)
        return (int)size;
    pthread_mutex_lock(&f->lock);
    int rc = 0;
    if ((uint64_t)size == f->flushed + f->inflight.len) {
        confirm_inflight(f);
    } else if ((uint64_t)size == f->flushed) {
        if (f->flushed == 0 && kelp_clock_mono_ms() - f->uncertain_since < 3 * f->fs->timeout_ms)
            rc = -EAGAIN;
        else
            rc = requeue_inflight(f);
    } else {
        KELP_ERROR(FILER_LOG, "%s: the filer holds %lld bytes, expected %llu or %llu; refusing further appends",
                   f->path, (long long)size, (unsigned long long)f->flushed,
                   (unsigned long long)(f->flushed + f->inflight.len));
        f->broken = true;
        rc = -EIO;
    }
    if (rc == 0)
        f->uncertain = false;
    pthread_mutex_unlock(&f->lock);
    return rc;
}

/* After the first write of a file, an append: bytes of a process that died
 * may have been appended with ours (it created this file's name before
 * us). The file then holds exactly what we wrote, or is replaced with it. */
static int check_first_write(kelp_fs_file *f, const kelp_buf *sent)
{
    int64_t size = remote_size(f->fs, f->path);
    if (size == (int64_t)sent->len)
        return 0;
    if (size < 0)
        return (int)size;
    KELP_WARN(FILER_LOG, "%s holds %lld bytes after its first append of %zu: another writer's bytes, replaced",
              f->path, (long long)size, sent->len);
    http_req r = {.method = "PUT", .path = f->path, .body = sent->data, .body_len = sent->len, .fresh = true};
    int rc = http_simple(f->fs, &r);
    if (rc == 0) {
        size = remote_size(f->fs, f->path);
        rc = size == (int64_t)sent->len ? 0 : size < 0 ? (int)size : -EIO;
    }
    return rc;
}

static int filer_sync(kelp_fs_file *f)
{
    pthread_mutex_lock(&f->sync_lock);
    int rc = 0;
    if (f->uncertain)
        rc = settle_uncertain(f);
    if (rc != 0) {
        pthread_mutex_unlock(&f->sync_lock);
        return rc;
    }
    pthread_mutex_lock(&f->lock);
    if (f->broken || f->pending.len == 0) {
        rc = f->broken ? -EIO : 0;
        pthread_mutex_unlock(&f->lock);
        pthread_mutex_unlock(&f->sync_lock);
        return rc;
    }
    /* pending becomes inflight; appends meanwhile go to a new pending. */
    kelp_buf sending = f->pending;
    kelp_buf_init(&f->pending);
    kelp_buf_free(&f->inflight);
    f->inflight = sending;
    pthread_mutex_unlock(&f->lock);

    /* A raw body is a PUT: the filer takes a POST only as multipart. Past
     * the first bytes, the data is written at its offset rather than
     * appended, so that a write the filer applies twice (a retry, or one
     * that arrives late) stores it once. The first write goes on a
     * connection of its own: libcurl sends a request again by itself when
     * a reused connection closes without an answer. */
    char query[48];
    uint64_t at = f->flushed;
    write_query(query, sizeof(query), at);
    http_req r = {.method = "PUT", .path = f->path, .query = query, .body = sending.data,
                  .body_len = sending.len, .fresh = at == 0};
    http_resp resp = {0};
    kelp_buf_init(&resp.body);
    rc = http_do(f->fs, &r, &resp);
    if (rc == 0)
        rc = status_errno(resp.status);
    kelp_buf_free(&resp.body);
    if (rc == 0 && at == 0)
        rc = check_first_write(f, &sending);
    if (rc == 0) {
        pthread_mutex_lock(&f->lock);
        confirm_inflight(f);
        pthread_mutex_unlock(&f->lock);
    } else {
        KELP_WARN(FILER_LOG, "append of %zu bytes to %s failed: %s (HTTP %ld)", sending.len, f->path, strerror(-rc),
                  resp.status);
        /* Whatever the filer did, the next sync finds out first. */
        pthread_mutex_lock(&f->lock);
        f->uncertain = true;
        f->uncertain_since = kelp_clock_mono_ms();
        pthread_mutex_unlock(&f->lock);
        if (settle_uncertain(f) == 0) {
            pthread_mutex_lock(&f->lock);
            if (f->flushed >= at + sending.len)
                rc = 0; /* it was applied after all */
            pthread_mutex_unlock(&f->lock);
        }
    }
    pthread_mutex_unlock(&f->sync_lock);
    return rc;
}

/* Under f->lock: copies what memory holds of [pos, pos + len); returns the
 * bytes copied (0 when pos is before the cache). */
static size_t copy_from_memory(kelp_fs_file *f, uint8_t *dst, size_t len, uint64_t pos)
{
    size_t done = 0;
    const kelp_buf *parts[3] = {&f->cache, &f->inflight, &f->pending};
    uint64_t start = f->cache_start;
    for (int i = 0; i < 3 && done < len; i++) {
        uint64_t end = start + parts[i]->len;
        uint64_t at = pos + done;
        if (at >= start && at < end) {
            size_t n = (size_t)(end - at);
            if (n > len - done)
                n = len - done;
            memcpy(dst + done, parts[i]->data + (at - start), n);
            done += n;
        }
        start = end;
    }
    return done;
}

static ssize_t filer_pread(kelp_fs_file *f, void *buf, size_t len, uint64_t off)
{
    uint8_t *dst = buf;
    size_t filled = 0;
    while (filled < len) {
        uint64_t pos = off + filled;
        pthread_mutex_lock(&f->lock);
        uint64_t total = f->flushed + f->inflight.len + f->pending.len;
        if (pos >= total) {
            pthread_mutex_unlock(&f->lock);
            break;
        }
        if (pos >= f->cache_start) {
            filled += copy_from_memory(f, dst + filled, len - filled, pos);
            pthread_mutex_unlock(&f->lock);
            continue;
        }
        if (pos >= f->window_start && pos < f->window_start + f->window.len) {
            size_t n = (size_t)(f->window_start + f->window.len - pos);
            if (n > len - filled)
                n = len - filled;
            memcpy(dst + filled, f->window.data + (pos - f->window_start), n);
            pthread_mutex_unlock(&f->lock);
            filled += n;
            continue;
        }
        uint64_t want_end = off + len;
        if (want_end - pos < READ_AHEAD)
            want_end = pos + READ_AHEAD;
        uint64_t remote_end = want_end < f->cache_start ? want_end : f->cache_start;
        pthread_mutex_unlock(&f->lock);
        http_req r = {.method = "GET", .path = f->path, .range_start = pos, .range_len = remote_end - pos};
        http_resp resp = {.body_cap = (size_t)(remote_end - pos)};
        kelp_buf_init(&resp.body);
        int rc = http_do(f->fs, &r, &resp);
        if (rc == 0)
            rc = status_errno(resp.status);
        if (rc == 0 && resp.status != 206 && pos > 0)
            rc = -EIO; /* a whole file where a range was asked for */
        if (rc != 0) {
            KELP_WARN(FILER_LOG, "read of %s at %llu failed: %s", f->path, (unsigned long long)pos, strerror(-rc));
            kelp_buf_free(&resp.body);
            return filled > 0 ? (ssize_t)filled : rc;
        }
        size_t got = resp.body.len;
        size_t n = got < len - filled ? got : len - filled;
        memcpy(dst + filled, resp.body.data, n);
        filled += n;
        /* What came back beyond the request serves the next reads. */
        pthread_mutex_lock(&f->lock);
        kelp_buf_free(&f->window);
        f->window = resp.body;
        f->window_start = pos;
        pthread_mutex_unlock(&f->lock);
        if (got < remote_end - pos)
            break; /* the filer's copy is shorter than we know it */
    }
    return (ssize_t)filled;
}

static int64_t filer_size(kelp_fs_file *f)
{
    pthread_mutex_lock(&f->lock);
    int64_t size = (int64_t)(f->flushed + f->inflight.len + f->pending.len);
    pthread_mutex_unlock(&f->lock);
    return size;
}

static int filer_rename(kelp_fs *base, const char *from, const char *to);

/* Copies [0, len) of f into "<path>.truncating" a range at a time (offset
 * writes, so memory stays bounded), then renames it over f. */
static int rewrite_prefix(kelp_fs_file *f, uint64_t len)
{
    char tmp[KELP_LAYOUT_PATH_MAX];
    if (snprintf(tmp, sizeof(tmp), "%s.truncating", f->path) >= (int)sizeof(tmp))
        return -ENAMETOOLONG;
    http_req create = {.method = "PUT", .path = tmp};
    int rc = http_simple(f->fs, &create);
    for (uint64_t at = 0; rc == 0 && at < len;) {
        uint64_t n = len - at < 4 * READ_AHEAD ? len - at : 4 * READ_AHEAD;
        http_req get = {.method = "GET", .path = f->path, .range_start = at, .range_len = n};
        http_resp resp = {.body_cap = (size_t)n};
        kelp_buf_init(&resp.body);
        rc = http_do(f->fs, &get, &resp);
        if (rc == 0)
            rc = status_errno(resp.status);
        if (rc == 0 && resp.body.len != n)
            rc = -EIO;
        char query[48];
        write_query(query, sizeof(query), at);
        http_req put = {.method = "PUT", .path = tmp, .query = query, .body = resp.body.data, .body_len = n};
        if (rc == 0)
            rc = http_simple(f->fs, &put);
        kelp_buf_free(&resp.body);
        at += n;
    }
    if (rc == 0 && remote_size(f->fs, tmp) != (int64_t)len)
        rc = -EIO;
    if (rc == 0)
        rc = filer_rename(&f->fs->base, tmp, f->path);
    if (rc != 0)
        KELP_ERROR(FILER_LOG, "cannot cut %s to %llu bytes: %s", f->path, (unsigned long long)len, strerror(-rc));
    return rc;
}

static int filer_truncate(kelp_fs_file *f, uint64_t len)
{
    pthread_mutex_lock(&f->sync_lock);
    pthread_mutex_lock(&f->lock);
    int rc = 0;
    uint64_t sent = f->flushed + f->inflight.len;
    if (len >= sent) {
        /* Only what was never sent goes: the common case (a failed append). */
        if (len - sent <= f->pending.len)
            f->pending.len = (size_t)(len - sent);
        else
            rc = -EINVAL;
        pthread_mutex_unlock(&f->lock);
    } else if (len == 0 && f->inflight.len == 0) {
        pthread_mutex_unlock(&f->lock);
        /* Emptying is replacing with an empty file. */
        http_req r = {.method = "PUT", .path = f->path};
        rc = http_simple(f->fs, &r);
        pthread_mutex_lock(&f->lock);
        if (rc == 0) {
            f->flushed = 0;
            kelp_buf_clear(&f->pending);
            kelp_buf_clear(&f->cache);
            f->cache_start = 0;
            kelp_buf_clear(&f->window);
        }
        pthread_mutex_unlock(&f->lock);
    } else if (f->inflight.len == 0 && !f->uncertain) {
        /* The filer cannot cut a file short (recovery found a damaged
         * tail): the prefix is copied into a new file that replaces it. */
        pthread_mutex_unlock(&f->lock);
        rc = rewrite_prefix(f, len);
        pthread_mutex_lock(&f->lock);
        if (rc == 0) {
            f->flushed = len;
            kelp_buf_clear(&f->pending);
            kelp_buf_clear(&f->cache);
            f->cache_start = len;
            kelp_buf_clear(&f->window);
        }
        pthread_mutex_unlock(&f->lock);
    } else {
        pthread_mutex_unlock(&f->lock);
        rc = -EBUSY;
    }
    pthread_mutex_unlock(&f->sync_lock);
    return rc;
}

static void filer_close(kelp_fs_file *f)
{
    if (!f)
        return;
    if (f->pending.len || f->inflight.len)
        filer_sync(f); /* best effort: the log syncs before it closes */
    pthread_mutex_destroy(&f->lock);
    pthread_mutex_destroy(&f->sync_lock);
    kelp_buf_free(&f->inflight);
    kelp_buf_free(&f->pending);
    kelp_buf_free(&f->cache);
    kelp_buf_free(&f->window);
    free(f->path);
    free(f);
}

/* ---- directories and small files ---- */

static int filer_mkdirs(kelp_fs *base, const char *path)
{
    filer_fs *fs = (filer_fs *)base;
    /* An existing directory is what we want; the filer answers 409 for it
     * and for a file in the way alike, so a listing tells them apart. */
    http_req probe = {.method = "GET", .path = path, .dir_slash = true, .query = "limit=1", .json = true};
    if (http_simple(fs, &probe) == 0)
        return 0;
    /* The filer creates parents itself; a trailing slash makes a directory. */
    http_req r = {.method = "POST", .path = path, .dir_slash = true, .no_content_type = true};
    int rc = http_simple(fs, &r);
    if (rc == -EEXIST && http_simple(fs, &probe) == 0)
        rc = 0; /* made meanwhile */
    return rc;
}

static int filer_list(kelp_fs *base, const char *dir, kelp_fs_list_fn fn, void *ctx)
{
    filer_fs *fs = (filer_fs *)base;
    char *last = NULL;
    int rc = 0;
    for (;;) {
        kelp_buf q;
        kelp_buf_init(&q);
        char limit[32];
        snprintf(limit, sizeof(limit), "limit=%d", LIST_PAGE);
        bool ok = kelp_buf_append(&q, limit, strlen(limit));
        if (ok && last)
            ok = kelp_buf_append(&q, "&lastFileName=", 14) && url_append_encoded(&q, last);
        ok = ok && kelp_buf_append(&q, "", 1);
        if (!ok) {
            kelp_buf_free(&q);
            rc = -ENOMEM;
            break;
        }
        http_req r = {.method = "GET", .path = dir, .dir_slash = true, .query = (const char *)q.data, .json = true};
        http_resp resp = {0};
        kelp_buf_init(&resp.body);
        rc = http_do(fs, &r, &resp);
        kelp_buf_free(&q);
        if (rc == 0)
            rc = status_errno(resp.status);
        cJSON *root = rc == 0 ? cJSON_ParseWithLength((const char *)resp.body.data, resp.body.len) : NULL;
        kelp_buf_free(&resp.body);
        if (rc == 0 && !root)
            rc = -EIO;
        if (rc != 0)
            break;
        const cJSON *entries = cJSON_GetObjectItemCaseSensitive(root, "Entries");
        const cJSON *e;
        bool stop = false;
        cJSON_ArrayForEach(e, entries)
        {
            const cJSON *full = cJSON_GetObjectItemCaseSensitive(e, "FullPath");
            const cJSON *mode = cJSON_GetObjectItemCaseSensitive(e, "Mode");
            if (!cJSON_IsString(full))
                continue;
            const char *name = strrchr(full->valuestring, '/');
            name = name ? name + 1 : full->valuestring;
            if (!*name || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
                continue;
            double m = cJSON_IsNumber(mode) ? mode->valuedouble : 0;
            bool is_dir = m >= DIR_MODE_BIT && ((uint64_t)m & (uint64_t)DIR_MODE_BIT);
            if (fn(ctx, name, is_dir) != 0) {
                stop = true;
                break;
            }
        }
        const cJSON *more = cJSON_GetObjectItemCaseSensitive(root, "ShouldDisplayLoadMore");
        const cJSON *next = cJSON_GetObjectItemCaseSensitive(root, "LastFileName");
        bool again = !stop && cJSON_IsTrue(more) && cJSON_IsString(next) && next->valuestring[0] &&
                     (!last || strcmp(last, next->valuestring) != 0);
        free(last);
        last = again ? strdup(next->valuestring) : NULL;
        cJSON_Delete(root);
        if (!again)
            break;
        if (!last) {
            rc = -ENOMEM;
            break;
        }
    }
    free(last);
    return rc;
}

static int filer_read_file(kelp_fs *base, const char *path, kelp_buf *out)
{
    http_req r = {.method = "GET", .path = path};
    http_resp resp = {.body_cap = SMALL_FILE_MAX};
    kelp_buf_init(&resp.body);
    int rc = http_do((filer_fs *)base, &r, &resp);
    if (rc == 0)
        rc = status_errno(resp.status);
    if (rc == 0 && resp.body.len && !kelp_buf_append(out, resp.body.data, resp.body.len))
        rc = -ENOMEM;
    kelp_buf_free(&resp.body);
    return rc;
}

/* Logs and their indexes are appended to, which an inline file refuses. */
static bool appendable(const char *path)
{
    static const char *const suffixes[] = {KELP_LAYOUT_LOG_SUFFIX, KELP_LAYOUT_INDEX_SUFFIX,
                                           KELP_LAYOUT_TIMEINDEX_SUFFIX};
    const char *name = strrchr(path, '/');
    name = name ? name + 1 : path;
    for (size_t i = 0; i < 3; i++)
        if (strstr(name, suffixes[i]))
            return true;
    return false;
}

static int filer_write_file_atomic(kelp_fs *base, const char *path, const void *data, size_t len)
{
    filer_fs *fs = (filer_fs *)base;
    if (appendable(path)) {
        http_req r = {.method = "PUT", .path = path, .body = data, .body_len = len};
        return http_simple(fs, &r);
    }
    /* One request replaces the entry whole; inline content is what the
     * filer's other readers expect of small metadata files. */
    CURL *dummy = curl_easy_init();
    if (!dummy)
        return -ENOMEM;
    curl_mime *mime = curl_mime_init(dummy);
    curl_mimepart *part = mime ? curl_mime_addpart(mime) : NULL;
    const char *name = strrchr(path, '/');
    if (!part || curl_mime_name(part, "file") != CURLE_OK ||
        curl_mime_filename(part, name ? name + 1 : path) != CURLE_OK ||
        curl_mime_data(part, len ? data : "", len) != CURLE_OK ||
        curl_mime_type(part, "application/octet-stream") != CURLE_OK) {
        curl_mime_free(mime);
        curl_easy_cleanup(dummy);
        return -ENOMEM;
    }
    http_req r = {.method = "POST", .path = path, .query = "saveInside=true", .mime = mime};
    int rc = http_simple(fs, &r);
    curl_mime_free(mime);
    curl_easy_cleanup(dummy);
    return rc;
}

static int filer_write_files_atomic(kelp_fs *base, kelp_fs_write *files, size_t n)
{
    int ok = 0;
    for (size_t i = 0; i < n; i++) {
        files[i].status = filer_write_file_atomic(base, files[i].path, files[i].data, files[i].len);
        if (files[i].status == 0)
            ok++;
    }
    return n > 0 && ok == 0 ? files[0].status : 0;
}

static int filer_remove_recursive(kelp_fs *base, const char *path)
{
    http_req r = {.method = "DELETE", .path = path, .query = "recursive=true&ignoreRecursiveError=true"};
    int rc = http_simple((filer_fs *)base, &r);
    return rc == -ENOENT ? 0 : rc;
}

static int filer_rename(kelp_fs *base, const char *from, const char *to)
{
    filer_fs *fs = (filer_fs *)base;
    kelp_buf q;
    kelp_buf_init(&q);
    bool ok = kelp_buf_append(&q, "mv.from=", 8) && url_append_encoded(&q, fs->root) &&
              kelp_buf_append(&q, "/", 1) && url_append_encoded(&q, from) && kelp_buf_append(&q, "", 1);
    if (!ok) {
        kelp_buf_free(&q);
        return -ENOMEM;
    }
    http_req r = {.method = "POST", .path = to, .query = (const char *)q.data, .no_content_type = true};
    int rc = http_simple(fs, &r);
    kelp_buf_free(&q);
    return rc;
}

static int filer_sync_dir(kelp_fs *base, const char *path)
{
    /* A filer entry is durable once the request that made it is answered. */
    return 0;
}

static int filer_space(kelp_fs *base, int64_t *total, int64_t *usable)
{
    return -ENOTSUP;
}

static void filer_destroy(kelp_fs *base)
{
    filer_fs *fs = (filer_fs *)base;
    if (!fs)
        return;
    for (int i = 0; i < fs->idle_count; i++)
        curl_easy_cleanup(fs->idle[i]);
    free(fs->idle);
    pthread_mutex_destroy(&fs->pool_lock);
    pthread_cond_destroy(&fs->pool_cond);
    free(fs->base_url);
    free(fs->root);
    free(fs->auth);
    free(fs);
}

static const kelp_fs_ops filer_ops = {
    .mkdirs = filer_mkdirs,
    .open_append = filer_open_append,
    .append = filer_append,
    .sync = filer_sync,
    .pread = filer_pread,
    .size = filer_size,
    .truncate = filer_truncate,
    .close = filer_close,
    .list = filer_list,
    .read_file = filer_read_file,
    .write_file_atomic = filer_write_file_atomic,
    .write_files_atomic = filer_write_files_atomic,
    .remove_recursive = filer_remove_recursive,
    .rename = filer_rename,
    .sync_dir = filer_sync_dir,
    .space = filer_space,
    .destroy = filer_destroy,
    .retry_failed_sync = true,
    .writes_may_land_late = true,
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

kelp_fs *kelp_fs_filer_open(const kelp_filer_options *opt, char *err, size_t errlen)
{
    pthread_once(&curl_once, curl_init_once);
    filer_fs *fs = calloc(1, sizeof(*fs));
    if (!fs) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    fs->base.ops = &filer_ops;
    pthread_mutex_init(&fs->pool_lock, NULL);
    pthread_cond_init(&fs->pool_cond, NULL);
    fs->max = opt->max_requests > 0 ? opt->max_requests : 8;
    fs->idle = calloc((size_t)fs->max, sizeof(*fs->idle));
    fs->timeout_ms = opt->timeout_ms > 0 ? opt->timeout_ms : 10000;
    fs->cache_bytes = opt->read_cache_bytes;
    fs->pending_max = opt->pending_max_bytes > 0 ? opt->pending_max_bytes : 256LL << 20;
    const char *root = opt->root && opt->root[0] ? opt->root : "/";
    size_t rlen = strlen(root);
    while (rlen > 0 && root[rlen - 1] == '/')
        rlen--;
    fs->root = strndup(root, rlen);
    kelp_buf u;
    kelp_buf_init(&u);
    size_t ulen = strlen(opt->url);
    while (ulen > 0 && opt->url[ulen - 1] == '/')
        ulen--;
    bool ok = fs->idle && fs->root && kelp_buf_append(&u, opt->url, ulen) && url_append_encoded(&u, fs->root) &&
              kelp_buf_append(&u, "", 1);
    fs->base_url = ok ? (char *)u.data : NULL;
    if (!ok)
        kelp_buf_free(&u);
    if (ok && opt->jwt && opt->jwt[0]) {
        size_t n = strlen(opt->jwt) + 32;
        fs->auth = malloc(n);
        ok = fs->auth != NULL;
        if (ok)
            snprintf(fs->auth, n, "Authorization: Bearer %s", opt->jwt);
    }
    if (!ok) {
        snprintf(err, errlen, "out of memory");
        filer_destroy(&fs->base);
        return NULL;
    }
    /* The root must be reachable now: a wrong address is a start error. */
    int rc = filer_mkdirs(&fs->base, KELP_LAYOUT_TOPICS_DIR);
    if (rc != 0) {
        snprintf(err, errlen, "the filer at %s%s does not answer as a SeaweedFS filer: %s", opt->url, root,
                 strerror(-rc));
        filer_destroy(&fs->base);
        return NULL;
    }
    return &fs->base;
}
