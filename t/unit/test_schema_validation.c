/* Broker-side schema validation: the wire format, Avro, JSON Schema and
 * Protobuf payloads, subjects, compressed batches and the record indexes
 * of refused records. */
#include <check.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "records/compression.h"
#include "schema/record_validator.h"
#include "schema/registry.h"
#include "schema/validate_avro.h"
#include "schema/validate_json.h"
#include "schema/validate_protobuf.h"
#include "schema/wire_format.h"
#include "storage/fs.h"
#include "t/unit/batch_builder.h"

static char root[64];
static kelp_fs *fs;
static kelp_schema_registry *reg;
static kelp_schema_validator *val;

#define AVRO_R                                                                                                    \
    "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"int\"},"                          \
    "{\"name\":\"s\",\"type\":\"string\"}]}"
#define JSON_S "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"integer\"}},\"required\":[\"a\"]}"
#define PROTO_S                                                                                                   \
    "syntax = \"proto3\";\npackage t;\nmessage M { int32 a = 1; string s = 2; }\n"                                \
    "message N { message Inner { int64 x = 1; } Inner i = 1; }\n"

static void setup(void)
{
    snprintf(root, sizeof(root), "/tmp/kelp-sv-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(root));
    char err[256];
    fs = kelp_fs_local_open(root, err, sizeof(err));
    ck_assert_ptr_nonnull(fs);
    reg = kelp_schema_registry_new();
    ck_assert_int_eq(kelp_schema_registry_attach(reg, fs, err, sizeof(err)), 0);
    val = kelp_schema_validator_new(reg);
    ck_assert_ptr_nonnull(val);
}

static void teardown(void)
{
    kelp_schema_validator_free(val);
    kelp_schema_registry_free(reg);
    fs->ops->remove_recursive(fs, "topics");
    fs->ops->destroy(fs);
    rmdir(root);
}

static int32_t reg_ok(const char *subject, kelp_schema_type type, const char *schema)
{
    kelp_sr_input in = {.type = type, .schema = schema};
    kelp_sr_error e;
    int32_t id = 0;
    ck_assert_msg(kelp_sr_register(reg, subject, &in, &id, &e) == 0, "register: %d %s", e.code, e.message);
    return id;
}

/* Magic byte, id, then prefix (the Protobuf index path) and payload. */
static int32_t framed(char *out, int32_t id, const char *prefix, size_t prefix_len, const char *payload,
                      size_t payload_len)
{
    out[0] = 0;
    out[1] = (char)(id >> 24);
    out[2] = (char)(id >> 16);
    out[3] = (char)(id >> 8);
    out[4] = (char)id;
    memcpy(out + 5, prefix, prefix_len);
    memcpy(out + 5 + prefix_len, payload, payload_len);
    return (int32_t)(5 + prefix_len + payload_len);
}

static int validate(const test_record *recs, int n, int codec, bool keys, kelp_record_problem **problems)
{
    kelp_buf b;
    kelp_buf_init(&b);
    test_batch_options opt = {.codec = codec, .producer_id = -1};
    ck_assert_int_eq(test_batch_build(&b, &opt, recs, n), 0);
    int rc = kelp_schema_validate_batch(val, "t", keys, true, b.data, b.len, problems);
    kelp_buf_free(&b);
    return rc;
}

START_TEST(wire_format)
{
    kelp_wire_frame f;
    char why[256];
    const uint8_t ok[] = {0, 0, 0, 1, 2, 4, 2, 0, 9};
    ck_assert_int_eq(kelp_wire_frame_header(ok, sizeof(ok), &f, why, sizeof(why)), 0);
    ck_assert_int_eq(f.id, 258);
    ck_assert_int_eq(f.payload_len, 4);
    ck_assert_int_eq(kelp_wire_frame_indexes(&f, why, sizeof(why)), 0);
    ck_assert_int_eq(f.n_indexes, 2);
    ck_assert_int_eq(f.indexes[0], 1);
    ck_assert_int_eq(f.indexes[1], 0);
    ck_assert_int_eq(f.payload_len, 1);
    ck_assert_int_eq(f.payload[0], 9);
    const uint8_t wrong_magic[] = {1, 0, 0, 0, 1, 2};
    ck_assert_int_eq(kelp_wire_frame_header(wrong_magic, sizeof(wrong_magic), &f, why, sizeof(why)), -1);
    ck_assert_int_eq(kelp_wire_frame_header(ok, 4, &f, why, sizeof(why)), -1);
    const uint8_t bad_path[] = {0, 0, 0, 0, 1, 6, 2};
    ck_assert_int_eq(kelp_wire_frame_header(bad_path, sizeof(bad_path), &f, why, sizeof(why)), 0);
    ck_assert_int_eq(kelp_wire_frame_indexes(&f, why, sizeof(why)), -1);
}
END_TEST

START_TEST(avro_payloads)
{
    char why[256];
    kelp_avro_checker *c = kelp_avro_checker_new(AVRO_R, strlen(AVRO_R), why, sizeof(why));
    ck_assert_msg(c != NULL, "%s", why);
    const uint8_t good[] = {0x02, 0x04, 'h', 'i'};
    ck_assert_int_eq(kelp_avro_checker_check(c, good, sizeof(good), why, sizeof(why)), 0);
    ck_assert_int_eq(kelp_avro_checker_check(c, good, 3, why, sizeof(why)), -1);
    const uint8_t extra[] = {0x02, 0x04, 'h', 'i', 0};
    ck_assert_int_eq(kelp_avro_checker_check(c, extra, sizeof(extra), why, sizeof(why)), -1);
    ck_assert_ptr_nonnull(strstr(why, "after"));
    const uint8_t negative_len[] = {0x02, 0x03, 'h'};
    ck_assert_int_eq(kelp_avro_checker_check(c, negative_len, sizeof(negative_len), why, sizeof(why)), -1);
    kelp_avro_checker_free(c);
    ck_assert_ptr_null(kelp_avro_checker_new("{\"type\":\"nope\"}", 15, why, sizeof(why)));
}
END_TEST

START_TEST(json_payloads)
{
    char why[256];
    kelp_json_checker *c = kelp_json_checker_new(JSON_S, strlen(JSON_S), why, sizeof(why));
    ck_assert_msg(c != NULL, "%s", why);
    ck_assert_int_eq(kelp_json_checker_check(c, (const uint8_t *)"{\"a\":1}", 7, why, sizeof(why)), 0);
    ck_assert_int_eq(kelp_json_checker_check(c, (const uint8_t *)"{\"a\":\"x\"}", 9, why, sizeof(why)), -1);
    ck_assert_int_eq(kelp_json_checker_check(c, (const uint8_t *)"{}", 2, why, sizeof(why)), -1);
    ck_assert_int_eq(kelp_json_checker_check(c, (const uint8_t *)"{\"a\":", 5, why, sizeof(why)), -1);
    ck_assert_str_eq(why, "not valid JSON");
    char deep[400];
    memset(deep, '[', sizeof(deep));
    ck_assert_int_eq(kelp_json_checker_check(c, (const uint8_t *)deep, sizeof(deep), why, sizeof(why)), -1);
    kelp_json_checker_free(c);
    ck_assert_ptr_null(kelp_json_checker_new("{", 1, why, sizeof(why)));
    ck_assert_ptr_null(kelp_json_checker_new("{\"$ref\":\"http://example.invalid/s.json\"}", 40, why, sizeof(why)));
}
END_TEST

START_TEST(protobuf_payloads)
{
    char why[256];
    kelp_proto_checker *c = kelp_proto_checker_new(PROTO_S, strlen(PROTO_S), why, sizeof(why));
    ck_assert_msg(c != NULL, "%s", why);
    const uint8_t m[] = {0x08, 0x01, 0x12, 0x02, 'h', 'i'};
    ck_assert_int_eq(kelp_proto_checker_check(c, NULL, 0, m, sizeof(m), why, sizeof(why)), 0);
    ck_assert_int_eq(kelp_proto_checker_check(c, NULL, 0, m, 5, why, sizeof(why)), -1);
    const int32_t inner[] = {1, 0};
    const uint8_t x[] = {0x08, 0x05};
    ck_assert_int_eq(kelp_proto_checker_check(c, inner, 2, x, sizeof(x), why, sizeof(why)), 0);
    const int32_t missing[] = {5};
    ck_assert_int_eq(kelp_proto_checker_check(c, missing, 1, x, sizeof(x), why, sizeof(why)), -1);
    ck_assert_ptr_nonnull(strstr(why, "names no message"));
    const int32_t missing_nested[] = {0, 0};
    ck_assert_int_eq(kelp_proto_checker_check(c, missing_nested, 2, x, sizeof(x), why, sizeof(why)), -1);
    kelp_proto_checker_free(c);
    ck_assert_ptr_null(kelp_proto_checker_new("message {", 9, why, sizeof(why)));
    ck_assert_ptr_null(kelp_proto_checker_new("syntax = \"proto3\";", 18, why, sizeof(why)));
}
END_TEST

/* Random and mutated payloads: refused or accepted, never a crash, a leak
 * or a hang (run under the sanitizers). */
START_TEST(random_payloads_are_safe)
{
    const char *avro = "{\"type\":\"record\",\"name\":\"F\",\"fields\":["
                       "{\"name\":\"a\",\"type\":{\"type\":\"array\",\"items\":\"null\"}},"
                       "{\"name\":\"m\",\"type\":{\"type\":\"map\",\"values\":[\"null\",\"string\"]}},"
                       "{\"name\":\"e\",\"type\":{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"X\",\"Y\"]}},"
                       "{\"name\":\"f\",\"type\":{\"type\":\"fixed\",\"name\":\"G\",\"size\":3}},"
                       "{\"name\":\"d\",\"type\":\"double\"},{\"name\":\"b\",\"type\":\"bytes\"}]}";
    char why[256];
    kelp_avro_checker *a = kelp_avro_checker_new(avro, strlen(avro), why, sizeof(why));
    ck_assert_msg(a != NULL, "%s", why);
    kelp_json_checker *j = kelp_json_checker_new(JSON_S, strlen(JSON_S), why, sizeof(why));
    kelp_proto_checker *p = kelp_proto_checker_new(PROTO_S, strlen(PROTO_S), why, sizeof(why));
    ck_assert(j && p);
    /* A valid datum: [] of nulls, {"k": "v"}, Y, "abc", 0.0, "". */
    const uint8_t valid[] = {0x00, 0x02, 0x02, 'k', 0x02, 0x02, 'v', 0x00, 0x02, 'a', 'b', 'c',
                             0, 0, 0, 0, 0, 0, 0, 0, 0x00};
    ck_assert_msg(kelp_avro_checker_check(a, valid, sizeof(valid), why, sizeof(why)) == 0, "%s", why);
    /* A huge count of nulls is refused without being walked. */
    const uint8_t bomb[] = {0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 0x00};
    ck_assert_int_eq(kelp_avro_checker_check(a, bomb, sizeof(bomb), why, sizeof(why)), -1);
    uint32_t seed = 12345;
    uint8_t buf[64];
    for (int round = 0; round < 3000; round++) {
        size_t len = (size_t)(round % (int)sizeof(buf));
        for (size_t i = 0; i < len; i++) {
            seed = seed * 1103515245u + 12345u;
            buf[i] = (uint8_t)(seed >> 16);
        }
        if (round % 2 && len >= sizeof(valid)) {
            memcpy(buf, valid, sizeof(valid));
            buf[(seed >> 8) % sizeof(valid)] ^= (uint8_t)(1u << (seed % 8));
            len = sizeof(valid);
        }
        kelp_avro_checker_check(a, buf, len, why, sizeof(why));
        kelp_json_checker_check(j, buf, len, why, sizeof(why));
        int32_t idx[2] = {(int32_t)(seed % 3), (int32_t)(seed % 2)};
        kelp_proto_checker_check(p, idx, (size_t)(seed % 3), buf, len, why, sizeof(why));
    }
    kelp_avro_checker_free(a);
    kelp_json_checker_free(j);
    kelp_proto_checker_free(p);
}
END_TEST

START_TEST(batches_name_bad_records)
{
    int32_t avro = reg_ok("t-value", KELP_SCHEMA_AVRO, AVRO_R);
    int32_t other = reg_ok("u-value", KELP_SCHEMA_AVRO, "\"string\"");
    char good[32], truncated[32], unknown[32], foreign[32];
    int32_t good_len = framed(good, avro, "", 0, "\x02\x04hi", 4);
    int32_t truncated_len = framed(truncated, avro, "", 0, "\x02\x04h", 3);
    int32_t unknown_len = framed(unknown, 999, "", 0, "\x02\x04hi", 4);
    int32_t foreign_len = framed(foreign, other, "", 0, "\x04hi", 3);
    test_record recs[] = {
        {.key = "k", .value = good, .value_len = good_len},
        {.key = "k", .value = NULL}, /* a tombstone passes */
        {.key = "k", .value = truncated, .value_len = truncated_len},
        {.key = "k", .value = "plain text"},
        {.key = "k", .value = unknown, .value_len = unknown_len},
        {.key = "k", .value = foreign, .value_len = foreign_len},
        {.key = "k", .value = good, .value_len = good_len},
    };
    kelp_record_problem *p;
    ck_assert_int_eq(validate(recs, 1, KELP_COMPRESSION_NONE, false, &p), 0);
    ck_assert_ptr_null(p);
    ck_assert_int_eq(validate(recs, 2, KELP_COMPRESSION_NONE, false, &p), 0);
    int codecs[] = {KELP_COMPRESSION_NONE, KELP_COMPRESSION_GZIP, KELP_COMPRESSION_ZSTD};
    for (size_t i = 0; i < sizeof(codecs) / sizeof(codecs[0]); i++) {
        ck_assert_int_eq(validate(recs, 7, codecs[i], false, &p), 4);
        ck_assert_int_eq(p[0].index, 2);
        ck_assert_int_eq(p[1].index, 3);
        ck_assert_ptr_nonnull(strstr(p[1].message, "wire format"));
        ck_assert_int_eq(p[2].index, 4);
        ck_assert_ptr_nonnull(strstr(p[2].message, "not registered"));
        ck_assert_int_eq(p[3].index, 5);
        ck_assert_ptr_nonnull(strstr(p[3].message, "under subject t-value"));
        free(p);
    }
    /* Keys: "k" is not framed. */
    ck_assert_int_eq(validate(recs, 1, KELP_COMPRESSION_NONE, true, &p), 1);
    ck_assert_ptr_nonnull(strstr(p[0].message, "key:"));
    free(p);
}
END_TEST

START_TEST(json_and_protobuf_batches)
{
    int32_t json = reg_ok("t-value", KELP_SCHEMA_JSON, JSON_S);
    char good[32], bad[32];
    int32_t good_len = framed(good, json, "", 0, "{\"a\":1}", 7);
    int32_t bad_len = framed(bad, json, "", 0, "{\"a\":true}", 10);
    test_record recs[] = {{.value = good, .value_len = good_len}, {.value = bad, .value_len = bad_len}};
    kelp_record_problem *p;
    ck_assert_int_eq(validate(recs, 2, KELP_COMPRESSION_LZ4, false, &p), 1);
    ck_assert_int_eq(p[0].index, 1);
    free(p);

    /* The subject's newer version is Protobuf; ids of both stay valid. */
    kelp_sr_input in = {.type = KELP_SCHEMA_PROTOBUF, .schema = PROTO_S};
    kelp_sr_error e;
    int32_t proto = 0;
    ck_assert_int_eq(kelp_sr_set_level(reg, "t-value", KELP_LEVEL_NONE, &e), 0);
    ck_assert_msg(kelp_sr_register(reg, "t-value", &in, &proto, &e) == 0, "%s", e.message);
    char m[32], inner[32], wrong[32];
    int32_t m_len = framed(m, proto, "\x00", 1, "\x08\x01\x12\x02hi", 6);
    int32_t inner_len = framed(inner, proto, "\x04\x02\x00", 3, "\x08\x05", 2);
    int32_t wrong_len = framed(wrong, proto, "\x02\x0a", 2, "\x08\x05", 2);
    test_record precs[] = {{.value = m, .value_len = m_len},
                           {.value = inner, .value_len = inner_len},
                           {.value = wrong, .value_len = wrong_len},
                           {.value = good, .value_len = good_len}};
    ck_assert_int_eq(validate(precs, 4, KELP_COMPRESSION_SNAPPY, false, &p), 1);
    ck_assert_int_eq(p[0].index, 2);
    free(p);
}
END_TEST

static int32_t reg_refs_ok(const char *subject, kelp_schema_type type, const char *schema, const char *refs_json)
{
    cJSON *refs = cJSON_Parse(refs_json);
    kelp_sr_input in = {.type = type, .schema = schema, .references = refs};
    kelp_sr_error e;
    int32_t id = 0;
    ck_assert_msg(kelp_sr_register(reg, subject, &in, &id, &e) == 0, "register: %d %s", e.code, e.message);
    cJSON_Delete(refs);
    return id;
}

/* Records whose schema has references (AVRO, JSON, PROTOBUF) are checked
 * with the references resolved. */
START_TEST(schemas_with_references)
{
    reg_ok("lib-avro", KELP_SCHEMA_AVRO, "{\"type\":\"record\",\"name\":\"In\",\"namespace\":\"n\",\"fields\":"
                                         "[{\"name\":\"s\",\"type\":\"string\"}]}");
    int32_t avro = reg_refs_ok("t-value", KELP_SCHEMA_AVRO,
                               "{\"type\":\"record\",\"name\":\"Out\",\"namespace\":\"n\",\"fields\":"
                               "[{\"name\":\"in\",\"type\":\"In\"},{\"name\":\"again\",\"type\":\"n.In\"}]}",
                               "[{\"name\":\"n.In\",\"subject\":\"lib-avro\",\"version\":1}]");
    kelp_sr_error e;
    ck_assert_int_eq(kelp_sr_set_level(reg, "t-value", KELP_LEVEL_NONE, &e), 0); /* three types in one subject */
    reg_ok("lib-json", KELP_SCHEMA_JSON, "{\"type\":\"object\",\"properties\":{\"n\":{\"type\":\"integer\"}}}");
    int32_t json = reg_refs_ok("t-value", KELP_SCHEMA_JSON, "{\"$ref\":\"lib.json\"}",
                               "[{\"name\":\"lib.json\",\"subject\":\"lib-json\",\"version\":1}]");
    reg_ok("lib-proto", KELP_SCHEMA_PROTOBUF, "syntax = \"proto3\";\npackage p;\nmessage In { int32 n = 1; }\n");
    int32_t proto = reg_refs_ok("t-value", KELP_SCHEMA_PROTOBUF,
                                "syntax = \"proto3\";\npackage p;\nimport \"p/in.proto\";\nmessage Out { In in = 1; }\n",
                                "[{\"name\":\"p/in.proto\",\"subject\":\"lib-proto\",\"version\":1}]");
    char a_good[32], a_bad[32], j_good[64], j_bad[64], p_good[32], p_bad[32];
    test_record recs[] = {
        {.key = "k", .value = a_good, .value_len = framed(a_good, avro, "", 0, "\x02x\x02y", 4)},
        {.key = "k", .value = j_good, .value_len = framed(j_good, json, "", 0, "{\"n\":1}", 7)},
        {.key = "k", .value = p_good, .value_len = framed(p_good, proto, "\x00", 1, "\x0a\x02\x08\x05", 4)},
        {.key = "k", .value = a_bad, .value_len = framed(a_bad, avro, "", 0, "\x02x", 2)},
        {.key = "k", .value = j_bad, .value_len = framed(j_bad, json, "", 0, "{\"n\":\"x\"}", 9)},
        {.key = "k", .value = p_bad, .value_len = framed(p_bad, proto, "\x00", 1, "\x0a\x05\x08", 3)},
    };
    kelp_record_problem *p;
    ck_assert_int_eq(validate(recs, 3, KELP_COMPRESSION_NONE, false, &p), 0);
    ck_assert_ptr_null(p);
    ck_assert_int_eq(validate(recs, 6, KELP_COMPRESSION_NONE, false, &p), 3);
    ck_assert_int_eq(p[0].index, 3);
    ck_assert_int_eq(p[1].index, 4);
    ck_assert_int_eq(p[2].index, 5);
    free(p);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("schema_validation");
    TCase *formats = tcase_create("formats");
    tcase_add_test(formats, wire_format);
    tcase_add_test(formats, avro_payloads);
    tcase_add_test(formats, json_payloads);
    tcase_add_test(formats, protobuf_payloads);
    tcase_add_test(formats, random_payloads_are_safe);
    suite_add_tcase(s, formats);
    TCase *batches = tcase_create("batches");
    tcase_add_checked_fixture(batches, setup, teardown);
    tcase_add_test(batches, batches_name_bad_records);
    tcase_add_test(batches, json_and_protobuf_batches);
    tcase_add_test(batches, schemas_with_references);
    suite_add_tcase(s, batches);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
