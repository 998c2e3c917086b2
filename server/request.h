/* One Kafka request in flight: its frame (decoded strings point into it), the
 * parsed header, an arena for the decoded body, and its response slot. */
#ifndef KELP_SERVER_REQUEST_H
#define KELP_SERVER_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/arena.h"
#include "util/buf.h"
#include "net/connection.h"
#include "protocol/wire.h"

typedef struct kelp_request kelp_request;

struct kelp_request {
    kelp_conn_slot *slot;
    uint8_t *frame;
    size_t frame_len;
    int16_t api_key;
    int16_t api_version;
    int32_t correlation_id;
    kw_str client_id;
    kw_reader body; /* positioned after the request header */
    kelp_arena arena;
    kelp_request *next; /* for the broker's wait lists */
    void *state;        /* the handler's, while the request waits */
    /* For the request metrics, counted when the response is queued. */
    struct kelp_server_metrics *metrics; /* NULL: not counted */
    int64_t received_ns;
    bool failed; /* the response carries an error code */
};

/* Marks the request as answered with an error, when code is not 0. */
static inline void kelp_request_note_error(kelp_request *req, int16_t code)
{
    if (code != 0)
        req->failed = true;
}

/* api_key, api_version and correlation_id: the bytes every request header starts with. */
#define KELP_REQUEST_HEADER_MIN 8

/* Takes the frame over. NULL on a malformed header. */
kelp_request *kelp_request_parse(uint8_t *frame, size_t len, int16_t header_version);
void kelp_request_free(kelp_request *req);

/* Starts a response frame: length placeholder and the response header. */
void kelp_response_begin(const kelp_request *req, kelp_buf *buf, kw_writer *w);
/* Completes the frame, hands it to the connection and frees the request. */
void kelp_response_send(kelp_request *req, kelp_buf *buf, kw_writer *w);
/* The same for a frame with file ranges spliced in (a fetch's stored
 * batches, see net/output.h); takes the ranges over. */
struct kelp_file_range;
void kelp_response_send_ranges(kelp_request *req, kelp_buf *buf, kw_writer *w, struct kelp_file_range *ranges,
                               size_t n);
/* Finishes a request that gets no response (acks=0). */
void kelp_request_finish_silently(kelp_request *req);

/* Encodes a whole response message of type kafka_<Type> and sends it. */
#define KELP_RESPOND(req, Type, msg)                                         \
    do {                                                                     \
        kelp_buf resp_buf_;                                                  \
        kw_writer resp_w_;                                                   \
        kelp_response_begin((req), &resp_buf_, &resp_w_);                    \
        kafka_##Type##_encode(&resp_w_, (req)->api_version, (msg));          \
        kelp_response_send((req), &resp_buf_, &resp_w_);                     \
    } while (0)

#endif
