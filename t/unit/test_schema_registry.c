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
#include "schema/references.h"
#include "schema/registry.h"
#include "schema/validate_avro.h"
#include "schema/validate_json.h"
#include "schema/validate_protobuf.h"
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


/* ---- references ---- */

static int reg_refs(const char *subject, kelp_schema_type type, const char *schema, const char *refs_json,
                    int32_t *id, kelp_sr_error *e)
{
    cJSON *refs = refs_json ? cJSON_Parse(refs_json) : NULL;
    kelp_sr_input in = {.type = type, .schema = schema, .references = refs};
    int rc = kelp_sr_register(reg, subject, &in, id, e);
    cJSON_Delete(refs);
    return rc;
}

static int32_t reg_refs_ok(const char *subject, kelp_schema_type type, const char *schema, const char *refs_json)
{
    kelp_sr_error e;
    int32_t id = 0;
    ck_assert_msg(reg_refs(subject, type, schema, refs_json, &id, &e) == 0, "register %s: %d %s", subject, e.code,
                  e.message);
    return id;
}

#define ADDRESS                                                                                                   \
    "{\"type\":\"record\",\"name\":\"Address\",\"namespace\":\"com.acme\",\"fields\":[{\"name\":\"street\","     \
    "\"type\":\"string\"},{\"name\":\"zip\",\"type\":{\"type\":\"fixed\",\"name\":\"Zip\",\"size\":5}}]}"
#define PERSON                                                                                                    \
    "{\"type\":\"record\",\"name\":\"Person\",\"namespace\":\"com.acme\",\"fields\":[{\"name\":\"home\","        \
    "\"type\":\"Address\"},{\"name\":\"work\",\"type\":[\"null\",\"com.acme.Address\"]},{\"name\":\"code\","     \
    "\"type\":\"Zip\"}]}"
#define TEAM                                                                                                      \
    "{\"type\":\"record\",\"name\":\"Team\",\"fields\":[{\"name\":\"lead\",\"type\":\"com.acme.Person\"},"        \
    "{\"name\":\"office\",\"type\":\"com.acme.Address\"}]}"

START_TEST(references_must_exist_and_pin_latest)
{
    int32_t addr = reg_ok("address", KELP_SCHEMA_AVRO, ADDRESS);
    kelp_sr_error e;
    int32_t id;
    /* A version that does not exist, or a soft-deleted one. */
    ck_assert_int_eq(reg_refs("person", KELP_SCHEMA_AVRO, PERSON,
                              "[{\"name\":\"com.acme.Address\",\"subject\":\"address\",\"version\":2}]", &id, &e),
                     -1);
    ck_assert_int_eq(e.code, KELP_SR_INVALID_SCHEMA);
    /* Without the reference the named type is unknown. */
    ck_assert_int_eq(reg_code("person", KELP_SCHEMA_AVRO, PERSON), KELP_SR_INVALID_SCHEMA);
    /* -1: the latest, stored as its number. */
    int32_t person =
        reg_refs_ok("person", KELP_SCHEMA_AVRO, PERSON, "[{\"name\":\"com.acme.Address\",\"subject\":\"address\",\"version\":-1}]");
    ck_assert_int_ne(person, addr);
    kelp_sr_version v;
    ck_assert_int_eq(kelp_sr_get_version(reg, "person", 1, false, &v, &e), 0);
    ck_assert_str_eq(v.references, "[{\"name\":\"com.acme.Address\",\"subject\":\"address\",\"version\":1}]");
    /* The same schema with the pinned reference is the same version. */
    ck_assert_int_eq(
        reg_refs_ok("person", KELP_SCHEMA_AVRO, PERSON, "[{\"name\":\"com.acme.Address\",\"subject\":\"address\",\"version\":1}]"),
        person);
    /* Resolved: one self-contained schema avro-c reads. */
    char *text;
    kelp_schema_deps deps;
    ck_assert_int_eq(kelp_sr_resolve(reg, &v, &text, &deps, &e), 0);
    ck_assert_uint_eq(deps.n, 1);
    char why[256];
    kelp_avro_checker *c = kelp_avro_checker_new(text, strlen(text), why, sizeof(why));
    ck_assert_msg(c != NULL, "%s: %s", text, why);
    /* home {street "ab", zip "12345"}, work null, code "54321" */
    const uint8_t datum[] = {4, 'a', 'b', '1', '2', '3', '4', '5', 0, '5', '4', '3', '2', '1'};
    ck_assert_int_eq(kelp_avro_checker_check(c, datum, sizeof(datum), why, sizeof(why)), 0);
    kelp_avro_checker_free(c);
    free(text);
    kelp_schema_deps_free(&deps);
    kelp_sr_version_free(&v);

    /* Transitively: Team -> Person -> Address, Address named twice. */
    reg_refs_ok("team", KELP_SCHEMA_AVRO, TEAM,
                "[{\"name\":\"com.acme.Person\",\"subject\":\"person\",\"version\":1},"
                "{\"name\":\"com.acme.Address\",\"subject\":\"address\",\"version\":1}]");
    ck_assert_int_eq(kelp_sr_get_version(reg, "team", 1, false, &v, &e), 0);
    ck_assert_int_eq(kelp_sr_resolve(reg, &v, &text, &deps, &e), 0);
    ck_assert_uint_eq(deps.n, 2);
    c = kelp_avro_checker_new(text, strlen(text), why, sizeof(why));
    ck_assert_msg(c != NULL, "%s: %s", text, why);
    kelp_avro_checker_free(c);
    free(text);
    kelp_schema_deps_free(&deps);
    kelp_sr_version_free(&v);
}
END_TEST

