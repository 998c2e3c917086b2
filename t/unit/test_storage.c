/* Storage: topic names, appends and reads across segments, group commit,
 * recovery of torn logs and lost indexes, timestamp lookups. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* openat family, d_type, mkdtemp */
#endif
#include <dirent.h>
#include <check.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "records/byte_order.h"
#include "records/compression.h"
#include "records/record_batch.h"
#include "storage/fs.h"
#include "storage/storage.h"
#include "storage/storage_internal.h"
#include "storage/topic_name.h"
#include "t/unit/batch_builder.h"

static char root[256];

static void make_root(void)
{
    snprintf(root, sizeof(root), "/tmp/kelp-test-storage-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(root));
}

static void remove_root(void)
{
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
    ck_assert_int_eq(system(cmd), 0);
}

typedef struct durable_log {
    int calls;
    kelp_partition *last_p;
    int64_t last_hw;
} durable_log;

static void on_durable(void *ctx, kelp_partition *p, int64_t hw)
{
    durable_log *d = ctx;
    d->calls++;
    d->last_p = p;
    d->last_hw = hw;
}

static kelp_storage *open_storage(int64_t segment_bytes, int32_t interval, durable_log *d)
{
    kelp_storage_options opt = {.root = root, .segment_bytes = segment_bytes, .index_interval_bytes = interval,
                                .on_durable = on_durable, .ctx = d};
    kelp_storage *s = NULL;
    char err[256] = "";
    ck_assert_msg(kelp_storage_open(&opt, &s, err, sizeof(err)) == 0, "open: %s", err);
    return s;
}

/* Waits (without a deadline) for the sync thread, then delivers completions. */
static void wait_durable(kelp_storage *s)
{
    kelp_storage_request_sync(s);
    struct pollfd pfd = {.fd = kelp_storage_completion_fd(s), .events = POLLIN};
    ck_assert_int_eq(poll(&pfd, 1, -1), 1);
    kelp_storage_process_completions(s);
}

/* Appends one batch of n records with timestamps ts0.. ; returns its base offset. */
static int64_t append_simple(kelp_partition *p, int n, int64_t ts0)
{
    kelp_buf b;
    kelp_buf_init(&b);
    ck_assert_int_eq(test_batch_simple(&b, n, ts0), 0);
    int64_t base, last;
    ck_assert_int_eq(kelp_partition_append(p, b.data, b.len, &base, &last), KELP_STORAGE_OK);
    ck_assert_int_eq(last, base + n - 1);
    /* Only offsets and leader epoch were touched; the CRC still holds. */
    ck_assert_int_eq(kelp_batches_validate(b.data, b.len, 1 << 20, NULL), KELP_BATCH_OK);
    kelp_buf_free(&b);
    return base;
}

/* Appends one batch of one record with a value of size bytes; returns its base offset. */
static int64_t append_sized(kelp_partition *p, size_t size, int64_t ts)
{
    char *value = malloc(size + 1);
    memset(value, 'v', size);
    value[size] = '\0';
    test_record rec = {.key = "k", .value = value, .timestamp = ts};
    test_batch_options opt = {.producer_id = -1};
    kelp_buf b;
    kelp_buf_init(&b);
    ck_assert_int_eq(test_batch_build(&b, &opt, &rec, 1), 0);
    int64_t base, last;
    ck_assert_int_eq(kelp_partition_append(p, b.data, b.len, &base, &last), KELP_STORAGE_OK);
    kelp_buf_free(&b);
    free(value);
    return base;
}

/* Checks that buf holds whole batches with consecutive offsets from first. */
static int64_t check_batches(const kelp_buf *buf, int64_t first)
{
    size_t pos = 0;
    int64_t next = first;
    while (pos < buf->len) {
        kelp_batch_header h;
        ck_assert_int_eq(kelp_batch_header_parse(buf->data + pos, buf->len - pos, &h), 0);
        ck_assert_int_eq(h.base_offset, next);
        ck_assert_int_eq(h.partition_leader_epoch, 0);
        size_t total = (size_t)h.batch_length + KELP_BATCH_LOG_OVERHEAD;
        ck_assert_uint_le(pos + total, buf->len);
        ck_assert_int_eq(kelp_batch_check_crc(buf->data + pos, total), KELP_BATCH_OK);
        next += h.record_count;
        pos += total;
    }
    return next;
}

START_TEST(topic_names_follow_kafka_rules)
{
    ck_assert(kelp_topic_name_valid("orders", 6));
    ck_assert(kelp_topic_name_valid("a.b_c-D9", 8));
    ck_assert(kelp_topic_name_valid("...", 3));
    ck_assert(!kelp_topic_name_valid("", 0));
    ck_assert(!kelp_topic_name_valid(".", 1));
    ck_assert(!kelp_topic_name_valid("..", 2));
    ck_assert(!kelp_topic_name_valid("a/b", 3));
    ck_assert(!kelp_topic_name_valid("a\0b", 3));
    ck_assert(!kelp_topic_name_valid("a b", 3));
    ck_assert(!kelp_topic_name_valid("caf\xc3\xa9", 5));
    char long_name[251];
    memset(long_name, 'x', sizeof(long_name));
    ck_assert(kelp_topic_name_valid(long_name, 249));
    ck_assert(!kelp_topic_name_valid(long_name, 250));
    ck_assert(kelp_topic_name_valid(".meta", 5));
    ck_assert(kelp_topic_name_reserved(".meta", 5));
    ck_assert(!kelp_topic_name_reserved(".metadata", 9));
    ck_assert(!kelp_topic_name_reserved("meta", 4));
}
END_TEST

START_TEST(topics_are_created_durably_and_reloaded)
{
    make_root();
    durable_log d = {0};
    kelp_storage *s = open_storage(0, 0, &d);
    kelp_topic *t = NULL;
    ck_assert_int_eq(kelp_storage_create_topic(s, "zeta", 4, 3, NULL, &t), KELP_STORAGE_OK);
    ck_assert_int_eq(kelp_storage_create_topic(s, "alpha", 5, 1, NULL, NULL), KELP_STORAGE_OK);
    ck_assert_int_eq(kelp_storage_create_topic(s, "zeta", 4, 3, NULL, NULL), KELP_STORAGE_ERR_EXISTS);
    ck_assert_int_eq(kelp_storage_create_topic(s, "..", 2, 1, NULL, NULL), KELP_STORAGE_ERR_INVALID);
    ck_assert_int_eq(kelp_storage_create_topic(s, ".meta", 5, 1, NULL, NULL), KELP_STORAGE_ERR_INVALID);
    ck_assert_int_eq(kelp_storage_create_topic(s, "a/b", 3, 1, NULL, NULL), KELP_STORAGE_ERR_INVALID);
    ck_assert_int_eq(kelp_storage_create_topic(s, "zero", 4, 0, NULL, NULL), KELP_STORAGE_ERR_INVALID);
    ck_assert_uint_eq(kelp_storage_topic_count(s), 2);
    ck_assert_str_eq(kelp_topic_name(kelp_storage_topic_at(s, 0)), "alpha");
    ck_assert_str_eq(kelp_topic_name(kelp_storage_topic_at(s, 1)), "zeta");
    ck_assert_int_eq(kelp_topic_partition_count(t), 3);
    ck_assert_ptr_null(kelp_topic_partition(t, 3));
    ck_assert_ptr_null(kelp_topic_partition(t, -1));
    ck_assert_ptr_eq(kelp_partition_topic(kelp_topic_partition(t, 2)), t);
    ck_assert_int_eq(kelp_partition_index(kelp_topic_partition(t, 2)), 2);
    uint8_t id[16];
    memcpy(id, kelp_topic_id(t), 16);
    static const uint8_t zero[16];
    ck_assert(memcmp(id, zero, 16) != 0);
    ck_assert_ptr_eq(kelp_storage_find_topic_by_id(s, id), t);
    ck_assert_ptr_null(kelp_storage_find_topic(s, "zet", 3));
    ck_assert_int_eq(kelp_storage_close(s), 0);

    s = open_storage(0, 0, &d);
    ck_assert_uint_eq(kelp_storage_topic_count(s), 2);
    t = kelp_storage_find_topic(s, "zeta", 4);
    ck_assert_ptr_nonnull(t);
    ck_assert_mem_eq(kelp_topic_id(t), id, 16);
    ck_assert_int_eq(kelp_topic_partition_count(t), 3);
    ck_assert_int_eq(kelp_partition_high_watermark(kelp_topic_partition(t, 0)), 0);
    ck_assert_int_eq(kelp_storage_close(s), 0);
    char path[400];
    snprintf(path, sizeof(path), "%s/topics/kafka/zeta/topic.json", root);
    ck_assert_int_eq(access(path, R_OK), 0);
    snprintf(path, sizeof(path), "%s/topics/kafka/zeta/2/00000000000000000000.log", root);
    ck_assert_int_eq(access(path, R_OK), 0);
    remove_root();
}
END_TEST

START_TEST(appends_are_consecutive_and_durable_after_sync)
{
    make_root();
    durable_log d = {0};
    kelp_storage *s = open_storage(0, 0, &d);
    kelp_topic *t;
    ck_assert_int_eq(kelp_storage_create_topic(s, "t", 1, 1, NULL, &t), 0);
    kelp_partition *p = kelp_topic_partition(t, 0);
    ck_assert_int_eq(append_simple(p, 3, 100), 0);
    ck_assert_int_eq(append_simple(p, 5, 200), 3);
    ck_assert_int_eq(kelp_partition_log_end_offset(p), 8);
    /* Not durable yet: consumers see nothing. */
    ck_assert_int_eq(kelp_partition_high_watermark(p), 0);
    kelp_buf out;
    kelp_buf_init(&out);
    ck_assert_int_eq(kelp_partition_read(p, 0, 1 << 20, &out), 0);
    ck_assert_int_eq(kelp_partition_read(p, 1, 1 << 20, &out), KELP_STORAGE_ERR_OFFSET_OUT_OF_RANGE);
    wait_durable(s);
    ck_assert_int_eq(d.calls, 1);
    ck_assert_ptr_eq(d.last_p, p);
    ck_assert_int_eq(d.last_hw, 8);
    ck_assert_int_eq(kelp_partition_high_watermark(p), 8);
    int64_t n = kelp_partition_read(p, 0, 1 << 20, &out);
    ck_assert_int_gt(n, 0);
    ck_assert_int_eq(check_batches(&out, 0), 8);
    /* An offset inside the second batch returns that whole batch. */
    kelp_buf_clear(&out);
    ck_assert_int_gt(kelp_partition_read(p, 5, 1 << 20, &out), 0);
    ck_assert_int_eq(check_batches(&out, 3), 8);
    kelp_buf_clear(&out);
    ck_assert_int_eq(kelp_partition_read(p, 8, 1 << 20, &out), 0);
    ck_assert_int_eq(kelp_partition_read(p, 9, 1 << 20, &out), KELP_STORAGE_ERR_OFFSET_OUT_OF_RANGE);
    ck_assert_int_eq(kelp_partition_read(p, -1, 1 << 20, &out), KELP_STORAGE_ERR_OFFSET_OUT_OF_RANGE);
    /* Bad payloads are refused before anything is written. */
    uint8_t junk[80] = {0};
    int64_t b, l;
    ck_assert_int_eq(kelp_partition_append(p, junk, sizeof(junk), &b, &l), KELP_STORAGE_ERR_INVALID);
    ck_assert_int_eq(kelp_partition_log_end_offset(p), 8);
    kelp_buf_free(&out);
    ck_assert_int_eq(kelp_storage_close(s), 0);
    remove_root();
}
END_TEST

START_TEST(reads_respect_limits_and_segment_rolls)
{
    make_root();
    durable_log d = {0};
    kelp_storage *s = open_storage(2000, 300, &d);
    kelp_topic *t;
    ck_assert_int_eq(kelp_storage_create_topic(s, "roll", 4, 1, NULL, &t), 0);
    kelp_partition *p = kelp_topic_partition(t, 0);
    int64_t next = 0;
    for (int i = 0; i < 60; i++) {
        ck_assert_int_eq(append_simple(p, 1 + i % 7, 1000 + i * 10), next);
        next += 1 + i % 7;
    }
    wait_durable(s);
    ck_assert_int_eq(kelp_partition_high_watermark(p), next);
    char path[400];
    snprintf(path, sizeof(path), "%s/topics/kafka/roll/0/00000000000000000000.log", root);
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_le(st.st_size, 2000);

    /* Walk the whole log with small reads: every offset once, in order. */
    kelp_buf out;
    kelp_buf_init(&out);
    int64_t at = 0;
    int reads = 0;
    while (at < next) {
        kelp_buf_clear(&out);
        int64_t n = kelp_partition_read(p, at, 1, &out); /* smaller than any batch */
        ck_assert_int_gt(n, 0);
        kelp_batch_header h;
        ck_assert_int_eq(kelp_batch_header_parse(out.data, out.len, &h), 0);
        ck_assert_int_eq((size_t)n, (size_t)h.batch_length + KELP_BATCH_LOG_OVERHEAD); /* one whole batch */
        ck_assert_int_le(h.base_offset, at);
        at = check_batches(&out, h.base_offset);
        reads++;
    }
    ck_assert_int_eq(reads, 60);
    /* Reads stop at their byte limit (a partial trailing batch may end them)
     * and go on across segment ends while room is left. */
    kelp_buf_clear(&out);
    int64_t n = kelp_partition_read(p, 0, 700, &out);
    ck_assert_int_le(n, 700);
    ck_assert_int_gt(n, 0);
    kelp_buf_clear(&out);
    ck_assert_int_gt(kelp_partition_read(p, 0, 1 << 20, &out), 2000); /* more than one segment holds */
    ck_assert_int_eq(check_batches(&out, 0), next);
    kelp_buf_free(&out);
    ck_assert_int_eq(kelp_storage_close(s), 0);

    /* Reopen: everything is still there. */
    s = open_storage(2000, 300, &d);
    p = kelp_topic_partition(kelp_storage_find_topic(s, "roll", 4), 0);
    ck_assert_int_eq(kelp_partition_high_watermark(p), next);
    ck_assert_int_eq(kelp_partition_log_start_offset(p), 0);
    kelp_buf_init(&out);
    for (int64_t o = 0; o < next; o += 5) {
        kelp_buf_clear(&out);
        ck_assert_int_gt(kelp_partition_read(p, o, 1, &out), 0);
        kelp_batch_header h;
        ck_assert_int_eq(kelp_batch_header_parse(out.data, out.len, &h), 0);
        ck_assert_int_le(h.base_offset, o);
        ck_assert_int_ge(h.base_offset + h.last_offset_delta, o);
    }
    ck_assert_int_eq(append_simple(p, 2, 5000), next);
    kelp_buf_free(&out);
    ck_assert_int_eq(kelp_storage_close(s), 0);
    remove_root();
}
END_TEST

static int64_t file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (int64_t)st.st_size : -1;
}

