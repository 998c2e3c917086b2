/* ACLs: matching (literal, wildcard, prefixed), DENY over ALLOW, implied
 * operations, principal and host wildcards, CreateAcls validation,
 * Describe/Delete filters with ANY and MATCH, by-resource-type checks, and
 * the JSON file round trip. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "security/acl.h"

static kelp_acl acl(int8_t type, int8_t pattern, const char *name, const char *principal, const char *host,
                    int8_t op, int8_t perm)
{
    return (kelp_acl){.resource_type = type, .pattern_type = pattern, .operation = op, .permission = perm,
                      .name = (char *)name, .principal = (char *)principal, .host = (char *)host};
}

static void add(kelp_acl_store *s, kelp_acl a) { ck_assert_int_eq(kelp_acl_store_add(s, &a), 1); }

static bool may(const kelp_acl_store *s, const char *principal, const char *host, int8_t type, const char *name,
                int8_t op)
{
    return kelp_acl_authorize(s, principal, host, type, name, strlen(name), op);
}

#define T KELP_ACL_RESOURCE_TOPIC
#define G KELP_ACL_RESOURCE_GROUP
#define LIT KELP_ACL_PATTERN_LITERAL
#define PRE KELP_ACL_PATTERN_PREFIXED
#define ALLOW KELP_ACL_PERMISSION_ALLOW
#define DENY KELP_ACL_PERMISSION_DENY

START_TEST(no_acl_means_denied)
{
    kelp_acl_store s;
    kelp_acl_store_init(&s);
    ck_assert(!may(&s, "User:alice", "127.0.0.1", T, "t", KELP_ACL_OP_READ));
    add(&s, acl(T, LIT, "t", "User:alice", "*", KELP_ACL_OP_READ, ALLOW));
    ck_assert(may(&s, "User:alice", "127.0.0.1", T, "t", KELP_ACL_OP_READ));
    ck_assert(!may(&s, "User:alice", "127.0.0.1", T, "t", KELP_ACL_OP_WRITE));
    ck_assert(!may(&s, "User:bob", "127.0.0.1", T, "t", KELP_ACL_OP_READ));
    ck_assert(!may(&s, "User:alice", "127.0.0.1", T, "t2", KELP_ACL_OP_READ));
    ck_assert(!may(&s, "User:alice", "127.0.0.1", T, "", KELP_ACL_OP_READ));
    ck_assert(!may(&s, "User:alice", "127.0.0.1", G, "t", KELP_ACL_OP_READ));
    kelp_acl_store_free(&s);
}
END_TEST

START_TEST(literal_wildcard_and_prefixed)
{
    kelp_acl_store s;
    kelp_acl_store_init(&s);
    add(&s, acl(T, LIT, "*", "User:alice", "*", KELP_ACL_OP_READ, ALLOW));
    add(&s, acl(T, PRE, "logs-", "User:bob", "*", KELP_ACL_OP_WRITE, ALLOW));
    add(&s, acl(T, LIT, "*", "User:*", "10.0.0.1", KELP_ACL_OP_CREATE, ALLOW));
    ck_assert(may(&s, "User:alice", "1.2.3.4", T, "anything", KELP_ACL_OP_READ));
    ck_assert(may(&s, "User:bob", "1.2.3.4", T, "logs-a", KELP_ACL_OP_WRITE));
    ck_assert(may(&s, "User:bob", "1.2.3.4", T, "logs-", KELP_ACL_OP_WRITE));
    ck_assert(!may(&s, "User:bob", "1.2.3.4", T, "logs", KELP_ACL_OP_WRITE));
    ck_assert(!may(&s, "User:bob", "1.2.3.4", T, "xlogs-a", KELP_ACL_OP_WRITE));
    ck_assert(may(&s, "User:carol", "10.0.0.1", T, "x", KELP_ACL_OP_CREATE));
    ck_assert(!may(&s, "User:carol", "10.0.0.2", T, "x", KELP_ACL_OP_CREATE));
    /* Only a LITERAL "*" is the wildcard; a PREFIXED "*" is a prefix like another. */
    kelp_acl_store_free(&s);
    kelp_acl_store_init(&s);
    add(&s, acl(T, PRE, "*", "User:alice", "*", KELP_ACL_OP_READ, ALLOW));
    ck_assert(!may(&s, "User:alice", "h", T, "x", KELP_ACL_OP_READ));
    ck_assert(may(&s, "User:alice", "h", T, "*x", KELP_ACL_OP_READ));
    kelp_acl_store_free(&s);
}
END_TEST

