/* One client connection: length-prefixed frames in, responses out in request
 * order. Requests may complete out of order (a produce waiting for a group
 * commit, a parked fetch); each gets a slot when it arrives and the slots are
 * written back strictly in arrival order. */
#ifndef KELP_NET_CONNECTION_H
#define KELP_NET_CONNECTION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "net/event_loop.h"

typedef struct kelp_conn kelp_conn;
typedef struct kelp_conn_slot kelp_conn_slot;

typedef struct kelp_conn_handler {
    /* A whole frame (the length prefix removed) arrived. The frame is
     * malloc'd and now owned by the callee. Return -1 to close the connection
     * (a malformed request). */
    int (*on_frame)(void *ctx, kelp_conn *conn, uint8_t *frame, size_t len);
    /* The connection is gone (closed by the peer, an error, or the server). */
    void (*on_close)(void *ctx, kelp_conn *conn);
} kelp_conn_handler;

typedef struct kelp_conn_limits {
    int32_t max_frame_bytes;   /* larger frames close the connection */
    size_t max_pending;        /* stop reading past this many unanswered requests */
    size_t max_output_bytes;   /* stop reading while this much waits to be sent */
} kelp_conn_limits;

kelp_conn *kelp_conn_new(kelp_loop *loop, int fd, const kelp_conn_limits *limits,
                         const kelp_conn_handler *handler, void *ctx);
/* Makes the connection speak TLS (server side); call right after
 * kelp_conn_new, before the loop runs again. */
struct kelp_tls_context;
int kelp_conn_start_tls(kelp_conn *conn, struct kelp_tls_context *ctx);
/* The verified TLS client certificate's subject, NULL when none. */
const char *kelp_conn_tls_subject(kelp_conn *conn);
/* Closes the socket now; the memory goes once every slot is completed. */
void kelp_conn_close(kelp_conn *conn, const char *why);
bool kelp_conn_is_closed(const kelp_conn *conn);
/* Frames down to 1 byte are accepted (bare SASL tokens after a v0
 * SaslHandshake), instead of a request header's 8 at least. */
void kelp_conn_set_short_frames(kelp_conn *conn, bool allowed);
/* Reads no more; closes once every pending answer has been written (an
 * authentication failure's answer, then the end of the connection). */
void kelp_conn_close_when_sent(kelp_conn *conn);
/* Stops reading new requests (graceful shutdown); pending ones still finish. */
void kelp_conn_stop_reading(kelp_conn *conn);
/* True when no request is pending and nothing waits to be written. */
bool kelp_conn_idle(const kelp_conn *conn);
/* One tick of the idle sweep (connections.max.idle.ms): a connection with a
 * request pending or output unsent is busy; otherwise it counts the ticks
 * since its last whole frame or written byte, and is closed on the tick
 * after max_ticks. Bytes of a partial frame do not count as activity, so a
 * frame sent slower than the limit is closed too. Returns true when closed. */
bool kelp_conn_idle_tick(kelp_conn *conn, unsigned max_ticks);
const char *kelp_conn_peer(const kelp_conn *conn);
void *kelp_conn_user(kelp_conn *conn);
void kelp_conn_set_user(kelp_conn *conn, void *user);
/* The index of the listener that accepted the connection (0: the main one;
 * also for NULL, as internal requests have no connection). */
int kelp_conn_listener(const kelp_conn *conn);
void kelp_conn_set_listener(kelp_conn *conn, int listener);

/* Reserves the next response position. */
kelp_conn_slot *kelp_conn_slot_reserve(kelp_conn *conn);
/* Fills a slot with a whole response frame (length prefix included); the
 * buffer's memory is taken over. response == NULL means no response
 * (acks=0). Safe after the connection closed: the response is dropped. */
void kelp_conn_slot_complete(kelp_conn_slot *slot, kelp_buf *response);
/* The same with file ranges spliced into the response (see net/output.h;
 * their positions count the response's own bytes, length prefix
 * included, and the frame length must count the file bytes); the ranges
 * and their descriptors are taken over. */
struct kelp_file_range;
void kelp_conn_slot_complete_ranges(kelp_conn_slot *slot, kelp_buf *response, struct kelp_file_range *ranges,
                                    size_t n);
kelp_conn *kelp_conn_slot_conn(kelp_conn_slot *slot);

#endif
