/* Transactions: the state file's JSON, producer id blocks, and the
 * transaction coordinator driven directly over a real event loop, storage
 * (markers land in real partitions), file writer and offset store:
 * InitProducerId, AddPartitions/AddOffsets/TxnOffsetCommit, EndTxn with
 * markers and committed offsets, fencing, timeouts and a restart that
 * finishes a decided transaction. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* mkdtemp */
#endif
#include <check.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "net/event_loop.h"
#include "offsets/offset_store.h"
#include "protocol/kafka_errors.h"
#include "records/byte_order.h"
#include "records/control_batch.h"
#include "records/record_batch.h"
#include "storage/file_writer.h"
#include "storage/fs.h"
#include "storage/producer_state.h"
#include "storage/storage.h"
#include "t/unit/batch_builder.h"
#include "txn/coordinator.h"
#include "txn/producer_ids.h"
#include "txn/txn_state.h"
#include "util/clock.h"

static kw_str S(const char *s)
{
    return kw_str_from_cstr(s);
}

static const kw_str NULL_STR = {NULL, -1};

/* ---- the state file ---- */

START_TEST(a_transaction_record_survives_its_json)
{
    static const char group[] = "g\0\xff/ %x"; /* any bytes, a NUL too */
    static const char md[] = "\0\x01\xfe\xff meta";
    kelp_txn *t = kelp_txn_new("tx-1", 4);
    ck_assert_ptr_nonnull(t);
    ck_assert_int_eq(t->producer_id, -1);
    ck_assert_int_eq(t->status, KELP_TXN_EMPTY);
    t->producer_id = 123456789012LL;
    t->epoch = 17;
    t->last_producer_id = 123456789011LL;
    t->last_epoch = 16;
    ck_assert(!t->tv2);
    ck_assert_int_eq(t->next_producer_id, -1);
    t->tv2 = true;
    t->next_producer_id = 123456790000LL;
    t->timeout_ms = 60000;
    t->status = KELP_TXN_ONGOING;
    t->start_ms = 1700000000123LL;
    t->update_ms = 1700000000456LL;
    ck_assert_int_eq(kelp_txn_add_partition(t, "orders", 6, 3), 0);
    ck_assert_int_eq(kelp_txn_add_partition(t, "orders", 6, 0), 0);
    ck_assert_int_eq(kelp_txn_add_partition(t, "orders", 6, 3), 0); /* no change */
    ck_assert_int_eq(kelp_txn_add_partition(t, "audit", 5, 3), 0);
    ck_assert_uint_eq(t->partition_count, 3);
    ck_assert(kelp_txn_has_partition(t, "orders", 6, 0));
    ck_assert(!kelp_txn_has_partition(t, "orders", 6, 1));
    ck_assert(!kelp_txn_has_partition(t, "order", 5, 3));
    ck_assert_int_eq(kelp_txn_add_group(t, group, sizeof(group) - 1), 0);
    ck_assert_int_eq(kelp_txn_add_group(t, "plain", 5), 0);
    ck_assert_int_eq(kelp_txn_add_group(t, "plain", 5), 0);
    ck_assert_int_eq(kelp_txn_add_group(t, "", 0), 0);
    ck_assert_uint_eq(t->group_count, 3);
    ck_assert(!kelp_txn_has_group(t, "g", 1));
    ck_assert_int_eq(kelp_txn_put_offset(t, group, sizeof(group) - 1, "orders", 6, 3, 10, 2, "old", 3), 0);
    ck_assert_int_eq(kelp_txn_put_offset(t, group, sizeof(group) - 1, "orders", 6, 3, 42, 5, md, sizeof(md) - 1), 0);
    ck_assert_int_eq(kelp_txn_put_offset(t, "plain", 5, "orders", 6, 3, 7, -1, NULL, 0), 0);
    ck_assert_uint_eq(t->offset_count, 2); /* the first one was replaced */

    char *text = kelp_txn_to_json(t);
    ck_assert_ptr_nonnull(text);
    cJSON *doc = cJSON_Parse(text);
    ck_assert_ptr_nonnull(doc); /* binary bytes never break the JSON */
    ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(doc, "state")->valuestring, "Ongoing");
    cJSON_Delete(doc);

    kelp_txn *u = kelp_txn_from_json("tx-1", 4, text, strlen(text));
    ck_assert_ptr_nonnull(u);
    ck_assert_uint_eq(u->id_len, 4);
    ck_assert_str_eq(u->id, "tx-1");
    ck_assert_int_eq(u->producer_id, 123456789012LL);
    ck_assert_int_eq(u->epoch, 17);
    ck_assert_int_eq(u->last_producer_id, 123456789011LL);
    ck_assert_int_eq(u->last_epoch, 16);
    ck_assert(u->tv2);
    ck_assert_int_eq(u->next_producer_id, 123456790000LL);
    ck_assert_int_eq(u->timeout_ms, 60000);
    ck_assert_int_eq(u->status, KELP_TXN_ONGOING);
    ck_assert_int_eq(u->start_ms, 1700000000123LL);
    ck_assert_int_eq(u->update_ms, 1700000000456LL);
    ck_assert_uint_eq(u->partition_count, 3);
    for (size_t i = 0; i < 3; i++) {
        ck_assert_str_eq(u->partitions[i].topic, t->partitions[i].topic);
        ck_assert_int_eq(u->partitions[i].partition, t->partitions[i].partition);
    }
    ck_assert_uint_eq(u->group_count, 3);
    ck_assert(kelp_txn_has_group(u, group, sizeof(group) - 1));
    ck_assert(kelp_txn_has_group(u, "plain", 5));
    ck_assert(kelp_txn_has_group(u, "", 0));
    ck_assert_uint_eq(u->offset_count, 2);
    const kelp_txn_offset *o = &u->offsets[0];
    ck_assert_uint_eq(o->group_len, sizeof(group) - 1);
    ck_assert_mem_eq(o->group, group, sizeof(group) - 1);
    ck_assert_str_eq(o->topic, "orders");
    ck_assert_int_eq(o->partition, 3);
    ck_assert_int_eq(o->offset, 42);
    ck_assert_int_eq(o->leader_epoch, 5);
    ck_assert_uint_eq(o->metadata_len, sizeof(md) - 1);
    ck_assert_mem_eq(o->metadata, md, sizeof(md) - 1);
    o = &u->offsets[1];
    ck_assert_uint_eq(o->group_len, 5);
    ck_assert_int_eq(o->offset, 7);
    ck_assert_int_eq(o->leader_epoch, -1);
    ck_assert_uint_eq(o->metadata_len, 0);
    /* Same text again: the encoding is stable. */
    char *again = kelp_txn_to_json(u);
    ck_assert_str_eq(again, text);
    free(again);
    kelp_txn_free(u);

    /* The id is whatever the directory says, any bytes. */
    u = kelp_txn_from_json("a\0b", 3, text, strlen(text));
    ck_assert_ptr_nonnull(u);
    ck_assert_uint_eq(u->id_len, 3);
    ck_assert_mem_eq(u->id, "a\0b", 3);
    kelp_txn_free(u);

    /* A file written before transactions v2 has neither field: version 1. */
    static const char old[] = "{\"producer_id\":5,\"producer_epoch\":2,\"last_producer_id\":-1,"
                              "\"last_producer_epoch\":-1,\"timeout_ms\":1000,\"state\":\"CompleteCommit\","
                              "\"start_ms\":-1,\"update_ms\":1,\"partitions\":[],\"groups\":[],\"pending_offsets\":[]}";
    u = kelp_txn_from_json("old", 3, old, strlen(old));
    ck_assert_ptr_nonnull(u);
    ck_assert(!u->tv2);
    ck_assert_int_eq(u->next_producer_id, -1);
    ck_assert_int_eq(u->epoch, 2);
    kelp_txn_free(u);

    /* Forgetting the members keeps the rest. */
    kelp_txn_clear_members(t);
    ck_assert_uint_eq(t->partition_count + t->group_count + t->offset_count, 0);
    ck_assert_int_eq(t->producer_id, 123456789012LL);
    free(text);
    kelp_txn_free(t);
}
END_TEST

