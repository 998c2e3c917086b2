/* Protobuf compatibility rules (schema/compatibility_protobuf.cc) in both
 * directions, and the levels applied to PROTOBUF through
 * kelp_schema_compatible. Schemas are proto3 bodies after a fixed header
 * unless they start with "syntax". */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema/compatibility.h"
#include "schema/compatibility_protobuf.h"

static char last_why[512];
static char buf_r[4096], buf_w[4096];

static const char *full(char *buf, const char *s)
{
    if (strncmp(s, "syntax", 6) == 0)
        snprintf(buf, 4096, "%s", s);
    else
        snprintf(buf, 4096, "syntax = \"proto3\";\npackage t;\n%s", s);
    return buf;
}

/* Can a reader with schema r read what a writer with schema w wrote? */
static int can_read(const char *r, const char *w)
{
    return kelp_protobuf_can_read(full(buf_r, r), full(buf_w, w), last_why, sizeof(last_why));
}

/* old -> new under BACKWARD (new reads old) and FORWARD (old reads new). */
#define BACKWARD_OK(old, new) ck_assert_msg(can_read(new, old) == 1, "backward %s -> %s: %s", old, new, last_why)
#define BACKWARD_NO(old, new) ck_assert_msg(can_read(new, old) == 0, "backward %s -> %s: %s", old, new, last_why)
#define FORWARD_OK(old, new) ck_assert_msg(can_read(old, new) == 1, "forward %s -> %s: %s", old, new, last_why)
#define FORWARD_NO(old, new) ck_assert_msg(can_read(old, new) == 0, "forward %s -> %s: %s", old, new, last_why)
#define BOTH_OK(a, b) (BACKWARD_OK(a, b), FORWARD_OK(a, b))
/* BACKWARD last, so that a reason reads old -> new. */
#define BOTH_NO(a, b) (FORWARD_NO(a, b), BACKWARD_NO(a, b))
#define ERROR(a, b) ck_assert_msg(can_read(b, a) == -1 && can_read(a, b) == -1, "not an error: %s", last_why)
#define WHY_HAS(s) ck_assert_msg(strstr(last_why, s) != NULL, "reason \"%s\" lacks \"%s\"", last_why, s)

START_TEST(identical_and_renames)
{
    const char *s = "message A { int32 x = 1; string y = 2; }";
    BOTH_OK(s, s);
    BOTH_OK(s, "message A { int32 renamed = 1; string y = 2; }"); /* FIELD_NAME_CHANGED */
    BOTH_OK(s, "message A { string y = 2; int32 x = 1; }");       /* declaration order */
    /* MESSAGE_MOVED: reordering top-level messages is fine. */
    BOTH_OK("message A { int32 x = 1; } message B { int32 y = 1; }",
            "message B { int32 y = 1; } message A { int32 x = 1; }");
    /* No syntax difference by itself (none in the diff either). */
    BOTH_OK("syntax = \"proto2\";\npackage t;\nmessage A { optional int32 x = 1; }",
            "syntax = \"proto3\";\npackage t;\nmessage A { int32 x = 1; }");
}
END_TEST

START_TEST(messages)
{
    /* MESSAGE_ADDED is fine, MESSAGE_REMOVED is not: whichever side lacks it. */
    const char *one = "message A { int32 x = 1; }";
    const char *two = "message A { int32 x = 1; } message B { string s = 1; }";
    BACKWARD_OK(one, two);
    FORWARD_NO(one, two);
    WHY_HAS("message B: removed");
    BACKWARD_NO(two, one);
    FORWARD_OK(two, one);
    /* Nested messages too. */
    BACKWARD_NO("message A { message N { int32 z = 1; } int32 x = 1; }", "message A { int32 x = 1; }");
    WHY_HAS("message A.N: removed");
    /* Changes inside nested messages are found. */
    BOTH_NO("message A { message N { int32 z = 1; } N n = 1; }", "message A { message N { string z = 1; } N n = 1; }");
    WHY_HAS("scalar type changed from int32 to string");
}
END_TEST