START_TEST(referenced_versions_cannot_be_deleted)
{
    int32_t addr = reg_ok("address", KELP_SCHEMA_AVRO, ADDRESS);
    (void)addr;
    int32_t person =
        reg_refs_ok("person", KELP_SCHEMA_AVRO, PERSON, "[{\"name\":\"com.acme.Address\",\"subject\":\"address\",\"version\":1}]");
    kelp_sr_error e;
    int32_t *ids;
    size_t n;
    ck_assert_int_eq(kelp_sr_referenced_by(reg, "address", 1, &ids, &n, &e), 0);
    ck_assert_uint_eq(n, 1);
    ck_assert_int_eq(ids[0], person);
    free(ids);
    ck_assert_int_eq(kelp_sr_referenced_by(reg, "person", KELP_SR_LATEST, &ids, &n, &e), 0);
    ck_assert_uint_eq(n, 0);
    free(ids);
    ck_assert_int_eq(kelp_sr_referenced_by(reg, "address", 9, &ids, &n, &e), -1);
    ck_assert_int_eq(e.code, KELP_SR_VERSION_NOT_FOUND);
    int32_t deleted;
    ck_assert_int_eq(kelp_sr_delete_version(reg, "address", 1, false, &deleted, &e), -1);
    ck_assert_int_eq(e.code, KELP_SR_REFERENCE_EXISTS);
    ck_assert_str_eq(e.message,
                     "One or more references exist to the schema {magic=1,keytype=SCHEMA,subject=address,version=1}.");
    int32_t *versions;
    ck_assert_int_eq(kelp_sr_delete_subject(reg, "address", false, &versions, &n, &e), -1);
    ck_assert_int_eq(e.code, KELP_SR_REFERENCE_EXISTS);
    /* A soft-deleted user still holds it; a permanently deleted one does not. */
    ck_assert_int_eq(kelp_sr_delete_version(reg, "person", 1, false, &deleted, &e), 0);
    ck_assert_int_eq(kelp_sr_delete_version(reg, "address", 1, false, &deleted, &e), -1);
    ck_assert_int_eq(e.code, KELP_SR_REFERENCE_EXISTS);
    ck_assert_int_eq(kelp_sr_delete_version(reg, "person", 1, true, &deleted, &e), 0);
    reload();
    ck_assert_int_eq(kelp_sr_delete_version(reg, "address", 1, false, &deleted, &e), 0);
    ck_assert_int_eq(kelp_sr_delete_version(reg, "address", 1, true, &deleted, &e), 0);
}
END_TEST

START_TEST(compatibility_resolves_references)
{
    reg_ok("address", KELP_SCHEMA_AVRO, ADDRESS);
    const char *refs = "[{\"name\":\"com.acme.Address\",\"subject\":\"address\",\"version\":1}]";
    reg_refs_ok("person", KELP_SCHEMA_AVRO, PERSON, refs);
    /* A field without a default added: not BACKWARD. */
    const char *person2 =
        "{\"type\":\"record\",\"name\":\"Person\",\"namespace\":\"com.acme\",\"fields\":[{\"name\":\"home\","
        "\"type\":\"Address\"},{\"name\":\"work\",\"type\":[\"null\",\"com.acme.Address\"]},{\"name\":\"code\","
        "\"type\":\"Zip\"},{\"name\":\"n\",\"type\":\"int\"}]}";
    cJSON *r = cJSON_Parse(refs);
    kelp_sr_input in = {.type = KELP_SCHEMA_AVRO, .schema = person2, .references = r};
    bool compatible = true;
    char why[480];
    kelp_sr_error e;
    ck_assert_int_eq(kelp_sr_test_compatibility(reg, "person", KELP_SR_LATEST, &in, &compatible, why, sizeof(why), &e), 0);
    ck_assert(!compatible);
    in.schema = PERSON;
    ck_assert_int_eq(kelp_sr_test_compatibility(reg, "person", KELP_SR_LATEST, &in, &compatible, why, sizeof(why), &e), 0);
    ck_assert_msg(compatible, "%s", why);
    cJSON_Delete(r);
    int32_t id;
    ck_assert_int_eq(reg_refs("person", KELP_SCHEMA_AVRO, person2, refs, &id, &e), -1);
    ck_assert_int_eq(e.code, KELP_SR_INCOMPATIBLE);
}
END_TEST