/* A clean close leaves the marker; the next open takes it away and trusts
 * the active segment's indexes without checksumming the log, while an open
 * without it (a crash) checks every batch. */
START_TEST(clean_shutdown_skips_the_active_segment_check)
{
    make_root();
    durable_log d = {0};
    kelp_storage *s = open_storage(0, 100, &d);
    kelp_topic *t;
    ck_assert_int_eq(kelp_storage_create_topic(s, "clean", 5, 1, NULL, &t), 0);
    kelp_partition *p = kelp_topic_partition(t, 0);
    for (int i = 0; i < 10; i++)
        append_simple(p, 4, 100 * i);
    ck_assert_int_eq(kelp_storage_close(s), 0);
    char marker[400], log[400];
    snprintf(marker, sizeof(marker), "%s/topics/kafka/.meta/clean-shutdown", root);
    snprintf(log, sizeof(log), "%s/topics/kafka/clean/0/00000000000000000000.log", root);
    ck_assert_int_gt(file_size(marker), 0);

    /* A flipped byte inside batch 5's records: only a checksum finds it. */
    int64_t size = file_size(log);
    int fd = open(log, O_RDWR);
    ck_assert_int_ge(fd, 0);
    uint8_t byte;
    off_t at = (off_t)(size / 10 * 5 + 70);
    ck_assert_int_eq(pread(fd, &byte, 1, at), 1);
    byte ^= 0xff;
    ck_assert_int_eq(pwrite(fd, &byte, 1, at), 1);
    close(fd);

    s = open_storage(0, 100, &d);
    ck_assert_int_eq(access(marker, F_OK), -1); /* gone before anything is written */
    p = kelp_topic_partition(kelp_storage_find_topic(s, "clean", 5), 0);
    ck_assert_int_eq(kelp_partition_log_end_offset(p), 40);
    int64_t off, ts;
    ck_assert_int_eq(kelp_partition_max_timestamp(p, &off, &ts), 1);
    ck_assert_int_eq(ts, 903);
    ck_assert_int_eq(kelp_partition_offset_for_timestamp(p, 501, &off, &ts), 1);
    ck_assert_int_eq(off, 21);
    ck_assert_int_eq(append_simple(p, 4, 2000), 40);
    ck_assert_int_eq(kelp_storage_close(s), 0);

    /* Without the marker every batch is checked: the log ends before batch 5. */
    ck_assert_int_eq(unlink(marker), 0);
    s = open_storage(0, 100, &d);
    p = kelp_topic_partition(kelp_storage_find_topic(s, "clean", 5), 0);
    ck_assert_int_eq(kelp_partition_log_end_offset(p), 20);
    ck_assert_int_eq(kelp_storage_close(s), 0);
    remove_root();
}
END_TEST