START_TEST(fields_added_removed)
{
    const char *a = "message A { int32 x = 1; }";
    const char *b = "message A { int32 x = 1; string y = 2; }";
    BOTH_OK(a, b); /* FIELD_ADDED */
    BOTH_OK(b, a); /* FIELD_REMOVED */
    /* A changed number is a removal and an addition, both fine. */
    BOTH_OK(a, "message A { int32 x = 7; }");
    /* REQUIRED_FIELD_ADDED / REQUIRED_FIELD_REMOVED (proto2). */
    const char *p = "syntax = \"proto2\";\npackage t;\nmessage A { optional int32 x = 1; }";
    const char *pr = "syntax = \"proto2\";\npackage t;\nmessage A { optional int32 x = 1; required string y = 2; }";
    BOTH_NO(p, pr);
    WHY_HAS("a required field was added");
    BOTH_NO(pr, p);
    WHY_HAS("a required field was removed");
    BOTH_OK(pr, pr);
    /* An existing field becoming required, or ceasing to be. */
    BOTH_NO(p, "syntax = \"proto2\";\npackage t;\nmessage A { required int32 x = 1; }");
    WHY_HAS("became required");
    BOTH_NO("syntax = \"proto2\";\npackage t;\nmessage A { required int32 x = 1; }", p);
    WHY_HAS("no longer required");
    /* Optional (proto3) presence is not a difference. */
    BOTH_OK(a, "message A { optional int32 x = 1; }");
}
END_TEST

START_TEST(scalar_kinds)
{
    static const char *const groups[][5] = {{"int32", "uint32", "int64", "uint64", "bool"},
                                            {"sint32", "sint64", NULL},
                                            {"fixed32", "sfixed32", NULL},
                                            {"fixed64", "sfixed64", NULL},
                                            {"string", "bytes", NULL},
                                            {"float", NULL},
                                            {"double", NULL}};
    size_t ng = sizeof(groups) / sizeof(groups[0]);
    char a[128], b[128];
    for (size_t g = 0; g < ng; g++) {
        for (size_t i = 0; i < 5 && groups[g][i]; i++) {
            snprintf(a, sizeof(a), "message A { %s x = 1; }", groups[g][i]);
            for (size_t h = 0; h < ng; h++) {
                for (size_t j = 0; j < 5 && groups[h][j]; j++) {
                    snprintf(b, sizeof(b), "message A { %s x = 1; }", groups[h][j]);
                    if (g == h)
                        BOTH_OK(a, b);
                    else
                        BOTH_NO(a, b);
                }
            }
        }
    }
    /* Enums are varints: compatible with the general numbers only. */
    const char *e = "enum E { E0 = 0; E1 = 1; } message A { E x = 1; }";
    BOTH_OK(e, "enum E { E0 = 0; E1 = 1; } message A { int64 x = 1; }");
    BOTH_NO(e, "enum E { E0 = 0; E1 = 1; } message A { sint32 x = 1; }");
    WHY_HAS("scalar type changed from enum t.E to sint32");
}
END_TEST

