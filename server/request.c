#include "server/request.h"

#include <stdlib.h>
#include <string.h>

#include "metrics/server_metrics.h"
#include "net/frame_pool.h"
#include "net/output.h"
#include "protocol/generated/kafka_messages.h"

kelp_request *kelp_request_parse(uint8_t *frame, size_t len, int16_t header_version)
{
    kelp_request *req = calloc(1, sizeof(*req));
    if (!req) {
        kelp_frame_free(frame);
        return NULL;
    }
    req->frame = frame;
    req->frame_len = len;
    kelp_arena_init(&req->arena, 4096);
    kw_reader r = {.p = frame, .len = len, .pos = 0, .err = 0};
    kafka_RequestHeader hdr;
    kafka_RequestHeader_init(&hdr);
    if (kafka_RequestHeader_decode(&r, &req->arena, header_version, &hdr) != 0) {
        kelp_request_free(req);
        return NULL;
    }
    req->api_key = hdr.request_api_key;
    req->api_version = hdr.request_api_version;
    req->correlation_id = hdr.correlation_id;
    req->client_id = hdr.client_id;
    req->body = (kw_reader){.p = frame + r.pos, .len = len - r.pos, .pos = 0, .err = 0};
    return req;
}

void kelp_request_free(kelp_request *req)
{
    if (!req)
        return;
    kelp_arena_free(&req->arena);
    kelp_frame_free(req->frame);
    free(req);
}

static void count_request(const kelp_request *req, bool failed)
{
    kelp_metrics_request_done(req->metrics, req->api_key, req->api_version, req->received_ns, failed);
}

void kelp_response_begin(const kelp_request *req, kelp_buf *buf, kw_writer *w)
{
    kelp_buf_init(buf);
    *w = (kw_writer){.buf = buf, .err = 0};
    kelp_buf_extend(buf, 4); /* frame length, patched in kelp_response_send */
    kafka_ResponseHeader hdr;
    kafka_ResponseHeader_init(&hdr);
    hdr.correlation_id = req->correlation_id;
    kafka_ResponseHeader_encode(w, kafka_response_header_version(req->api_key, req->api_version), &hdr);
}

void kelp_response_send(kelp_request *req, kelp_buf *buf, kw_writer *w)
{
    kelp_response_send_ranges(req, buf, w, NULL, 0);
}

void kelp_response_send_ranges(kelp_request *req, kelp_buf *buf, kw_writer *w, kelp_file_range *ranges, size_t n)
{
    uint64_t file_bytes = 0;
    for (size_t i = 0; i < n; i++)
        file_bytes += ranges[i].len;
    if (w->err || buf->failed || buf->len < 4 || buf->len - 4 + file_bytes > INT32_MAX) {
        /* Nothing sensible can be sent: closing tells the client to retry. */
        kelp_buf_free(buf);
        kelp_file_ranges_free(ranges, n);
        count_request(req, true);
        kelp_conn *conn = kelp_conn_slot_conn(req->slot);
        kelp_conn_slot_complete(req->slot, NULL);
        kelp_conn_close(conn, "response could not be encoded");
        kelp_request_free(req);
        return;
    }
    uint32_t len = (uint32_t)(buf->len - 4 + file_bytes);
    buf->data[0] = (uint8_t)(len >> 24);
    buf->data[1] = (uint8_t)(len >> 16);
    buf->data[2] = (uint8_t)(len >> 8);
    buf->data[3] = (uint8_t)len;
    kelp_conn_slot_complete_ranges(req->slot, buf, ranges, n);
    count_request(req, req->failed);
    kelp_request_free(req);
}

void kelp_request_finish_silently(kelp_request *req)
{
    kelp_conn_slot_complete(req->slot, NULL);
    count_request(req, req->failed);
    kelp_request_free(req);
}