START_TEST(recovery_cuts_torn_tail_and_rebuilds_indexes)
{
    make_root();
    durable_log d = {0};
    kelp_storage *s = open_storage(0, 100, &d);
    kelp_topic *t;
    ck_assert_int_eq(kelp_storage_create_topic(s, "crash", 5, 1, NULL, &t), 0);
    kelp_partition *p = kelp_topic_partition(t, 0);
    for (int i = 0; i < 10; i++)
        append_simple(p, 4, 100 * i);
    ck_assert_int_eq(kelp_storage_close(s), 0);

    char log[400], index[400];
    snprintf(log, sizeof(log), "%s/topics/kafka/crash/0/00000000000000000000.log", root);
    snprintf(index, sizeof(index), "%s/topics/kafka/crash/0/00000000000000000000.index", root);
    int64_t size = file_size(log);
    ck_assert_int_gt(size, 0);
    ck_assert_int_gt(file_size(index), 0);
    /* Chop the last batch in the middle, then add garbage. */
    ck_assert_int_eq(truncate(log, size - 20), 0);
    int fd = open(log, O_WRONLY | O_APPEND);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, "garbage-garbage-garbage", 23), 23);
    close(fd);

    s = open_storage(0, 100, &d);
    p = kelp_topic_partition(kelp_storage_find_topic(s, "crash", 5), 0);
    ck_assert_int_eq(kelp_partition_log_end_offset(p), 36);
    ck_assert_int_eq(kelp_partition_high_watermark(p), 36);
    ck_assert_int_lt(file_size(log), size);
    kelp_buf out;
    kelp_buf_init(&out);
    ck_assert_int_gt(kelp_partition_read(p, 0, 1 << 20, &out), 0);
    ck_assert_int_eq(check_batches(&out, 0), 36);
    ck_assert_int_eq(append_simple(p, 4, 2000), 36);
    ck_assert_int_eq(kelp_storage_close(s), 0);

    /* A lost index is rebuilt (in memory, written at the next close);
     * reads still land on the right batches. */
    ck_assert_int_eq(unlink(index), 0);
    s = open_storage(0, 100, &d);
    p = kelp_topic_partition(kelp_storage_find_topic(s, "crash", 5), 0);
    ck_assert_int_eq(kelp_partition_high_watermark(p), 40);
    for (int64_t o = 0; o < 40; o++) {
        kelp_buf_clear(&out);
        ck_assert_int_gt(kelp_partition_read(p, o, 1, &out), 0);
        kelp_batch_header h;
        ck_assert_int_eq(kelp_batch_header_parse(out.data, out.len, &h), 0);
        ck_assert_int_eq(h.base_offset, o - o % 4);
    }
    kelp_buf_free(&out);
    ck_assert_int_eq(kelp_storage_close(s), 0);
    ck_assert_int_gt(file_size(index), 0);
    remove_root();
}
END_TEST

START_TEST(sealed_segment_with_broken_index_is_rebuilt)
{
    make_root();
    durable_log d = {0};
    kelp_storage *s = open_storage(1000, 100, &d);
    kelp_topic *t;
    ck_assert_int_eq(kelp_storage_create_topic(s, "seal", 4, 1, NULL, &t), 0);
    kelp_partition *p = kelp_topic_partition(t, 0);
    for (int i = 0; i < 40; i++)
        append_simple(p, 2, 10 * i);
    ck_assert_int_eq(kelp_storage_close(s), 0);
    char index[400];
    snprintf(index, sizeof(index), "%s/topics/kafka/seal/0/00000000000000000000.index", root);
    /* An entry pointing past the end of the log. */
    int fd = open(index, O_WRONLY | O_APPEND);
    uint8_t bogus[8] = {0, 0, 0, 50, 0, 1, 0, 0};
    ck_assert_int_eq(write(fd, bogus, 8), 8);
    close(fd);
    s = open_storage(1000, 100, &d);
    p = kelp_topic_partition(kelp_storage_find_topic(s, "seal", 4), 0);
    ck_assert_int_eq(kelp_partition_high_watermark(p), 80);
    kelp_buf out;
    kelp_buf_init(&out);
    for (int64_t o = 0; o < 80; o += 3) {
        kelp_buf_clear(&out);
        ck_assert_int_gt(kelp_partition_read(p, o, 1, &out), 0);
        ck_assert_int_eq((int64_t)kelp_be64(out.data), o - o % 2);
    }
    int64_t off, ts;
    ck_assert_int_eq(kelp_partition_offset_for_timestamp(p, 55, &off, &ts), 1);
    ck_assert_int_eq(off, 12); /* batch 6 holds 60, 61 */
    ck_assert_int_eq(ts, 60);
    kelp_buf_free(&out);
    ck_assert_int_eq(kelp_storage_close(s), 0);
    remove_root();
}
END_TEST