START_TEST(deny_wins)
{
    kelp_acl_store s;
    kelp_acl_store_init(&s);
    add(&s, acl(T, LIT, "*", "User:alice", "*", KELP_ACL_OP_ALL, ALLOW));
    add(&s, acl(T, PRE, "secret-", "User:alice", "*", KELP_ACL_OP_READ, DENY));
    add(&s, acl(T, LIT, "blocked", "User:*", "*", KELP_ACL_OP_ALL, DENY));
    ck_assert(may(&s, "User:alice", "h", T, "public", KELP_ACL_OP_READ));
    ck_assert(!may(&s, "User:alice", "h", T, "secret-x", KELP_ACL_OP_READ));
    ck_assert(may(&s, "User:alice", "h", T, "secret-x", KELP_ACL_OP_WRITE));
    /* A DENY of READ does not deny DESCRIBE, which READ merely implies. */
    ck_assert(may(&s, "User:alice", "h", T, "secret-x", KELP_ACL_OP_DESCRIBE));
    ck_assert(!may(&s, "User:alice", "h", T, "blocked", KELP_ACL_OP_DESCRIBE));
    ck_assert(!may(&s, "User:alice", "h", T, "blocked", KELP_ACL_OP_WRITE));
    /* A host-specific DENY. */
    add(&s, acl(T, LIT, "public", "User:alice", "10.9.9.9", KELP_ACL_OP_WRITE, DENY));
    ck_assert(!may(&s, "User:alice", "10.9.9.9", T, "public", KELP_ACL_OP_WRITE));
    ck_assert(may(&s, "User:alice", "10.9.9.8", T, "public", KELP_ACL_OP_WRITE));
    kelp_acl_store_free(&s);
}
END_TEST

START_TEST(implied_operations)
{
    static const int8_t implies_describe[] = {KELP_ACL_OP_READ, KELP_ACL_OP_WRITE, KELP_ACL_OP_DELETE,
                                              KELP_ACL_OP_ALTER, KELP_ACL_OP_DESCRIBE, KELP_ACL_OP_ALL};
    static const int8_t not_describe[] = {KELP_ACL_OP_CREATE, KELP_ACL_OP_CLUSTER_ACTION,
                                          KELP_ACL_OP_DESCRIBE_CONFIGS, KELP_ACL_OP_ALTER_CONFIGS,
                                          KELP_ACL_OP_IDEMPOTENT_WRITE};
    for (size_t i = 0; i < sizeof(implies_describe); i++) {
        kelp_acl_store s;
        kelp_acl_store_init(&s);
        add(&s, acl(T, LIT, "t", "User:a", "*", implies_describe[i], ALLOW));
        ck_assert_msg(may(&s, "User:a", "h", T, "t", KELP_ACL_OP_DESCRIBE), "%s should imply DESCRIBE",
                      kelp_acl_op_name(implies_describe[i]));
        kelp_acl_store_free(&s);
    }
    for (size_t i = 0; i < sizeof(not_describe); i++) {
        kelp_acl_store s;
        kelp_acl_store_init(&s);
        add(&s, acl(T, LIT, "t", "User:a", "*", not_describe[i], ALLOW));
        ck_assert_msg(!may(&s, "User:a", "h", T, "t", KELP_ACL_OP_DESCRIBE), "%s should not imply DESCRIBE",
                      kelp_acl_op_name(not_describe[i]));
        kelp_acl_store_free(&s);
    }
    kelp_acl_store s;
    kelp_acl_store_init(&s);
    add(&s, acl(T, LIT, "t", "User:a", "*", KELP_ACL_OP_ALTER_CONFIGS, ALLOW));
    ck_assert(may(&s, "User:a", "h", T, "t", KELP_ACL_OP_DESCRIBE_CONFIGS));
    ck_assert(!may(&s, "User:a", "h", T, "t", KELP_ACL_OP_ALTER));
    /* READ does not imply WRITE, nor ALL anything but ALL's own. */
    add(&s, acl(T, LIT, "r", "User:a", "*", KELP_ACL_OP_READ, ALLOW));
    ck_assert(!may(&s, "User:a", "h", T, "r", KELP_ACL_OP_WRITE));
    ck_assert(!may(&s, "User:a", "h", T, "r", KELP_ACL_OP_DESCRIBE_CONFIGS));
    add(&s, acl(KELP_ACL_RESOURCE_CLUSTER, LIT, KELP_ACL_CLUSTER_NAME, "User:a", "*", KELP_ACL_OP_ALL, ALLOW));
    ck_assert(may(&s, "User:a", "h", KELP_ACL_RESOURCE_CLUSTER, KELP_ACL_CLUSTER_NAME, KELP_ACL_OP_ALTER));
    ck_assert(may(&s, "User:a", "h", KELP_ACL_RESOURCE_CLUSTER, KELP_ACL_CLUSTER_NAME, KELP_ACL_OP_IDEMPOTENT_WRITE));
    kelp_acl_store_free(&s);
}
END_TEST

