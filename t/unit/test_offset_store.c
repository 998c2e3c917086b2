/* Committed offsets: the group id's directory encoding, the files written
 * through the file writer (the Go gateway's JSON form), reload, listing,
 * deletion, and files that cannot be read. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "net/event_loop.h"
#include "offsets/offset_path.h"
#include "offsets/offset_store.h"
#include "storage/file_writer.h"
#include "storage/fs.h"

START_TEST(group_ids_encode_to_one_safe_component)
{
    char out[KELP_GROUP_DIR_MAX + 1];
    ck_assert_int_eq(kelp_group_dir_encode("my-group.v1_2", 13, out), 0);
    ck_assert_str_eq(out, "my-group.v1_2");
    ck_assert_int_eq(kelp_group_dir_encode("a/b c", 5, out), 0);
    ck_assert_str_eq(out, "a%2Fb%20c");
    ck_assert_int_eq(kelp_group_dir_encode("", 0, out), 0);
    ck_assert_str_eq(out, "%");
    ck_assert_int_eq(kelp_group_dir_encode(".", 1, out), 0);
    ck_assert_str_eq(out, "%2E");
    ck_assert_int_eq(kelp_group_dir_encode("..", 2, out), 0);
    ck_assert_str_eq(out, "%2E%2E");
    ck_assert_int_eq(kelp_group_dir_encode("100%", 4, out), 0);
    ck_assert_str_eq(out, "100%25");
    char longest[256];
    memset(longest, 'g', sizeof(longest));
    ck_assert_int_eq(kelp_group_dir_encode(longest, 255, out), 0);
    ck_assert_int_eq(kelp_group_dir_encode(longest, 256, out), -1);
    ck_assert_int_eq(kelp_group_dir_encode("//////////////////////////////////////////////////////////////////////"
                                           "//////////////////////",
                                           92, out),
                     -1);

    char back[300];
    size_t len;
    const char *ids[] = {"my-group.v1_2", "a/b c", "", ".", "..", "100%", "\x01\xff"};
    for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
        ck_assert_int_eq(kelp_group_dir_encode(ids[i], strlen(ids[i]), out), 0);
        ck_assert_msg(kelp_group_dir_decode(out, back, sizeof(back), &len), "decode %s", out);
        ck_assert_uint_eq(len, strlen(ids[i]));
        ck_assert(memcmp(back, ids[i], len) == 0);
    }
    /* Names this encoding never writes are not groups. */
    ck_assert(!kelp_group_dir_decode("a%2f", back, sizeof(back), &len));
    ck_assert(!kelp_group_dir_decode("a%2", back, sizeof(back), &len));
    ck_assert(!kelp_group_dir_decode("a%41", back, sizeof(back), &len)); /* "A" is written plain */
    ck_assert(!kelp_group_dir_decode("sp ace", back, sizeof(back), &len));
    ck_assert(!kelp_group_dir_decode("..", back, sizeof(back), &len));
}
END_TEST

static char root[64];
static kelp_loop *loop;
static kelp_fs *fs;
static kelp_file_writer *writer;
static int pending, failed;

static void on_done(void *ctx, int status)
{
    (void)ctx;
    pending--;
    if (status != 0)
        failed++;
    if (pending == 0)
        kelp_loop_stop(loop);
}

static kelp_offset_store *open_store(void)
{
    char err[256] = "";
    kelp_offset_store *s = kelp_offset_store_open(fs, writer, err, sizeof(err));
    ck_assert_msg(s != NULL, "%s", err);
    return s;
}

static void commit(kelp_offset_store *s, const char *group, const char *topic, int32_t p, int64_t offset,
                   int32_t epoch, const char *md)
{
    pending++;
    ck_assert_int_eq(kelp_offset_store_commit(s, group, strlen(group), topic, strlen(topic), p, offset, epoch, md,
                                              strlen(md), 1700000000000 + offset, on_done, NULL),
                     0);
}

static void wait_written(void)
{
    if (pending > 0)
        kelp_loop_run(loop);
    ck_assert_int_eq(pending, 0);
    ck_assert_int_eq(failed, 0);
}