/* A write of a dead process that reached the filer after a new process
 * had rolled past it: bytes past a sealed segment's successor's base are
 * never served and never counted. */
START_TEST(a_late_write_past_a_sealed_segment_is_never_served)
{
    make_root();
    durable_log d = {0};
    kelp_storage *s = open_storage(1000, 100, &d);
    kelp_topic *t;
    ck_assert_int_eq(kelp_storage_create_topic(s, "late", 4, 1, NULL, &t), 0);
    kelp_partition *p = kelp_topic_partition(t, 0);
    for (int i = 0; i < 40; i++)
        append_simple(p, 2, 10 * i);
    ck_assert_int_eq(kelp_storage_sync_all(s), 0);
    ck_assert_int_eq(kelp_storage_close(s), 0);

    /* The first segment as written: its batches end where the second begins. */
    char log[400];
    snprintf(log, sizeof(log), "%s/topics/kafka/late/0/00000000000000000000.log", root);
    int64_t size = file_size(log);
    kelp_buf before, out;
    kelp_buf_init(&before);
    kelp_buf_init(&out);
    FILE *f = fopen(log, "rb");
    ck_assert_ptr_nonnull(f);
    uint8_t *dst = kelp_buf_extend(&before, (size_t)size);
    ck_assert_int_eq(fread(dst, 1, (size_t)size, f), (size_t)size);
    fclose(f);
    int64_t next_base = check_batches(&before, 0); /* the second segment's base */
    ck_assert_int_lt(next_base, 80);
    test_record rec = {.key = "late", .value = "from a dead process", .timestamp = 5};
    test_batch_options opt = {.producer_id = 77, .base_offset = next_base};
    kelp_buf late;
    kelp_buf_init(&late);
    ck_assert_int_eq(test_batch_build(&late, &opt, &rec, 1), 0);
    int fd = open(log, O_WRONLY | O_APPEND);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, late.data, late.len), (ssize_t)late.len);
    close(fd);

    for (int round = 0; round < 2; round++) { /* and again once the indexes were rewritten */
        s = open_storage(1000, 100, &d);
        p = kelp_topic_partition(kelp_storage_find_topic(s, "late", 4), 0);
        ck_assert_int_eq(kelp_partition_high_watermark(p), 80);
        kelp_buf_clear(&out);
        ck_assert_int_eq(kelp_partition_read(p, 0, before.len, &out), (int64_t)before.len);
        ck_assert_mem_eq(out.data, before.data, before.len);
        kelp_buf_clear(&out);
        ck_assert_int_gt(kelp_partition_read(p, next_base - 1, 1 << 20, &out), 0);
        /* On into the next segment, with no batch twice: offsets stay dense. */
        ck_assert_int_eq(check_batches(&out, next_base - 2), 80);
        kelp_buf_clear(&out);
        ck_assert_int_gt(kelp_partition_read(p, next_base, 1, &out), 0);
        kelp_batch_header h;
        ck_assert_int_eq(kelp_batch_header_parse(out.data, out.len, &h), 0);
        ck_assert_int_eq(h.base_offset, next_base);
        ck_assert_int_eq(h.producer_id, -1); /* the real batch, not the late one */
        ck_assert_int_eq(kelp_storage_close(s), 0);
    }
    ck_assert_int_eq(file_size(log), size + (int64_t)late.len);
    kelp_buf_free(&late);
    kelp_buf_free(&before);
    kelp_buf_free(&out);
    remove_root();
}
END_TEST

START_TEST(timestamp_lookups_over_plain_and_compressed_batches)
{
    make_root();
    durable_log d = {0};
    kelp_storage *s = open_storage(1500, 200, &d);
    kelp_topic *t;
    ck_assert_int_eq(kelp_storage_create_topic(s, "ts", 2, 1, NULL, &t), 0);
    kelp_partition *p = kelp_topic_partition(t, 0);
    int64_t off, ts;
    ck_assert_int_eq(kelp_partition_max_timestamp(p, &off, &ts), 0);
    ck_assert_int_eq(kelp_partition_offset_for_timestamp(p, 0, &off, &ts), 0);
    int codecs[] = {KELP_COMPRESSION_NONE, KELP_COMPRESSION_ZSTD, KELP_COMPRESSION_GZIP, KELP_COMPRESSION_LZ4,
                    KELP_COMPRESSION_SNAPPY};
    /* 30 batches of 3 records; batch i has timestamps 1000*i + {0, 500, 250}. */
    for (int i = 0; i < 30; i++) {
        test_record recs[3] = {{.value = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", .timestamp = 1000 * i},
                               {.value = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", .timestamp = 1000 * i + 500},
                               {.value = "cccccccccccccccccccccccccccccccccccc", .timestamp = 1000 * i + 250}};
        test_batch_options opt = {.codec = codecs[i % 5], .producer_id = -1};
        kelp_buf b;
        kelp_buf_init(&b);
        ck_assert_int_eq(test_batch_build(&b, &opt, recs, 3), 0);
        int64_t base, last;
        ck_assert_int_eq(kelp_partition_append(p, b.data, b.len, &base, &last), 0);
        ck_assert_int_eq(base, 3 * i);
        kelp_buf_free(&b);
    }
    /* Before the commit nothing is visible. */
    ck_assert_int_eq(kelp_partition_offset_for_timestamp(p, 0, &off, &ts), 0);
    wait_durable(s);
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < 30; i++) {
            ck_assert_int_eq(kelp_partition_offset_for_timestamp(p, 1000 * i, &off, &ts), 1);
            ck_assert_int_eq(off, 3 * i);
            ck_assert_int_eq(ts, 1000 * i);
            ck_assert_int_eq(kelp_partition_offset_for_timestamp(p, 1000 * i + 1, &off, &ts), 1);
            ck_assert_int_eq(off, 3 * i + 1);
            ck_assert_int_eq(ts, 1000 * i + 500);
            if (i < 29) {
                ck_assert_int_eq(kelp_partition_offset_for_timestamp(p, 1000 * i + 501, &off, &ts), 1);
                ck_assert_int_eq(off, 3 * i + 3);
                ck_assert_int_eq(ts, 1000 * (i + 1));
            }
        }
        ck_assert_int_eq(kelp_partition_offset_for_timestamp(p, 29501, &off, &ts), 0);
        ck_assert_int_eq(kelp_partition_max_timestamp(p, &off, &ts), 1);
        ck_assert_int_eq(off, 88);
        ck_assert_int_eq(ts, 29500);
        /* Same answers after a reopen (indexes loaded or rebuilt). */
        ck_assert_int_eq(kelp_storage_close(s), 0);
        s = open_storage(1500, 200, &d);
        p = kelp_topic_partition(kelp_storage_find_topic(s, "ts", 2), 0);
    }
    ck_assert_int_eq(kelp_storage_close(s), 0);
    remove_root();
}
END_TEST

