/* The generated codec against byte vectors written by hand from the Kafka
 * protocol guide, including tagged fields the decoder does not know. */
#include <check.h>
#include <stdlib.h>

#include "protocol/generated/kafka_messages.h"

static kelp_buf buf;
static kw_writer w;
static kelp_arena arena;

static void setup(void)
{
    kelp_buf_init(&buf);
    w = (kw_writer){.buf = &buf};
    kelp_arena_init(&arena, 1024);
}

static void teardown(void)
{
    kelp_buf_free(&buf);
    kelp_arena_free(&arena);
}

#define ASSERT_BYTES(expect)                                        \
    do {                                                            \
        ck_assert_uint_eq(buf.len, sizeof(expect));                 \
        ck_assert_int_eq(memcmp(buf.data, expect, sizeof(expect)), 0); \
    } while (0)

START_TEST(request_header_v2_keeps_a_classic_client_id)
{
    static const uint8_t expect[] = {0x00, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01,
                                     0x00, 0x07, 'r', 'd', 'k', 'a', 'f', 'k', 'a', 0x00};
    kafka_RequestHeader h;
    kafka_RequestHeader_init(&h);
    h.request_api_key = 18;
    h.request_api_version = 3;
    h.correlation_id = 1;
    h.client_id = kw_str_from_cstr("rdkafka");
    ck_assert_int_eq(kafka_RequestHeader_encode(&w, 2, &h), 0);
    ASSERT_BYTES(expect);
    kw_reader r = {expect, sizeof(expect), 0, 0};
    kafka_RequestHeader d;
    ck_assert_int_eq(kafka_RequestHeader_decode(&r, &arena, 2, &d), 0);
    ck_assert(kw_str_eq(d.client_id, "rdkafka"));
    ck_assert_int_eq(d.correlation_id, 1);
}
END_TEST

START_TEST(api_versions_request_v3_uses_compact_strings)
{
    static const uint8_t expect[] = {0x05, 'k', 'c', 'a', 't', 0x06, '1', '.', '7', '.', '1', 0x00};
    kafka_ApiVersionsRequest m;
    kafka_ApiVersionsRequest_init(&m);
    m.client_software_name = kw_str_from_cstr("kcat");
    m.client_software_version = kw_str_from_cstr("1.7.1");
    ck_assert_int_eq(kafka_ApiVersionsRequest_encode(&w, 3, &m), 0);
    ASSERT_BYTES(expect);
}
END_TEST

START_TEST(api_versions_response_v0_and_v3_with_a_tagged_field)
{
    static const uint8_t v0[] = {0x00, 0x23, 0x00, 0x00, 0x00, 0x01, 0x00, 0x12, 0x00, 0x00, 0x00, 0x04};
    kafka_ApiVersionsResponse m;
    kafka_ApiVersionsResponse_init(&m);
    kafka_ApiVersionsResponse_ApiVersion key = {.api_key = 18, .min_version = 0, .max_version = 4};
    m.error_code = 35;
    m.api_keys = &key;
    m.api_keys_count = 1;
    ck_assert_int_eq(kafka_ApiVersionsResponse_encode(&w, 0, &m), 0);
    ASSERT_BYTES(v0);

    /* v3: compact array, per-element tag section, throttle time, then
     * FinalizedFeaturesEpoch as tag 1 (8 bytes) because it is not -1. */
    static const uint8_t v3[] = {0x00, 0x00, 0x02, 0x00, 0x12, 0x00, 0x00, 0x00, 0x04, 0x00,
                                 0x00, 0x00, 0x00, 0x00, 0x01, 0x01, 0x08, 0x00, 0x00, 0x00,
                                 0x00, 0x00, 0x00, 0x00, 0x05};
    kelp_buf_clear(&buf);
    m.error_code = 0;
    m.finalized_features_epoch = 5;
    ck_assert_int_eq(kafka_ApiVersionsResponse_encode(&w, 3, &m), 0);
    ASSERT_BYTES(v3);
    kw_reader r = {v3, sizeof(v3), 0, 0};
    kafka_ApiVersionsResponse d;
    ck_assert_int_eq(kafka_ApiVersionsResponse_decode(&r, &arena, 3, &d), 0);
    ck_assert(d.finalized_features_epoch == 5);
    ck_assert_int_eq(d.api_keys_count, 1);
    ck_assert_int_eq(d.api_keys[0].max_version, 4);
}
END_TEST

START_TEST(metadata_request_v1_names_and_null)
{
    static const uint8_t one[] = {0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 'a'};
    static const uint8_t all[] = {0xff, 0xff, 0xff, 0xff};
    kafka_MetadataRequest m;
    kafka_MetadataRequest_init(&m);
    kafka_MetadataRequest_MetadataRequestTopic t;
    kafka_MetadataRequest_MetadataRequestTopic_init(&t);
    t.name = kw_str_from_cstr("a");
    m.topics = &t;
    m.topics_count = 1;
    ck_assert_int_eq(kafka_MetadataRequest_encode(&w, 1, &m), 0);
    ASSERT_BYTES(one);
    kelp_buf_clear(&buf);
    m.topics_count = -1;
    ck_assert_int_eq(kafka_MetadataRequest_encode(&w, 1, &m), 0);
    ASSERT_BYTES(all);
}
END_TEST