START_TEST(json_references)
{
    const char *addr = "{\"type\":\"object\",\"properties\":{\"street\":{\"$ref\":\"#/definitions/s\"}},"
                       "\"required\":[\"street\"],\"definitions\":{\"s\":{\"type\":\"string\"}}}";
    reg_ok("address-json", KELP_SCHEMA_JSON, addr);
    const char *person = "{\"type\":\"object\",\"properties\":{\"home\":{\"$ref\":\"address.json\"},"
                         "\"street\":{\"$ref\":\"address.json#/definitions/s\"}}}";
    const char *refs = "[{\"name\":\"address.json\",\"subject\":\"address-json\",\"version\":1}]";
    reg_refs_ok("person-json", KELP_SCHEMA_JSON, person, refs);
    kelp_sr_version v;
    kelp_sr_error e;
    ck_assert_int_eq(kelp_sr_get_version(reg, "person-json", 1, false, &v, &e), 0);
    char *text;
    kelp_schema_deps deps;
    ck_assert_int_eq(kelp_sr_resolve(reg, &v, &text, &deps, &e), 0);
    char why[256];
    kelp_json_checker *c = kelp_json_checker_new(text, strlen(text), why, sizeof(why));
    ck_assert_msg(c != NULL, "%s: %s", text, why);
    const char *good = "{\"home\":{\"street\":\"x\"},\"street\":\"y\"}";
    const char *bad1 = "{\"home\":{\"street\":5}}";
    const char *bad2 = "{\"home\":{}}";
    const char *bad3 = "{\"street\":7}";
    ck_assert_int_eq(kelp_json_checker_check(c, (const uint8_t *)good, strlen(good), why, sizeof(why)), 0);
    ck_assert_int_eq(kelp_json_checker_check(c, (const uint8_t *)bad1, strlen(bad1), why, sizeof(why)), -1);
    ck_assert_int_eq(kelp_json_checker_check(c, (const uint8_t *)bad2, strlen(bad2), why, sizeof(why)), -1);
    ck_assert_int_eq(kelp_json_checker_check(c, (const uint8_t *)bad3, strlen(bad3), why, sizeof(why)), -1);
    kelp_json_checker_free(c);
    free(text);
    kelp_schema_deps_free(&deps);
    kelp_sr_version_free(&v);
    /* Compatibility follows the reference: home closed to an integer breaks BACKWARD. */
    const char *person2 = "{\"type\":\"object\",\"properties\":{\"home\":{\"$ref\":\"address.json\"},"
                          "\"street\":{\"$ref\":\"address.json#/definitions/s\"}}}";
    cJSON *r = cJSON_Parse(refs);
    kelp_sr_input in = {.type = KELP_SCHEMA_JSON, .schema = person2, .references = r};
    bool compatible = false;
    ck_assert_int_eq(kelp_sr_test_compatibility(reg, "person-json", KELP_SR_LATEST, &in, &compatible, why,
                                                sizeof(why), &e),
                     0);
    ck_assert_msg(compatible, "%s", why);
    const char *person3 = "{\"type\":\"object\",\"properties\":{\"home\":{\"type\":\"integer\"},"
                          "\"street\":{\"$ref\":\"address.json#/definitions/s\"}}}";
    in.schema = person3;
    ck_assert_int_eq(kelp_sr_test_compatibility(reg, "person-json", KELP_SR_LATEST, &in, &compatible, why,
                                                sizeof(why), &e),
                     0);
    ck_assert(!compatible);
    cJSON_Delete(r);
}
END_TEST