START_TEST(large_first_batch_is_returned_whole)
{
    make_root();
    durable_log d = {0};
    kelp_storage *s = open_storage(0, 0, &d);
    kelp_topic *t;
    ck_assert_int_eq(kelp_storage_create_topic(s, "big", 3, 1, NULL, &t), 0);
    kelp_partition *p = kelp_topic_partition(t, 0);
    append_simple(p, 200, 1);
    append_simple(p, 200, 1);
    kelp_storage_sync_all(s);
    ck_assert_int_eq(kelp_partition_high_watermark(p), 400);
    ck_assert_int_eq(d.calls, 1);
    kelp_buf out;
    kelp_buf_init(&out);
    int64_t n = kelp_partition_read(p, 10, 100, &out);
    kelp_batch_header h;
    ck_assert_int_eq(kelp_batch_header_parse(out.data, out.len, &h), 0);
    ck_assert_int_eq(n, h.batch_length + KELP_BATCH_LOG_OVERHEAD);
    ck_assert_int_gt(n, 100);
    ck_assert_int_eq(h.base_offset, 0);
    /* A limit between one and two batches gives the first only: a read
     * ends where a batch does, never with a part of one. */
    kelp_buf_clear(&out);
    n = kelp_partition_read(p, 0, (size_t)(h.batch_length + KELP_BATCH_LOG_OVERHEAD + 100), &out);
    ck_assert_int_eq(n, h.batch_length + KELP_BATCH_LOG_OVERHEAD);
    kelp_buf_free(&out);
    ck_assert_int_eq(kelp_storage_close(s), 0);
    remove_root();
}
END_TEST

/* A slice names byte ranges of segment files: whole batches found through
 * the offset index, cut by the byte budget at a batch's end, bounded by the
 * limit, and going on into the next segment while room is left. */
START_TEST(slice_locates_whole_batches_across_segments)
{
    make_root();
    durable_log d = {0};
    /* Small segments and an index entry for about every batch. */
    kelp_storage *s = open_storage(4000, 64, &d);
    kelp_topic *t;
    ck_assert_int_eq(kelp_storage_create_topic(s, "sliced", 1, 1, NULL, &t), 0);
    kelp_partition *p = kelp_topic_partition(t, 0);
    enum { BATCHES = 60 };
    size_t batch_len = 0;
    for (int i = 0; i < BATCHES; i++) {
        ck_assert_int_eq(append_sized(p, 300, 1000 + i), i);
        if (i == 0)
            batch_len = (size_t)kelp_partition_size_bytes(p);
    }
    kelp_storage_sync_all(s);
    ck_assert_int_eq(kelp_partition_high_watermark(p), BATCHES);
    kelp_buf all;
    kelp_buf_init(&all);
    kelp_log_slice sl;
    /* From offset 7: batches 7.. until 5.5 batches' worth: 5 whole ones. */
    ck_assert_int_eq(kelp_partition_slice(p, 7, BATCHES, batch_len * 11 / 2, true, &sl), 0);
    ck_assert_uint_eq(sl.bytes, 5 * batch_len);
    ck_assert_int_eq(sl.next_offset, 12);
    ck_assert_int_eq(kelp_partition_slice_read(p, &sl, &all), 0);
    kelp_batch_header h;
    for (size_t at = 0, k = 7; at < all.len; at += batch_len, k++) {
        ck_assert_int_eq(kelp_batch_header_parse(all.data + at, all.len - at, &h), 0);
        ck_assert_int_eq(h.base_offset, (int64_t)k);
    }
    /* The limit ends the slice before the batch it names. */
    ck_assert_int_eq(kelp_partition_slice(p, 7, 9, 1 << 20, true, &sl), 0);
    ck_assert_uint_eq(sl.bytes, 2 * batch_len);
    ck_assert_int_eq(sl.next_offset, 9);
    /* Everything, in more than one range (segments of about 11 batches). */
    ck_assert_int_eq(kelp_partition_slice(p, 0, BATCHES, 1 << 20, true, &sl), 0);
    ck_assert_int_gt(sl.count, 1);
    ck_assert_uint_eq(sl.bytes, BATCHES * batch_len);
    ck_assert_int_eq(sl.next_offset, BATCHES);
    kelp_buf_clear(&all);
    ck_assert_int_eq(kelp_partition_slice_read(p, &sl, &all), 0);
    for (size_t at = 0, k = 0; at < all.len; at += batch_len, k++) {
        ck_assert_int_eq(kelp_batch_header_parse(all.data + at, all.len - at, &h), 0);
        ck_assert_int_eq(h.base_offset, (int64_t)k);
        ck_assert_int_eq(kelp_batch_check_crc(all.data + at, batch_len), KELP_BATCH_OK);
    }
    /* Not whole_first: a budget below one batch gives nothing. */
    ck_assert_int_eq(kelp_partition_slice(p, 3, BATCHES, batch_len - 1, false, &sl), 0);
    ck_assert_uint_eq(sl.bytes, 0);
    ck_assert_int_eq(kelp_partition_slice(p, 3, BATCHES, batch_len - 1, true, &sl), 0);
    ck_assert_uint_eq(sl.bytes, batch_len);
    /* The local backend gives each range a descriptor of its own. */
    int fd = kelp_partition_slice_fd(p, &sl.range[0]);
    ck_assert_int_ge(fd, 0);
    close(fd);
    ck_assert_int_eq(kelp_partition_slice(p, BATCHES + 1, BATCHES, 100, true, &sl), KELP_STORAGE_ERR_OFFSET_OUT_OF_RANGE);
    kelp_buf_free(&all);
    ck_assert_int_eq(kelp_storage_close(s), 0);
    remove_root();
}
END_TEST

/* A topic's own configs live in its topic.json and come back on open; its
 * segment.bytes replaces the store's when it rolls segments. */
START_TEST(topic_configs_persist_and_segment_bytes_applies)
{
    make_root();
    durable_log d = {0};
    kelp_storage *s = open_storage(1 << 30, 4096, &d);
    kelp_topic_config c = {0};
    char why[128];
    ck_assert(kelp_topic_config_set(&c, KELP_TC_SEGMENT_BYTES, "1048576", 7, why, sizeof(why)));
    ck_assert(kelp_topic_config_set(&c, KELP_TC_CLEANUP_POLICY, "compact,delete", 14, why, sizeof(why)));
    kelp_topic *t;
    ck_assert_int_eq(kelp_storage_create_topic(s, "conf", 4, 1, &c, &t), 0);
    kelp_partition *p = kelp_topic_partition(t, 0);
    /* 1100 batches of about 1 KiB: more than one 1 MiB segment. */
    int64_t next = 0;
    for (int i = 0; i < 1100; i++) {
        ck_assert_int_eq(append_sized(p, 1000, 1000 + i), next);
        next++;
    }
    wait_durable(s);
    char path[400];
    snprintf(path, sizeof(path), "%s/topics/kafka/conf/0/00000000000000000000.log", root);
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_le(st.st_size, 1048576);
    ck_assert_int_eq(kelp_storage_close(s), 0);

    s = open_storage(1 << 30, 4096, &d);
    t = kelp_storage_find_topic(s, "conf", 4);
    ck_assert_ptr_nonnull(t);
    const kelp_topic_config *back = kelp_topic_configs(t);
    ck_assert_uint_eq(back->set, (1u << KELP_TC_SEGMENT_BYTES) | (1u << KELP_TC_CLEANUP_POLICY));
    ck_assert_int_eq(back->value[KELP_TC_SEGMENT_BYTES], 1048576);
    ck_assert_int_eq(back->value[KELP_TC_CLEANUP_POLICY], KELP_CLEANUP_COMPACT | KELP_CLEANUP_DELETE);
    ck_assert_int_eq(kelp_partition_high_watermark(kelp_topic_partition(t, 0)), next);

    /* Partitions are added, never removed, and the new count is durable. */
    ck_assert_int_eq(kelp_storage_add_partitions(s, t, 1), KELP_STORAGE_ERR_INVALID);
    ck_assert_int_eq(kelp_storage_add_partitions(s, t, 3), KELP_STORAGE_OK);
    ck_assert_int_eq(kelp_topic_partition_count(t), 3);
    ck_assert_int_eq(append_simple(kelp_topic_partition(t, 2), 2, 5000), 0);
    wait_durable(s);
    ck_assert_int_eq(kelp_storage_close(s), 0);
    s = open_storage(1 << 30, 4096, &d);
    t = kelp_storage_find_topic(s, "conf", 4);
    ck_assert_int_eq(kelp_topic_partition_count(t), 3);
    ck_assert_int_eq(kelp_partition_high_watermark(kelp_topic_partition(t, 2)), 2);
    ck_assert_uint_eq(kelp_topic_configs(t)->set, (1u << KELP_TC_SEGMENT_BYTES) | (1u << KELP_TC_CLEANUP_POLICY));
    ck_assert_int_eq(kelp_storage_close(s), 0);
    remove_root();
}
END_TEST


