/* The generated codec against byte vectors built independently of it, one
 * request and one response (and a variant with every nullable field null)
 * for each advertised API and version, plus the headers. Each vector is
 * decoded, checked field by field, re-encoded and compared byte for byte.
 * The vectors come from t/unit/vectors/make_vectors.py. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/broker.h"
#include "protocol/generated/kafka_apis.h"
#include "protocol/generated/kafka_messages.h"

typedef struct {
    const char *label;
    void (*run)(void);
} protocol_vector;

typedef struct {
    int16_t api_key, api_version, request_header, response_header;
} header_version_row;

static kelp_buf buf;
static kelp_arena arena;

static void setup(void)
{
    kelp_buf_init(&buf);
    kelp_arena_init(&arena, 4096);
}

static void teardown(void)
{
    kelp_buf_free(&buf);
    kelp_arena_free(&arena);
}

/* Names the first differing byte, which is what one needs to find a wrong
 * field order or width. */
static void assert_same_bytes(const uint8_t *got, size_t got_len, const uint8_t *want, size_t want_len)
{
    size_t n = got_len < want_len ? got_len : want_len;
    size_t i = 0;
    while (i < n && got[i] == want[i])
        i++;
    if (i == n && got_len == want_len)
        return;
    ck_abort_msg("re-encoded %zu bytes, vector has %zu; first difference at offset %zu (got 0x%02x, want 0x%02x)",
                 got_len, want_len, i, i < got_len ? got[i] : 0, i < want_len ? want[i] : 0);
}

#define VECTOR_RUNNER(N, T, V, LEN)                                             \
    static void run_##N(void)                                                   \
    {                                                                           \
        kafka_##T d;                                                            \
        kw_reader r = {vec_##N, (LEN), 0, 0};                                   \
        ck_assert_int_eq(kafka_##T##_decode(&r, &arena, (V), &d), 0);           \
        ck_assert_int_eq(r.err, 0);                                             \
        ck_assert_uint_eq(r.pos, (LEN));                                        \
        check_##N(&d);                                                          \
        kelp_buf_clear(&buf);                                                   \
        kw_writer w = {.buf = &buf};                                                \
        ck_assert_int_eq(kafka_##T##_encode(&w, (V), &d), 0);                   \
        assert_same_bytes(buf.data, buf.len, vec_##N, (LEN));                   \
    }

#include "vectors/protocol_vectors.inc"

static const size_t vector_count = sizeof(vectors) / sizeof(vectors[0]);

START_TEST(vector_decodes_checks_and_reencodes)
{
    const protocol_vector *v = &vectors[_i];
    v->run();
}
END_TEST

START_TEST(header_versions_follow_flexible_versions)
{
    for (size_t i = 0; i < sizeof(header_versions) / sizeof(header_versions[0]); i++) {
        const header_version_row *h = &header_versions[i];
        ck_assert_msg(kafka_request_header_version(h->api_key, h->api_version) == h->request_header,
                      "api %d v%d: request header", h->api_key, h->api_version);
        ck_assert_msg(kafka_response_header_version(h->api_key, h->api_version) == h->response_header,
                      "api %d v%d: response header", h->api_key, h->api_version);
    }
    /* ControlledShutdown v0 is the only user of request header v0. */
    ck_assert_int_eq(kafka_request_header_version(KAFKA_API_CONTROLLED_SHUTDOWN, 0), 0);
}
END_TEST

/* Every version the broker advertises has vectors here (one row per API
 * version), so raising a range means adding its layouts to the script. A
 * table maximum of 0 stands for the schemas' latest stable version. */
START_TEST(every_advertised_version_has_vectors)
{
    size_t count;
    const kelp_api *apis = kelp_broker_apis(&count);
    for (size_t i = 0; i < count; i++) {
        const kafka_api_info *info = kafka_api_lookup(apis[i].api_key);
        int16_t max = apis[i].max_version > 0 ? apis[i].max_version : (info ? info->max_version : -1);
        for (int16_t v = apis[i].min_version; v <= max; v++) {
            bool found = false;
            for (size_t j = 0; j < sizeof(header_versions) / sizeof(header_versions[0]); j++)
                found = found || (header_versions[j].api_key == apis[i].api_key && header_versions[j].api_version == v);
            ck_assert_msg(found, "%s(%d) v%d is advertised but has no vectors", info ? info->name : "?",
                          apis[i].api_key, v);
        }
    }
}
END_TEST

/* The answer to an ApiVersions request of a version the broker does not
 * know: response header v0, then the v0 body with UNSUPPORTED_VERSION (35)
 * and the supported ranges, whatever version the client asked for. */
START_TEST(api_versions_unsupported_answer_uses_the_v0_layout)
{
    static const uint8_t frame[] = {
        0x00, 0x00, 0x30, 0x39,             /* response header v0: correlation id 12345 */
        0x00, 0x23,                         /* error_code 35 */
        0x00, 0x00, 0x00, 0x02,             /* api_keys: INT32 count 2 */
        0x00, 0x00, 0x00, 0x03, 0x00, 0x0b, /* Produce 3..11 */
        0x00, 0x12, 0x00, 0x00, 0x00, 0x04, /* ApiVersions 0..4 */
    };
    for (int16_t asked = 0; asked <= 5; asked++)
        ck_assert_int_eq(kafka_response_header_version(KAFKA_API_API_VERSIONS, asked), 0);

    kw_reader r = {frame, sizeof(frame), 0, 0};
    kafka_ResponseHeader h;
    ck_assert_int_eq(kafka_ResponseHeader_decode(&r, &arena, 0, &h), 0);
    ck_assert_int_eq(h.correlation_id, 12345);
    kafka_ApiVersionsResponse m;
    ck_assert_int_eq(kafka_ApiVersionsResponse_decode(&r, &arena, 0, &m), 0);
    ck_assert_uint_eq(r.pos, sizeof(frame));
    ck_assert_int_eq(m.error_code, 35);
    ck_assert_int_eq(m.api_keys_count, 2);
    ck_assert_int_eq(m.api_keys[0].api_key, 0);
    ck_assert_int_eq(m.api_keys[0].min_version, 3);
    ck_assert_int_eq(m.api_keys[0].max_version, 11);
    ck_assert_int_eq(m.api_keys[1].api_key, 18);
    ck_assert_int_eq(m.api_keys[1].max_version, 4);

    kw_writer w = {.buf = &buf};
    kafka_ResponseHeader_encode(&w, 0, &h);
    ck_assert_int_eq(kafka_ApiVersionsResponse_encode(&w, 0, &m), 0);
    assert_same_bytes(buf.data, buf.len, frame, sizeof(frame));
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("protocol_vectors");
    TCase *tc = tcase_create("vectors");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, vector_decodes_checks_and_reencodes, 0, (int)vector_count);
    tcase_add_test(tc, header_versions_follow_flexible_versions);
    tcase_add_test(tc, every_advertised_version_has_vectors);
    tcase_add_test(tc, api_versions_unsupported_answer_uses_the_v0_layout);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