START_TEST(kinds_and_named_types)
{
    const char *scalar = "message M { int32 v = 1; } message A { int32 x = 1; }";
    const char *msg = "message M { int32 v = 1; } message A { M x = 1; }";
    const char *map = "message M { int32 v = 1; } message A { map<string, int32> x = 1; }";
    BOTH_NO(scalar, msg); /* FIELD_KIND_CHANGED */
    WHY_HAS("kind changed from scalar to message");
    BOTH_NO(msg, scalar);
    WHY_HAS("kind changed from message to scalar");
    BOTH_NO(msg, map);
    BOTH_NO(map, scalar);
    /* FIELD_NAMED_TYPE_CHANGED */
    const char *m2 = "message M { int32 v = 1; } message N { int32 v = 1; } message A { M x = 1; }";
    const char *n2 = "message M { int32 v = 1; } message N { int32 v = 1; } message A { N x = 1; }";
    BOTH_NO(m2, n2);
    WHY_HAS("message type changed from t.M to t.N");
    /* Map keys and values follow the scalar rules. */
    BOTH_OK(map, "message M { int32 v = 1; } message A { map<string, uint64> x = 1; }");
    BOTH_NO(map, "message M { int32 v = 1; } message A { map<string, string> x = 1; }");
    WHY_HAS("map value");
    BOTH_NO(map, "message M { int32 v = 1; } message A { map<int32, int32> x = 1; }");
    WHY_HAS("map key");
    /* Recursive messages terminate. */
    const char *rec = "message T { T next = 1; int32 v = 2; }";
    BOTH_OK(rec, rec);
    BOTH_NO(rec, "message T { T next = 1; string v = 2; }");
    /* Well-known types are compared too. */
    const char *ts = "syntax = \"proto3\";\npackage t;\nimport \"google/protobuf/timestamp.proto\";\n"
                     "message A { google.protobuf.Timestamp at = 1; }";
    BOTH_OK(ts, ts);
    BOTH_NO(ts, "syntax = \"proto3\";\npackage t;\nimport \"google/protobuf/duration.proto\";\n"
                "message A { google.protobuf.Duration at = 1; }");
}
END_TEST

START_TEST(labels)
{
    /* Repeated numbers are packed: FIELD_NUMERIC_LABEL_CHANGED. */
    BOTH_NO("message A { int32 x = 1; }", "message A { repeated int32 x = 1; }");
    WHY_HAS("singular to repeated");
    BOTH_NO("message A { repeated int32 x = 1; }", "message A { int32 x = 1; }");
    /* FIELD_STRING_OR_BYTES_LABEL_CHANGED is fine. */
    BOTH_OK("message A { string x = 1; }", "message A { repeated string x = 1; }");
    BOTH_OK("message A { repeated bytes x = 1; }", "message A { string x = 1; }");
}
END_TEST

START_TEST(oneofs)
{
    const char *plain = "message A { int32 x = 1; string y = 2; }";
    /* One existing field into a new oneof: fine, both ways. */
    const char *one_in = "message A { oneof u { int32 x = 1; } string y = 2; }";
    BOTH_OK(plain, one_in);
    BOTH_OK(one_in, plain);
    /* A new field added to the oneof that took one over is fine too. */
    BACKWARD_OK(plain, "message A { oneof u { int32 x = 1; bool z = 3; } string y = 2; }");
    /* MULTIPLE_FIELDS_MOVED_TO_ONEOF */
    const char *two_in = "message A { oneof u { int32 x = 1; string y = 2; } }";
    BACKWARD_NO(plain, two_in);
    WHY_HAS("more than one existing field moved into the oneof");
    /* The other way the fields only leave the oneof (relaxed, fine). */
    FORWARD_OK(plain, two_in);
    BACKWARD_OK(two_in, plain);
    FORWARD_NO(two_in, plain);
    /* FIELD_MOVED_TO_EXISTING_ONEOF */
    const char *existing = "message A { int32 x = 1; oneof u { string y = 2; } }";
    BACKWARD_NO(existing, two_in);
    WHY_HAS("holds fields of an earlier oneof");
    /* ONEOF_ADDED / ONEOF_REMOVED with new or removed fields. */
    BOTH_OK("message A { int32 x = 1; }", "message A { int32 x = 1; oneof u { string s = 2; bool b = 3; } }");
    /* ONEOF_FIELD_ADDED fine, ONEOF_FIELD_REMOVED not. */
    const char *u2 = "message A { oneof u { int32 x = 1; string s = 2; } }";
    const char *u1 = "message A { oneof u { int32 x = 1; } }";
    BACKWARD_OK(u1, u2);
    FORWARD_NO(u1, u2);
    WHY_HAS("removed from the oneof");
    BACKWARD_NO(u2, u1);
    FORWARD_OK(u2, u1);
    /* A field type change inside a oneof, and across a oneof rename. */
    BOTH_NO(u2, "message A { oneof u { int32 x = 1; sint64 s = 2; } }");
    BOTH_OK(u2, "message A { oneof u { int32 x = 1; bytes s = 2; } }");
    BOTH_NO(u2, "message A { oneof v { int32 x = 1; double s = 2; } }");
    WHY_HAS("scalar type changed from string to double");
}
END_TEST