START_TEST(by_resource_type)
{
    kelp_acl_store s;
    kelp_acl_store_init(&s);
    ck_assert(!kelp_acl_authorize_any(&s, "User:a", "h", T, KELP_ACL_OP_WRITE));
    add(&s, acl(T, PRE, "app-", "User:a", "*", KELP_ACL_OP_WRITE, ALLOW));
    ck_assert(kelp_acl_authorize_any(&s, "User:a", "h", T, KELP_ACL_OP_WRITE));
    ck_assert(!kelp_acl_authorize_any(&s, "User:b", "h", T, KELP_ACL_OP_WRITE));
    ck_assert(!kelp_acl_authorize_any(&s, "User:a", "h", G, KELP_ACL_OP_WRITE));
    /* A DENY on a shorter prefix covers the allowed prefix. */
    add(&s, acl(T, PRE, "app", "User:a", "*", KELP_ACL_OP_WRITE, DENY));
    ck_assert(!kelp_acl_authorize_any(&s, "User:a", "h", T, KELP_ACL_OP_WRITE));
    add(&s, acl(T, LIT, "other", "User:a", "*", KELP_ACL_OP_WRITE, ALLOW));
    ck_assert(kelp_acl_authorize_any(&s, "User:a", "h", T, KELP_ACL_OP_WRITE));
    add(&s, acl(T, LIT, "other", "User:a", "*", KELP_ACL_OP_ALL, DENY));
    ck_assert(!kelp_acl_authorize_any(&s, "User:a", "h", T, KELP_ACL_OP_WRITE));
    add(&s, acl(T, LIT, "*", "User:a", "*", KELP_ACL_OP_WRITE, ALLOW));
    ck_assert(kelp_acl_authorize_any(&s, "User:a", "h", T, KELP_ACL_OP_WRITE));
    add(&s, acl(T, LIT, "*", "User:*", "*", KELP_ACL_OP_WRITE, DENY));
    ck_assert(!kelp_acl_authorize_any(&s, "User:a", "h", T, KELP_ACL_OP_WRITE));
    kelp_acl_store_free(&s);
}
END_TEST

