/* Fuzz target: one Kafka frame body (what the server's on_frame gets after
 * the 4-byte length) through the request header parser and the generated
 * decoder of its api key and version, then the encoder of what was decoded.
 * No broker is involved.
 *
 * Byte 0 picks what the rest is:
 *   0 (mod 3)  a request frame: api_key, api_version, header, body, header
 *              version chosen as on_frame does;
 *   1          a response: api_key(2), api_version(2), then the response
 *              frame (response header, body);
 *   2          a message outside the API table (consumer protocol
 *              subscription/assignment, the headers): index(1), version(2),
 *              then the message.
 * Every api key of protocol/generated/kafka_apis.c is in fuzz/kafka_api_list.h
 * (an unlisted one aborts, so the table cannot fall behind), and any
 * version from 0 to the table's maximum is decoded. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/fuzz_util.h"
#include "fuzz/kafka_api_list.h"
#include "net/frame_pool.h"
#include "protocol/generated/kafka_apis.h"
#include "protocol/generated/kafka_messages.h"
#include "server/request.h"
#include "util/arena.h"
#include "util/buf.h"

/* Decodes one message of type T at version v and encodes it again; an
 * encoding of a decoded message must not crash, whatever it holds. */
#define CODEC(T)                                                              \
    static int codec_##T(kw_reader *r, kelp_arena *a, int16_t v)             \
    {                                                                         \
        kafka_##T m;                                                          \
        kafka_##T##_init(&m);                                                 \
        if (kafka_##T##_decode(r, a, v, &m) != 0)                             \
            return -1;                                                        \
        kelp_buf buf;                                                         \
        kelp_buf_init(&buf);                                                  \
        kw_writer w = {.buf = &buf, .err = 0};                                \
        kafka_##T##_encode(&w, v, &m);                                        \
        (void)kafka_##T##_is_default(&m);                                     \
        kelp_buf_free(&buf);                                                  \
        return 0;                                                             \
    }

#define API_CODECS(key, Name) CODEC(Name##Request) CODEC(Name##Response)
KELP_FUZZ_APIS(API_CODECS)
CODEC(ConsumerProtocolSubscription)
CODEC(ConsumerProtocolAssignment)
CODEC(RequestHeader)
CODEC(ResponseHeader)

typedef int (*codec_fn)(kw_reader *r, kelp_arena *a, int16_t v);

typedef struct api_codecs {
    int16_t api_key;
    codec_fn request, response;
} api_codecs;

#define API_ENTRY(key, Name) {key, codec_##Name##Request, codec_##Name##Response},
static const api_codecs apis[] = {KELP_FUZZ_APIS(API_ENTRY)};

typedef struct other_codec {
    codec_fn fn;
    int16_t max_version;
} other_codec;

static const other_codec others[] = {
    {codec_ConsumerProtocolSubscription, 3},
    {codec_ConsumerProtocolAssignment, 3},
    {codec_RequestHeader, 2},
    {codec_ResponseHeader, 1},
};

static const api_codecs *find_api(int16_t api_key)
{
    for (size_t i = 0; i < sizeof(apis) / sizeof(apis[0]); i++)
        if (apis[i].api_key == api_key)
            return &apis[i];
    return NULL;
}

static int16_t be16(const uint8_t *p) { return (int16_t)((uint16_t)p[0] << 8 | p[1]); }

/* As the server: the header version follows from the api key and version;
 * an unsupported ApiVersions request is still parsed (and answered with
 * UNSUPPORTED_VERSION there), anything else unknown is refused. */
static void fuzz_request_frame(const uint8_t *data, size_t size)
{
    if (size < 4)
        return;
    int16_t api_key = be16(data);
    int16_t api_version = be16(data + 2);
    const kafka_api_info *info = kafka_api_lookup(api_key);
    const api_codecs *codecs = find_api(api_key);
    if (info && !codecs)
        abort();
    bool known = info && codecs && api_version >= 0 && api_version <= info->max_version;
    if (!known && api_key != KAFKA_API_API_VERSIONS)
        return;
    int16_t header_version = known ? kafka_request_header_version(api_key, api_version) : 2;
    if (!known && api_version < 3)
        header_version = 1;
    uint8_t *frame = kelp_frame_alloc(size);
    if (!frame)
        return;
    memcpy(frame, data, size);
    kelp_request *req = kelp_request_parse(frame, size, header_version);
    if (!req)
        return;
    if (known)
        codecs->request(&req->body, &req->arena, req->api_version);
    kelp_request_free(req);
}

static void fuzz_response(const uint8_t *data, size_t size)
{
    if (size < 4)
        return;
    int16_t api_key = be16(data);
    int16_t api_version = be16(data + 2);
    const kafka_api_info *info = kafka_api_lookup(api_key);
    const api_codecs *codecs = find_api(api_key);
    if (!info || !codecs || api_version < 0 || api_version > info->max_version)
        return;
    kelp_arena arena;
    kelp_arena_init(&arena, 4096);
    kw_reader r = {.p = data + 4, .len = size - 4, .pos = 0, .err = 0};
    kafka_ResponseHeader hdr;
    kafka_ResponseHeader_init(&hdr);
    if (kafka_ResponseHeader_decode(&r, &arena, kafka_response_header_version(api_key, api_version), &hdr) == 0)
        codecs->response(&r, &arena, api_version);
    kelp_arena_free(&arena);
}

static void fuzz_other(const uint8_t *data, size_t size)
{
    if (size < 3)
        return;
    const other_codec *c = &others[data[0] % (sizeof(others) / sizeof(others[0]))];
    int16_t version = be16(data + 1);
    if (version < 0 || version > c->max_version)
        return;
    kelp_arena arena;
    kelp_arena_init(&arena, 4096);
    kw_reader r = {.p = data + 3, .len = size - 3, .pos = 0, .err = 0};
    c->fn(&r, &arena, version);
    kelp_arena_free(&arena);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    switch (data[0] % 3) {
    case 0:
        fuzz_request_frame(data + 1, size - 1);
        break;
    case 1:
        fuzz_response(data + 1, size - 1);
        break;
    default:
        fuzz_other(data + 1, size - 1);
        break;
    }
    return 0;
}
