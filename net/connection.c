#include "net/connection.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <unistd.h>

#include "net/frame_pool.h"
#include "net/output.h"
#include "net/tls.h"
#include "util/log.h"

#define READ_CHUNK 65536

struct kelp_conn_slot {
    kelp_conn_slot *next;
    kelp_conn *conn;
    bool done;
    bool has_response;
    kelp_buf response;
    kelp_file_range *ranges; /* file bytes spliced into the response */
    size_t range_count;
};

struct kelp_conn {
    kelp_loop *loop;
    kelp_watch watch;
    kelp_conn_limits limits;
    const kelp_conn_handler *handler;
    void *ctx;
    void *user;
    int listener; /* which of the server's listeners accepted it */
    char peer[64];

    bool closed;
    bool reading;       /* stop_reading() clears it for good */
    bool read_paused;   /* back-pressure */
    bool free_scheduled;

    kelp_buf in;        /* bytes read but not yet framed */
    uint8_t *big;       /* a frame larger than what is buffered, filled directly */
    size_t big_len, big_have;
    size_t big_cap;     /* grows with the bytes that came: a length prefix alone reserves little */

    kelp_conn_slot *head, *tail; /* pending responses in arrival order */
    size_t pending;

    kelp_output out;    /* responses not yet written */

    kelp_tls_session *tls; /* NULL on a plaintext listener */
    int32_t min_frame;     /* 8 (a request header's least), 1 for bare SASL tokens */
    bool close_when_sent;  /* the last answer is queued: close once it is out */
    unsigned idle_ticks;   /* sweeps since the last whole frame or written byte */
};

static void conn_update_events(kelp_conn *c);
static void conn_io(void *ctx, uint32_t events);

kelp_conn *kelp_conn_new(kelp_loop *loop, int fd, const kelp_conn_limits *limits,
                         const kelp_conn_handler *handler, void *ctx)
{
    kelp_conn *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->loop = loop;
    c->limits = *limits;
    c->handler = handler;
    c->ctx = ctx;
    c->reading = true;
    c->min_frame = 8;
    kelp_buf_init(&c->in);
    kelp_output_init(&c->out);
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    c->peer[0] = '\0';
    if (getpeername(fd, (struct sockaddr *)&ss, &sl) == 0) {
        char host[48] = "?";
        unsigned port = 0;
        if (ss.ss_family == AF_INET) {
            struct sockaddr_in *a = (struct sockaddr_in *)&ss;
            inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
            port = ntohs(a->sin_port);
        } else if (ss.ss_family == AF_INET6) {
            struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
            inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
            port = ntohs(a->sin6_port);
        }
        snprintf(c->peer, sizeof(c->peer), "%s:%u", host, port);
    }
    if (kelp_watch_add(loop, &c->watch, fd, EPOLLIN | EPOLLRDHUP, conn_io, c) != 0) {
        kelp_buf_free(&c->in);
        free(c);
        return NULL;
    }
    return c;
}

const char *kelp_conn_peer(const kelp_conn *conn) { return conn->peer; }
void *kelp_conn_user(kelp_conn *conn) { return conn->user; }
void kelp_conn_set_user(kelp_conn *conn, void *user) { conn->user = user; }
int kelp_conn_listener(const kelp_conn *conn) { return conn ? conn->listener : 0; }
void kelp_conn_set_listener(kelp_conn *conn, int listener) { conn->listener = listener; }
bool kelp_conn_is_closed(const kelp_conn *conn) { return conn->closed; }
kelp_conn *kelp_conn_slot_conn(kelp_conn_slot *slot) { return slot->conn; }

bool kelp_conn_idle(const kelp_conn *conn)
{
    return conn->closed || (conn->pending == 0 && kelp_output_pending(&conn->out) == 0);
}

bool kelp_conn_idle_tick(kelp_conn *c, unsigned max_ticks)
{
    if (c->closed)
        return false;
    if (c->pending > 0 || kelp_output_pending(&c->out) > 0) {
        c->idle_ticks = 0;
        return false;
    }
    if (++c->idle_ticks <= max_ticks)
        return false;
    KELP_INFO("net", "closing %s: idle longer than connections_max_idle_ms%s", c->peer,
              c->big || c->in.len ? " with a partial request" : "");
    kelp_conn_close(c, "idle");
    return true;
}

int kelp_conn_start_tls(kelp_conn *c, kelp_tls_context *ctx)
{
    c->tls = kelp_tls_session_new(ctx, c->watch.fd);
    return c->tls ? 0 : -1;
}