START_TEST(validation)
{
    const char *msg;
    kelp_acl ok = acl(T, LIT, "t", "User:alice", "*", KELP_ACL_OP_READ, ALLOW);
    ck_assert_int_eq(kelp_acl_validate(&ok, &msg), 0);
    ck_assert_ptr_null(msg);
    kelp_acl bad[] = {
        acl(KELP_ACL_RESOURCE_ANY, LIT, "t", "User:a", "*", KELP_ACL_OP_READ, ALLOW),
        acl(0, LIT, "t", "User:a", "*", KELP_ACL_OP_READ, ALLOW),
        acl(8, LIT, "t", "User:a", "*", KELP_ACL_OP_READ, ALLOW),
        acl(T, KELP_ACL_PATTERN_ANY, "t", "User:a", "*", KELP_ACL_OP_READ, ALLOW),
        acl(T, KELP_ACL_PATTERN_MATCH, "t", "User:a", "*", KELP_ACL_OP_READ, ALLOW),
        acl(T, 5, "t", "User:a", "*", KELP_ACL_OP_READ, ALLOW),
        acl(T, LIT, "t", "User:a", "*", KELP_ACL_OP_ANY, ALLOW),
        acl(T, LIT, "t", "User:a", "*", 15, ALLOW),
        acl(T, LIT, "t", "User:a", "*", KELP_ACL_OP_READ, KELP_ACL_PERMISSION_ANY),
        acl(T, LIT, "t", "User:a", "*", KELP_ACL_OP_READ, 4),
        acl(T, LIT, "", "User:a", "*", KELP_ACL_OP_READ, ALLOW),
        acl(T, LIT, "t", "alice", "*", KELP_ACL_OP_READ, ALLOW),
        acl(T, LIT, "t", "Group:a", "*", KELP_ACL_OP_READ, ALLOW),
        acl(T, LIT, "t", "User:", "*", KELP_ACL_OP_READ, ALLOW),
        acl(KELP_ACL_RESOURCE_CLUSTER, LIT, "other", "User:a", "*", KELP_ACL_OP_ALTER, ALLOW),
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_msg(kelp_acl_validate(&bad[i], &msg) == 42, "binding %zu should be refused", i);
        ck_assert_ptr_nonnull(msg);
    }
    kelp_acl cluster = acl(KELP_ACL_RESOURCE_CLUSTER, LIT, KELP_ACL_CLUSTER_NAME, "User:*", "*", KELP_ACL_OP_ALTER,
                           DENY);
    ck_assert_int_eq(kelp_acl_validate(&cluster, NULL), 0);

    kelp_acl_filter f = {KELP_ACL_RESOURCE_ANY, KELP_ACL_PATTERN_ANY, KELP_ACL_OP_ANY, KELP_ACL_PERMISSION_ANY,
                         NULL, NULL, NULL};
    ck_assert_int_eq(kelp_acl_filter_validate(&f, &msg), 0);
    f.pattern_type = 0;
    ck_assert_int_eq(kelp_acl_filter_validate(&f, &msg), 42);
    f.pattern_type = KELP_ACL_PATTERN_MATCH;
    f.operation = 0;
    ck_assert_int_eq(kelp_acl_filter_validate(&f, &msg), 42);
    f.operation = KELP_ACL_OP_ANY;
    f.resource_type = 9;
    ck_assert_int_eq(kelp_acl_filter_validate(&f, &msg), 42);
    f.resource_type = T;
    f.permission = 0;
    ck_assert_int_eq(kelp_acl_filter_validate(&f, &msg), 42);
}
END_TEST

START_TEST(duplicates_and_removal)
{
    kelp_acl_store s;
    kelp_acl_store_init(&s);
    kelp_acl a = acl(T, LIT, "t", "User:a", "*", KELP_ACL_OP_READ, ALLOW);
    ck_assert_int_eq(kelp_acl_store_add(&s, &a), 1);
    ck_assert_int_eq(kelp_acl_store_add(&s, &a), 0);
    a.permission = DENY;
    ck_assert_int_eq(kelp_acl_store_add(&s, &a), 1);
    ck_assert_int_eq(s.count, 2);
    kelp_acl_store_remove_at(&s, 0);
    ck_assert_int_eq(s.count, 1);
    ck_assert_int_eq(s.acls[0].permission, DENY);
    kelp_acl_store_free(&s);
}
END_TEST

static kelp_acl_filter filter(int8_t type, int8_t pattern, const char *name)
{
    return (kelp_acl_filter){type, pattern, KELP_ACL_OP_ANY, KELP_ACL_PERMISSION_ANY, name, NULL, NULL};
}

