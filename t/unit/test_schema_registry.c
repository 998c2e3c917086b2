/* The schema registry model on a local directory (ids, versions, soft and
 * permanent deletes, levels, reload) and the Avro compatibility rules. */
#include <check.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "schema/compatibility.h"
#include "schema/normalize.h"
#include "schema/registry.h"
#include "storage/fs.h"

static char root[64];
static kelp_fs *fs;
static kelp_schema_registry *reg;

static void setup(void)
{
    snprintf(root, sizeof(root), "/tmp/kelp-sr-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(root));
    char err[256];
    fs = kelp_fs_local_open(root, err, sizeof(err));
    ck_assert_ptr_nonnull(fs);
    reg = kelp_schema_registry_new();
    ck_assert_int_eq(kelp_schema_registry_attach(reg, fs, err, sizeof(err)), 0);
}

static void teardown(void)
{
    kelp_schema_registry_free(reg);
    fs->ops->remove_recursive(fs, "topics");
    fs->ops->destroy(fs);
    rmdir(root);
}

static void reload(void)
{
    char err[256];
    kelp_schema_registry_free(reg);
    reg = kelp_schema_registry_new();
    ck_assert_int_eq(kelp_schema_registry_attach(reg, fs, err, sizeof(err)), 0);
}

#define REC_A "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"int\"}]}"
#define REC_A_SPACED "{ \"type\" : \"record\", \"name\": \"R\",\n \"fields\": [ {\"name\":\"a\", \"type\":\"int\"} ] }"
#define REC_AB_DEFAULT                                                                                            \
    "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"int\"},"                          \
    "{\"name\":\"b\",\"type\":\"string\",\"default\":\"\"}]}"
#define REC_AB                                                                                                    \
    "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"int\"},"                          \
    "{\"name\":\"b\",\"type\":\"string\"}]}"

static int32_t reg_ok(const char *subject, kelp_schema_type type, const char *schema)
{
    kelp_sr_input in = {.type = type, .schema = schema};
    kelp_sr_error e;
    int32_t id = 0;
    ck_assert_msg(kelp_sr_register(reg, subject, &in, &id, &e) == 0, "register: %d %s", e.code, e.message);
    return id;
}

static int reg_code(const char *subject, kelp_schema_type type, const char *schema)
{
    kelp_sr_input in = {.type = type, .schema = schema};
    kelp_sr_error e;
    int32_t id = 0;
    ck_assert_int_eq(kelp_sr_register(reg, subject, &in, &id, &e), -1);
    return e.code;
}

START_TEST(ids_are_global_and_registration_is_idempotent)
{
    int32_t a = reg_ok("s1", KELP_SCHEMA_AVRO, REC_A);
    ck_assert_int_eq(a, 1);
    ck_assert_int_eq(reg_ok("s1", KELP_SCHEMA_AVRO, REC_A_SPACED), a); /* same after normalisation */
    ck_assert_int_eq(reg_ok("s2", KELP_SCHEMA_AVRO, REC_A), a);        /* another subject, same id */
    int32_t b = reg_ok("s1", KELP_SCHEMA_AVRO, REC_AB_DEFAULT);
    ck_assert_int_eq(b, 2);
    int32_t *v;
    size_t n;
    kelp_sr_error e;
    ck_assert_int_eq(kelp_sr_versions(reg, "s1", false, &v, &n, &e), 0);
    ck_assert_uint_eq(n, 2);
    ck_assert_int_eq(v[0], 1);
    ck_assert_int_eq(v[1], 2);
    free(v);
    kelp_sr_version got;
    ck_assert_int_eq(kelp_sr_get_version(reg, "s1", KELP_SR_LATEST, false, &got, &e), 0);
    ck_assert_int_eq(got.version, 2);
    ck_assert_int_eq(got.id, b);
    kelp_sr_version_free(&got);
    kelp_sr_input in = {.type = KELP_SCHEMA_AVRO, .schema = REC_A_SPACED};
    ck_assert_int_eq(kelp_sr_lookup(reg, "s2", &in, false, &got, &e), 0);
    ck_assert_int_eq(got.id, a);
    ck_assert_int_eq(got.version, 1);
    ck_assert_str_eq(got.schema, REC_A);
    kelp_sr_version_free(&got);
    in.schema = REC_AB_DEFAULT;
    ck_assert_int_eq(kelp_sr_lookup(reg, "s2", &in, false, &got, &e), -1);
    ck_assert_int_eq(e.code, KELP_SR_SCHEMA_NOT_FOUND);
    ck_assert_int_eq(kelp_sr_lookup(reg, "none", &in, false, &got, &e), -1);
    ck_assert_int_eq(e.code, KELP_SR_SUBJECT_NOT_FOUND);
    /* JSON and PROTOBUF ids differ from the same text as AVRO. */
    int32_t j = reg_ok("j", KELP_SCHEMA_JSON, "{\"type\": \"object\"}");
    int32_t p = reg_ok("p", KELP_SCHEMA_PROTOBUF, "syntax = \"proto3\";\nmessage M { int32 a = 1; }");
    ck_assert_int_eq(reg_ok("p2", KELP_SCHEMA_PROTOBUF, "syntax  =  \"proto3\"; message M {\n int32 a = 1; }"), p);
    ck_assert_int_ne(j, p);
}
END_TEST

START_TEST(bad_schemas_are_refused)
{
    ck_assert_int_eq(reg_code("s", KELP_SCHEMA_AVRO, "{not json"), KELP_SR_INVALID_SCHEMA);
    ck_assert_int_eq(reg_code("s", KELP_SCHEMA_AVRO, "{\"type\":\"nope\"}"), KELP_SR_INVALID_SCHEMA);
    ck_assert_int_eq(reg_code("s", KELP_SCHEMA_AVRO, "{\"type\":\"record\",\"fields\":[]}"), KELP_SR_INVALID_SCHEMA);
    ck_assert_int_eq(reg_code("s", KELP_SCHEMA_JSON, "[1,2]"), KELP_SR_INVALID_SCHEMA);
    ck_assert_int_eq(reg_code("s", KELP_SCHEMA_PROTOBUF, "  \n "), KELP_SR_INVALID_SCHEMA);
    /* A reference to nothing. */
    cJSON *refs = cJSON_Parse("[{\"name\":\"x\",\"subject\":\"missing\",\"version\":1}]");
    kelp_sr_input in = {.type = KELP_SCHEMA_AVRO, .schema = "\"string\"", .references = refs};
    kelp_sr_error e;
    int32_t id;
    ck_assert_int_eq(kelp_sr_register(reg, "s", &in, &id, &e), -1);
    ck_assert_int_eq(e.code, KELP_SR_INVALID_SCHEMA);
    cJSON_Delete(refs);
    char **names;
    size_t n;
    ck_assert_int_eq(kelp_sr_subjects(reg, true, &names, &n, &e), 0);
    ck_assert_uint_eq(n, 0);
    kelp_sr_names_free(names, n);
}
END_TEST

START_TEST(incompatible_versions_get_409)
{
    reg_ok("s", KELP_SCHEMA_AVRO, REC_A);
    ck_assert_int_eq(reg_code("s", KELP_SCHEMA_AVRO, REC_AB), KELP_SR_INCOMPATIBLE);
    kelp_sr_error e;
    ck_assert_int_eq(kelp_sr_set_level(reg, "s", KELP_LEVEL_NONE, &e), 0);
    ck_assert_int_eq(reg_ok("s", KELP_SCHEMA_AVRO, REC_AB), 2);
    /* JSON is checked too; what the rules do not cover is refused. */
    reg_ok("j", KELP_SCHEMA_JSON, "{\"type\":\"object\"}");
    ck_assert_int_eq(reg_code("j", KELP_SCHEMA_JSON, "{\"type\":\"string\"}"), KELP_SR_INCOMPATIBLE);
    ck_assert_int_eq(reg_code("j", KELP_SCHEMA_JSON, "{\"if\":{},\"then\":{}}"), KELP_SR_INVALID_SCHEMA);
    reg_ok("j", KELP_SCHEMA_JSON, "{\"type\":\"object\",\"title\":\"t\"}");
}
END_TEST

START_TEST(deletes_follow_confluent)
{
    reg_ok("s", KELP_SCHEMA_AVRO, REC_A);
    reg_ok("s", KELP_SCHEMA_AVRO, REC_AB_DEFAULT);
    kelp_sr_error e;
    int32_t dv;
    ck_assert_int_eq(kelp_sr_delete_version(reg, "s", 1, true, &dv, &e), -1);
    ck_assert_int_eq(e.code, KELP_SR_VERSION_NOT_SOFT_DELETED);
    ck_assert_int_eq(kelp_sr_delete_version(reg, "s", 1, false, &dv, &e), 0);
    ck_assert_int_eq(dv, 1);
    ck_assert_int_eq(kelp_sr_delete_version(reg, "s", 1, false, &dv, &e), -1);
    ck_assert_int_eq(e.code, KELP_SR_VERSION_SOFT_DELETED);
    kelp_sr_version got;
    ck_assert_int_eq(kelp_sr_get_version(reg, "s", 1, false, &got, &e), -1);
    ck_assert_int_eq(e.code, KELP_SR_VERSION_NOT_FOUND);
    ck_assert_int_eq(kelp_sr_get_version(reg, "s", 1, true, &got, &e), 0);
    ck_assert(got.deleted);
    kelp_sr_version_free(&got);
    ck_assert_int_eq(kelp_sr_delete_version(reg, "s", 1, true, &dv, &e), 0);
    ck_assert_int_eq(kelp_sr_get_version(reg, "s", 1, true, &got, &e), -1);
    ck_assert_int_eq(e.code, KELP_SR_VERSION_NOT_FOUND);

    int32_t *v;
    size_t n;
    ck_assert_int_eq(kelp_sr_delete_subject(reg, "s", true, &v, &n, &e), -1);
    ck_assert_int_eq(e.code, KELP_SR_SUBJECT_NOT_SOFT_DELETED);
    ck_assert_int_eq(kelp_sr_delete_subject(reg, "s", false, &v, &n, &e), 0);
    ck_assert_uint_eq(n, 1);
    ck_assert_int_eq(v[0], 2);
    free(v);
    ck_assert_int_eq(kelp_sr_delete_subject(reg, "s", false, &v, &n, &e), -1);
    ck_assert_int_eq(e.code, KELP_SR_SUBJECT_SOFT_DELETED);
    ck_assert_int_eq(kelp_sr_versions(reg, "s", false, &v, &n, &e), -1);
    ck_assert_int_eq(e.code, KELP_SR_SUBJECT_NOT_FOUND);
    char **names;
    ck_assert_int_eq(kelp_sr_subjects(reg, false, &names, &n, &e), 0);
    ck_assert_uint_eq(n, 0);
    kelp_sr_names_free(names, n);
    ck_assert_int_eq(kelp_sr_subjects(reg, true, &names, &n, &e), 0);
    ck_assert_uint_eq(n, 1);
    kelp_sr_names_free(names, n);
    ck_assert_int_eq(kelp_sr_delete_subject(reg, "s", true, &v, &n, &e), 0);
    free(v);
    ck_assert_int_eq(kelp_sr_delete_subject(reg, "s", false, &v, &n, &e), -1);
    ck_assert_int_eq(e.code, KELP_SR_SUBJECT_NOT_FOUND);
    /* The ids stay: the same schema comes back with the same id. */
    ck_assert_int_eq(kelp_sr_schema_by_id(reg, 1, &got, &e), -1);
    ck_assert_int_eq(e.code, KELP_SR_SCHEMA_NOT_FOUND);
    ck_assert_int_eq(reg_ok("t", KELP_SCHEMA_AVRO, REC_A), 1);
    ck_assert_int_eq(reg_ok("t2", KELP_SCHEMA_AVRO, "\"long\""), 3);
}
END_TEST

START_TEST(everything_survives_a_reload)
{
    kelp_sr_error e;
    reg_ok("a/b", KELP_SCHEMA_AVRO, REC_A);
    reg_ok("a/b", KELP_SCHEMA_AVRO, REC_AB_DEFAULT);
    reg_ok("p", KELP_SCHEMA_PROTOBUF, "syntax = \"proto3\"; message M {}");
    ck_assert_int_eq(kelp_sr_set_level(reg, NULL, KELP_LEVEL_FULL, &e), 0);
    ck_assert_int_eq(kelp_sr_set_level(reg, "p", KELP_LEVEL_NONE, &e), 0);
    int32_t dv;
    ck_assert_int_eq(kelp_sr_delete_version(reg, "a/b", 1, false, &dv, &e), 0);
    reload();
    kelp_schema_level level;
    ck_assert_int_eq(kelp_sr_get_level(reg, NULL, false, &level, &e), 0);
    ck_assert_int_eq(level, KELP_LEVEL_FULL);
    ck_assert_int_eq(kelp_sr_get_level(reg, "p", false, &level, &e), 0);
    ck_assert_int_eq(level, KELP_LEVEL_NONE);
    ck_assert_int_eq(kelp_sr_get_level(reg, "a/b", false, &level, &e), -1);
    ck_assert_int_eq(e.code, KELP_SR_SUBJECT_LEVEL_NOT_CONFIGURED);
    kelp_sr_version got;
    ck_assert_int_eq(kelp_sr_get_version(reg, "a/b", KELP_SR_LATEST, false, &got, &e), 0);
    ck_assert_int_eq(got.version, 2);
    ck_assert_int_eq(got.id, 2);
    kelp_sr_version_free(&got);
    ck_assert_int_eq(kelp_sr_get_version(reg, "a/b", 1, true, &got, &e), 0);
    ck_assert(got.deleted);
    kelp_sr_version_free(&got);
    ck_assert_int_eq(kelp_sr_schema_by_id(reg, 3, &got, &e), 0);
    ck_assert_int_eq(got.type, KELP_SCHEMA_PROTOBUF);
    kelp_sr_version_free(&got);
    ck_assert_int_eq(reg_ok("new", KELP_SCHEMA_AVRO, "\"int\""), 4); /* ids continue */
    kelp_sr_usage *u;
    size_t n;
    ck_assert_int_eq(kelp_sr_id_usages(reg, 2, false, &u, &n, &e), 0);
    ck_assert_uint_eq(n, 1);
    ck_assert_str_eq(u[0].subject, "a/b");
    kelp_sr_usages_free(u, n);
    /* Detached, everything is a store error. */
    char err[64];
    ck_assert_int_eq(kelp_schema_registry_attach(reg, NULL, err, sizeof(err)), 0);
    ck_assert_int_eq(kelp_sr_get_level(reg, NULL, false, &level, &e), -1);
    ck_assert_int_eq(e.code, KELP_SR_STORE_ERROR);
}
END_TEST

/* ---- compatibility ---- */

static int compat(kelp_schema_level level, const char *new_schema, const char *old_schema)
{
    char why[512];
    const char *prev[] = {old_schema};
    return kelp_schema_compatible(KELP_SCHEMA_AVRO, level, new_schema, prev, 1, why, sizeof(why));
}

#define RECORD(fields) "{\"type\":\"record\",\"name\":\"R\",\"namespace\":\"n\",\"fields\":[" fields "]}"

START_TEST(avro_field_rules)
{
    const char *a = RECORD("{\"name\":\"a\",\"type\":\"int\"}");
    const char *ab_def = RECORD("{\"name\":\"a\",\"type\":\"int\"},{\"name\":\"b\",\"type\":\"string\",\"default\":\"x\"}");
    const char *ab = RECORD("{\"name\":\"a\",\"type\":\"int\"},{\"name\":\"b\",\"type\":\"string\"}");
    ck_assert_int_eq(compat(KELP_LEVEL_BACKWARD, ab_def, a), 1); /* added with a default */
    ck_assert_int_eq(compat(KELP_LEVEL_BACKWARD, ab, a), 0);     /* added without one */
    ck_assert_int_eq(compat(KELP_LEVEL_FORWARD, ab, a), 1);      /* the old reader ignores b */
    ck_assert_int_eq(compat(KELP_LEVEL_BACKWARD, a, ab), 1);     /* removed */
    ck_assert_int_eq(compat(KELP_LEVEL_FORWARD, a, ab), 0);      /* the old reader needs b */
    ck_assert_int_eq(compat(KELP_LEVEL_FULL, ab_def, a), 1);
    ck_assert_int_eq(compat(KELP_LEVEL_FULL, ab, a), 0);
    ck_assert_int_eq(compat(KELP_LEVEL_NONE, "\"int\"", "\"string\""), 1);
    /* An alias of the reader's field finds the writer's old name. */
    const char *renamed = RECORD("{\"name\":\"z\",\"aliases\":[\"a\"],\"type\":\"int\"}");
    ck_assert_int_eq(compat(KELP_LEVEL_BACKWARD, renamed, a), 1);
    ck_assert_int_eq(compat(KELP_LEVEL_FORWARD, renamed, a), 0);
}
END_TEST

START_TEST(avro_type_rules)
{
    ck_assert_int_eq(compat(KELP_LEVEL_BACKWARD, "\"long\"", "\"int\""), 1);
    ck_assert_int_eq(compat(KELP_LEVEL_BACKWARD, "\"double\"", "\"long\""), 1);
    ck_assert_int_eq(compat(KELP_LEVEL_BACKWARD, "\"float\"", "\"int\""), 1);
    ck_assert_int_eq(compat(KELP_LEVEL_BACKWARD, "\"int\"", "\"long\""), 0);
    ck_assert_int_eq(compat(KELP_LEVEL_FULL, "\"long\"", "\"int\""), 0);
    ck_assert_int_eq(compat(KELP_LEVEL_FULL, "\"bytes\"", "\"string\""), 1);
    ck_assert_int_eq(compat(KELP_LEVEL_BACKWARD, "{\"type\":\"string\",\"logicalType\":\"uuid\"}", "\"string\""), 1);
    /* Unions: a reader union reads any of its branches; a writer union
     * needs every branch readable. */
    ck_assert_int_eq(compat(KELP_LEVEL_BACKWARD, "[\"null\",\"string\"]", "\"string\""), 1);
    ck_assert_int_eq(compat(KELP_LEVEL_BACKWARD, "\"string\"", "[\"null\",\"string\"]"), 0);
    ck_assert_int_eq(compat(KELP_LEVEL_BACKWARD, "[\"null\",\"long\"]", "[\"null\",\"int\"]"), 1);
    /* Enums: new symbols break old readers unless they have a default. */
    const char *e2 = "{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\",\"B\"]}";
    const char *e3 = "{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\",\"B\",\"C\"]}";
    const char *e2d = "{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\",\"B\"],\"default\":\"A\"}";
    ck_assert_int_eq(compat(KELP_LEVEL_BACKWARD, e3, e2), 1);
    ck_assert_int_eq(compat(KELP_LEVEL_FORWARD, e3, e2), 0);
    ck_assert_int_eq(compat(KELP_LEVEL_FORWARD, e3, e2d), 1);
    ck_assert_int_eq(compat(KELP_LEVEL_BACKWARD, "{\"type\":\"enum\",\"name\":\"F\",\"symbols\":[\"A\",\"B\"]}", e2), 0);
    /* Arrays, maps, fixed. */
    ck_assert_int_eq(compat(KELP_LEVEL_BACKWARD, "{\"type\":\"array\",\"items\":\"long\"}",
                            "{\"type\":\"array\",\"items\":\"int\"}"), 1);
    ck_assert_int_eq(compat(KELP_LEVEL_BACKWARD, "{\"type\":\"map\",\"values\":\"int\"}",
                            "{\"type\":\"map\",\"values\":\"long\"}"), 0);
    ck_assert_int_eq(compat(KELP_LEVEL_BACKWARD, "{\"type\":\"fixed\",\"name\":\"F\",\"size\":4}",
                            "{\"type\":\"fixed\",\"name\":\"F\",\"size\":8}"), 0);
    /* Nested and recursive records, named references. */
    const char *list1 = "{\"type\":\"record\",\"name\":\"L\",\"fields\":[{\"name\":\"v\",\"type\":\"int\"},"
                        "{\"name\":\"next\",\"type\":[\"null\",\"L\"]}]}";
    const char *list2 = "{\"type\":\"record\",\"name\":\"L\",\"fields\":[{\"name\":\"v\",\"type\":\"long\"},"
                        "{\"name\":\"next\",\"type\":[\"null\",\"L\"]}]}";
    ck_assert_int_eq(compat(KELP_LEVEL_BACKWARD, list2, list1), 1);
    ck_assert_int_eq(compat(KELP_LEVEL_FORWARD, list2, list1), 0);
    const char *outer1 = RECORD("{\"name\":\"in\",\"type\":{\"type\":\"record\",\"name\":\"I\",\"fields\":["
                                "{\"name\":\"x\",\"type\":\"int\"}]}},{\"name\":\"again\",\"type\":\"I\"}");
    const char *outer2 = RECORD("{\"name\":\"in\",\"type\":{\"type\":\"record\",\"name\":\"I\",\"fields\":["
                                "{\"name\":\"x\",\"type\":\"int\"},{\"name\":\"y\",\"type\":\"int\"}]}},"
                                "{\"name\":\"again\",\"type\":\"n.I\"}");
    ck_assert_int_eq(compat(KELP_LEVEL_BACKWARD, outer2, outer1), 0); /* y has no default */
    ck_assert_int_eq(compat(KELP_LEVEL_FORWARD, outer2, outer1), 1);
    /* A record named differently, unless aliased. */
    ck_assert_int_eq(compat(KELP_LEVEL_BACKWARD, "{\"type\":\"record\",\"name\":\"S\",\"fields\":[]}",
                            "{\"type\":\"record\",\"name\":\"R\",\"fields\":[]}"), 0);
    ck_assert_int_eq(compat(KELP_LEVEL_BACKWARD,
                            "{\"type\":\"record\",\"name\":\"S\",\"aliases\":[\"R\"],\"fields\":[]}",
                            "{\"type\":\"record\",\"name\":\"R\",\"fields\":[]}"), 1);
    /* An unknown name (a reference) cannot be checked. */
    ck_assert_int_eq(compat(KELP_LEVEL_BACKWARD, "\"other.Type\"", "\"int\""), -1);
}
END_TEST

START_TEST(transitive_levels_look_at_every_version)
{
    const char *v1 = RECORD("{\"name\":\"a\",\"type\":\"int\"}");
    const char *v2 = RECORD("{\"name\":\"a\",\"type\":\"int\"},{\"name\":\"b\",\"type\":\"int\",\"default\":0}");
    const char *v3 = RECORD("{\"name\":\"b\",\"type\":\"int\"}"); /* reads v2, not v1 */
    const char *prev[] = {v1, v2};
    char why[256];
    ck_assert_int_eq(kelp_schema_compatible(KELP_SCHEMA_AVRO, KELP_LEVEL_BACKWARD, v3, prev, 2, why, sizeof(why)), 1);
    ck_assert_int_eq(
        kelp_schema_compatible(KELP_SCHEMA_AVRO, KELP_LEVEL_BACKWARD_TRANSITIVE, v3, prev, 2, why, sizeof(why)), 0);
    ck_assert(why[0] != '\0');
    ck_assert_int_eq(kelp_schema_compatible(KELP_SCHEMA_PROTOBUF, KELP_LEVEL_BACKWARD, "x", prev, 2, why, sizeof(why)),
                     -1);
    ck_assert_int_eq(kelp_schema_compatible(KELP_SCHEMA_PROTOBUF, KELP_LEVEL_NONE, "x", prev, 2, why, sizeof(why)), 1);
    kelp_schema_level level;
    ck_assert(kelp_schema_level_parse("full_transitive", &level));
    ck_assert_int_eq(level, KELP_LEVEL_FULL_TRANSITIVE);
    ck_assert(!kelp_schema_level_parse("SIDEWAYS", &level));
}
END_TEST

START_TEST(normalisation)
{
    char why[256], *out;
    ck_assert_int_eq(kelp_schema_normalize(KELP_SCHEMA_AVRO, REC_A_SPACED, false, &out, why, sizeof(why)), 0);
    ck_assert_str_eq(out, REC_A);
    free(out);
    ck_assert_int_eq(kelp_schema_normalize(KELP_SCHEMA_PROTOBUF, "  a\n\t b  ", false, &out, why, sizeof(why)), 0);
    ck_assert_str_eq(out, "a b");
    free(out);
    ck_assert_int_eq(kelp_schema_normalize(KELP_SCHEMA_JSON, "true", false, &out, why, sizeof(why)), 0);
    free(out);
    ck_assert_int_eq(kelp_schema_normalize(KELP_SCHEMA_AVRO, NULL, false, &out, why, sizeof(why)), -1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("schema_registry");
    TCase *model = tcase_create("model");
    tcase_add_checked_fixture(model, setup, teardown);
    tcase_add_test(model, ids_are_global_and_registration_is_idempotent);
    tcase_add_test(model, bad_schemas_are_refused);
    tcase_add_test(model, incompatible_versions_get_409);
    tcase_add_test(model, deletes_follow_confluent);
    tcase_add_test(model, everything_survives_a_reload);
    suite_add_tcase(s, model);
    TCase *rules = tcase_create("compatibility");
    tcase_add_test(rules, avro_field_rules);
    tcase_add_test(rules, avro_type_rules);
    tcase_add_test(rules, transitive_levels_look_at_every_version);
    tcase_add_test(rules, normalisation);
    suite_add_tcase(s, rules);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