const char *kelp_conn_tls_subject(kelp_conn *c) { return c->tls ? kelp_tls_peer_subject(c->tls) : NULL; }

/* The socket, or the TLS session over it, with recv/send's conventions. */
static ssize_t conn_recv(kelp_conn *c, void *buf, size_t len)
{
    return c->tls ? kelp_tls_recv(c->tls, buf, len) : recv(c->watch.fd, buf, len, 0);
}

static ssize_t conn_send(void *ctx, const void *buf, size_t len, int flags)
{
    kelp_conn *c = ctx;
    return c->tls ? kelp_tls_send(c->tls, buf, len) : send(c->watch.fd, buf, len, MSG_NOSIGNAL | flags);
}

static const char *conn_error(kelp_conn *c, ssize_t n)
{
    if (c->tls && (n == 0 || errno == EPROTO))
        return kelp_tls_error(c->tls);
    return n == 0 ? "peer closed" : strerror(errno);
}

static void slot_free(kelp_conn_slot *s)
{
    kelp_buf_free(&s->response);
    kelp_file_ranges_free(s->ranges, s->range_count);
    free(s);
}

static void conn_free_now(void *ctx)
{
    kelp_conn *c = ctx;
    kelp_tls_session_free(c->tls);
    kelp_buf_free(&c->in);
    kelp_output_free(&c->out);
    kelp_frame_free(c->big);
    free(c);
}

/* Frees the connection once it is closed and no slot refers to it; deferred so
 * that no callback of the current event batch still sees it. */
static void conn_maybe_free(kelp_conn *c)
{
    if (c->closed && c->pending == 0 && !c->free_scheduled) {
        c->free_scheduled = true;
        if (kelp_loop_defer(c->loop, conn_free_now, c) != 0)
            KELP_ERROR("net", "out of memory: leaking a closed connection");
    }
}

void kelp_conn_close(kelp_conn *c, const char *why)
{
    if (c->closed)
        return;
    c->closed = true;
    if (why)
        KELP_DEBUG("net", "closing connection from %s: %s", c->peer, why);
    kelp_watch_remove(c->loop, &c->watch);
    close(c->watch.fd);
    c->watch.fd = -1;
    /* Slots already done are freed here; pending ones are freed on completion. */
    kelp_conn_slot **pp = &c->head;
    c->tail = NULL;
    while (*pp) {
        kelp_conn_slot *s = *pp;
        if (s->done) {
            *pp = s->next;
            c->pending--;
            slot_free(s);
        } else {
            c->tail = s;
            pp = &s->next;
        }
    }
    if (c->handler->on_close)
        c->handler->on_close(c->ctx, c);
    conn_maybe_free(c);
}

void kelp_conn_set_short_frames(kelp_conn *c, bool allowed) { c->min_frame = allowed ? 1 : 8; }

void kelp_conn_close_when_sent(kelp_conn *c)
{
    c->close_when_sent = true;
    kelp_conn_stop_reading(c);
    if (!c->closed && kelp_conn_idle(c))
        kelp_conn_close(c, "closed after its last answer");
}

void kelp_conn_stop_reading(kelp_conn *c)
{
    c->reading = false;
    if (!c->closed)
        conn_update_events(c);
}

static bool conn_wants_read(const kelp_conn *c)
{
    return c->reading && c->pending < c->limits.max_pending &&
           kelp_output_pending(&c->out) < c->limits.max_output_bytes;
}

/* Input already read that no socket event will announce again: whole
 * frames left in the buffer while reading was paused, or decrypted bytes
 * inside the TLS session. */
static bool conn_has_buffered_input(const kelp_conn *c)
{
    if (c->tls && kelp_tls_has_pending(c->tls))
        return true;
    if (c->big || c->in.len < 4)
        return false;
    const uint8_t *p = c->in.data;
    int32_t size = (int32_t)((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]);
    /* A bad size is buffered input too: parsing it closes the connection. */
    return size < c->min_frame || size > c->limits.max_frame_bytes || c->in.len - 4 >= (size_t)size;
}