static char *read_all(const char *rel)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", root, rel);
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    static char buf[1024];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static void setup(void)
{
    snprintf(root, sizeof(root), "/tmp/kelp-offsets-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(root));
    char err[256];
    fs = kelp_fs_local_open(root, err, sizeof(err));
    ck_assert_ptr_nonnull(fs);
    loop = kelp_loop_new();
    writer = kelp_file_writer_start(fs, loop);
    pending = failed = 0;
}

static void teardown(void)
{
    kelp_file_writer_stop(writer);
    kelp_loop_free(loop);
    fs->ops->destroy(fs);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
    ck_assert_int_eq(system(cmd), 0);
}

START_TEST(commits_are_files_that_come_back)
{
    kelp_offset_store *s = open_store();
    commit(s, "grp", "orders", 0, 42, 3, "note \"quoted\"");
    commit(s, "grp", "orders", 1, 7, -1, "");
    commit(s, "grp", "audit", 5, 9, 0, "x");
    commit(s, "a/b", "orders", 0, 1, -1, "");
    commit(s, "grp", "orders", 0, 43, 3, "newer"); /* the same partition again: newest wins */
    wait_written();

    const char *text = read_all("topics/kafka/.meta/consumer_offsets/grp/orders/0/offset");
    ck_assert_ptr_nonnull(text);
    ck_assert_msg(strstr(text, "\"type\":\"offset\"") && strstr(text, "\"value\":43") &&
                      strstr(text, "\"committed_at\":1700000000043") && strstr(text, "\"metadata\":\"newer\""),
                  "unexpected file: %s", text);
    ck_assert_ptr_nonnull(read_all("topics/kafka/.meta/consumer_offsets/a%2Fb/orders/0/offset"));

    const kelp_committed_offset **list;
    size_t n = kelp_offset_store_list(s, "grp", 3, &list);
    ck_assert_uint_eq(n, 3);
    ck_assert_str_eq(list[0]->topic, "audit");
    ck_assert_str_eq(list[1]->topic, "orders");
    ck_assert_int_eq(list[1]->partition, 0);
    ck_assert_int_eq(list[2]->partition, 1);
    free(list);
    kelp_offset_store_free(s);

    s = open_store();
    const kelp_committed_offset *c = kelp_offset_store_get(s, "grp", 3, "orders", 6, 0);
    ck_assert_ptr_nonnull(c);
    ck_assert_int_eq(c->offset, 43);
    ck_assert_int_eq(c->leader_epoch, 3);
    ck_assert_str_eq(c->metadata, "newer");
    ck_assert_int_eq(c->commit_ms, 1700000000043);
    c = kelp_offset_store_get(s, "a/b", 3, "orders", 6, 0);
    ck_assert_ptr_nonnull(c);
    ck_assert_int_eq(c->offset, 1);
    ck_assert_ptr_null(kelp_offset_store_get(s, "grp", 3, "orders", 6, 2));
    ck_assert(kelp_offset_store_has_group(s, "grp", 3));
    ck_assert(!kelp_offset_store_has_group(s, "other", 5));

    /* Deleting a partition and a group removes their files. */
    ck_assert(kelp_offset_store_delete(s, "grp", 3, "orders", 6, 1));
    ck_assert(!kelp_offset_store_delete(s, "grp", 3, "orders", 6, 1));
    kelp_offset_store_delete_group(s, "a/b", 3);
    kelp_offset_store_free(s);
    kelp_file_writer_stop(writer); /* drains the removals */
    writer = kelp_file_writer_start(fs, loop);
    ck_assert_ptr_null(read_all("topics/kafka/.meta/consumer_offsets/grp/orders/1/offset"));
    ck_assert_ptr_nonnull(read_all("topics/kafka/.meta/consumer_offsets/grp/orders/0/offset"));
    ck_assert_ptr_null(read_all("topics/kafka/.meta/consumer_offsets/a%2Fb/orders/0/offset"));
    s = open_store();
    ck_assert_ptr_null(kelp_offset_store_get(s, "grp", 3, "orders", 6, 1));
    ck_assert(!kelp_offset_store_has_group(s, "a/b", 3));
    kelp_offset_store_free(s);
}
END_TEST

static void write_raw(const char *rel, const char *content)
{
    char path[512], cmd[600];
    snprintf(path, sizeof(path), "%s/%s", root, rel);
    snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s')\"", path);
    ck_assert_int_eq(system(cmd), 0);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(content, f);
    fclose(f);
}

START_TEST(unreadable_files_are_skipped)
{
    /* A file as the Go gateway writes it (no leader epoch) is read. */
    write_raw("topics/kafka/.meta/consumer_offsets/go-group/t/3/offset",
              "{\"type\":\"offset\",\"value\":12,\"committed_at\":1700000000000,\"metadata\":\"m\"}");
    write_raw("topics/kafka/.meta/consumer_offsets/go-group/t/4/offset", "{not json");
    write_raw("topics/kafka/.meta/consumer_offsets/go-group/t/5/offset", "{\"type\":\"other\",\"value\":1}");
    write_raw("topics/kafka/.meta/consumer_offsets/go-group/bad topic/0/offset", "{\"type\":\"offset\",\"value\":1}");
    write_raw("topics/kafka/.meta/consumer_offsets/not%2fcanonical/t/0/offset", "{\"type\":\"offset\",\"value\":1}");
    write_raw("topics/kafka/.meta/consumer_offsets/go-group/t/x/offset", "{\"type\":\"offset\",\"value\":1}");
    kelp_offset_store *s = open_store();
    const kelp_committed_offset *c = kelp_offset_store_get(s, "go-group", 8, "t", 1, 3);
    ck_assert_ptr_nonnull(c);
    ck_assert_int_eq(c->offset, 12);
    ck_assert_int_eq(c->leader_epoch, -1);
    ck_assert_str_eq(c->metadata, "m");
    const kelp_committed_offset **list;
    size_t n = kelp_offset_store_list(s, "go-group", 8, &list);
    ck_assert_uint_eq(n, 1);
    free(list);
    ck_assert(!kelp_offset_store_has_group(s, "not/canonical", 13));
    kelp_offset_store_free(s);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("offset store");
    TCase *tc = tcase_create("paths");
    tcase_add_test(tc, group_ids_encode_to_one_safe_component);
    suite_add_tcase(s, tc);
    tc = tcase_create("store");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, commits_are_files_that_come_back);
    tcase_add_test(tc, unreadable_files_are_skipped);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed_tests = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed_tests ? EXIT_FAILURE : EXIT_SUCCESS;
}