START_TEST(package_and_enums)
{
    BOTH_NO("message A { int32 x = 1; }", "syntax = \"proto3\";\npackage other;\nmessage A { int32 x = 1; }");
    WHY_HAS("package changed");
    BOTH_NO("message A { int32 x = 1; }", "syntax = \"proto3\";\nmessage A { int32 x = 1; }");
    /* Enums added, removed, constants added, removed, renumbered: all fine. */
    const char *e = "enum E { E0 = 0; E1 = 1; } message A { E x = 1; }";
    BOTH_OK(e, "enum E { E0 = 0; E1 = 1; E2 = 2; } message A { E x = 1; }");
    BOTH_OK(e, "enum E { E0 = 0; } message A { E x = 1; }");
    BOTH_OK(e, "enum E { E0 = 0; E1 = 5; } message A { E x = 1; }");
    BOTH_OK("message A { int32 x = 1; }", "enum F { F0 = 0; } message A { int32 x = 1; }");
}
END_TEST

START_TEST(unsupported)
{
    const char *a = "message A { int32 x = 1; }";
    /* Another subject's file (a reference) cannot be checked. */
    ck_assert_int_eq(kelp_protobuf_can_read("syntax = \"proto3\";\nimport \"other.proto\";\nmessage A { int32 x = 1; }",
                                            full(buf_w, a), last_why, sizeof(last_why)),
                     -1);
    WHY_HAS("which no reference of the schema names");
    ck_assert_int_eq(kelp_protobuf_can_read(full(buf_r, a),
                                            "syntax = \"proto3\";\nimport \"other.proto\";\nmessage A { int32 x = 1; }",
                                            last_why, sizeof(last_why)),
                     -1);
    ERROR(a, "message A { int32 x = 1; ");
    WHY_HAS("unusable Protobuf schema");
    const char *ext = "syntax = \"proto2\";\npackage t;\nmessage A { optional int32 x = 1; extensions 100 to 200; }\n"
                      "extend A { optional int32 y = 100; }";
    ERROR(ext, ext);
    WHY_HAS("extensions are not checked");
    const char *grp = "syntax = \"proto2\";\npackage t;\nmessage A { optional group G = 1 { optional int32 v = 2; } }";
    ERROR(grp, grp);
    WHY_HAS("groups are not checked");
}
END_TEST

START_TEST(base64_descriptor)
{
    /* FileDescriptorProto{name "a.proto", package "t", message A { int32 x = 1; }, syntax "proto3"}. */
    const char *b64 = "CgdhLnByb3RvEgF0IhEKAUESDAoBeBgBIAEoBVIBeGIGcHJvdG8z";
    ck_assert_int_eq(kelp_protobuf_can_read(b64, full(buf_w, "message A { int32 renamed = 1; }"), last_why,
                                            sizeof(last_why)),
                     1);
    ck_assert_int_eq(kelp_protobuf_can_read(b64, full(buf_w, "message A { string x = 1; }"), last_why,
                                            sizeof(last_why)),
                     0);
}
END_TEST

static int level_check(kelp_schema_level level, const char *v1, const char *v2, const char *v3)
{
    char b1[4096], b2[4096], b3[4096];
    const char *prev[2] = {full(b1, v1), v3 ? full(b2, v2) : NULL};
    return kelp_schema_compatible(KELP_SCHEMA_PROTOBUF, level, v3 ? full(b3, v3) : full(b3, v2), prev, v3 ? 2 : 1,
                                  last_why, sizeof(last_why));
}