START_TEST(unknown_tagged_fields_are_skipped_at_every_level)
{
    /* MetadataRequest v9: one topic "a" carrying unknown tag 7, allow auto
     * create, no cluster or topic authorized operations, and unknown tag 5
     * at the top. */
    static const uint8_t in[] = {0x02, 0x02, 'a', 0x01, 0x07, 0x02, 0xaa, 0xbb,
                                 0x01, 0x00, 0x00, 0x01, 0x05, 0x01, 0xcc};
    kw_reader r = {in, sizeof(in), 0, 0};
    kafka_MetadataRequest m;
    ck_assert_int_eq(kafka_MetadataRequest_decode(&r, &arena, 9, &m), 0);
    ck_assert_uint_eq(r.pos, sizeof(in));
    ck_assert_int_eq(m.topics_count, 1);
    ck_assert(kw_str_eq(m.topics[0].name, "a"));
    ck_assert(m.allow_auto_topic_creation);
    ck_assert(!m.include_topic_authorized_operations);
    /* A tag whose size runs past the end is malformed. */
    static const uint8_t bad[] = {0x01, 0x01, 0x00, 0x00, 0x01, 0x05, 0x09, 0xcc};
    kw_reader rb = {bad, sizeof(bad), 0, 0};
    ck_assert_int_ne(kafka_MetadataRequest_decode(&rb, &arena, 9, &m), 0);
}
END_TEST

START_TEST(produce_request_v3_layout)
{
    static const uint8_t expect[] = {0xff, 0xff,             /* transactional id: null */
                                     0xff, 0xff,             /* acks -1 */
                                     0x00, 0x00, 0x03, 0xe8, /* timeout 1000 */
                                     0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 't',
                                     0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
                                     0x00, 0x00, 0x00, 0x03, 'x', 'y', 'z'};
    kafka_ProduceRequest m;
    kafka_ProduceRequest_init(&m);
    kafka_ProduceRequest_TopicProduceData t;
    kafka_ProduceRequest_TopicProduceData_init(&t);
    kafka_ProduceRequest_PartitionProduceData p;
    kafka_ProduceRequest_PartitionProduceData_init(&p);
    p.index = 0;
    p.records = (kw_bytes){(const uint8_t *)"xyz", 3};
    t.name = kw_str_from_cstr("t");
    t.partition_data = &p;
    t.partition_data_count = 1;
    m.acks = -1;
    m.timeout_ms = 1000;
    m.topic_data = &t;
    m.topic_data_count = 1;
    ck_assert_int_eq(kafka_ProduceRequest_encode(&w, 3, &m), 0);
    ASSERT_BYTES(expect);
}
END_TEST

START_TEST(produce_request_v3_header_is_version_1)
{
    /* Produce v3 is not flexible: header v1, no tagged section. */
    static const uint8_t expect[] = {0x00, 0x00,             /* api key 0 */
                                     0x00, 0x03,             /* api version 3 */
                                     0x00, 0x00, 0x00, 0x07, /* correlation id */
                                     0x00, 0x01, 'c'};       /* client id */
    static const uint8_t null_client[] = {0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x07, 0xff, 0xff};
    ck_assert_int_eq(kafka_request_header_version(KAFKA_API_PRODUCE, 3), 1);
    ck_assert_int_eq(kafka_response_header_version(KAFKA_API_PRODUCE, 3), 0);
    kafka_RequestHeader h;
    kafka_RequestHeader_init(&h);
    h.request_api_key = KAFKA_API_PRODUCE;
    h.request_api_version = 3;
    h.correlation_id = 7;
    h.client_id = kw_str_from_cstr("c");
    ck_assert_int_eq(kafka_RequestHeader_encode(&w, 1, &h), 0);
    ASSERT_BYTES(expect);
    kelp_buf_clear(&buf);
    h.client_id = (kw_str){NULL, -1};
    ck_assert_int_eq(kafka_RequestHeader_encode(&w, 1, &h), 0);
    ASSERT_BYTES(null_client);
    kw_reader r = {expect, sizeof(expect), 0, 0};
    kafka_RequestHeader d;
    ck_assert_int_eq(kafka_RequestHeader_decode(&r, &arena, 1, &d), 0);
    ck_assert_uint_eq(r.pos, sizeof(expect));
    ck_assert_int_eq(d.request_api_key, 0);
    ck_assert_int_eq(d.request_api_version, 3);
    ck_assert_int_eq(d.correlation_id, 7);
    ck_assert(kw_str_eq(d.client_id, "c"));
}
END_TEST

START_TEST(api_table_matches_the_schemas)
{
    const kafka_api_info *produce = kafka_api_lookup(KAFKA_API_PRODUCE);
    ck_assert_ptr_nonnull(produce);
    ck_assert_int_eq(produce->flexible_min, 9);
    ck_assert_int_eq(kafka_request_header_version(KAFKA_API_PRODUCE, 9), 2);
    ck_assert_int_eq(kafka_request_header_version(KAFKA_API_PRODUCE, 8), 1);
    ck_assert_int_eq(kafka_response_header_version(KAFKA_API_API_VERSIONS, 3), 0);
    ck_assert_int_eq(kafka_response_header_version(KAFKA_API_FETCH, 12), 1);
    ck_assert_ptr_null(kafka_api_lookup(9999));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("codec vectors");
    TCase *tc = tcase_create("vectors");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, request_header_v2_keeps_a_classic_client_id);
    tcase_add_test(tc, api_versions_request_v3_uses_compact_strings);
    tcase_add_test(tc, api_versions_response_v0_and_v3_with_a_tagged_field);
    tcase_add_test(tc, metadata_request_v1_names_and_null);
    tcase_add_test(tc, unknown_tagged_fields_are_skipped_at_every_level);
    tcase_add_test(tc, produce_request_v3_layout);
    tcase_add_test(tc, produce_request_v3_header_is_version_1);
    tcase_add_test(tc, api_table_matches_the_schemas);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
