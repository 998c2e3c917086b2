#include "net/output.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

/* Past this many written bytes a partly sent buffer is compacted. */
#define COMPACT_AFTER (1u << 20)

void kelp_file_ranges_free(kelp_file_range *ranges, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (ranges[i].fd >= 0)
            close(ranges[i].fd);
    free(ranges);
}

bool kelp_file_ranges_inline(kelp_buf *bytes, kelp_file_range *ranges, size_t n)
{
    if (n == 0) {
        free(ranges);
        return !bytes->failed;
    }
    size_t total = bytes->len;
    for (size_t i = 0; i < n; i++)
        total += ranges[i].len;
    kelp_buf out;
    kelp_buf_init(&out);
    bool ok = kelp_buf_reserve(&out, total);
    size_t from = 0;
    for (size_t i = 0; ok && i < n; i++) {
        kelp_file_range *r = &ranges[i];
        ok = r->at >= from && r->at <= bytes->len && kelp_buf_append(&out, bytes->data + from, r->at - from);
        from = r->at;
        uint8_t *dst = ok ? kelp_buf_extend(&out, r->len) : NULL;
        for (size_t got = 0; dst && got < r->len;) {
            ssize_t k = pread(r->fd, dst + got, r->len - got, (off_t)(r->off + got));
            if (k < 0 && errno == EINTR)
                continue;
            if (k <= 0) {
                ok = false;
                break;
            }
            got += (size_t)k;
        }
        ok = ok && dst;
    }
    ok = ok && kelp_buf_append(&out, bytes->data + from, bytes->len - from);
    kelp_file_ranges_free(ranges, n);
    kelp_buf_free(bytes);
    *bytes = out;
    if (!ok)
        kelp_buf_clear(bytes);
    return ok;
}

void kelp_output_init(kelp_output *o)
{
    memset(o, 0, sizeof(*o));
    kelp_buf_init(&o->mem);
}

void kelp_output_free(kelp_output *o)
{
    kelp_buf_free(&o->mem);
    for (size_t i = 0; i < o->count; i++)
        close(o->ranges[o->head + i].fd);
    free(o->ranges);
    kelp_output_init(o);
}

uint64_t kelp_output_pending(const kelp_output *o) { return (uint64_t)(o->mem.len - o->sent) + o->range_bytes; }

/* Room for n more ranges after the unsent ones. */
static bool ranges_reserve(kelp_output *o, size_t n)
{
    if (o->head > 0) {
        memmove(o->ranges, o->ranges + o->head, o->count * sizeof(*o->ranges));
        o->head = 0;
    }
    if (o->count + n <= o->cap)
        return true;
    size_t cap = o->cap ? o->cap : 8;
    while (cap < o->count + n)
        cap *= 2;
    kelp_file_range *grown = realloc(o->ranges, cap * sizeof(*grown));
    if (!grown)
        return false;
    o->ranges = grown;
    o->cap = cap;
    return true;
}

bool kelp_output_push(kelp_output *o, kelp_buf *bytes, kelp_file_range *ranges, size_t n)
{
    if (bytes->failed || (n > 0 && !ranges_reserve(o, n))) {
        kelp_file_ranges_free(ranges, n);
        kelp_buf_free(bytes);
        return false;
    }
    size_t base;
    if (kelp_output_pending(o) == 0) {
        /* Nothing queued: take the response's buffer over instead of copying. */
        kelp_buf_free(&o->mem);
        o->mem = *bytes;
        o->sent = 0;
        base = 0;
    } else {
        base = o->mem.len;
        bool ok = kelp_buf_append(&o->mem, bytes->data, bytes->len);
        kelp_buf_free(bytes);
        if (!ok) {
            kelp_file_ranges_free(ranges, n);
            return false;
        }
    }
    kelp_buf_init(bytes);
    for (size_t i = 0; i < n; i++) {
        kelp_file_range r = ranges[i];
        r.at += base;
        o->ranges[o->count++] = r;
        o->range_bytes += r.len;
    }
    free(ranges);
    return true;
}

/* Everything written: the buffer starts over. A partly written one is
 * compacted now and then, moving the ranges' positions with it. */
static void settle(kelp_output *o)
{
    if (o->count == 0 && o->sent == o->mem.len) {
        o->mem.len = 0;
        o->sent = 0;
        o->head = 0;
    } else if (o->sent > COMPACT_AFTER) {
        kelp_buf_consume(&o->mem, o->sent);
        for (size_t i = 0; i < o->count; i++)
            o->ranges[o->head + i].at -= o->sent;
        o->sent = 0;
    }
}

int kelp_output_flush(kelp_output *o, int sock, kelp_output_send_fn send_fn, void *ctx, bool *progress)
{
    *progress = false;
    int rc = 1;
    for (;;) {
        kelp_file_range *r = o->count ? &o->ranges[o->head] : NULL;
        size_t stop = r ? r->at : o->mem.len;
        ssize_t n;
        if (o->sent < stop) {
            n = send_fn(ctx, o->mem.data + o->sent, stop - o->sent, r ? MSG_MORE : 0);
            if (n > 0) {
                o->sent += (size_t)n;
                *progress = true;
                continue;
            }
        } else if (r) {
            off_t off = (off_t)r->off;
            n = sendfile(sock, r->fd, &off, r->len);
            if (n > 0) {
                r->off += (uint64_t)n;
                r->len -= (size_t)n;
                o->range_bytes -= (uint64_t)n;
                *progress = true;
                if (r->len == 0) {
                    close(r->fd);
                    o->head++;
                    o->count--;
                }
                continue;
            }
            if (n == 0) {
                /* The file is shorter than the range: the frame cannot be finished. */
                errno = EIO;
                rc = -1;
                break;
            }
        } else {
            break;
        }
        if (n < 0 && errno == EINTR)
            continue;
        rc = n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -1;
        if (n == 0)
            errno = EPIPE;
        break;
    }
    settle(o);
    return rc;
}