START_TEST(protobuf_references)
{
    const char *other = "syntax = \"proto3\";\npackage acme;\nmessage Address { string street = 1; }\n";
    reg_ok("address-proto", KELP_SCHEMA_PROTOBUF, other);
    const char *person = "syntax = \"proto3\";\npackage acme;\nimport \"acme/address.proto\";\n"
                         "message Person { Address home = 1; int32 age = 2; }\n";
    const char *refs = "[{\"name\":\"acme/address.proto\",\"subject\":\"address-proto\",\"version\":1}]";
    reg_refs_ok("person-proto", KELP_SCHEMA_PROTOBUF, person, refs);
    kelp_sr_version v;
    kelp_sr_error e;
    ck_assert_int_eq(kelp_sr_get_version(reg, "person-proto", 1, false, &v, &e), 0);
    char *text;
    kelp_schema_deps deps;
    ck_assert_int_eq(kelp_sr_resolve(reg, &v, &text, &deps, &e), 0);
    ck_assert_uint_eq(deps.n, 1);
    char why[256];
    kelp_proto_checker *c = kelp_proto_checker_new_deps(text, strlen(text), &deps, why, sizeof(why));
    ck_assert_msg(c != NULL, "%s", why);
    const uint8_t msg[] = {0x0a, 0x03, 0x0a, 0x01, 'x', 0x10, 0x07}; /* home {street "x"}, age 7 */
    const int32_t idx[] = {0};
    ck_assert_int_eq(kelp_proto_checker_check(c, idx, 1, msg, sizeof(msg), why, sizeof(why)), 0);
    kelp_proto_checker_free(c);
    free(text);
    kelp_schema_deps_free(&deps);
    kelp_sr_version_free(&v);
    /* Compatibility: age changed to a string breaks it, a new field does not. */
    cJSON *r = cJSON_Parse(refs);
    kelp_sr_input in = {.type = KELP_SCHEMA_PROTOBUF,
                        .schema = "syntax = \"proto3\";\npackage acme;\nimport \"acme/address.proto\";\n"
                                  "message Person { Address home = 1; int32 age = 2; string name = 3; }\n",
                        .references = r};
    bool compatible = false;
    ck_assert_int_eq(kelp_sr_test_compatibility(reg, "person-proto", KELP_SR_LATEST, &in, &compatible, why,
                                                sizeof(why), &e),
                     0);
    ck_assert_msg(compatible, "%s", why);
    in.schema = "syntax = \"proto3\";\npackage acme;\nimport \"acme/address.proto\";\n"
                "message Person { Address home = 1; string age = 2; }\n";
    ck_assert_int_eq(kelp_sr_test_compatibility(reg, "person-proto", KELP_SR_LATEST, &in, &compatible, why,
                                                sizeof(why), &e),
                     0);
    ck_assert(!compatible);
    cJSON_Delete(r);
}
END_TEST

START_TEST(avro_expansion)
{
    kelp_schema_deps deps = {0};
    ck_assert(kelp_schema_deps_add(&deps, "a", KELP_SCHEMA_AVRO,
                                   "{\"type\":\"enum\",\"name\":\"Color\",\"symbols\":[\"RED\",\"GREEN\"]}"));
    char *out;
    char why[256];
    /* The first use is replaced, the later ones stay names. */
    ck_assert_int_eq(kelp_schema_resolve(KELP_SCHEMA_AVRO,
                                         "{\"type\":\"record\",\"name\":\"R\",\"fields\":["
                                         "{\"name\":\"c\",\"type\":\"Color\"},{\"name\":\"d\",\"type\":"
                                         "{\"type\":\"array\",\"items\":\"Color\"}}]}",
                                         &deps, &out, why, sizeof(why)),
                     0);
    kelp_avro_checker *c = kelp_avro_checker_new(out, strlen(out), why, sizeof(why));
    ck_assert_msg(c != NULL, "%s: %s", out, why);
    const uint8_t datum[] = {2, 4, 0, 2, 0}; /* GREEN, [RED, GREEN] */
    ck_assert_int_eq(kelp_avro_checker_check(c, datum, sizeof(datum), why, sizeof(why)), 0);
    kelp_avro_checker_free(c);
    free(out);
    /* A root that is just the name. */
    ck_assert_int_eq(kelp_schema_resolve(KELP_SCHEMA_AVRO, "\"Color\"", &deps, &out, why, sizeof(why)), 0);
    ck_assert(strstr(out, "\"symbols\"") != NULL);
    free(out);
    kelp_schema_deps_free(&deps);
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
    tcase_add_test(model, references_must_exist_and_pin_latest);
    tcase_add_test(model, referenced_versions_cannot_be_deleted);
    tcase_add_test(model, compatibility_resolves_references);
    tcase_add_test(model, json_references);
    tcase_add_test(model, protobuf_references);
    tcase_add_test(model, avro_expansion);
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