START_TEST(filters)
{
    kelp_acl lit = acl(T, LIT, "foo", "User:a", "*", KELP_ACL_OP_READ, ALLOW);
    kelp_acl wild = acl(T, LIT, "*", "User:a", "*", KELP_ACL_OP_READ, ALLOW);
    kelp_acl pre = acl(T, PRE, "fo", "User:a", "10.0.0.1", KELP_ACL_OP_WRITE, DENY);
    kelp_acl other = acl(T, PRE, "bar", "User:b", "*", KELP_ACL_OP_WRITE, ALLOW);
    kelp_acl group = acl(G, LIT, "foo", "User:a", "*", KELP_ACL_OP_READ, ALLOW);

    /* ANY: every pattern type, names compared exactly. */
    kelp_acl_filter f = filter(KELP_ACL_RESOURCE_ANY, KELP_ACL_PATTERN_ANY, NULL);
    ck_assert(kelp_acl_filter_matches(&f, &lit) && kelp_acl_filter_matches(&f, &pre) &&
              kelp_acl_filter_matches(&f, &group));
    f = filter(T, KELP_ACL_PATTERN_ANY, "foo");
    ck_assert(kelp_acl_filter_matches(&f, &lit));
    ck_assert(!kelp_acl_filter_matches(&f, &wild));
    ck_assert(!kelp_acl_filter_matches(&f, &pre));
    ck_assert(!kelp_acl_filter_matches(&f, &group));
    f = filter(T, KELP_ACL_PATTERN_ANY, "fo");
    ck_assert(kelp_acl_filter_matches(&f, &pre));

    /* MATCH: the bindings that apply to the name. */
    f = filter(T, KELP_ACL_PATTERN_MATCH, "foo");
    ck_assert(kelp_acl_filter_matches(&f, &lit));
    ck_assert(kelp_acl_filter_matches(&f, &wild));
    ck_assert(kelp_acl_filter_matches(&f, &pre));
    ck_assert(!kelp_acl_filter_matches(&f, &other));
    ck_assert(!kelp_acl_filter_matches(&f, &group));
    f = filter(T, KELP_ACL_PATTERN_MATCH, "f");
    ck_assert(!kelp_acl_filter_matches(&f, &pre));
    ck_assert(!kelp_acl_filter_matches(&f, &lit));
    ck_assert(kelp_acl_filter_matches(&f, &wild));
    f = filter(KELP_ACL_RESOURCE_ANY, KELP_ACL_PATTERN_MATCH, NULL);
    ck_assert(kelp_acl_filter_matches(&f, &other) && kelp_acl_filter_matches(&f, &group));

    /* A specific pattern type: that type only, names exactly. */
    f = filter(T, LIT, NULL);
    ck_assert(kelp_acl_filter_matches(&f, &lit) && kelp_acl_filter_matches(&f, &wild));
    ck_assert(!kelp_acl_filter_matches(&f, &pre));
    f = filter(T, PRE, "fo");
    ck_assert(kelp_acl_filter_matches(&f, &pre));
    ck_assert(!kelp_acl_filter_matches(&f, &lit));
    f = filter(T, LIT, "*");
    ck_assert(kelp_acl_filter_matches(&f, &wild));
    ck_assert(!kelp_acl_filter_matches(&f, &lit));

    /* The entry: principal, host, operation, permission. */
    f = filter(KELP_ACL_RESOURCE_ANY, KELP_ACL_PATTERN_ANY, NULL);
    f.principal = "User:b";
    ck_assert(kelp_acl_filter_matches(&f, &other) && !kelp_acl_filter_matches(&f, &lit));
    f.principal = NULL;
    f.host = "10.0.0.1";
    ck_assert(kelp_acl_filter_matches(&f, &pre) && !kelp_acl_filter_matches(&f, &lit));
    f.host = NULL;
    f.operation = KELP_ACL_OP_WRITE;
    ck_assert(kelp_acl_filter_matches(&f, &pre) && kelp_acl_filter_matches(&f, &other) &&
              !kelp_acl_filter_matches(&f, &lit));
    f.permission = DENY;
    ck_assert(kelp_acl_filter_matches(&f, &pre) && !kelp_acl_filter_matches(&f, &other));
}
END_TEST