static int count_segments(const char *topic, int partition)
{
    char dir[400];
    snprintf(dir, sizeof(dir), "%s/topics/kafka/%s/%d", root, topic, partition);
    DIR *d = opendir(dir);
    ck_assert_ptr_nonnull(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strlen(e->d_name) == 24 && strcmp(e->d_name + 20, ".log") == 0)
            n++;
    closedir(d);
    return n;
}

static kelp_topic *create_with(kelp_storage *s, const char *name, const char *const *kv)
{
    kelp_topic_config c = {0};
    char why[128];
    for (; kv && kv[0]; kv += 2) {
        int key = kelp_topic_config_lookup(kv[0], strlen(kv[0]));
        ck_assert_int_ge(key, 0);
        ck_assert_msg(kelp_topic_config_set(&c, (kelp_topic_config_key)key, kv[1], strlen(kv[1]), why, sizeof(why)),
                      "%s", why);
    }
    kelp_topic *t;
    ck_assert_int_eq(kelp_storage_create_topic(s, name, strlen(name), 1, &c, &t), 0);
    return t;
}

START_TEST(retention_by_time_removes_whole_segments_and_rolls_the_active_one)
{
    make_root();
    durable_log d = {0};
    kelp_storage *s = open_storage(1 << 30, 4096, &d);
    const char *const kv[] = {"segment.bytes", "1048576", "retention.ms", "60000", NULL};
    kelp_partition *p = kelp_topic_partition(create_with(s, "ret", kv), 0);
    for (int i = 0; i < 1100; i++)
        append_sized(p, 1000, 1000 + i);
    wait_durable(s);
    ck_assert_int_eq(count_segments("ret", 0), 2);
    bool more;
    /* Nothing is old enough yet: every segment holds a record newer than 1000. */
    ck_assert_uint_eq(kelp_storage_enforce_retention(s, 1000 + 60000, &more), 0);
    ck_assert(!more);
    /* Later, both expired: the sealed one goes; the active one is rolled first. */
    ck_assert_uint_eq(kelp_storage_enforce_retention(s, 1000000, &more), 1);
    ck_assert(more);
    ck_assert_int_gt(kelp_partition_log_start_offset(p), 0);
    kelp_buf out;
    kelp_buf_init(&out);
    ck_assert_int_eq(kelp_partition_read(p, 0, 1 << 20, &out), KELP_STORAGE_ERR_OFFSET_OUT_OF_RANGE);
    /* No new data: the sync round reports nothing, but syncs the sealed segment. */
    kelp_storage_sync_all(s);
    ck_assert_uint_eq(kelp_storage_enforce_retention(s, 1000000, &more), 1);
    ck_assert_int_eq(count_segments("ret", 0), 1);
    ck_assert_int_eq(kelp_partition_log_start_offset(p), 1100);
    ck_assert_int_eq(kelp_partition_high_watermark(p), 1100);
    /* The log goes on from where it was. */
    ck_assert_int_eq(append_simple(p, 2, 999999), 1100);
    wait_durable(s);
    ck_assert_int_eq(kelp_storage_close(s), 0);
    s = open_storage(1 << 30, 4096, &d);
    p = kelp_topic_partition(kelp_storage_find_topic(s, "ret", 3), 0);
    ck_assert_int_eq(kelp_partition_log_start_offset(p), 1100);
    ck_assert_int_eq(kelp_partition_high_watermark(p), 1102);
    ck_assert_int_eq(kelp_partition_read(p, 1100, 1 << 20, &out), (int64_t)out.len);
    ck_assert_int_eq(check_batches(&out, 1100), 1102);
    kelp_buf_free(&out);
    ck_assert_int_eq(kelp_storage_close(s), 0);
    remove_root();
}
END_TEST

START_TEST(retention_by_size_keeps_the_newest_segments)
{
    make_root();
    durable_log d = {0};
    kelp_storage *s = open_storage(1 << 30, 4096, &d);
    const char *const kv[] = {"segment.bytes", "1048576", "retention.bytes", "1500000", "retention.ms", "-1", NULL};
    kelp_partition *p = kelp_topic_partition(create_with(s, "size", kv), 0);
    for (int i = 0; i < 2700; i++)
        append_sized(p, 1000, 1000 + i);
    wait_durable(s);
    ck_assert_int_eq(count_segments("size", 0), 3);
    int64_t before = kelp_partition_size_bytes(p);
    bool more;
    ck_assert_uint_eq(kelp_storage_enforce_retention(s, INT64_MAX / 2, &more), 1);
    ck_assert_int_eq(count_segments("size", 0), 2);
    ck_assert_int_lt(kelp_partition_size_bytes(p), before);
    ck_assert_int_ge(kelp_partition_size_bytes(p), 1500000 - 1048576);
    /* What is left is within a segment of the limit, so a second pass keeps it. */
    ck_assert_uint_eq(kelp_storage_enforce_retention(s, INT64_MAX / 2, &more), 0);
    ck_assert_int_eq(kelp_partition_high_watermark(p), 2700);
    ck_assert_int_eq(kelp_storage_close(s), 0);
    remove_root();
}
END_TEST