START_TEST(a_malformed_state_file_is_refused)
{
    static const char *const bad[] = {
        "",
        "not json",
        "[]",
        "{\"producer_id\":1}",
        /* a wrong state name */
        "{\"producer_id\":1,\"producer_epoch\":0,\"last_producer_id\":-1,\"last_producer_epoch\":-1,"
        "\"timeout_ms\":1000,\"state\":\"Sleeping\",\"start_ms\":-1,\"update_ms\":0}",
        /* an epoch out of range */
        "{\"producer_id\":1,\"producer_epoch\":40000,\"last_producer_id\":-1,\"last_producer_epoch\":-1,"
        "\"timeout_ms\":1000,\"state\":\"Empty\",\"start_ms\":-1,\"update_ms\":0}",
        /* a fractional id */
        "{\"producer_id\":1.5,\"producer_epoch\":0,\"last_producer_id\":-1,\"last_producer_epoch\":-1,"
        "\"timeout_ms\":1000,\"state\":\"Empty\",\"start_ms\":-1,\"update_ms\":0}",
        /* a negative partition */
        "{\"producer_id\":1,\"producer_epoch\":0,\"last_producer_id\":-1,\"last_producer_epoch\":-1,"
        "\"timeout_ms\":1000,\"state\":\"Ongoing\",\"start_ms\":5,\"update_ms\":0,"
        "\"partitions\":[{\"topic\":\"t\",\"partition\":-1}]}",
        /* a group name the encoding never makes */
        "{\"producer_id\":1,\"producer_epoch\":0,\"last_producer_id\":-1,\"last_producer_epoch\":-1,"
        "\"timeout_ms\":1000,\"state\":\"Ongoing\",\"start_ms\":5,\"update_ms\":0,\"groups\":[\"a/b\"]}",
        /* metadata that is not hex */
        "{\"producer_id\":1,\"producer_epoch\":0,\"last_producer_id\":-1,\"last_producer_epoch\":-1,"
        "\"timeout_ms\":1000,\"state\":\"Ongoing\",\"start_ms\":5,\"update_ms\":0,\"pending_offsets\":"
        "[{\"group\":\"g\",\"topic\":\"t\",\"partition\":0,\"offset\":1,\"leader_epoch\":-1,\"metadata_hex\":\"zz\"}]}",
        /* odd-length hex */
        "{\"producer_id\":1,\"producer_epoch\":0,\"last_producer_id\":-1,\"last_producer_epoch\":-1,"
        "\"timeout_ms\":1000,\"state\":\"Ongoing\",\"start_ms\":5,\"update_ms\":0,\"pending_offsets\":"
        "[{\"group\":\"g\",\"topic\":\"t\",\"partition\":0,\"offset\":1,\"leader_epoch\":-1,\"metadata_hex\":\"abc\"}]}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(kelp_txn_from_json("x", 1, bad[i], strlen(bad[i])) == NULL, "accepted: %s", bad[i]);
    /* The smallest good one, for contrast. */
    static const char good[] =
        "{\"producer_id\":1,\"producer_epoch\":0,\"last_producer_id\":-1,\"last_producer_epoch\":-1,"
        "\"timeout_ms\":1000,\"state\":\"CompleteAbort\",\"start_ms\":-1,\"update_ms\":0}";
    kelp_txn *t = kelp_txn_from_json("x", 1, good, strlen(good));
    ck_assert_ptr_nonnull(t);
    ck_assert_int_eq(t->status, KELP_TXN_COMPLETE_ABORT);
    kelp_txn_free(t);
    /* A truncated file (the length says where it ends). */
    ck_assert_ptr_null(kelp_txn_from_json("x", 1, good, sizeof(good) - 5));

    char path[512];
    ck_assert_int_eq(kelp_txn_file_path(path, sizeof(path), "my id", 5), 0);
    ck_assert_str_eq(path, "topics/kafka/.meta/transactions/my%20id/state.json");
    ck_assert_int_eq(kelp_txn_dir_path(path, sizeof(path), "my id", 5), 0);
    ck_assert_str_eq(path, "topics/kafka/.meta/transactions/my%20id");
    char long_id[200];
    memset(long_id, '/', sizeof(long_id)); /* 600 bytes encoded */
    ck_assert_int_eq(kelp_txn_file_path(path, sizeof(path), long_id, sizeof(long_id)), -1);
    ck_assert(!kelp_txn_id_valid((kw_str){long_id, (int32_t)sizeof(long_id)}));
    ck_assert(!kelp_txn_id_valid(S("")));
    ck_assert(kelp_txn_id_valid(S("ok")));
    ck_assert_str_eq(kelp_txn_status_name(KELP_TXN_PREPARE_COMMIT), "PrepareCommit");
    ck_assert_str_eq(kelp_txn_status_name(KELP_TXN_PREPARE_EPOCH_FENCE), "PrepareEpochFence");
    ck_assert(kelp_txn_status_preparing(KELP_TXN_PREPARE_ABORT));
    ck_assert(!kelp_txn_status_preparing(KELP_TXN_ONGOING));
}
END_TEST

/* ---- the shared rig ---- */

static char root[64];
static kelp_loop *loop;
static kelp_storage *storage;
static kelp_fs *fs;
static kelp_file_writer *writer;
static kelp_offset_store *offsets;
static kelp_txn_coordinator *coord;
static kelp_txn_limits limits;
static kelp_watch storage_watch;
static kelp_partition *p0, *p1; /* topic "t", partitions 0 and 1 */

/* Runs the loop until cond holds (checked every few ms) or max_ms passed. */
typedef bool (*condition)(void);
static condition run_cond;
static int64_t run_deadline;

static void check_cond(void *ctx)
{
    (void)ctx;
    if ((run_cond && run_cond()) || kelp_clock_mono_ms() >= run_deadline) {
        kelp_loop_stop(loop);
        return;
    }
    kelp_timer_add(loop, kelp_clock_mono_ms() + 2, check_cond, NULL);
}

static void run_until(condition cond, int max_ms)
{
    run_cond = cond;
    run_deadline = kelp_clock_mono_ms() + max_ms;
    kelp_timer_add(loop, kelp_clock_mono_ms(), check_cond, NULL);
    kelp_loop_run(loop);
}

static void on_durable(void *ctx, kelp_partition *p, int64_t hw)
{
    (void)ctx;
    (void)p;
    (void)hw;
}

/* What the broker does when the sync thread reports. */
static void on_storage_completion(void *ctx, uint32_t events)
{
    (void)ctx;
    (void)events;
    kelp_storage_process_completions(storage);
    kelp_txn_coordinator_on_durable(coord);
}

static void open_all(void)
{
    char err[256] = "";
    kelp_storage_options opt = {.root = root, .on_durable = on_durable};
    ck_assert_msg(kelp_storage_open(&opt, &storage, err, sizeof(err)) == 0, "%s", err);
    fs = kelp_storage_fs(storage);
    kelp_topic *t = kelp_storage_find_topic(storage, "t", 1);
    if (!t)
        ck_assert_int_eq(kelp_storage_create_topic(storage, "t", 1, 2, NULL, &t), KELP_STORAGE_OK);
    p0 = kelp_topic_partition(t, 0);
    p1 = kelp_topic_partition(t, 1);
    ck_assert_int_eq(kelp_watch_add(loop, &storage_watch, kelp_storage_completion_fd(storage), EPOLLIN,
                                    on_storage_completion, NULL),
                     0);
    writer = kelp_file_writer_start(fs, loop);
    ck_assert_ptr_nonnull(writer);
    offsets = kelp_offset_store_open(fs, writer, err, sizeof(err));
    ck_assert_msg(offsets != NULL, "%s", err);
    coord = kelp_txn_coordinator_new(loop, storage, writer, offsets, &limits, err, sizeof(err));
    ck_assert_msg(coord != NULL, "%s", err);
}

/* The writer runs one FIFO and its completions reach the loop in order: once
 * a write queued now is reported, every earlier completion has run. */
static bool barrier_done;

static void on_barrier(void *ctx, int status)
{
    (void)ctx;
    ck_assert_int_eq(status, 0);
    barrier_done = true;
}

static bool barrier_reached(void)
{
    return barrier_done;
}

static void settle(void)
{
    barrier_done = false;
    ck_assert_int_eq(kelp_file_writer_put(writer, "test-barrier", "x", 1, on_barrier, NULL), 0);
    run_until(barrier_reached, 10000);
    ck_assert(barrier_done);
}

static void close_all(void)
{
    settle(); /* no completion may reach a freed coordinator */
    kelp_txn_coordinator_shutdown(coord);
    kelp_file_writer_stop(writer);
    kelp_txn_coordinator_free(coord);
    coord = NULL;
    kelp_offset_store_free(offsets);
    kelp_watch_remove(loop, &storage_watch);
    ck_assert_int_eq(kelp_storage_close(storage), 0);
    storage = NULL;
}

static void setup(void)
{
    snprintf(root, sizeof(root), "/tmp/kelp-txn-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(root));
    loop = kelp_loop_new();
    ck_assert_ptr_nonnull(loop);
    limits = (kelp_txn_limits){.max_timeout_ms = 900000, .check_interval_ms = 60000};
    open_all();
}

static void teardown(void)
{
    if (coord)
        close_all();
    kelp_loop_free(loop);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
    ck_assert_int_eq(system(cmd), 0);
}

/* ---- requests and their answers ---- */

typedef struct reply {
    int calls;
    int16_t error;
    int64_t pid;
    int16_t epoch;
} reply;

static void on_reply(void *ctx, int16_t error, int64_t pid, int16_t epoch)
{
    reply *r = ctx;
    r->calls++;
    r->error = error;
    r->pid = pid;
    r->epoch = epoch;
}

static reply *waiting;

static bool reply_arrived(void)
{
    return waiting->calls > 0;
}

/* Waits for an answer (at once or through the loop): exactly one. */
static void wait_reply(reply *r)
{
    if (r->calls == 0) {
        waiting = r;
        run_until(reply_arrived, 10000);
    }
    ck_assert_int_eq(r->calls, 1);
}

static void init(reply *r, const char *id, int32_t timeout, int64_t exp_pid, int16_t exp_epoch)
{
    memset(r, 0, sizeof(*r));
    kelp_txn_init_producer(coord, id ? S(id) : NULL_STR, timeout, exp_pid, exp_epoch, on_reply, r);
}

/* InitProducerId that must succeed. */
static reply init_ok(const char *id)
{
    reply r;
    init(&r, id, 60000, -1, -1);
    wait_reply(&r);
    ck_assert_int_eq(r.error, KAFKA_ERR_NONE);
    return r;
}

static int16_t add_partitions(const char *id, int64_t pid, int16_t epoch, const int32_t *parts, size_t n)
{
    kelp_txn_topic_partition tp[4];
    ck_assert_uint_le(n, 4);
    for (size_t i = 0; i < n; i++)
        tp[i] = (kelp_txn_topic_partition){S("t"), parts[i]};
    reply r = {0};
    kelp_txn_add_partitions(coord, S(id), pid, epoch, tp, n, on_reply, &r);
    wait_reply(&r);
    return r.error;
}

static int16_t add_offsets(const char *id, int64_t pid, int16_t epoch, const char *group)
{
    reply r = {0};
    kelp_txn_add_offsets(coord, S(id), pid, epoch, S(group), on_reply, &r);
    wait_reply(&r);
    return r.error;
}

static const char METADATA[] = "m\0\xff!";

static int16_t commit_offset(const char *id, int64_t pid, int16_t epoch, const char *group, int32_t part,
                             int64_t offset)
{
    kelp_txn_commit_offset o = {.topic = S("t"),
                                .partition = part,
                                .offset = offset,
                                .leader_epoch = 3,
                                .metadata = {METADATA, (int32_t)sizeof(METADATA) - 1}};
    reply r = {0};
    kelp_txn_commit_offsets(coord, S(id), pid, epoch, S(group), false, &o, 1, on_reply, &r);
    wait_reply(&r);
    return r.error;
}

static int16_t end_now(const char *id, int64_t pid, int16_t epoch, bool commit)
{
    reply r = {0};
    kelp_txn_end(coord, S(id), pid, epoch, commit, false, on_reply, &r);
    ck_assert_int_eq(r.calls, 1); /* callers of this expect an immediate answer */
    return r.error;
}

static const kelp_txn *txn(const char *id)
{
    return kelp_txn_find(coord, id, strlen(id));
}

static const char *cond_id;
static kelp_txn_status cond_status;

static bool status_reached(void)
{
    const kelp_txn *t = txn(cond_id);
    return t && t->status == cond_status;
}

static void wait_status(const char *id, kelp_txn_status status)
{
    cond_id = id;
    cond_status = status;
    run_until(status_reached, 10000);
    ck_assert_msg(status_reached(), "%s is %s, not %s", id, txn(id) ? kelp_txn_status_name(txn(id)->status) : "gone",
                  kelp_txn_status_name(status));
}

/* A transactional batch of n records, appended as the broker would after
 * kelp_txn_check_produce; returns its base offset. */
static int64_t produce_txn(kelp_partition *p, int64_t pid, int16_t epoch, int32_t seq, int n)
{
    test_record recs[4];
    ck_assert_int_le(n, 4);
    for (int i = 0; i < n; i++)
        recs[i] = (test_record){.key = "k", .value = "v", .timestamp = 1000 + i};
    test_batch_options opt = {.producer_id = pid};
    kelp_buf b;
    kelp_buf_init(&b);
    ck_assert_int_eq(test_batch_build(&b, &opt, recs, n), 0);
    kelp_put_be16(b.data + 51, (uint16_t)epoch);
    kelp_put_be32(b.data + 53, (uint32_t)seq);
    kelp_put_be16(b.data + KELP_BATCH_OFF_ATTRIBUTES, KELP_BATCH_ATTR_TRANSACTIONAL);
    test_batch_fix_crc(b.data);
    kelp_batch_header h;
    ck_assert_int_eq(kelp_batch_header_parse(b.data, b.len, &h), 0);
    int64_t f, l;
    ck_assert_int_eq(kelp_producer_state_check(kelp_partition_producers(p), &h, &f, &l), KELP_PRODUCER_OK);
    int64_t base, last;
    ck_assert_int_eq(kelp_partition_append(p, b.data, b.len, &base, &last), KELP_STORAGE_OK);
    kelp_storage_request_sync(storage);
    kelp_buf_free(&b);
    return base;
}

/* The last batch of the (durable) log: its header and marker type (-2:
 * data). Reads go one segment at a time, and markers stamped with the
 * wall clock roll the segment (segment.ms against the test's old record
 * timestamps), so read on until the end. */
static int last_batch(kelp_partition *p, kelp_batch_header *out)
{
    kelp_buf buf;
    kelp_buf_init(&buf);
    int64_t at = kelp_partition_log_start_offset(p);
    int type = -3;
    while (kelp_partition_read(p, at, 1 << 20, &buf) > 0) {
        size_t pos = 0;
        while (pos < buf.len) {
            ck_assert_int_eq(kelp_batch_header_parse(buf.data + pos, buf.len - pos, out), 0);
            size_t total = (size_t)out->batch_length + KELP_BATCH_LOG_OVERHEAD;
            ck_assert_uint_le(pos + total, buf.len);
            type = out->attributes & KELP_BATCH_ATTR_CONTROL ? kelp_control_batch_type(buf.data + pos, total) : -2;
            at = out->base_offset + out->last_offset_delta + 1;
            pos += total;
        }
        kelp_buf_clear(&buf);
    }
    kelp_buf_free(&buf);
    ck_assert_int_eq(at, kelp_partition_high_watermark(p));
    return type;
}

/* The partition's log ends with a durable marker of this producer. */
static void assert_marker(kelp_partition *p, int64_t pid, int16_t epoch, int type)
{
    kelp_batch_header h;
    ck_assert_int_eq(last_batch(p, &h), type);
    ck_assert_int_eq(h.producer_id, pid);
    ck_assert_int_eq(h.producer_epoch, epoch);
    ck_assert_int_eq(h.base_offset + 1, kelp_partition_high_watermark(p));
    const kelp_producer *e = kelp_producer_state_get(kelp_partition_producers(p), pid);
    ck_assert_ptr_nonnull(e);
    ck_assert_int_eq(e->txn_first_offset, -1);
    ck_assert_int_eq(kelp_partition_last_stable_offset(p), kelp_partition_high_watermark(p));
}

typedef struct span_list {
    int count;
    kelp_txn_span spans[4];
} span_list;

static int collect_span(void *ctx, const kelp_txn_span *span)
{
    span_list *l = ctx;
    ck_assert_int_lt(l->count, 4);
    l->spans[l->count++] = *span;
    return 0;
}

static span_list aborted_in(kelp_partition *p)
{
    span_list l = {0};
    kelp_producer_state_aborted(kelp_partition_producers(p), kelp_partition_log_start_offset(p), 0,
                                kelp_partition_high_watermark(p), collect_span, &l);
    return l;
}

/* ---- InitProducerId ---- */

static void count_any(void *ctx, const kelp_txn *t)
{
    (void)t;
    (*(int *)ctx)++;
}

START_TEST(idempotent_producers_get_new_ids_at_epoch_zero)
{
    int64_t ids[20];
    for (int i = 0; i < 20; i++) {
        reply r;
        init(&r, NULL, 0, -1, -1); /* no timeout check without a transactional id */
        ck_assert_int_eq(r.calls, 1);
        ck_assert_int_eq(r.error, KAFKA_ERR_NONE);
        ck_assert_int_eq(r.epoch, 0);
        ck_assert_int_ge(r.pid, 0);
        for (int j = 0; j < i; j++)
            ck_assert_int_ne(ids[j], r.pid);
        ids[i] = r.pid;
    }
    /* Nothing is kept for them. */
    int count = 0;
    kelp_txn_each(coord, count_any, &count);
    ck_assert_int_eq(count, 0);
    /* A restart never hands an id out again. */
    close_all();
    open_all();
    for (int i = 0; i < 20; i++) {
        reply r;
        init(&r, NULL, 0, -1, -1);
        ck_assert_int_eq(r.error, KAFKA_ERR_NONE);
        for (int j = 0; j < 20; j++)
            ck_assert_int_ne(ids[j], r.pid);
    }
}
END_TEST

START_TEST(transactional_ids_keep_their_producer_id_and_bump_the_epoch)
{
    reply r;
    init(&r, "app", 60000, -1, -1);
    ck_assert_int_eq(r.calls, 0); /* answered once the state file is durable */
    wait_reply(&r);
    ck_assert_int_eq(r.error, KAFKA_ERR_NONE);
    ck_assert_int_eq(r.epoch, 0);
    int64_t pid = r.pid;
    const kelp_txn *t = txn("app");
    ck_assert_ptr_nonnull(t);
    ck_assert_int_eq(t->status, KELP_TXN_EMPTY);
    ck_assert_int_eq(t->producer_id, pid);
    ck_assert_int_eq(t->timeout_ms, 60000);
    char path[512], full[600];
    ck_assert_int_eq(kelp_txn_file_path(path, sizeof(path), "app", 3), 0);
    snprintf(full, sizeof(full), "%s/%s", root, path);
    ck_assert_int_eq(access(full, R_OK), 0);

    r = init_ok("app");
    ck_assert_int_eq(r.pid, pid);
    ck_assert_int_eq(r.epoch, 1);
    ck_assert_int_eq(txn("app")->epoch, 1);

    /* Another id is another producer. */
    reply other = init_ok("other");
    ck_assert_int_ne(other.pid, pid);
    ck_assert_int_eq(other.epoch, 0);

    /* Timeouts are checked. */
    init(&r, "app", 0, -1, -1);
    ck_assert_int_eq(r.error, KAFKA_ERR_INVALID_TRANSACTION_TIMEOUT);
    init(&r, "app", -5, -1, -1);
    ck_assert_int_eq(r.error, KAFKA_ERR_INVALID_TRANSACTION_TIMEOUT);
    init(&r, "app", limits.max_timeout_ms + 1, -1, -1);
    ck_assert_int_eq(r.error, KAFKA_ERR_INVALID_TRANSACTION_TIMEOUT);
    init(&r, "new", limits.max_timeout_ms + 1, -1, -1);
    ck_assert_int_eq(r.error, KAFKA_ERR_INVALID_TRANSACTION_TIMEOUT);
    ck_assert_ptr_null(txn("new"));
    init(&r, "", 60000, -1, -1);
    ck_assert_int_eq(r.calls, 1);
    ck_assert_int_ne(r.error, KAFKA_ERR_NONE);
    ck_assert_int_eq(txn("app")->epoch, 1);

    /* KIP-360: the producer names what it has. The epoch before the last
     * bump is a retry of that bump: answered with the current epoch. */
    init(&r, "app", 60000, pid, 0);
    ck_assert_int_eq(r.calls, 1);
    ck_assert_int_eq(r.error, KAFKA_ERR_NONE);
    ck_assert_int_eq(r.pid, pid);
    ck_assert_int_eq(r.epoch, 1);
    ck_assert_int_eq(txn("app")->epoch, 1);
    /* Anything else is fenced. */
    init(&r, "app", 60000, pid, 7);
    ck_assert_int_eq(r.error, KAFKA_ERR_PRODUCER_FENCED);
    init(&r, "app", 60000, other.pid, 1);
    ck_assert_int_eq(r.error, KAFKA_ERR_PRODUCER_FENCED);
    ck_assert_int_eq(txn("app")->epoch, 1);
    init(&r, "app", 60000, pid, 1);
    wait_reply(&r);
    ck_assert_int_eq(r.error, KAFKA_ERR_NONE);
    ck_assert_int_eq(r.pid, pid);
    ck_assert_int_eq(r.epoch, 2);
    ck_assert_int_eq(txn("app")->last_producer_id, pid);
    ck_assert_int_eq(txn("app")->last_epoch, 1);
    /* Its retry (the answer was lost) names the old epoch: it gets the current one, no new bump. */
    init(&r, "app", 60000, pid, 1);
    ck_assert_int_eq(r.calls, 1);
    ck_assert_int_eq(r.error, KAFKA_ERR_NONE);
    ck_assert_int_eq(r.pid, pid);
    ck_assert_int_eq(r.epoch, 2);
    ck_assert_int_eq(txn("app")->epoch, 2);
    /* The current epoch bumps again. */
    init(&r, "app", 60000, pid, 2);
    wait_reply(&r);
    ck_assert_int_eq(r.error, KAFKA_ERR_NONE);
    ck_assert_int_eq(r.epoch, 3);

    /* While one change is written, another is refused. */
    reply a, b;
    init(&a, "app", 60000, -1, -1);
    init(&b, "app", 60000, -1, -1);
    ck_assert_int_eq(b.calls, 1);
    ck_assert_int_eq(b.error, KAFKA_ERR_CONCURRENT_TRANSACTIONS);
    wait_reply(&a);
    ck_assert_int_eq(a.error, KAFKA_ERR_NONE);
    ck_assert_int_eq(a.epoch, 4);

    /* The epochs are durable. */
    close_all();
    open_all();
    t = txn("app");
    ck_assert_ptr_nonnull(t);
    ck_assert_int_eq(t->producer_id, pid);
    ck_assert_int_eq(t->epoch, 4);
    r = init_ok("app");
    ck_assert_int_eq(r.pid, pid);
    ck_assert_int_eq(r.epoch, 5);
}
END_TEST

/* ---- an open transaction ---- */

START_TEST(add_partitions_opens_the_transaction_and_checks_the_producer)
{
    reply r = init_ok("tx");
    int64_t pid = r.pid;
    int16_t epoch = r.epoch;
    ck_assert_int_eq(kelp_txn_check_produce(coord, pid, epoch, "t", 1, 0), KAFKA_ERR_INVALID_TXN_STATE);
    int32_t parts[] = {0, 1};
    reply pending = {0};
    kelp_txn_topic_partition tp[] = {{S("t"), 0}, {S("t"), 1}};
    kelp_txn_add_partitions(coord, S("tx"), pid, epoch, tp, 2, on_reply, &pending);
    ck_assert_int_eq(pending.calls, 0);
    /* One change at a time. */
    reply busy = {0};
    kelp_txn_add_partitions(coord, S("tx"), pid, epoch, tp, 1, on_reply, &busy);
    ck_assert_int_eq(busy.calls, 1);
    ck_assert_int_eq(busy.error, KAFKA_ERR_CONCURRENT_TRANSACTIONS);
    wait_reply(&pending);
    ck_assert_int_eq(pending.error, KAFKA_ERR_NONE);
    ck_assert_int_eq(pending.pid, pid);
    ck_assert_int_eq(pending.epoch, epoch);
    const kelp_txn *t = txn("tx");
    ck_assert_int_eq(t->status, KELP_TXN_ONGOING);
    ck_assert_int_ge(t->start_ms, 0);
    ck_assert_uint_eq(t->partition_count, 2);
    ck_assert(kelp_txn_has_partition(t, "t", 1, 1));
    /* Adding what is there already is answered at once. */
    reply again = {0};
    kelp_txn_add_partitions(coord, S("tx"), pid, epoch, tp, 2, on_reply, &again);
    ck_assert_int_eq(again.calls, 1);
    ck_assert_int_eq(again.error, KAFKA_ERR_NONE);

    ck_assert_int_eq(add_partitions("tx", pid, (int16_t)(epoch + 1), parts, 1), KAFKA_ERR_PRODUCER_FENCED);
    ck_assert_int_eq(add_partitions("tx", pid, (int16_t)(epoch - 1), parts, 1), KAFKA_ERR_PRODUCER_FENCED);
    ck_assert_int_eq(add_partitions("tx", pid + 1, epoch, parts, 1), KAFKA_ERR_INVALID_PRODUCER_ID_MAPPING);
    ck_assert_int_eq(add_partitions("nobody", pid, epoch, parts, 1), KAFKA_ERR_INVALID_PRODUCER_ID_MAPPING);
    ck_assert_int_eq(add_partitions("", pid, epoch, parts, 1), KAFKA_ERR_INVALID_PRODUCER_ID_MAPPING);

    /* Produce checks: the partition must be in the producer's open transaction. */
    ck_assert_int_eq(kelp_txn_check_produce(coord, pid, epoch, "t", 1, 0), KAFKA_ERR_NONE);
    ck_assert_int_eq(kelp_txn_check_produce(coord, pid, epoch, "t", 1, 1), KAFKA_ERR_NONE);
    ck_assert_int_eq(kelp_txn_check_produce(coord, pid, epoch, "t", 1, 2), KAFKA_ERR_INVALID_TXN_STATE);
    ck_assert_int_eq(kelp_txn_check_produce(coord, pid, epoch, "u", 1, 0), KAFKA_ERR_INVALID_TXN_STATE);
    ck_assert_int_eq(kelp_txn_check_produce(coord, pid, (int16_t)(epoch - 1), "t", 1, 0),
                     KAFKA_ERR_INVALID_PRODUCER_EPOCH);
    ck_assert_int_eq(kelp_txn_check_produce(coord, pid + 1000, epoch, "t", 1, 0),
                     KAFKA_ERR_INVALID_PRODUCER_ID_MAPPING);
    ck_assert_int_eq(kelp_txn_verify_partition(coord, S("tx"), pid, epoch, S("t"), 1), KAFKA_ERR_NONE);
    ck_assert_int_eq(kelp_txn_verify_partition(coord, S("tx"), pid, epoch, S("t"), 5), KAFKA_ERR_INVALID_TXN_STATE);
    ck_assert_int_eq(kelp_txn_verify_partition(coord, S("tx"), pid, (int16_t)(epoch + 1), S("t"), 1),
                     KAFKA_ERR_PRODUCER_FENCED);
    ck_assert_int_eq(kelp_txn_verify_partition(coord, S("tx"), pid + 1, epoch, S("t"), 1),
                     KAFKA_ERR_INVALID_PRODUCER_ID_MAPPING);

    /* The open transaction is durable. */
    close_all();
    open_all();
    t = txn("tx");
    ck_assert_ptr_nonnull(t);
    ck_assert_int_eq(t->status, KELP_TXN_ONGOING);
    ck_assert_uint_eq(t->partition_count, 2);
    ck_assert_int_eq(kelp_txn_check_produce(coord, pid, epoch, "t", 1, 1), KAFKA_ERR_NONE);
}
END_TEST

typedef struct commit_seen {
    reply r;
    int64_t lso[2], hw[2], end[2];
    int marker[2];
    bool offset_applied;
    int64_t offset;
} commit_seen;

/* Records, at the moment of the answer, what a client could observe. */
static void on_end_reply(void *ctx, int16_t error, int64_t pid, int16_t epoch)
{
    commit_seen *s = ctx;
    on_reply(&s->r, error, pid, epoch);
    kelp_partition *ps[2] = {p0, p1};
    for (int i = 0; i < 2; i++) {
        s->lso[i] = kelp_partition_last_stable_offset(ps[i]);
        s->hw[i] = kelp_partition_high_watermark(ps[i]);
        s->end[i] = kelp_partition_log_end_offset(ps[i]);
        kelp_batch_header h;
        s->marker[i] = last_batch(ps[i], &h);
    }
    const kelp_committed_offset *o = kelp_offset_store_get(offsets, "grp", 3, "t", 1, 0);
    s->offset_applied = o != NULL;
    s->offset = o ? o->offset : -1;
}

/* An open transaction over both partitions, with a batch in each and an
 * offset for group "grp" on partition 0. */
static reply open_transaction(const char *id)
{
    reply r = init_ok(id);
    int32_t parts[] = {0, 1};
    ck_assert_int_eq(add_partitions(id, r.pid, r.epoch, parts, 2), KAFKA_ERR_NONE);
    produce_txn(p0, r.pid, r.epoch, 0, 2);
    produce_txn(p1, r.pid, r.epoch, 0, 1);
    produce_txn(p0, r.pid, r.epoch, 2, 1);
    /* The offset needs its group in the transaction first. */
    ck_assert_int_eq(commit_offset(id, r.pid, r.epoch, "grp", 0, 42), KAFKA_ERR_INVALID_TXN_STATE);
    ck_assert_int_eq(add_offsets(id, r.pid, r.epoch, "grp"), KAFKA_ERR_NONE);
    ck_assert_int_eq(add_offsets(id, r.pid, r.epoch, "grp"), KAFKA_ERR_NONE); /* again: nothing changes */
    ck_assert_int_eq(add_offsets(id, r.pid, (int16_t)(r.epoch + 1), "grp"), KAFKA_ERR_PRODUCER_FENCED);
    ck_assert_int_eq(commit_offset(id, r.pid, r.epoch, "grp", 0, 41), KAFKA_ERR_NONE);
    ck_assert_int_eq(commit_offset(id, r.pid, r.epoch, "grp", 0, 42), KAFKA_ERR_NONE); /* replaces 41 */
    ck_assert_int_eq(commit_offset(id, r.pid, (int16_t)(r.epoch + 1), "grp", 0, 43),
                     KAFKA_ERR_INVALID_PRODUCER_EPOCH);
    ck_assert_int_eq(commit_offset(id, r.pid, r.epoch, "other", 0, 43), KAFKA_ERR_INVALID_TXN_STATE);
    const kelp_txn *t = txn(id);
    ck_assert_uint_eq(t->group_count, 1);
    ck_assert_uint_eq(t->offset_count, 1);
    ck_assert_int_eq(t->offsets[0].offset, 42);
    ck_assert(kelp_txn_offset_pending(coord, "grp", 3, "t", 1, 0));
    ck_assert(!kelp_txn_offset_pending(coord, "grp", 3, "t", 1, 1));
    ck_assert(!kelp_txn_offset_pending(coord, "other", 5, "t", 1, 0));
    ck_assert(!kelp_txn_offset_pending(coord, "grp", 3, "u", 1, 0));
    ck_assert_ptr_null(kelp_offset_store_get(offsets, "grp", 3, "t", 1, 0));
    return r;
}

START_TEST(commit_writes_markers_then_applies_offsets_then_answers)
{
    reply r = open_transaction("tx");
    ck_assert_int_eq(kelp_partition_last_stable_offset(p0), 0);
    ck_assert_int_eq(end_now("tx", r.pid, (int16_t)(r.epoch + 1), true), KAFKA_ERR_PRODUCER_FENCED);
    ck_assert_int_eq(end_now("tx", r.pid + 1, r.epoch, true), KAFKA_ERR_INVALID_PRODUCER_ID_MAPPING);
    ck_assert_int_eq(end_now("nobody", r.pid, r.epoch, true), KAFKA_ERR_INVALID_PRODUCER_ID_MAPPING);

    commit_seen seen = {0};
    kelp_txn_end(coord, S("tx"), r.pid, r.epoch, true, false, on_end_reply, &seen);
    ck_assert_int_eq(seen.r.calls, 0);
    ck_assert_int_eq(txn("tx")->status, KELP_TXN_PREPARE_COMMIT);
    /* Decided: nothing else may happen to it meanwhile. */
    ck_assert_int_eq(end_now("tx", r.pid, r.epoch, true), KAFKA_ERR_CONCURRENT_TRANSACTIONS);
    int32_t parts[] = {0};
    ck_assert_int_eq(add_partitions("tx", r.pid, r.epoch, parts, 1), KAFKA_ERR_CONCURRENT_TRANSACTIONS);
    ck_assert_int_eq(kelp_txn_check_produce(coord, r.pid, r.epoch, "t", 1, 0), KAFKA_ERR_INVALID_TXN_STATE);
    wait_reply(&seen.r);
    ck_assert_int_eq(seen.r.error, KAFKA_ERR_NONE);
    ck_assert_int_eq(seen.r.pid, r.pid);
    ck_assert_int_eq(seen.r.epoch, r.epoch);
    /* At the answer: the markers were durable and the offset applied. */
    for (int i = 0; i < 2; i++) {
        ck_assert_int_eq(seen.marker[i], KELP_CONTROL_COMMIT);
        ck_assert_int_eq(seen.hw[i], seen.end[i]);
        ck_assert_int_eq(seen.lso[i], seen.hw[i]);
    }
    ck_assert(seen.offset_applied);
    ck_assert_int_eq(seen.offset, 42);
    assert_marker(p0, r.pid, r.epoch, KELP_CONTROL_COMMIT);
    assert_marker(p1, r.pid, r.epoch, KELP_CONTROL_COMMIT);
    ck_assert_int_eq(kelp_partition_high_watermark(p0), 4); /* 3 records and the marker */
    ck_assert_int_eq(aborted_in(p0).count, 0);
    const kelp_committed_offset *o = kelp_offset_store_get(offsets, "grp", 3, "t", 1, 0);
    ck_assert_ptr_nonnull(o);
    ck_assert_int_eq(o->leader_epoch, 3);
    ck_assert_uint_eq(o->metadata_len, sizeof(METADATA) - 1);
    ck_assert_mem_eq(o->metadata, METADATA, sizeof(METADATA) - 1);
    ck_assert(!kelp_txn_offset_pending(coord, "grp", 3, "t", 1, 0));
    const kelp_txn *t = txn("tx");
    ck_assert_int_eq(t->status, KELP_TXN_COMPLETE_COMMIT);
    ck_assert_uint_eq(t->partition_count + t->offset_count + t->group_count, 0);
    ck_assert_int_eq(t->start_ms, -1);
    ck_assert_int_eq(kelp_txn_check_produce(coord, r.pid, r.epoch, "t", 1, 0), KAFKA_ERR_INVALID_TXN_STATE);

    /* A retry of the same EndTxn is answered again; the other outcome is not. */
    ck_assert_int_eq(end_now("tx", r.pid, r.epoch, true), KAFKA_ERR_NONE);
    ck_assert_int_eq(end_now("tx", r.pid, r.epoch, false), KAFKA_ERR_INVALID_TXN_STATE);
    ck_assert_int_eq(kelp_partition_high_watermark(p0), 4); /* no second marker */

    /* The next transaction of the same producer starts afresh. */
    ck_assert_int_eq(add_partitions("tx", r.pid, r.epoch, parts, 1), KAFKA_ERR_NONE);
    ck_assert_int_eq(txn("tx")->status, KELP_TXN_ONGOING);
    ck_assert_uint_eq(txn("tx")->partition_count, 1);

    /* The offsets survive a restart of the store. */
    close_all();
    open_all();
    o = kelp_offset_store_get(offsets, "grp", 3, "t", 1, 0);
    ck_assert_ptr_nonnull(o);
    ck_assert_int_eq(o->offset, 42);
}
END_TEST

START_TEST(abort_writes_markers_and_applies_no_offsets)
{
    reply r = open_transaction("tx");
    commit_seen seen = {0};
    kelp_txn_end(coord, S("tx"), r.pid, r.epoch, false, false, on_end_reply, &seen);
    ck_assert_int_eq(seen.r.calls, 0);
    ck_assert_int_eq(txn("tx")->status, KELP_TXN_PREPARE_ABORT);
    ck_assert_int_eq(end_now("tx", r.pid, r.epoch, true), KAFKA_ERR_CONCURRENT_TRANSACTIONS);
    wait_reply(&seen.r);
    ck_assert_int_eq(seen.r.error, KAFKA_ERR_NONE);
    for (int i = 0; i < 2; i++) {
        ck_assert_int_eq(seen.marker[i], KELP_CONTROL_ABORT);
        ck_assert_int_eq(seen.lso[i], seen.end[i]);
    }
    ck_assert(!seen.offset_applied);
    assert_marker(p0, r.pid, r.epoch, KELP_CONTROL_ABORT);
    assert_marker(p1, r.pid, r.epoch, KELP_CONTROL_ABORT);
    ck_assert_ptr_null(kelp_offset_store_get(offsets, "grp", 3, "t", 1, 0));
    ck_assert(!kelp_txn_offset_pending(coord, "grp", 3, "t", 1, 0));
    span_list l = aborted_in(p0);
    ck_assert_int_eq(l.count, 1);
    ck_assert_int_eq(l.spans[0].producer_id, r.pid);
    ck_assert_int_eq(l.spans[0].first_offset, 0);
    ck_assert_int_eq(l.spans[0].last_offset, 3);
    l = aborted_in(p1);
    ck_assert_int_eq(l.count, 1);
    ck_assert_int_eq(l.spans[0].first_offset, 0);
    ck_assert_int_eq(l.spans[0].last_offset, 1);
    ck_assert_int_eq(txn("tx")->status, KELP_TXN_COMPLETE_ABORT);
    ck_assert_int_eq(txn("tx")->epoch, r.epoch); /* a client's abort does not bump */

    ck_assert_int_eq(end_now("tx", r.pid, r.epoch, false), KAFKA_ERR_NONE);
    ck_assert_int_eq(end_now("tx", r.pid, r.epoch, true), KAFKA_ERR_INVALID_TXN_STATE);
    /* Nothing open: there is nothing to end. */
    reply fresh = init_ok("fresh");
    ck_assert_int_eq(end_now("fresh", fresh.pid, fresh.epoch, true), KAFKA_ERR_INVALID_TXN_STATE);
    ck_assert_int_eq(end_now("fresh", fresh.pid, fresh.epoch, false), KAFKA_ERR_INVALID_TXN_STATE);
}
END_TEST

/* EndTxn v5 (transactions v2): waits for the answer. */
static reply end_v2(const char *id, int64_t pid, int16_t epoch, bool commit)
{
    reply r = {0};
    kelp_txn_end(coord, S(id), pid, epoch, commit, true, on_reply, &r);
    wait_reply(&r);
    return r;
}

START_TEST(a_v2_end_bumps_the_epoch_and_answers_it)
{
    reply r = open_transaction("tx");
    reply done = end_v2("tx", r.pid, r.epoch, true);
    ck_assert_int_eq(done.error, KAFKA_ERR_NONE);
    ck_assert_int_eq(done.pid, r.pid);
    ck_assert_int_eq(done.epoch, r.epoch + 1);
    /* The markers carry the new epoch, which fences the old one. */
    assert_marker(p0, r.pid, (int16_t)(r.epoch + 1), KELP_CONTROL_COMMIT);
    assert_marker(p1, r.pid, (int16_t)(r.epoch + 1), KELP_CONTROL_COMMIT);
    ck_assert_int_eq(kelp_offset_store_get(offsets, "grp", 3, "t", 1, 0)->offset, 42);
    ck_assert_int_eq(kelp_txn_check_produce(coord, r.pid, r.epoch, "t", 1, 0), KAFKA_ERR_INVALID_PRODUCER_EPOCH);
    int32_t parts[] = {0};
    ck_assert_int_eq(add_partitions("tx", r.pid, r.epoch, parts, 1), KAFKA_ERR_PRODUCER_FENCED);

    /* The retry has the epoch before the bump, also after a reopen. */
    for (int pass = 0; pass < 2; pass++) {
        reply again = end_v2("tx", r.pid, r.epoch, true);
        ck_assert_int_eq(again.error, KAFKA_ERR_NONE);
        ck_assert_int_eq(again.epoch, r.epoch + 1);
        ck_assert_int_eq(end_v2("tx", r.pid, r.epoch, false).error, KAFKA_ERR_INVALID_TXN_STATE);
        ck_assert_int_eq(end_v2("tx", r.pid, (int16_t)(r.epoch + 1), true).error, KAFKA_ERR_INVALID_TXN_STATE);
        ck_assert_int_eq(end_v2("tx", r.pid, (int16_t)(r.epoch - 1), true).error, KAFKA_ERR_PRODUCER_FENCED);
        close_all();
        open_all();
    }
    ck_assert_int_eq(kelp_partition_high_watermark(p0), 4); /* no second marker */

    /* TxnOffsetCommit v5 begins the next transaction with its group. */
    int16_t e1 = (int16_t)(r.epoch + 1);
    kelp_txn_commit_offset o = {.topic = S("t"), .partition = 0, .offset = 50, .leader_epoch = -1, .metadata = {"", 0}};
    reply c = {0};
    kelp_txn_commit_offsets(coord, S("tx"), r.pid, e1, S("grp2"), true, &o, 1, on_reply, &c);
    wait_reply(&c);
    ck_assert_int_eq(c.error, KAFKA_ERR_NONE);
    ck_assert_int_eq(txn("tx")->status, KELP_TXN_ONGOING);
    ck_assert(kelp_txn_has_group(txn("tx"), "grp2", 4));
    /* An abort bumps as well, and leaves the offset out. */
    done = end_v2("tx", r.pid, e1, false);
    ck_assert_int_eq(done.error, KAFKA_ERR_NONE);
    ck_assert_int_eq(done.epoch, e1 + 1);
    ck_assert_ptr_null(kelp_offset_store_get(offsets, "grp2", 4, "t", 1, 0));
    /* With nothing open, an abort is an empty abort: one more bump, no marker. */
    done = end_v2("tx", r.pid, (int16_t)(e1 + 1), false);
    ck_assert_int_eq(done.error, KAFKA_ERR_NONE);
    ck_assert_int_eq(done.epoch, e1 + 2);
    ck_assert_int_eq(kelp_partition_high_watermark(p0), 4);
}
END_TEST

START_TEST(init_over_an_open_transaction_aborts_it_with_a_new_epoch)
{
    reply r = init_ok("tx");
    int32_t parts[] = {0};
    ck_assert_int_eq(add_partitions("tx", r.pid, r.epoch, parts, 1), KAFKA_ERR_NONE);
    produce_txn(p0, r.pid, r.epoch, 0, 2);

    reply again;
    init(&again, "tx", 60000, -1, -1);
    ck_assert_int_eq(again.calls, 1);
    ck_assert_int_eq(again.error, KAFKA_ERR_CONCURRENT_TRANSACTIONS);
    const kelp_txn *t = txn("tx");
    ck_assert(t->status == KELP_TXN_PREPARE_ABORT || t->status == KELP_TXN_COMPLETE_ABORT);
    ck_assert_int_eq(t->epoch, r.epoch + 1);
    /* The old producer is fenced at once. */
    ck_assert_int_eq(end_now("tx", r.pid, r.epoch, true), KAFKA_ERR_PRODUCER_FENCED);
    ck_assert_int_eq(kelp_txn_check_produce(coord, r.pid, r.epoch, "t", 1, 0), KAFKA_ERR_INVALID_PRODUCER_EPOCH);
    init(&again, "tx", 60000, -1, -1);
    ck_assert_int_eq(again.error, KAFKA_ERR_CONCURRENT_TRANSACTIONS);

    wait_status("tx", KELP_TXN_COMPLETE_ABORT);
    settle();
    t = txn("tx");
    ck_assert_int_eq(t->epoch, r.epoch + 1);
    ck_assert_int_eq(t->producer_id, r.pid);
    /* The marker carries the new epoch, so the partition fences the old one too. */
    assert_marker(p0, r.pid, (int16_t)(r.epoch + 1), KELP_CONTROL_ABORT);
    span_list l = aborted_in(p0);
    ck_assert_int_eq(l.count, 1);
    ck_assert_int_eq(l.spans[0].producer_id, r.pid);
    kelp_batch_header h = {.magic = 2, .producer_id = r.pid, .producer_epoch = r.epoch, .base_sequence = 2,
                           .attributes = KELP_BATCH_ATTR_TRANSACTIONAL};
    int64_t f, last;
    ck_assert_int_eq(kelp_producer_state_check(kelp_partition_producers(p0), &h, &f, &last),
                     KELP_PRODUCER_INVALID_EPOCH);
    ck_assert_int_eq(kelp_partition_high_watermark(p1), 0); /* not in the transaction: untouched */

    reply next = init_ok("tx");
    ck_assert_int_eq(next.pid, r.pid);
    ck_assert_int_gt(next.epoch, r.epoch + 1);
    ck_assert_int_eq(txn("tx")->status, KELP_TXN_EMPTY);
    ck_assert_int_eq(add_partitions("tx", next.pid, next.epoch, parts, 1), KAFKA_ERR_NONE);
    produce_txn(p0, next.pid, next.epoch, 0, 1);
    ck_assert_int_eq(add_partitions("tx", r.pid, r.epoch, parts, 1), KAFKA_ERR_PRODUCER_FENCED);
}
END_TEST

START_TEST(a_transaction_past_its_timeout_is_aborted_by_the_timer)
{
    /* Before the loop first runs, so the first check re-arms at this interval. */
    limits.check_interval_ms = 10;
    kelp_txn_coordinator_set_limits(coord, &limits);
    reply r;
    init(&r, "slow", 50, -1, -1);
    wait_reply(&r);
    ck_assert_int_eq(r.error, KAFKA_ERR_NONE);
    reply keep = init_ok("patient"); /* 60 s: must not be touched */
    int32_t parts[] = {0};
    ck_assert_int_eq(add_partitions("slow", r.pid, r.epoch, parts, 1), KAFKA_ERR_NONE);
    ck_assert_int_eq(add_partitions("patient", keep.pid, keep.epoch, parts, 1), KAFKA_ERR_NONE);
    produce_txn(p0, r.pid, r.epoch, 0, 1);
    produce_txn(p0, keep.pid, keep.epoch, 0, 1);

    wait_status("slow", KELP_TXN_COMPLETE_ABORT);
    settle();
    const kelp_txn *t = txn("slow");
    ck_assert_int_eq(t->epoch, r.epoch + 1);
    ck_assert_int_eq(t->last_epoch, r.epoch);
    ck_assert_int_eq(t->start_ms, -1);
    span_list l = aborted_in(p0);
    ck_assert_int_eq(l.count, 1);
    ck_assert_int_eq(l.spans[0].producer_id, r.pid);
    ck_assert_int_eq(l.spans[0].first_offset, 0);
    /* The other transaction holds the LSO still. */
    ck_assert_int_eq(kelp_partition_last_stable_offset(p0), 1);
    ck_assert_int_eq(txn("patient")->status, KELP_TXN_ONGOING);
    ck_assert_int_eq(txn("patient")->epoch, keep.epoch);
    /* The timed-out producer learns it was fenced. */
    ck_assert_int_eq(add_partitions("slow", r.pid, r.epoch, parts, 1), KAFKA_ERR_PRODUCER_FENCED);
    ck_assert_int_eq(end_now("slow", r.pid, r.epoch, true), KAFKA_ERR_PRODUCER_FENCED);
    /* KIP-360: naming its old epoch, it recovers with a newer one. */
    reply back;
    init(&back, "slow", 50, r.pid, r.epoch);
    wait_reply(&back);
    ck_assert_int_eq(back.error, KAFKA_ERR_NONE);
    ck_assert_int_eq(back.pid, r.pid);
    ck_assert_int_gt(back.epoch, r.epoch + 1);
}
END_TEST

/* ---- restart ---- */

static void write_state(const char *id, const char *json)
{
    char path[512];
    ck_assert_int_eq(kelp_txn_file_path(path, sizeof(path), id, strlen(id)), 0);
    char dir[512];
    ck_assert_int_eq(kelp_txn_dir_path(dir, sizeof(dir), id, strlen(id)), 0);
    ck_assert_int_eq(fs->ops->mkdirs(fs, dir), 0);
    ck_assert_int_eq(fs->ops->write_file_atomic(fs, path, json, strlen(json)), 0);
}

START_TEST(a_restart_finishes_decided_transactions)
{
    reply c = init_ok("committing");
    reply a = init_ok("aborting");
    reply o = init_ok("open");
    int32_t parts[] = {0, 1};
    ck_assert_int_eq(add_partitions("committing", c.pid, c.epoch, parts, 2), KAFKA_ERR_NONE);
    ck_assert_int_eq(add_partitions("aborting", a.pid, a.epoch, parts + 1, 1), KAFKA_ERR_NONE);
    ck_assert_int_eq(add_partitions("open", o.pid, o.epoch, parts, 1), KAFKA_ERR_NONE);
    ck_assert_int_eq(produce_txn(p0, c.pid, c.epoch, 0, 2), 0);
    ck_assert_int_eq(produce_txn(p1, c.pid, c.epoch, 0, 1), 0);
    ck_assert_int_eq(produce_txn(p1, a.pid, a.epoch, 0, 1), 1);
    ck_assert_int_eq(produce_txn(p0, o.pid, o.epoch, 0, 1), 2);
    close_all();

    /* As if the gateway stopped right after deciding (the state files of
     * PrepareCommit and PrepareAbort, before any marker). */
    int64_t now = kelp_clock_wall_ms();
    char json[1024];
    snprintf(json, sizeof(json),
             "{\"transactional_id\":\"committing\",\"producer_id\":%lld,\"producer_epoch\":%d,"
             "\"last_producer_id\":-1,\"last_producer_epoch\":-1,\"timeout_ms\":60000,\"state\":\"PrepareCommit\","
             "\"start_ms\":%lld,\"update_ms\":%lld,\"partitions\":[{\"topic\":\"t\",\"partition\":0},"
             "{\"topic\":\"t\",\"partition\":1}],\"groups\":[\"grp\"],\"pending_offsets\":[{\"group\":\"grp\","
             "\"topic\":\"t\",\"partition\":1,\"offset\":77,\"leader_epoch\":-1,\"metadata_hex\":\"00ff61\"}]}",
             (long long)c.pid, c.epoch, (long long)now, (long long)now);
    {
        char err[256];
        kelp_fs *rawfs = kelp_fs_local_open(root, err, sizeof(err));
        ck_assert_ptr_nonnull(rawfs);
        fs = rawfs;
        write_state("committing", json);
        snprintf(json, sizeof(json),
                 "{\"producer_id\":%lld,\"producer_epoch\":%d,\"last_producer_id\":-1,\"last_producer_epoch\":-1,"
                 "\"timeout_ms\":60000,\"state\":\"PrepareAbort\",\"start_ms\":%lld,\"update_ms\":%lld,"
                 "\"partitions\":[{\"topic\":\"t\",\"partition\":1}],\"groups\":[],\"pending_offsets\":[]}",
                 (long long)a.pid, a.epoch, (long long)now, (long long)now);
        write_state("aborting", json);
        rawfs->ops->destroy(rawfs);
    }

    open_all();
    /* Storage alone knows the transactions are open. */
    const kelp_txn *t = txn("committing");
    ck_assert_ptr_nonnull(t);
    ck_assert_int_eq(t->status, KELP_TXN_PREPARE_COMMIT);
    ck_assert_int_eq(t->producer_id, c.pid);
    ck_assert_int_eq(txn("aborting")->status, KELP_TXN_PREPARE_ABORT);
    ck_assert_int_eq(txn("open")->status, KELP_TXN_ONGOING);
    ck_assert_int_eq(kelp_partition_last_stable_offset(p0), 0);
    ck_assert_int_eq(kelp_partition_last_stable_offset(p1), 0);
    ck_assert(kelp_txn_offset_pending(coord, "grp", 3, "t", 1, 1));
    ck_assert_ptr_null(kelp_offset_store_get(offsets, "grp", 3, "t", 1, 1));
    /* Decided: a new init must wait. */
    reply busy;
    init(&busy, "committing", 60000, -1, -1);
    ck_assert_int_eq(busy.error, KAFKA_ERR_CONCURRENT_TRANSACTIONS);

    wait_status("committing", KELP_TXN_COMPLETE_COMMIT);
    wait_status("aborting", KELP_TXN_COMPLETE_ABORT);
    settle();
    /* p0: c's two records, o's one, c's commit marker; p1: c, a, then the markers. */
    kelp_batch_header h;
    ck_assert_int_eq(last_batch(p0, &h), KELP_CONTROL_COMMIT);
    ck_assert_int_eq(h.producer_id, c.pid);
    ck_assert_int_eq(h.producer_epoch, c.epoch);
    ck_assert_int_eq(h.base_offset, 3);
    ck_assert_int_eq(kelp_producer_state_get(kelp_partition_producers(p0), c.pid)->txn_first_offset, -1);
    ck_assert_int_eq(kelp_producer_state_get(kelp_partition_producers(p1), c.pid)->txn_first_offset, -1);
    ck_assert_int_eq(kelp_producer_state_get(kelp_partition_producers(p1), a.pid)->txn_first_offset, -1);
    ck_assert_int_eq(kelp_partition_last_stable_offset(p0), 2); /* "open" is still open */
    ck_assert_int_eq(kelp_partition_last_stable_offset(p1), kelp_partition_high_watermark(p1));
    ck_assert_int_eq(kelp_partition_high_watermark(p1), 4);
    span_list l = aborted_in(p1);
    ck_assert_int_eq(l.count, 1);
    ck_assert_int_eq(l.spans[0].producer_id, a.pid);
    ck_assert_int_eq(l.spans[0].first_offset, 1);
    ck_assert_int_eq(aborted_in(p0).count, 0);
    const kelp_committed_offset *co = kelp_offset_store_get(offsets, "grp", 3, "t", 1, 1);
    ck_assert_ptr_nonnull(co);
    ck_assert_int_eq(co->offset, 77);
    ck_assert_uint_eq(co->metadata_len, 3);
    ck_assert_mem_eq(co->metadata, "\0\xff" "a", 3);
    ck_assert(!kelp_txn_offset_pending(coord, "grp", 3, "t", 1, 1));
    ck_assert_int_eq(txn("open")->status, KELP_TXN_ONGOING);

    /* The outcome is durable, and the producer goes on. */
    kelp_buf b;
    kelp_buf_init(&b);
    char path[512];
    ck_assert_int_eq(kelp_txn_file_path(path, sizeof(path), "committing", 10), 0);
    ck_assert_int_eq(fs->ops->read_file(fs, path, &b), 0);
    kelp_txn *disk = kelp_txn_from_json("committing", 10, (const char *)b.data, b.len);
    kelp_buf_free(&b);
    ck_assert_ptr_nonnull(disk);
    ck_assert_int_eq(disk->status, KELP_TXN_COMPLETE_COMMIT);
    ck_assert_uint_eq(disk->partition_count, 0);
    kelp_txn_free(disk);
    ck_assert_int_eq(end_now("committing", c.pid, c.epoch, true), KAFKA_ERR_NONE);
    reply next = init_ok("committing");
    ck_assert_int_eq(next.pid, c.pid);
    ck_assert_int_eq(next.epoch, c.epoch + 1);
    /* New producer ids are new after the restart. */
    reply fresh = init_ok("fresh");
    ck_assert(fresh.pid != c.pid && fresh.pid != a.pid && fresh.pid != o.pid);
}
END_TEST

static void count_txn(void *ctx, const kelp_txn *t)
{
    int *n = ctx;
    ck_assert(strcmp(t->id, "one") == 0 || strcmp(t->id, "two") == 0);
    (*n)++;
}

START_TEST(transactions_can_be_listed_and_found)
{
    int n = 0;
    kelp_txn_each(coord, count_txn, &n);
    ck_assert_int_eq(n, 0);
    reply one = init_ok("one");
    init_ok("two");
    init_ok(NULL); /* idempotent producers are not listed */
    n = 0;
    kelp_txn_each(coord, count_txn, &n);
    ck_assert_int_eq(n, 2);
    ck_assert_ptr_null(txn("three"));
    ck_assert_ptr_null(kelp_txn_find(coord, "on", 2));
    int32_t parts[] = {1};
    ck_assert_int_eq(add_partitions("one", one.pid, one.epoch, parts, 1), KAFKA_ERR_NONE);
    const kelp_txn *t = txn("one");
    ck_assert_str_eq(kelp_txn_status_name(t->status), "Ongoing");
    ck_assert_int_eq(t->timeout_ms, 60000);
    ck_assert_int_eq(t->partitions[0].partition, 1);
    ck_assert_str_eq(t->partitions[0].topic, "t");
    ck_assert_int_le(t->start_ms, kelp_clock_wall_ms());
    ck_assert_int_ge(t->update_ms, t->start_ms);
}
END_TEST

/* ---- producer id blocks ---- */

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int64_t block_end_on_disk(kelp_fs *f)
{
    kelp_buf b;
    kelp_buf_init(&b);
    ck_assert_int_eq(f->ops->read_file(f, KELP_PRODUCER_ID_BLOCK_FILE, &b), 0);
    cJSON *doc = cJSON_ParseWithLength((const char *)b.data, b.len);
    ck_assert_ptr_nonnull(doc);
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(doc, "block_end");
    ck_assert(cJSON_IsNumber(n));
    int64_t end = (int64_t)n->valuedouble;
    cJSON_Delete(doc);
    kelp_buf_free(&b);
    return end;
}

START_TEST(producer_ids_are_unique_across_reopens)
{
    /* The fixture's coordinator already took a block from this root. */
    int64_t first_end = block_end_on_disk(fs);
    ck_assert_int_eq(first_end, KELP_PRODUCER_ID_BLOCK);
    close_all();
    char err[256] = "";
    kelp_fs *f = kelp_fs_local_open(root, err, sizeof(err));
    ck_assert_ptr_nonnull(f);
    kelp_file_writer *w = kelp_file_writer_start(f, loop);
    enum { N = 2 * KELP_PRODUCER_ID_BLOCK + 20 };
    int64_t *ids = malloc(N * sizeof(*ids));
    size_t n = 0;

    kelp_producer_ids *pi = kelp_producer_ids_open(f, w, err, sizeof(err));
    ck_assert_msg(pi != NULL, "%s", err);
    ck_assert_int_eq(block_end_on_disk(f), 2 * KELP_PRODUCER_ID_BLOCK); /* durable before any id */
    /* Without the loop the next block's reservation is never confirmed:
     * exactly one block is handed out, then the ids run out. */
    while (kelp_producer_ids_next(pi, &ids[n]) == 0) {
        ck_assert_uint_lt(n, N);
        n++;
    }
    ck_assert_uint_eq(n, KELP_PRODUCER_ID_BLOCK);
    ck_assert_int_ge(ids[0], first_end); /* the fixture's block is skipped */
    /* Once the reservation is reported, ids flow again. */
    writer = w;
    settle();
    writer = NULL;
    ck_assert_int_eq(block_end_on_disk(f), 3 * KELP_PRODUCER_ID_BLOCK);
    for (int i = 0; i < 10; i++, n++)
        ck_assert_int_eq(kelp_producer_ids_next(pi, &ids[n]), 0);
    kelp_producer_ids_free(pi);

    /* A reopen skips what was left of the reserved block. */
    pi = kelp_producer_ids_open(f, w, err, sizeof(err));
    ck_assert_msg(pi != NULL, "%s", err);
    for (int i = 0; i < 10; i++, n++) {
        ck_assert_int_eq(kelp_producer_ids_next(pi, &ids[n]), 0);
        ck_assert_int_ge(ids[n], 3 * KELP_PRODUCER_ID_BLOCK);
    }
    writer = w;
    settle();
    writer = NULL;
    kelp_producer_ids_free(pi);

    qsort(ids, n, sizeof(*ids), cmp_i64);
    for (size_t i = 1; i < n; i++)
        ck_assert_int_ne(ids[i - 1], ids[i]);
    free(ids);

    /* A block file that cannot be read is not guessed around. */
    ck_assert_int_eq(f->ops->write_file_atomic(f, KELP_PRODUCER_ID_BLOCK_FILE, "{\"block", 7), 0);
    err[0] = '\0';
    ck_assert_ptr_null(kelp_producer_ids_open(f, w, err, sizeof(err)));
    ck_assert_ptr_nonnull(strstr(err, "producer_id_block"));
    ck_assert_int_eq(f->ops->write_file_atomic(f, KELP_PRODUCER_ID_BLOCK_FILE, "{\"block_end\":-4}", 16), 0);
    ck_assert_ptr_null(kelp_producer_ids_open(f, w, err, sizeof(err)));
    kelp_file_writer_stop(w);
    f->ops->destroy(f);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("transactions");
    TCase *state = tcase_create("state");
    tcase_add_test(state, a_transaction_record_survives_its_json);
    tcase_add_test(state, a_malformed_state_file_is_refused);
    suite_add_tcase(s, state);
    TCase *tc = tcase_create("coordinator");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, idempotent_producers_get_new_ids_at_epoch_zero);
    tcase_add_test(tc, transactional_ids_keep_their_producer_id_and_bump_the_epoch);
    tcase_add_test(tc, add_partitions_opens_the_transaction_and_checks_the_producer);
    tcase_add_test(tc, commit_writes_markers_then_applies_offsets_then_answers);
    tcase_add_test(tc, abort_writes_markers_and_applies_no_offsets);
    tcase_add_test(tc, a_v2_end_bumps_the_epoch_and_answers_it);
    tcase_add_test(tc, init_over_an_open_transaction_aborts_it_with_a_new_epoch);
    tcase_add_test(tc, a_transaction_past_its_timeout_is_aborted_by_the_timer);
    tcase_add_test(tc, a_restart_finishes_decided_transactions);
    tcase_add_test(tc, transactions_can_be_listed_and_found);
    tcase_add_test(tc, producer_ids_are_unique_across_reopens);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