static void conn_update_events(kelp_conn *c)
{
    uint32_t ev = 0;
    if (conn_wants_read(c))
        ev |= EPOLLIN | EPOLLRDHUP; /* while paused, a half-close must not spin the loop */
    if (kelp_output_pending(&c->out) > 0)
        ev |= EPOLLOUT;
    /* Buffered input raises no socket event, and a TLS handshake may wait to
     * write: ask for writability, which comes at once, to be called back
     * (conn_io reads then). */
    if ((c->tls && kelp_tls_wants_write(c->tls)) || (conn_wants_read(c) && conn_has_buffered_input(c)))
        ev |= EPOLLOUT;
    kelp_watch_modify(c->loop, &c->watch, ev);
}

/* Writes as much of the output as the socket takes. */
static void conn_flush(kelp_conn *c)
{
    if (c->closed)
        return;
    bool progress;
    int rc = kelp_output_flush(&c->out, c->watch.fd, conn_send, c, &progress);
    if (progress)
        c->idle_ticks = 0;
    if (rc < 0) {
        kelp_conn_close(c, c->tls ? conn_error(c, -1) : strerror(errno));
        return;
    }
    if (rc == 1 && c->close_when_sent && c->pending == 0) {
        kelp_conn_close(c, "closed after its last answer");
        return;
    }
    conn_update_events(c);
}

/* Moves completed slots at the head of the queue into the output. */
static void conn_drain_slots(kelp_conn *c)
{
    bool wrote = false, failed = false;
    while (c->head && c->head->done) {
        kelp_conn_slot *s = c->head;
        c->head = s->next;
        if (!c->head)
            c->tail = NULL;
        c->pending--;
        if (s->has_response && !c->closed && !failed) {
            /* TLS encrypts in user space: file bytes are read in first. */
            if (c->tls && s->range_count > 0) {
                failed = !kelp_file_ranges_inline(&s->response, s->ranges, s->range_count);
                s->ranges = NULL;
                s->range_count = 0;
            }
            if (!failed)
                failed = !kelp_output_push(&c->out, &s->response, s->ranges, s->range_count);
            s->ranges = NULL;
            s->range_count = 0;
            wrote = true;
        }
        slot_free(s);
    }
    if (c->closed) {
        conn_maybe_free(c);
        return;
    }
    if (failed) {
        kelp_conn_close(c, "out of memory for the response");
        return;
    }
    if (wrote)
        conn_flush(c);
    else
        conn_update_events(c);
}

kelp_conn_slot *kelp_conn_slot_reserve(kelp_conn *c)
{
    kelp_conn_slot *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->conn = c;
    if (c->tail)
        c->tail->next = s;
    else
        c->head = s;
    c->tail = s;
    c->pending++;
    return s;
}

void kelp_conn_slot_complete(kelp_conn_slot *s, kelp_buf *response)
{
    kelp_conn_slot_complete_ranges(s, response, NULL, 0);
}

void kelp_conn_slot_complete_ranges(kelp_conn_slot *s, kelp_buf *response, kelp_file_range *ranges, size_t n)
{
    kelp_conn *c = s->conn;
    s->done = true;
    if (response) {
        s->response = *response;
        s->has_response = true;
        kelp_buf_init(response);
        s->ranges = ranges;
        s->range_count = n;
    } else {
        kelp_file_ranges_free(ranges, n);
    }
    if (c->closed) {
        /* A closed connection keeps only pending slots; they complete in any order. */
        /* Unlink this slot wherever it is. */
        kelp_conn_slot **pp = &c->head;
        c->tail = NULL;
        while (*pp) {
            if (*pp == s) {
                *pp = s->next;
                continue;
            }
            c->tail = *pp;
            pp = &(*pp)->next;
        }
        c->pending--;
        slot_free(s);
        conn_maybe_free(c);
        return;
    }
    conn_drain_slots(c);
}

/* Room for a partial frame of len bytes that has have of them: what came
 * plus what the kernel already holds for this socket (FIONREAD; encrypted
 * bytes on TLS do not count), and at least one more read, so that a frame
 * already on its way is read straight into one buffer instead of one
 * doubled by realloc copies. Neither counts bytes the peer has only
 * claimed: a 4-byte length prefix must not pin max_frame_bytes. */
static size_t conn_frame_room(const kelp_conn *c, size_t have, size_t len)
{
    int queued = 0;
    if (c->tls || ioctl(c->watch.fd, FIONREAD, &queued) != 0 || queued < 0)
        queued = 0;
    size_t room = have + (queued > READ_CHUNK ? (size_t)queued : READ_CHUNK);
    return room < len ? room : len;
}