START_TEST(levels)
{
    const char *v1 = "message A { int32 x = 1; }";
    const char *v2 = "message A { int32 x = 1; } message B { int32 y = 1; }"; /* adds a message */
    ck_assert_int_eq(level_check(KELP_LEVEL_BACKWARD, v1, v2, NULL), 1);
    ck_assert_int_eq(level_check(KELP_LEVEL_FORWARD, v1, v2, NULL), 0);
    ck_assert_ptr_nonnull(strstr(last_why, "an earlier schema cannot read"));
    ck_assert_int_eq(level_check(KELP_LEVEL_FULL, v1, v2, NULL), 0);
    ck_assert_int_eq(level_check(KELP_LEVEL_NONE, v1, "message A { string x = 1; }", NULL), 1);
    /* v3 drops B again: fine against v2 only going forward, and against v1
     * both ways, but removing B breaks BACKWARD against v2. */
    ck_assert_int_eq(level_check(KELP_LEVEL_FORWARD, v1, v2, v1), 1);
    ck_assert_int_eq(level_check(KELP_LEVEL_BACKWARD, v1, v2, v1), 0);
    ck_assert_ptr_nonnull(strstr(last_why, "the new schema cannot read"));
    /* Transitive: v3 changes x's type compatibly with v2 but not with v1. */
    const char *t1 = "message A { int32 x = 1; }";
    const char *t2 = "message A { reserved 1; int64 y = 2; }";
    const char *t3 = "message A { string x = 1; int64 y = 2; }";
    ck_assert_int_eq(level_check(KELP_LEVEL_BACKWARD, t1, t2, t3), 1);
    ck_assert_int_eq(level_check(KELP_LEVEL_BACKWARD_TRANSITIVE, t1, t2, t3), 0);
    ck_assert_int_eq(level_check(KELP_LEVEL_FORWARD, t1, t2, t3), 1);
    ck_assert_int_eq(level_check(KELP_LEVEL_FORWARD_TRANSITIVE, t1, t2, t3), 0);
    ck_assert_int_eq(level_check(KELP_LEVEL_FULL, t1, t2, t3), 1);
    ck_assert_int_eq(level_check(KELP_LEVEL_FULL_TRANSITIVE, t1, t2, t3), 0);
    /* An unsupported construct is an error at every level but NONE. */
    const char *imp = "syntax = \"proto3\";\nimport \"other.proto\";\nmessage A { int32 x = 1; }";
    for (int l = KELP_LEVEL_BACKWARD; l <= KELP_LEVEL_FULL_TRANSITIVE; l++) {
        const char *prev[1] = {full(buf_w, v1)};
        ck_assert_int_eq(kelp_schema_compatible(KELP_SCHEMA_PROTOBUF, (kelp_schema_level)l, imp, prev, 1, last_why,
                                                sizeof(last_why)),
                         -1);
    }
    const char *prev[1] = {full(buf_w, v1)};
    ck_assert_int_eq(
        kelp_schema_compatible(KELP_SCHEMA_PROTOBUF, KELP_LEVEL_NONE, imp, prev, 1, last_why, sizeof(last_why)), 1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("schema_compat_protobuf");
    TCase *tc = tcase_create("rules");
    tcase_add_test(tc, identical_and_renames);
    tcase_add_test(tc, messages);
    tcase_add_test(tc, fields_added_removed);
    tcase_add_test(tc, scalar_kinds);
    tcase_add_test(tc, kinds_and_named_types);
    tcase_add_test(tc, labels);
    tcase_add_test(tc, oneofs);
    tcase_add_test(tc, package_and_enums);
    tcase_add_test(tc, unsupported);
    tcase_add_test(tc, base64_descriptor);
    tcase_add_test(tc, levels);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