START_TEST(json_round_trip)
{
    kelp_acl_store s, back;
    kelp_acl_store_init(&s);
    kelp_acl_store_init(&back);
    add(&s, acl(T, LIT, "t\"quoted\"", "User:alice", "*", KELP_ACL_OP_WRITE, ALLOW));
    add(&s, acl(T, PRE, "logs-", "User:*", "10.0.0.1", KELP_ACL_OP_ALL, DENY));
    add(&s, acl(KELP_ACL_RESOURCE_CLUSTER, LIT, KELP_ACL_CLUSTER_NAME, "User:bob", "*", KELP_ACL_OP_ALTER, ALLOW));
    add(&s, acl(KELP_ACL_RESOURCE_TRANSACTIONAL_ID, LIT, "tx", "User:bob", "*", KELP_ACL_OP_DESCRIBE_TOKENS, ALLOW));
    kelp_buf text;
    kelp_buf_init(&text);
    ck_assert_int_eq(kelp_acl_store_to_json(&s, &text), 0);
    ck_assert_ptr_nonnull(strstr((const char *)text.data, "\"operation\":\"WRITE\""));
    ck_assert_ptr_nonnull(strstr((const char *)text.data, "\"pattern_type\":\"PREFIXED\""));
    ck_assert_int_eq(kelp_acl_store_from_json(&back, (const char *)text.data, text.len), 0);
    ck_assert_int_eq(back.count, s.count);
    for (size_t i = 0; i < s.count; i++)
        ck_assert_int_eq(kelp_acl_store_add(&back, &s.acls[i]), 0); /* each one already there */
    ck_assert(may(&back, "User:carol", "10.0.0.1", T, "logs-x", KELP_ACL_OP_READ) == false);
    ck_assert(may(&back, "User:alice", "h", T, "t\"quoted\"", KELP_ACL_OP_WRITE));
    /* A malformed file leaves the store as it was. */
    ck_assert_int_eq(kelp_acl_store_from_json(&back, "{\"acls\":[{\"resource_type\":\"NOPE\"}]}", 35), -1);
    ck_assert_int_eq(back.count, s.count);
    ck_assert_int_eq(kelp_acl_store_from_json(&back, "not json", 8), -1);
    ck_assert_int_eq(back.count, s.count);

    /* Through the file system: written, loaded back; no file is an empty store. */
    char dir[] = "/tmp/kelp-test-acl-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char err[256];
    kelp_fs *fs = kelp_fs_local_open(dir, err, sizeof(err));
    ck_assert_ptr_nonnull(fs);
    kelp_acl_store empty;
    kelp_acl_store_init(&empty);
    ck_assert_int_eq(kelp_acl_store_load(&empty, fs, err, sizeof(err)), 0);
    ck_assert_int_eq(empty.count, 0);
    ck_assert_int_eq(fs->ops->mkdirs(fs, "topics/kafka/.meta"), 0);
    ck_assert_int_eq(fs->ops->write_file_atomic(fs, KELP_ACLS_PATH, text.data, text.len), 0);
    ck_assert_int_eq(kelp_acl_store_load(&empty, fs, err, sizeof(err)), 0);
    ck_assert_int_eq(empty.count, 4);
    ck_assert_int_eq(fs->ops->write_file_atomic(fs, KELP_ACLS_PATH, "{}", 2), 0);
    ck_assert_int_eq(kelp_acl_store_load(&empty, fs, err, sizeof(err)), -1);
    fs->ops->remove_recursive(fs, "topics");
    fs->ops->destroy(fs);
    rmdir(dir);
    kelp_acl_store_free(&empty);
    kelp_buf_free(&text);
    kelp_acl_store_free(&s);
    kelp_acl_store_free(&back);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("acl");
    TCase *tc = tcase_create("acl");
    tcase_add_test(tc, no_acl_means_denied);
    tcase_add_test(tc, literal_wildcard_and_prefixed);
    tcase_add_test(tc, deny_wins);
    tcase_add_test(tc, implied_operations);
    tcase_add_test(tc, by_resource_type);
    tcase_add_test(tc, validation);
    tcase_add_test(tc, duplicates_and_removal);
    tcase_add_test(tc, filters);
    tcase_add_test(tc, json_round_trip);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