/* Hands complete frames from the input buffer to the handler. */
static void conn_parse_frames(kelp_conn *c)
{
    size_t off = 0;
    while (!c->closed && c->in.len - off >= 4) {
        const uint8_t *p = c->in.data + off;
        int32_t size = (int32_t)((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]);
        if (size < c->min_frame || size > c->limits.max_frame_bytes) {
            KELP_WARN("net", "closing %s: frame size %d outside [%d, %d]", c->peer, size, (int)c->min_frame,
                      c->limits.max_frame_bytes);
            kelp_conn_close(c, "bad frame size");
            return;
        }
        size_t have = c->in.len - off - 4;
        size_t cap = have < (size_t)size ? conn_frame_room(c, have, (size_t)size) : (size_t)size;
        uint8_t *frame = kelp_frame_alloc(cap);
        if (!frame) {
            kelp_conn_close(c, "out of memory for a frame");
            return;
        }
        if (have < (size_t)size) {
            /* Partial: keep it aside and read the rest straight into it. */
            memcpy(frame, p + 4, have);
            c->big = frame;
            c->big_len = (size_t)size;
            c->big_have = have;
            c->big_cap = cap;
            off = c->in.len;
            break;
        }
        memcpy(frame, p + 4, (size_t)size);
        off += 4 + (size_t)size;
        c->idle_ticks = 0;
        if (c->handler->on_frame(c->ctx, c, frame, (size_t)size) != 0) {
            kelp_conn_close(c, "malformed request");
            return;
        }
        if (!conn_wants_read(c))
            break;
    }
    if (!c->closed)
        kelp_buf_consume(&c->in, off);
}

static void conn_read(kelp_conn *c)
{
    for (int rounds = 0; rounds < 16 && !c->closed && conn_wants_read(c); rounds++) {
        ssize_t n;
        if (c->big) {
            if (c->big_have == c->big_cap) {
                /* The larger of what the socket holds and double the room:
                 * doubling keeps the copies linear in the frame's size. */
                size_t doubled = c->big_cap * 2 < c->big_len ? c->big_cap * 2 : c->big_len;
                size_t cap = conn_frame_room(c, c->big_have, c->big_len);
                if (cap < doubled)
                    cap = doubled;
                uint8_t *grown = kelp_frame_grow(c->big, c->big_have, cap);
                if (!grown) {
                    kelp_conn_close(c, "out of memory for a frame");
                    return;
                }
                c->big = grown;
                c->big_cap = cap;
            }
            n = conn_recv(c, c->big + c->big_have, c->big_cap - c->big_have);
            if (n > 0) {
                c->big_have += (size_t)n;
                if (c->big_have == c->big_len) {
                    uint8_t *frame = c->big;
                    size_t len = c->big_len;
                    c->big = NULL;
                    c->idle_ticks = 0;
                    if (c->handler->on_frame(c->ctx, c, frame, len) != 0) {
                        kelp_conn_close(c, "malformed request");
                        return;
                    }
                }
                continue;
            }
        } else {
            if (!kelp_buf_reserve(&c->in, READ_CHUNK)) {
                kelp_conn_close(c, "out of memory for input");
                return;
            }
            n = conn_recv(c, c->in.data + c->in.len, READ_CHUNK);
            if (n > 0) {
                c->in.len += (size_t)n;
                conn_parse_frames(c);
                /* A short plain read drained the socket; TLS hands out one
                 * record at a time, so it reads on until told to wait. */
                if ((size_t)n < READ_CHUNK && !c->tls)
                    break;
                continue;
            }
        }
        if (n == 0) {
            kelp_conn_close(c, conn_error(c, n));
            return;
        }
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            break;
        kelp_conn_close(c, conn_error(c, n));
        return;
    }
    if (!c->closed)
        conn_update_events(c);
}

static void conn_io(void *ctx, uint32_t events)
{
    kelp_conn *c = ctx;
    bool resume = (c->tls && kelp_tls_wants_write(c->tls)) || conn_has_buffered_input(c);
    if (events & EPOLLOUT)
        conn_flush(c);
    if (!c->closed && resume && conn_wants_read(c)) {
        conn_parse_frames(c);
        if (!c->closed && conn_wants_read(c))
            conn_read(c);
        else if (!c->closed)
            conn_update_events(c);
    } else if (!c->closed && (events & (EPOLLIN | EPOLLHUP | EPOLLERR | EPOLLRDHUP))) {
        if (conn_wants_read(c))
            conn_read(c);
        else if (events & (EPOLLHUP | EPOLLERR))
            kelp_conn_close(c, "hang-up");
    }
}