START_TEST(delete_records_moves_the_log_start_durably)
{
    make_root();
    durable_log d = {0};
    kelp_storage *s = open_storage(1 << 30, 4096, &d);
    kelp_partition *p = kelp_topic_partition(create_with(s, "dr", NULL), 0);
    for (int i = 0; i < 10; i++)
        append_simple(p, 1, 5000 + i);
    int64_t low;
    /* Nothing is durable yet: the high watermark is 0. */
    ck_assert_int_eq(kelp_partition_delete_records(p, 5, &low), KELP_STORAGE_ERR_OFFSET_OUT_OF_RANGE);
    wait_durable(s);
    ck_assert_int_eq(kelp_partition_delete_records(p, 5, &low), 0);
    ck_assert_int_eq(low, 5);
    ck_assert_int_eq(kelp_partition_delete_records(p, 3, &low), 0); /* never moves back */
    ck_assert_int_eq(low, 5);
    ck_assert_int_eq(kelp_partition_delete_records(p, 11, &low), KELP_STORAGE_ERR_OFFSET_OUT_OF_RANGE);
    kelp_buf out;
    kelp_buf_init(&out);
    ck_assert_int_eq(kelp_partition_read(p, 4, 1 << 20, &out), KELP_STORAGE_ERR_OFFSET_OUT_OF_RANGE);
    ck_assert_int_gt(kelp_partition_read(p, 5, 1 << 20, &out), 0);
    kelp_buf_free(&out);
    int64_t off, ts;
    ck_assert_int_eq(kelp_partition_offset_for_timestamp(p, 0, &off, &ts), 1);
    ck_assert_int_eq(off, 5);
    /* The checkpoint keeps it across a restart. */
    char path[1024], text[32];
    size_t len;
    ck_assert_int_eq(kelp_partition_log_start_checkpoint(p, path, sizeof(path), text, sizeof(text), &len), 0);
    struct kelp_fs *fs = kelp_storage_fs(s);
    ck_assert_int_eq(fs->ops->write_file_atomic(fs, path, text, len), 0);
    ck_assert_int_eq(kelp_partition_delete_records(p, -1, &low), 0);
    ck_assert_int_eq(low, 10);
    ck_assert_int_eq(kelp_storage_close(s), 0);
    s = open_storage(1 << 30, 4096, &d);
    p = kelp_topic_partition(kelp_storage_find_topic(s, "dr", 2), 0);
    ck_assert_int_eq(kelp_partition_log_start_offset(p), 5);
    ck_assert_int_eq(kelp_partition_high_watermark(p), 10);
    ck_assert_int_eq(kelp_storage_close(s), 0);
    remove_root();
}
END_TEST

START_TEST(segment_ms_rolls_by_record_time)
{
    make_root();
    durable_log d = {0};
    kelp_storage *s = open_storage(1 << 30, 4096, &d);
    const char *const kv[] = {"segment.ms", "100", NULL};
    kelp_partition *p = kelp_topic_partition(create_with(s, "roll", kv), 0);
    append_simple(p, 1, 1000);
    append_simple(p, 1, 1100); /* exactly segment.ms later: same segment */
    ck_assert_int_eq(count_segments("roll", 0), 1);
    append_simple(p, 1, 1101);
    ck_assert_int_eq(count_segments("roll", 0), 2);
    append_simple(p, 1, 50); /* older records do not roll */
    ck_assert_int_eq(count_segments("roll", 0), 2);
    wait_durable(s);
    ck_assert_int_eq(kelp_storage_close(s), 0);
    remove_root();
}
END_TEST

/* Appends one batch of n keyed records (key NULL: a tombstone's value) with codec. */
static int64_t append_keyed(kelp_partition *p, int codec, const test_record *recs, int n)
{
    test_batch_options opt = {.codec = codec, .producer_id = -1};
    kelp_buf b;
    kelp_buf_init(&b);
    ck_assert_int_eq(test_batch_build(&b, &opt, recs, n), 0);
    int64_t base, last;
    ck_assert_int_eq(kelp_partition_append(p, b.data, b.len, &base, &last), KELP_STORAGE_OK);
    kelp_buf_free(&b);
    return base;
}

typedef struct seen_record {
    int64_t offset;
    char key[16];
    char value[1100];
    bool tombstone;
} seen_record;

/* Reads the whole partition back, checking every batch; returns the records. */
static size_t read_all(kelp_partition *p, seen_record *out, size_t cap)
{
    size_t n = 0;
    int64_t at = kelp_partition_log_start_offset(p);
    kelp_buf buf, scratch;
    kelp_buf_init(&buf);
    kelp_buf_init(&scratch);
    while (at < kelp_partition_high_watermark(p)) {
        kelp_buf_clear(&buf);
        int64_t got = kelp_partition_read(p, at, 1 << 20, &buf);
        ck_assert_int_gt(got, 0);
        size_t pos = 0;
        while (pos + KELP_BATCH_LOG_OVERHEAD <= buf.len) {
            kelp_batch_header h;
            ck_assert_int_eq(kelp_batch_header_parse(buf.data + pos, buf.len - pos, &h), 0);
            size_t total = (size_t)h.batch_length + KELP_BATCH_LOG_OVERHEAD;
            if (pos + total > buf.len)
                break;
            ck_assert_int_eq(kelp_batch_check_crc(buf.data + pos, total), KELP_BATCH_OK);
            kelp_record_iter it;
            ck_assert_int_eq(kelp_record_iter_init(&it, buf.data + pos, total, &scratch), KELP_BATCH_OK);
            kelp_record r;
            int64_t max_ts = -1;
            while (kelp_record_iter_next(&it, &r) == 1) {
                ck_assert_uint_lt(n, cap);
                seen_record *sr = &out[n++];
                sr->offset = h.base_offset + r.offset_delta;
                ck_assert_int_ge(sr->offset, at); /* offsets only ever grow */
                snprintf(sr->key, sizeof(sr->key), "%.*s", (int)r.key_len, (const char *)r.key);
                sr->tombstone = r.value_len < 0;
                snprintf(sr->value, sizeof(sr->value), "%.*s", r.value_len < 0 ? 0 : (int)r.value_len,
                         r.value_len < 0 ? "" : (const char *)r.value);
                int64_t ts = kelp_record_timestamp(&h, &r);
                if (ts > max_ts)
                    max_ts = ts;
            }
            ck_assert_int_eq(h.max_timestamp, max_ts);
            at = h.base_offset + h.last_offset_delta + 1;
            pos += total;
        }
    }
    kelp_buf_free(&buf);
    kelp_buf_free(&scratch);
    return n;
}

static void wait_cleaned(kelp_storage *s, kelp_partition *p)
{
    while (p->cleaning) {
        struct pollfd pfd = {.fd = kelp_storage_completion_fd(s), .events = POLLIN};
        ck_assert_int_eq(poll(&pfd, 1, -1), 1);
        kelp_storage_process_completions(s);
    }
}

