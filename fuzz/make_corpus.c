/* Writes the generated seeds of fuzz/corpus: for fuzz_request, every API's
 * request and response (default field values, so empty arrays) at its
 * first, first flexible and last version, and the other messages; for
 * fuzz_records, record batches with every codec and some broken ones.
 *   make_corpus DIR    (DIR/request and DIR/records must exist) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/kafka_api_list.h"
#include "protocol/generated/kafka_apis.h"
#include "protocol/generated/kafka_messages.h"
#include "records/compression.h"
#include "records/control_batch.h"
#include "records/crc32c.h"
#include "records/record_batch.h"
#include "t/unit/batch_builder.h"
#include "util/buf.h"

static const char *out_dir;
static int failures;

static void put_file(const char *sub, const char *name, uint8_t prefix, const void *data, size_t len)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s/%s", out_dir, sub, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(&prefix, 1, 1, f) != 1 || (len && fwrite(data, 1, len, f) != len) || fclose(f) != 0) {
        fprintf(stderr, "make_corpus: cannot write %s\n", path);
        failures++;
    }
}

static void put16(kelp_buf *b, int16_t v)
{
    uint8_t p[2] = {(uint8_t)((uint16_t)v >> 8), (uint8_t)v};
    kelp_buf_append(b, p, 2);
}

#define ENCODERS(key, Name)                                                              \
    static void enc_##Name(kw_writer *w, int16_t v, int response)                        \
    {                                                                                    \
        if (response) {                                                                  \
            kafka_##Name##Response m;                                                    \
            kafka_##Name##Response_init(&m);                                             \
            kafka_##Name##Response_encode(w, v, &m);                                     \
        } else {                                                                         \
            kafka_##Name##Request m;                                                     \
            kafka_##Name##Request_init(&m);                                              \
            kafka_##Name##Request_encode(w, v, &m);                                      \
        }                                                                                \
    }
KELP_FUZZ_APIS(ENCODERS)

typedef struct api_encoder {
    int16_t api_key;
    void (*encode)(kw_writer *w, int16_t v, int response);
} api_encoder;

#define ENTRY(key, Name) {key, enc_##Name},
static const api_encoder encoders[] = {KELP_FUZZ_APIS(ENTRY)};

static void request_seed(const api_encoder *e, int16_t v)
{
    kelp_buf b;
    kelp_buf_init(&b);
    kw_writer w = {.buf = &b, .err = 0};
    kafka_RequestHeader h;
    kafka_RequestHeader_init(&h);
    h.request_api_key = e->api_key;
    h.request_api_version = v;
    h.correlation_id = 7;
    h.client_id = kw_str_from_cstr("fuzz");
    kafka_RequestHeader_encode(&w, kafka_request_header_version(e->api_key, v), &h);
    e->encode(&w, v, 0);
    char name[64];
    snprintf(name, sizeof(name), "req-%02d-v%d", e->api_key, v);
    if (!w.err && !b.failed)
        put_file("request", name, 0, b.data, b.len);

    kelp_buf_clear(&b);
    w.err = 0;
    put16(&b, e->api_key);
    put16(&b, v);
    kafka_ResponseHeader rh;
    kafka_ResponseHeader_init(&rh);
    rh.correlation_id = 7;
    kafka_ResponseHeader_encode(&w, kafka_response_header_version(e->api_key, v), &rh);
    e->encode(&w, v, 1);
    snprintf(name, sizeof(name), "resp-%02d-v%d", e->api_key, v);
    if (!w.err && !b.failed)
        put_file("request", name, 1, b.data, b.len);
    kelp_buf_free(&b);
}

static void other_seeds(void)
{
    kelp_buf b;
    kelp_buf_init(&b);
    kw_writer w = {.buf = &b, .err = 0};
    for (int16_t v = 0; v <= 3; v++) {
        kelp_buf_clear(&b);
        kelp_buf_append(&b, "\x00", 1);
        put16(&b, v);
        kafka_ConsumerProtocolSubscription s;
        kafka_ConsumerProtocolSubscription_init(&s);
        kw_str topics[2] = {kw_str_from_cstr("orders"), kw_str_from_cstr("events")};
        s.topics = topics;
        s.topics_count = 2;
        kafka_ConsumerProtocolSubscription_encode(&w, v, &s);
        char name[64];
        snprintf(name, sizeof(name), "subscription-v%d", v);
        put_file("request", name, 2, b.data, b.len);

        kelp_buf_clear(&b);
        kelp_buf_append(&b, "\x01", 1);
        put16(&b, v);
        kafka_ConsumerProtocolAssignment a;
        kafka_ConsumerProtocolAssignment_init(&a);
        kafka_ConsumerProtocolAssignment_encode(&w, v, &a);
        snprintf(name, sizeof(name), "assignment-v%d", v);
        put_file("request", name, 2, b.data, b.len);
    }
    kelp_buf_free(&b);
}

static void batch_seed(const char *name, const kelp_buf *b, uint8_t flags)
{
    put_file("records", name, flags, b->data, b->len);
}

static void record_seeds(void)
{
    static const char *const codec_names[] = {"none", "gzip", "snappy", "lz4", "zstd"};
    test_record recs[3] = {
        {.key = "k0", .value = "v0", .timestamp = 1700000000000, .header_key = "h", .header_value = "hv"},
        {.key = NULL, .value = "v1", .timestamp = 1700000000005},
        {.key = "k2", .value = NULL, .timestamp = 1699999999999},
    };
    kelp_buf b;
    kelp_buf_init(&b);
    char name[64];
    for (int codec = 0; codec <= 4; codec++) {
        kelp_buf_clear(&b);
        test_batch_options opt = {.codec = codec, .producer_id = -1};
        if (test_batch_build(&b, &opt, recs, 3) == 0) {
            snprintf(name, sizeof(name), "batch-%s", codec_names[codec]);
            batch_seed(name, &b, 0);
        }
    }
    kelp_buf_clear(&b);
    test_batch_options xerial = {.codec = KELP_COMPRESSION_SNAPPY, .snappy_xerial = true, .producer_id = -1};
    if (test_batch_build(&b, &xerial, recs, 3) == 0)
        batch_seed("batch-snappy-xerial", &b, 0);
    kelp_buf_clear(&b);
    test_batch_options lat = {.codec = 0, .log_append_time = true, .producer_id = 42};
    if (test_batch_build(&b, &lat, recs, 2) == 0)
        batch_seed("batch-log-append-idempotent", &b, 0);

    /* Two batches back to back. */
    kelp_buf_clear(&b);
    if (test_batch_simple(&b, 2, 1000) == 0 && test_batch_simple(&b, 5, 2000) == 0)
        batch_seed("batches-two", &b, 0);

    uint8_t marker[KELP_CONTROL_BATCH_SIZE];
    kelp_control_batch_build(marker, 42, 1, KELP_CONTROL_COMMIT, 3, 1700000000000);
    kelp_buf_clear(&b);
    kelp_buf_append(&b, marker, sizeof(marker));
    batch_seed("control-commit", &b, 0);

    /* Broken: truncated, a flipped CRC, magic 1, a record count that lies
     * (flag 1 makes the target fix the CRC, so the lie gets parsed). */
    kelp_buf_clear(&b);
    test_batch_simple(&b, 3, 1000);
    kelp_buf t = b;
    t.len = b.len - 5;
    batch_seed("broken-truncated", &t, 0);
    b.data[KELP_BATCH_OFF_CRC] ^= 0xff;
    batch_seed("broken-crc", &b, 0);
    b.data[KELP_BATCH_OFF_CRC] ^= 0xff;
    b.data[KELP_BATCH_OFF_MAGIC] = 1;
    batch_seed("broken-magic", &b, 0);
    b.data[KELP_BATCH_OFF_MAGIC] = 2;
    b.data[KELP_BATCH_HEADER_SIZE - 1] = 9; /* record count 3 -> 9 */
    batch_seed("broken-count", &b, 1);
    kelp_buf_free(&b);

    kelp_buf_init(&b);
    kelp_buf_clear(&b);
    test_batch_options gz = {.codec = KELP_COMPRESSION_GZIP, .producer_id = -1};
    if (test_batch_build(&b, &gz, recs, 3) == 0) {
        b.data[b.len - 3] ^= 0x55; /* inside the compressed stream */
        batch_seed("broken-gzip-stream", &b, 1);
    }
    kelp_buf_free(&b);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: make_corpus DIR\n");
        return 2;
    }
    out_dir = argv[1];
    for (size_t i = 0; i < sizeof(encoders) / sizeof(encoders[0]); i++) {
        const kafka_api_info *info = kafka_api_lookup(encoders[i].api_key);
        if (!info)
            continue;
        int16_t versions[3] = {info->min_version, info->flexible_min, info->max_version};
        for (int j = 0; j < 3; j++) {
            int16_t v = versions[j];
            if (v < info->min_version || v > info->max_version || (j > 0 && v == versions[j - 1]) ||
                (j == 2 && v == versions[0]))
                continue;
            request_seed(&encoders[i], v);
        }
    }
    other_seeds();
    record_seeds();
    return failures ? 1 : 0;
}