START_TEST(compaction_keeps_the_latest_record_per_key_at_its_offset)
{
    make_root();
    durable_log d = {0};
    kelp_storage *s = open_storage(1 << 30, 4096, &d);
    const char *const kv[] = {"segment.bytes", "1048576", "cleanup.policy", "compact", "delete.retention.ms", "1000",
                              NULL};
    kelp_partition *p = kelp_topic_partition(create_with(s, "cmp", kv), 0);
    static char value[1001];
    memset(value, 'x', 1000);
    /* 2000 single records over ten keys, with compressed batches of five
     * mixed keys every 100 records; key "gone" at 300 and its tombstone at 1500. */
    int64_t tomb_ts = 0;
    for (int i = 0; i < 2000; i++) {
        char key[16], val[1100];
        snprintf(key, sizeof(key), "k%d", i % 10);
        snprintf(val, sizeof(val), "%d:%s", i, value);
        test_record rec = {.key = key, .value = val, .timestamp = 100000 + i};
        if (i == 300)
            rec.key = "gone";
        if (i == 1500) {
            rec.key = "gone";
            rec.value = NULL;
            tomb_ts = rec.timestamp;
        }
        append_keyed(p, KELP_COMPRESSION_NONE, &rec, 1);
        if (i % 100 == 50) {
            test_record five[5];
            char keys[5][16], vals[5][32];
            for (int j = 0; j < 5; j++) {
                snprintf(keys[j], sizeof(keys[j]), "z%d", (i / 100 + j) % 7);
                snprintf(vals[j], sizeof(vals[j]), "z%d-%d", i, j);
                five[j] = (test_record){.key = keys[j], .value = vals[j], .timestamp = 100000 + i};
            }
            append_keyed(p, i % 200 == 50 ? KELP_COMPRESSION_GZIP : KELP_COMPRESSION_ZSTD, five, 5);
        }
    }
    wait_durable(s);
    int64_t hw = kelp_partition_high_watermark(p);
    ck_assert_int_ge(count_segments("cmp", 0), 2);
    static seen_record before[4000], after[4000];
    size_t nb = read_all(p, before, 4000);
    ck_assert_int_eq((int64_t)nb, hw);

    /* The tombstone is young: it stays, the older "gone" record goes. */
    ck_assert_uint_eq(kelp_storage_compact(s, tomb_ts + 500), 1);
    wait_cleaned(s, p);
    ck_assert_int_eq(kelp_partition_high_watermark(p), hw);
    size_t na = read_all(p, after, 4000);
    ck_assert_uint_lt(na, nb);
    /* Whatever is left is what was there, at the same offset; in the
     * cleaned part each key appears once, with its last value. */
    int64_t active_base = -1;
    for (size_t i = 0, j = 0; i < na; i++) {
        while (j < nb && before[j].offset < after[i].offset)
            j++;
        ck_assert_uint_lt(j, nb);
        ck_assert_int_eq(before[j].offset, after[i].offset);
        ck_assert_str_eq(before[j].key, after[i].key);
        ck_assert_str_eq(before[j].value, after[i].value);
        /* Only the sealed segments were cleaned, with the keys they hold:
         * no later record of the key may sit there too. */
        active_base = p->segments[p->segment_count - 1]->base_offset;
        for (size_t k = j + 1; k < nb && before[k].offset < active_base; k++)
            ck_assert_msg(after[i].offset >= active_base || strcmp(before[k].key, after[i].key) != 0,
                          "offset %lld (%s) kept though %lld has the same key", (long long)after[i].offset,
                          after[i].key, (long long)before[k].offset);
    }
    bool tombstone_seen = false, gone_value_seen = false;
    for (size_t i = 0; i < na; i++) {
        tombstone_seen |= after[i].tombstone;
        gone_value_seen |= strcmp(after[i].key, "gone") == 0 && !after[i].tombstone;
    }
    ck_assert(tombstone_seen);
    ck_assert(!gone_value_seen);

    /* Nothing new: no second job. Once the tombstone expires, it goes. */
    ck_assert_uint_eq(kelp_storage_compact(s, tomb_ts + 600), 0);
    ck_assert_uint_eq(kelp_storage_compact(s, tomb_ts + 5000), 1);
    wait_cleaned(s, p);
    na = read_all(p, after, 4000);
    for (size_t i = 0; i < na; i++)
        ck_assert(!after[i].tombstone && strcmp(after[i].key, "gone") != 0);
    ck_assert_int_eq(kelp_storage_close(s), 0);

    /* After a restart the cleaned log reads the same. */
    s = open_storage(1 << 30, 4096, &d);
    p = kelp_topic_partition(kelp_storage_find_topic(s, "cmp", 3), 0);
    ck_assert_int_eq(kelp_partition_high_watermark(p), hw);
    static seen_record again[4000];
    size_t n2 = read_all(p, again, 4000);
    ck_assert_uint_eq(n2, na);
    for (size_t i = 0; i < na; i++) {
        ck_assert_int_eq(again[i].offset, after[i].offset);
        ck_assert_str_eq(again[i].value, after[i].value);
    }
    /* Appends go on at the same offsets as before. */
    test_record more = {.key = "k1", .value = "new", .timestamp = 200000};
    ck_assert_int_eq(append_keyed(p, KELP_COMPRESSION_NONE, &more, 1), hw);
    wait_durable(s);
    ck_assert_int_eq(kelp_storage_close(s), 0);
    remove_root();
}
END_TEST

START_TEST(an_interrupted_compaction_swap_is_finished_or_discarded_at_start)
{
    make_root();
    durable_log d = {0};
    kelp_storage *s = open_storage(1 << 30, 4096, &d);
    kelp_topic *t = create_with(s, "swap", NULL);
    kelp_partition *p = kelp_topic_partition(t, 0);
    append_simple(p, 3, 1000);
    wait_durable(s);
    char id_hex[33];
    for (int i = 0; i < 16; i++)
        snprintf(id_hex + 2 * i, 3, "%02x", kelp_topic_id(t)[i]);
    ck_assert_int_eq(kelp_storage_close(s), 0);
    char dir[512], path[600], text[600];
    snprintf(dir, sizeof(dir), "%s/topics/kafka/swap/0", root);
    /* A leftover without a marker goes. */
    snprintf(path, sizeof(path), "%s/00000000000000000000.log.cleaned", dir);
    FILE *f = fopen(path, "w");
    fputs("garbage", f);
    fclose(f);
    s = open_storage(1 << 30, 4096, &d);
    ck_assert_int_eq(access(path, F_OK), -1);
    p = kelp_topic_partition(kelp_storage_find_topic(s, "swap", 4), 0);
    ck_assert_int_eq(kelp_partition_high_watermark(p), 3);
    ck_assert_int_eq(kelp_storage_close(s), 0);
    /* A marker of another topic (same name, recreated) is ignored. */
    snprintf(path, sizeof(path), "%s/cleaner-swap", dir);
    f = fopen(path, "w");
    fputs("00112233445566778899aabbccddeeff\n0\n", f);
    fclose(f);
    snprintf(text, sizeof(text), "%s/00000000000000000000.log.cleaned", dir);
    f = fopen(text, "w");
    fclose(f);
    s = open_storage(1 << 30, 4096, &d);
    ck_assert_int_eq(access(path, F_OK), -1);
    ck_assert_int_eq(access(text, F_OK), -1);
    p = kelp_topic_partition(kelp_storage_find_topic(s, "swap", 4), 0);
    ck_assert_int_eq(kelp_partition_high_watermark(p), 3);
    ck_assert_int_eq(kelp_storage_close(s), 0);
    remove_root();
    (void)id_hex;
}
END_TEST

int main(void)
{
    Suite *su = suite_create("storage");
    TCase *tc = tcase_create("storage");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, topic_names_follow_kafka_rules);
    tcase_add_test(tc, topics_are_created_durably_and_reloaded);
    tcase_add_test(tc, appends_are_consecutive_and_durable_after_sync);
    tcase_add_test(tc, reads_respect_limits_and_segment_rolls);
    tcase_add_test(tc, clean_shutdown_skips_the_active_segment_check);
    tcase_add_test(tc, recovery_cuts_torn_tail_and_rebuilds_indexes);
    tcase_add_test(tc, sealed_segment_with_broken_index_is_rebuilt);
    tcase_add_test(tc, a_late_write_past_a_sealed_segment_is_never_served);
    tcase_add_test(tc, timestamp_lookups_over_plain_and_compressed_batches);
    tcase_add_test(tc, large_first_batch_is_returned_whole);
    tcase_add_test(tc, slice_locates_whole_batches_across_segments);
    tcase_add_test(tc, topic_configs_persist_and_segment_bytes_applies);
    tcase_add_test(tc, retention_by_time_removes_whole_segments_and_rolls_the_active_one);
    tcase_add_test(tc, retention_by_size_keeps_the_newest_segments);
    tcase_add_test(tc, delete_records_moves_the_log_start_durably);
    tcase_add_test(tc, segment_ms_rolls_by_record_time);
    tcase_add_test(tc, compaction_keeps_the_latest_record_per_key_at_its_offset);
    tcase_add_test(tc, an_interrupted_compaction_swap_is_finished_or_discarded_at_start);
    suite_add_tcase(su, tc);
    SRunner *sr = srunner_create(su);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
