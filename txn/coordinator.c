/* Transactions follow Kafka's TransactionCoordinator: InitProducerId bumps
 * the epoch (fencing an older producer, and aborting its open
 * transaction), AddPartitionsToTxn/AddOffsetsToTxn open a transaction,
 * EndTxn decides it (PrepareCommit/PrepareAbort, durable), markers go to
 * every partition, committed offsets are applied, and CompleteCommit/
 * CompleteAbort ends it. A transaction older than its timeout is aborted
 * with a bumped epoch. One change at a time per transactional id: while
 * one is being written, others get CONCURRENT_TRANSACTIONS. */
#include "txn/coordinator.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "offsets/offset_path.h"
#include "protocol/kafka_errors.h"
#include "records/control_batch.h"
#include "storage/layout.h"
#include "txn/producer_ids.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/strmap.h"

#define TXN_LOG "txn"

typedef enum txn_phase {
    PHASE_IDLE = 0,
    PHASE_WRITE,          /* a simple change is being written */
    PHASE_PREPARE_WRITE,  /* PrepareCommit/PrepareAbort is being written */
    PHASE_MARKERS,        /* markers appended, waiting for them to be durable */
    PHASE_OFFSETS,        /* committed offsets being applied */
    PHASE_COMPLETE_WRITE, /* CompleteCommit/CompleteAbort is being written */
} txn_phase;

typedef struct marker_wait {
    char *topic;
    int32_t partition;
    int64_t end; /* the marker's offset + 1; -1 when not appended */
} marker_wait;

typedef struct txn_entry {
    kelp_txn *t;
    kelp_txn_coordinator *c;
    txn_phase phase;
    bool retry;       /* the current phase failed and is redone by the timer */
    bool init_bumped; /* the last change was InitProducerId's epoch bump */
    bool unsaved;     /* a change failed to be written: the next request writes it */
    marker_wait *markers;
    size_t marker_count;
    int32_t offsets_pending;
    bool offsets_failed;
    kelp_txn_reply_fn reply; /* the request waiting for the change, if any */
    void *reply_ctx;
} txn_entry;

struct kelp_txn_coordinator {
    kelp_loop *loop;
    kelp_storage *storage;
    kelp_fs *fs;
    kelp_file_writer *writer;
    kelp_offset_store *offsets;
    kelp_producer_ids *ids;
    kelp_txn_limits limits;
    kelp_strmap by_id;  /* transactional id -> txn_entry */
    kelp_strmap by_pid; /* 8-byte producer id -> txn_entry */
    txn_entry **marking; /* entries in PHASE_MARKERS */
    size_t marking_count, marking_cap;
    kelp_timer *timer;
    bool stopping;
};

static void persist(txn_entry *e);
static void write_markers(txn_entry *e);
static void apply_offsets(txn_entry *e);
static void arm_timer(kelp_txn_coordinator *c, int64_t delay_ms);

static void reply_now(txn_entry *e, int16_t error)
{
    kelp_txn_reply_fn fn = e->reply;
    e->reply = NULL;
    if (fn)
        fn(e->reply_ctx, error, e->t->producer_id, e->t->epoch);
}

static txn_entry *find_entry(kelp_txn_coordinator *c, const char *id, size_t len)
{
    return kelp_strmap_get(&c->by_id, id, len);
}

static txn_entry *find_by_pid(kelp_txn_coordinator *c, int64_t pid)
{
    return kelp_strmap_get(&c->by_pid, &pid, sizeof(pid));
}

static int set_producer_id(kelp_txn_coordinator *c, txn_entry *e, int64_t pid)
{
    if (e->t->producer_id >= 0 && find_by_pid(c, e->t->producer_id) == e)
        kelp_strmap_remove(&c->by_pid, &e->t->producer_id, sizeof(e->t->producer_id));
    e->t->producer_id = pid;
    return kelp_strmap_put(&c->by_pid, &pid, sizeof(pid), e);
}

static txn_entry *add_entry(kelp_txn_coordinator *c, kelp_txn *t)
{
    txn_entry *e = calloc(1, sizeof(*e));
    if (!e)
        return NULL;
    e->t = t;
    e->c = c;
    if (kelp_strmap_put(&c->by_id, t->id, t->id_len, e) != 0) {
        free(e);
        return NULL;
    }
    if (t->producer_id >= 0 && kelp_strmap_put(&c->by_pid, &t->producer_id, sizeof(t->producer_id), e) != 0) {
        kelp_strmap_remove(&c->by_id, t->id, t->id_len);
        free(e);
        return NULL;
    }
    return e;
}

static void clear_markers(txn_entry *e)
{
    for (size_t i = 0; i < e->marker_count; i++)
        free(e->markers[i].topic);
    free(e->markers);
    e->markers = NULL;
    e->marker_count = 0;
}

static void entry_free(txn_entry *e)
{
    clear_markers(e);
    kelp_txn_free(e->t);
    free(e);
}

/* ---- loading ---- */

typedef struct load_ctx {
    kelp_txn_coordinator *c;
    int failed;
} load_ctx;

static int load_one(void *arg, const char *name, bool is_dir)
{
    load_ctx *lc = arg;
    kelp_txn_coordinator *c = lc->c;
    char id[KELP_GROUP_DIR_MAX + 1];
    size_t id_len;
    if (!is_dir || !kelp_group_dir_decode(name, id, sizeof(id), &id_len))
        return 0;
    char path[KELP_LAYOUT_PATH_MAX];
    if (kelp_txn_file_path(path, sizeof(path), id, id_len) != 0)
        return 0;
    kelp_buf b;
    kelp_buf_init(&b);
    int rc = c->fs->ops->read_file(c->fs, path, &b);
    kelp_txn *t = rc == 0 ? kelp_txn_from_json(id, id_len, (const char *)b.data, b.len) : NULL;
    kelp_buf_free(&b);
    if (!t) {
        if (rc != -ENOENT) /* a directory whose first write never finished */
            KELP_WARN(TXN_LOG, "skipping unreadable %s", path);
        return 0;
    }
    txn_entry *e = add_entry(c, t);
    if (!e) {
        kelp_txn_free(t);
        lc->failed = 1;
        return 1;
    }
    /* A decided transaction is finished: its markers are written again
     * (a repeated marker changes nothing). */
    if (kelp_txn_status_preparing(t->status)) {
        if (t->status == KELP_TXN_PREPARE_EPOCH_FENCE)
            t->status = KELP_TXN_PREPARE_ABORT;
        e->phase = PHASE_MARKERS;
        e->retry = true;
    }
    return 0;
}

kelp_txn_coordinator *kelp_txn_coordinator_new(kelp_loop *loop, kelp_storage *storage, kelp_file_writer *writer,
                                               kelp_offset_store *offsets, const kelp_txn_limits *limits, char *err,
                                               size_t errlen)
{
    kelp_txn_coordinator *c = calloc(1, sizeof(*c));
    if (!c) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    c->loop = loop;
    c->storage = storage;
    c->fs = kelp_storage_fs(storage);
    c->writer = writer;
    c->offsets = offsets;
    c->limits = *limits;
    kelp_strmap_init(&c->by_id);
    kelp_strmap_init(&c->by_pid);
    c->ids = kelp_producer_ids_open(c->fs, writer, err, errlen);
    if (!c->ids) {
        kelp_txn_coordinator_free(c);
        return NULL;
    }
    load_ctx lc = {c, 0};
    int rc = c->fs->ops->list(c->fs, KELP_TXN_ROOT, load_one, &lc);
    if ((rc != 0 && rc != -ENOENT) || lc.failed) {
        snprintf(err, errlen, "cannot load the transactions under %s", KELP_TXN_ROOT);
        kelp_txn_coordinator_free(c);
        return NULL;
    }
    /* The first pass resumes decided transactions once the loop runs. */
    arm_timer(c, 0);
    return c;
}

void kelp_txn_coordinator_set_limits(kelp_txn_coordinator *c, const kelp_txn_limits *limits)
{
    c->limits = *limits;
}

static void answer_all(kelp_txn_coordinator *c, int16_t error)
{
    size_t pos = 0;
    const char *key;
    size_t len;
    void *value;
    while (kelp_strmap_next(&c->by_id, &pos, &key, &len, &value))
        reply_now(value, error);
}

void kelp_txn_coordinator_shutdown(kelp_txn_coordinator *c)
{
    if (!c || c->stopping)
        return;
    c->stopping = true;
    if (c->timer)
        kelp_timer_cancel(c->loop, c->timer);
    c->timer = NULL;
    answer_all(c, KAFKA_ERR_COORDINATOR_NOT_AVAILABLE);
}

void kelp_txn_coordinator_free(kelp_txn_coordinator *c)
{
    if (!c)
        return;
    if (c->timer)
        kelp_timer_cancel(c->loop, c->timer);
    size_t pos = 0;
    const char *key;
    size_t len;
    void *value;
    while (kelp_strmap_next(&c->by_id, &pos, &key, &len, &value))
        entry_free(value);
    kelp_strmap_free(&c->by_id);
    kelp_strmap_free(&c->by_pid);
    free(c->marking);
    kelp_producer_ids_free(c->ids);
    free(c);
}

/* ---- writing the state file ---- */

static void finish_phase(txn_entry *e);

static void written(void *ctx, int status)
{
    txn_entry *e = ctx;
    /* After shutdown nothing moves on: a start finishes what was decided. */
    if (e->c->stopping)
        return;
    if (status != 0) {
        KELP_WARN(TXN_LOG, "cannot write the state of transactional id %s: %s", e->t->id, strerror(-status));
        if (e->phase == PHASE_WRITE) {
            /* The change stays in memory and is written with the next one. */
            e->phase = PHASE_IDLE;
            e->unsaved = true;
            reply_now(e, KAFKA_ERR_COORDINATOR_NOT_AVAILABLE);
        } else {
            e->retry = true;
            arm_timer(e->c, e->c->limits.check_interval_ms);
        }
        return;
    }
    finish_phase(e);
}

static void persist(txn_entry *e)
{
    e->t->update_ms = kelp_clock_wall_ms();
    char path[KELP_LAYOUT_PATH_MAX];
    char *text = kelp_txn_to_json(e->t);
    if (!text || kelp_txn_file_path(path, sizeof(path), e->t->id, e->t->id_len) != 0 ||
        kelp_file_writer_put(e->c->writer, path, text, strlen(text), written, e) != 0) {
        free(text);
        written(e, -ENOMEM);
        return;
    }
    free(text);
}

static void begin_complete(txn_entry *e)
{
    kelp_txn *t = e->t;
    t->status = t->status == KELP_TXN_PREPARE_COMMIT ? KELP_TXN_COMPLETE_COMMIT : KELP_TXN_COMPLETE_ABORT;
    if (t->tv2) {
        /* The bumped epoch is the producer's from now on (Kafka keeps it as
         * the last epoch too); an exhausted one moves to the new id, only
         * now that the markers carry the old id's last epoch. */
        t->last_producer_id = t->producer_id;
        t->last_epoch = t->epoch;
        if (t->next_producer_id >= 0) {
            if (set_producer_id(e->c, e, t->next_producer_id) != 0)
                KELP_ERROR(TXN_LOG, "transactional id %s: out of memory indexing producer id %lld", t->id,
                           (long long)t->next_producer_id);
            t->epoch = 0;
            t->next_producer_id = -1;
        }
    }
    kelp_txn_clear_members(t);
    t->start_ms = -1;
    e->phase = PHASE_COMPLETE_WRITE;
    persist(e);
}

static void finish_phase(txn_entry *e)
{
    e->unsaved = false; /* the whole state was written */
    switch (e->phase) {
    case PHASE_WRITE:
        e->phase = PHASE_IDLE;
        reply_now(e, KAFKA_ERR_NONE);
        break;
    case PHASE_PREPARE_WRITE:
        write_markers(e);
        break;
    case PHASE_COMPLETE_WRITE:
        e->phase = PHASE_IDLE;
        KELP_DEBUG(TXN_LOG, "transactional id %s: %s", e->t->id, kelp_txn_status_name(e->t->status));
        reply_now(e, KAFKA_ERR_NONE);
        break;
    default:
        break;
    }
}

/* ---- markers ---- */

static void marking_remove(kelp_txn_coordinator *c, txn_entry *e)
{
    for (size_t i = 0; i < c->marking_count; i++)
        if (c->marking[i] == e) {
            c->marking[i] = c->marking[--c->marking_count];
            return;
        }
}

static int marking_add(kelp_txn_coordinator *c, txn_entry *e)
{
    for (size_t i = 0; i < c->marking_count; i++)
        if (c->marking[i] == e)
            return 0;
    if (c->marking_count == c->marking_cap) {
        size_t n = c->marking_cap ? c->marking_cap * 2 : 8;
        txn_entry **g = realloc(c->marking, n * sizeof(*g));
        if (!g)
            return -1;
        c->marking = g;
        c->marking_cap = n;
    }
    c->marking[c->marking_count++] = e;
    return 0;
}

static kelp_partition *lookup_partition(kelp_txn_coordinator *c, const char *topic, int32_t partition)
{
    kelp_topic *t = kelp_storage_find_topic(c->storage, topic, strlen(topic));
    return t ? kelp_topic_partition(t, partition) : NULL;
}

static bool markers_durable(txn_entry *e)
{
    for (size_t i = 0; i < e->marker_count; i++) {
        if (e->markers[i].end < 0)
            continue;
        kelp_partition *p = lookup_partition(e->c, e->markers[i].topic, e->markers[i].partition);
        /* A deleted topic has nothing left to mark. */
        if (p && kelp_partition_high_watermark(p) < e->markers[i].end)
            return false;
    }
    return true;
}

static void markers_done(txn_entry *e)
{
    marking_remove(e->c, e);
    clear_markers(e);
    if (e->t->status == KELP_TXN_PREPARE_COMMIT && e->t->offset_count > 0)
        apply_offsets(e);
    else
        begin_complete(e);
}

static void write_markers(txn_entry *e)
{
    kelp_txn_coordinator *c = e->c;
    kelp_txn *t = e->t;
    e->phase = PHASE_MARKERS;
    e->retry = false;
    clear_markers(e);
    int type = t->status == KELP_TXN_PREPARE_COMMIT ? KELP_CONTROL_COMMIT : KELP_CONTROL_ABORT;
    e->markers = calloc(t->partition_count + 1, sizeof(*e->markers));
    if (!e->markers || marking_add(c, e) != 0) {
        e->retry = true;
        arm_timer(c, c->limits.check_interval_ms);
        return;
    }
    int64_t now = kelp_clock_wall_ms();
    bool appended = false;
    for (size_t i = 0; i < t->partition_count; i++) {
        marker_wait *m = &e->markers[e->marker_count];
        m->topic = strdup(t->partitions[i].topic);
        if (!m->topic) {
            e->retry = true;
            break;
        }
        m->partition = t->partitions[i].partition;
        m->end = -1;
        e->marker_count++;
        kelp_partition *p = lookup_partition(c, m->topic, m->partition);
        if (!p)
            continue;
        int64_t offset;
        if (kelp_partition_append_marker(p, t->producer_id, t->epoch, type, 0, now, &offset) != KELP_STORAGE_OK) {
            KELP_WARN(TXN_LOG, "cannot write the %s marker of %s to %s-%d; retrying", type ? "commit" : "abort", t->id,
                      m->topic, m->partition);
            e->retry = true;
            continue;
        }
        m->end = offset + 1;
        appended = true;
    }
    if (appended)
        kelp_storage_request_sync(c->storage);
    if (e->retry) {
        arm_timer(c, c->limits.check_interval_ms);
        return;
    }
    if (markers_durable(e))
        markers_done(e);
}

void kelp_txn_coordinator_on_durable(kelp_txn_coordinator *c)
{
    /* markers_done removes the entry from the list: walk from the end. */
    for (size_t i = c->marking_count; i-- > 0;) {
        txn_entry *e = c->marking[i];
        if (!e->retry && markers_durable(e))
            markers_done(e);
    }
}

/* ---- committed offsets ---- */

static void offset_written(void *ctx, int status)
{
    txn_entry *e = ctx;
    if (e->c->stopping)
        return;
    if (status != 0)
        e->offsets_failed = true;
    if (--e->offsets_pending > 0)
        return;
    if (e->offsets_failed) {
        KELP_WARN(TXN_LOG, "cannot apply the offsets of transactional id %s; retrying", e->t->id);
        e->retry = true;
        arm_timer(e->c, e->c->limits.check_interval_ms);
        return;
    }
    begin_complete(e);
}

static void apply_offsets(txn_entry *e)
{
    kelp_txn *t = e->t;
    e->phase = PHASE_OFFSETS;
    e->retry = false;
    e->offsets_failed = false;
    e->offsets_pending = 1; /* held until every write is queued */
    int64_t now = kelp_clock_wall_ms();
    for (size_t i = 0; i < t->offset_count; i++) {
        const kelp_txn_offset *o = &t->offsets[i];
        if (kelp_offset_store_commit(e->c->offsets, o->group, o->group_len, o->topic, strlen(o->topic), o->partition,
                                     o->offset, o->leader_epoch, o->metadata, o->metadata_len, now, offset_written,
                                     e) != 0) {
            e->offsets_failed = true;
            continue;
        }
        e->offsets_pending++;
    }
    offset_written(e, 0);
}

/* ---- deciding a transaction ---- */

/* Commits or aborts the open transaction. A fence (InitProducerId over an
 * open transaction, or a timeout) bumps the epoch first, so that the old
 * producer can do nothing more in it; so does every end of transactions
 * v2 (EndTxn v5), whose markers then carry the new epoch. A fence is never
 * a v2 end: the fenced producer's EndTxn must not pass as a retry. */
static void begin_end(txn_entry *e, bool commit, bool fence, bool tv2)
{
    kelp_txn *t = e->t;
    if ((fence || tv2) && t->epoch < INT16_MAX) {
        t->last_producer_id = t->producer_id;
        t->last_epoch = t->epoch;
        t->epoch++;
    }
    t->tv2 = tv2 && !fence;
    if (!t->tv2)
        t->next_producer_id = -1;
    e->init_bumped = false;
    t->status = commit ? KELP_TXN_PREPARE_COMMIT : KELP_TXN_PREPARE_ABORT;
    e->phase = PHASE_PREPARE_WRITE;
    persist(e);
}

/* ---- the timer: timeouts and retries ---- */

static void on_timer(void *ctx)
{
    kelp_txn_coordinator *c = ctx;
    c->timer = NULL;
    if (c->stopping)
        return;
    int64_t now = kelp_clock_wall_ms();
    size_t pos = 0;
    const char *key;
    size_t len;
    void *value;
    while (kelp_strmap_next(&c->by_id, &pos, &key, &len, &value)) {
        txn_entry *e = value;
        kelp_txn *t = e->t;
        if (e->retry) {
            switch (e->phase) {
            case PHASE_PREPARE_WRITE:
            case PHASE_COMPLETE_WRITE:
                e->retry = false;
                persist(e);
                break;
            case PHASE_MARKERS:
                write_markers(e);
                break;
            case PHASE_OFFSETS:
                apply_offsets(e);
                break;
            default:
                e->retry = false;
                break;
            }
            continue;
        }
        if (e->phase == PHASE_IDLE && t->status == KELP_TXN_ONGOING && t->start_ms >= 0 &&
            now - t->start_ms > (int64_t)t->timeout_ms) {
            KELP_INFO(TXN_LOG, "transactional id %s: aborting a transaction open for %lld ms (timeout %d ms)", t->id,
                      (long long)(now - t->start_ms), t->timeout_ms);
            begin_end(e, false, true, false);
        }
    }
    arm_timer(c, c->limits.check_interval_ms);
}

static void arm_timer(kelp_txn_coordinator *c, int64_t delay_ms)
{
    if (c->stopping)
        return;
    int64_t due = kelp_clock_mono_ms() + delay_ms;
    if (c->timer)
        kelp_timer_cancel(c->loop, c->timer);
    c->timer = kelp_timer_add(c->loop, due, on_timer, c);
}

/* ---- the requests ---- */

bool kelp_txn_id_valid(kw_str id)
{
    char path[KELP_LAYOUT_PATH_MAX];
    return id.len > 0 && kelp_txn_file_path(path, sizeof(path), id.ptr, (size_t)id.len) == 0;
}

static void fail(kelp_txn_reply_fn reply, void *ctx, int16_t error)
{
    reply(ctx, error, -1, -1);
}

static bool claims(const kelp_txn *t, int64_t pid, int16_t epoch, bool *current)
{
    *current = t->producer_id == pid && t->epoch == epoch;
    return *current || (t->last_producer_id == pid && t->last_epoch == epoch && pid >= 0);
}

/* A transaction begins with its first partition or group: Ongoing, with
 * its clock started. */
static void begin_ongoing(kelp_txn *t)
{
    if (t->status == KELP_TXN_ONGOING)
        return;
    kelp_txn_clear_members(t);
    t->status = KELP_TXN_ONGOING;
    t->start_ms = kelp_clock_wall_ms();
}

/* Writes a change of the open transaction; the reply follows once durable. */
static void write_change(txn_entry *e, kelp_txn_reply_fn reply, void *ctx)
{
    e->init_bumped = false;
    e->reply = reply;
    e->reply_ctx = ctx;
    e->phase = PHASE_WRITE;
    persist(e);
}

void kelp_txn_init_producer(kelp_txn_coordinator *c, kw_str txn_id, int32_t timeout_ms, int64_t expected_id,
                            int16_t expected_epoch, kelp_txn_reply_fn reply, void *ctx)
{
    int64_t pid;
    if (txn_id.len < 0) {
        if (kelp_producer_ids_next(c->ids, &pid) != 0)
            return fail(reply, ctx, KAFKA_ERR_COORDINATOR_LOAD_IN_PROGRESS);
        return reply(ctx, KAFKA_ERR_NONE, pid, 0);
    }
    if (!kelp_txn_id_valid(txn_id))
        return fail(reply, ctx, KAFKA_ERR_INVALID_REQUEST);
    if (timeout_ms <= 0 || timeout_ms > c->limits.max_timeout_ms)
        return fail(reply, ctx, KAFKA_ERR_INVALID_TRANSACTION_TIMEOUT);
    txn_entry *e = find_entry(c, txn_id.ptr, (size_t)txn_id.len);
    if (!e) {
        if (kelp_producer_ids_next(c->ids, &pid) != 0)
            return fail(reply, ctx, KAFKA_ERR_COORDINATOR_LOAD_IN_PROGRESS);
        kelp_txn *t = kelp_txn_new(txn_id.ptr, (size_t)txn_id.len);
        if (!t)
            return fail(reply, ctx, KAFKA_ERR_COORDINATOR_NOT_AVAILABLE);
        t->producer_id = pid;
        t->epoch = 0;
        t->timeout_ms = timeout_ms;
        t->status = KELP_TXN_EMPTY;
        e = add_entry(c, t);
        if (!e) {
            kelp_txn_free(t);
            return fail(reply, ctx, KAFKA_ERR_COORDINATOR_NOT_AVAILABLE);
        }
        write_change(e, reply, ctx);
        e->init_bumped = true;
        return;
    }
    kelp_txn *t = e->t;
    if (e->phase != PHASE_IDLE)
        return fail(reply, ctx, KAFKA_ERR_CONCURRENT_TRANSACTIONS);
    bool current = false;
    if (expected_id >= 0 && !claims(t, expected_id, expected_epoch, &current))
        return fail(reply, ctx, KAFKA_ERR_PRODUCER_FENCED);
    switch (t->status) {
    case KELP_TXN_ONGOING:
        /* The new producer may go on once the old one's transaction is aborted. */
        begin_end(e, false, true, false);
        return fail(reply, ctx, KAFKA_ERR_CONCURRENT_TRANSACTIONS);
    case KELP_TXN_EMPTY:
    case KELP_TXN_COMPLETE_COMMIT:
    case KELP_TXN_COMPLETE_ABORT:
    case KELP_TXN_DEAD:
        break;
    default:
        return fail(reply, ctx, KAFKA_ERR_CONCURRENT_TRANSACTIONS);
    }
    /* A retry whose first answer was lost gets that answer again. */
    if (expected_id >= 0 && !current && e->init_bumped && t->timeout_ms == timeout_ms)
        return reply(ctx, KAFKA_ERR_NONE, t->producer_id, t->epoch);
    int64_t old_pid = t->producer_id;
    int16_t old_epoch = t->epoch;
    if (t->epoch >= INT16_MAX - 1) {
        /* The epoch is exhausted: a new producer id starts again at 0. */
        if (kelp_producer_ids_next(c->ids, &pid) != 0)
            return fail(reply, ctx, KAFKA_ERR_COORDINATOR_LOAD_IN_PROGRESS);
        if (set_producer_id(c, e, pid) != 0)
            return fail(reply, ctx, KAFKA_ERR_COORDINATOR_NOT_AVAILABLE);
        t->epoch = 0;
    } else {
        t->epoch++;
    }
    t->last_producer_id = old_pid;
    t->last_epoch = old_epoch;
    t->tv2 = false;
    t->next_producer_id = -1;
    t->timeout_ms = timeout_ms;
    t->status = KELP_TXN_EMPTY;
    t->start_ms = -1;
    kelp_txn_clear_members(t);
    write_change(e, reply, ctx);
    e->init_bumped = true;
}

/* The checks every request of an open transaction shares. */
static int16_t check_member(txn_entry *e, int64_t producer_id, int16_t epoch, int16_t epoch_error)
{
    if (!e || e->t->producer_id != producer_id)
        return KAFKA_ERR_INVALID_PRODUCER_ID_MAPPING;
    if (e->t->epoch != epoch)
        return epoch_error;
    if (e->phase != PHASE_IDLE || kelp_txn_status_preparing(e->t->status))
        return KAFKA_ERR_CONCURRENT_TRANSACTIONS;
    if (e->t->status == KELP_TXN_DEAD)
        return KAFKA_ERR_INVALID_TXN_STATE;
    return KAFKA_ERR_NONE;
}

void kelp_txn_add_partitions(kelp_txn_coordinator *c, kw_str txn_id, int64_t producer_id, int16_t epoch,
                             const kelp_txn_topic_partition *parts, size_t count, kelp_txn_reply_fn reply, void *ctx)
{
    txn_entry *e = txn_id.len > 0 ? find_entry(c, txn_id.ptr, (size_t)txn_id.len) : NULL;
    int16_t error = check_member(e, producer_id, epoch, KAFKA_ERR_PRODUCER_FENCED);
    if (error)
        return fail(reply, ctx, error);
    kelp_txn *t = e->t;
    bool all_in = t->status == KELP_TXN_ONGOING;
    for (size_t i = 0; i < count && all_in; i++)
        all_in = kelp_txn_has_partition(t, parts[i].topic.ptr, (size_t)parts[i].topic.len, parts[i].partition);
    /* Already in, and durably: a retry after a failed write must write it
     * (Produce v12 writes the batch right after this answer). */
    if (all_in && !e->unsaved)
        return reply(ctx, KAFKA_ERR_NONE, t->producer_id, t->epoch);
    begin_ongoing(t);
    for (size_t i = 0; i < count; i++)
        if (kelp_txn_add_partition(t, parts[i].topic.ptr, (size_t)parts[i].topic.len, parts[i].partition) != 0)
            return fail(reply, ctx, KAFKA_ERR_COORDINATOR_NOT_AVAILABLE);
    write_change(e, reply, ctx);
}

int16_t kelp_txn_verify_partition(kelp_txn_coordinator *c, kw_str txn_id, int64_t producer_id, int16_t epoch,
                                  kw_str topic, int32_t partition)
{
    txn_entry *e = txn_id.len > 0 ? find_entry(c, txn_id.ptr, (size_t)txn_id.len) : NULL;
    if (!e || e->t->producer_id != producer_id)
        return KAFKA_ERR_INVALID_PRODUCER_ID_MAPPING;
    if (e->t->epoch != epoch)
        return KAFKA_ERR_PRODUCER_FENCED;
    if (e->t->status != KELP_TXN_ONGOING ||
        !kelp_txn_has_partition(e->t, topic.ptr, (size_t)topic.len, partition))
        return KAFKA_ERR_INVALID_TXN_STATE;
    return KAFKA_ERR_NONE;
}

void kelp_txn_add_offsets(kelp_txn_coordinator *c, kw_str txn_id, int64_t producer_id, int16_t epoch, kw_str group,
                          kelp_txn_reply_fn reply, void *ctx)
{
    txn_entry *e = txn_id.len > 0 ? find_entry(c, txn_id.ptr, (size_t)txn_id.len) : NULL;
    int16_t error = check_member(e, producer_id, epoch, KAFKA_ERR_PRODUCER_FENCED);
    if (error)
        return fail(reply, ctx, error);
    kelp_txn *t = e->t;
    if (t->status == KELP_TXN_ONGOING && kelp_txn_has_group(t, group.ptr, (size_t)group.len) && !e->unsaved)
        return reply(ctx, KAFKA_ERR_NONE, t->producer_id, t->epoch);
    begin_ongoing(t);
    if (kelp_txn_add_group(t, group.ptr, (size_t)group.len) != 0)
        return fail(reply, ctx, KAFKA_ERR_COORDINATOR_NOT_AVAILABLE);
    write_change(e, reply, ctx);
}

void kelp_txn_commit_offsets(kelp_txn_coordinator *c, kw_str txn_id, int64_t producer_id, int16_t epoch,
                             kw_str group, bool add_group, const kelp_txn_commit_offset *offsets, size_t count,
                             kelp_txn_reply_fn reply, void *ctx)
{
    txn_entry *e = txn_id.len > 0 ? find_entry(c, txn_id.ptr, (size_t)txn_id.len) : NULL;
    int16_t error = check_member(e, producer_id, epoch, KAFKA_ERR_INVALID_PRODUCER_EPOCH);
    if (error)
        return fail(reply, ctx, error);
    kelp_txn *t = e->t;
    bool joined = t->status == KELP_TXN_ONGOING && kelp_txn_has_group(t, group.ptr, (size_t)group.len);
    if (!joined && add_group) {
        /* What AddOffsetsToTxn would have done, written with the offsets. */
        begin_ongoing(t);
        if (kelp_txn_add_group(t, group.ptr, (size_t)group.len) != 0)
            return fail(reply, ctx, KAFKA_ERR_COORDINATOR_NOT_AVAILABLE);
    } else if (!joined) {
        /* The group must have joined the transaction (AddOffsetsToTxn). */
        return fail(reply, ctx, KAFKA_ERR_INVALID_TXN_STATE);
    }
    for (size_t i = 0; i < count; i++) {
        const kelp_txn_commit_offset *o = &offsets[i];
        if (kelp_txn_put_offset(t, group.ptr, (size_t)group.len, o->topic.ptr, (size_t)o->topic.len, o->partition,
                                o->offset, o->leader_epoch, o->metadata.len > 0 ? o->metadata.ptr : "",
                                o->metadata.len > 0 ? (size_t)o->metadata.len : 0) != 0)
            return fail(reply, ctx, KAFKA_ERR_COORDINATOR_NOT_AVAILABLE);
    }
    if (count == 0 && joined)
        return reply(ctx, KAFKA_ERR_NONE, t->producer_id, t->epoch);
    write_change(e, reply, ctx);
}

void kelp_txn_end(kelp_txn_coordinator *c, kw_str txn_id, int64_t producer_id, int16_t epoch, bool commit, bool tv2,
                  kelp_txn_reply_fn reply, void *ctx)
{
    txn_entry *e = txn_id.len > 0 ? find_entry(c, txn_id.ptr, (size_t)txn_id.len) : NULL;
    if (!e)
        return fail(reply, ctx, KAFKA_ERR_INVALID_PRODUCER_ID_MAPPING);
    kelp_txn *t = e->t;
    bool complete = t->status == KELP_TXN_COMPLETE_COMMIT || t->status == KELP_TXN_COMPLETE_ABORT;
    /* After a v2 end the producer holds the bumped epoch, so the request
     * before it is a retry only with the epoch just below (or, when the
     * epoch was exhausted, the old id's last usable epoch). */
    bool retry_bump = t->tv2 && t->producer_id == producer_id && epoch >= 0 && t->epoch == epoch + 1;
    bool retry_overflow = t->tv2 && complete && t->producer_id != producer_id && producer_id >= 0 &&
                          t->last_producer_id == producer_id && epoch == INT16_MAX - 1 && t->epoch == 0;
    if (t->producer_id != producer_id && !retry_overflow)
        return fail(reply, ctx, KAFKA_ERR_INVALID_PRODUCER_ID_MAPPING);
    /* A change under way answers before the epoch is judged (KAFKA-18464):
     * a retry must not look fenced while its own end is being written. */
    if (e->phase != PHASE_IDLE && (epoch == t->epoch || retry_bump))
        return fail(reply, ctx, KAFKA_ERR_CONCURRENT_TRANSACTIONS);
    bool valid = epoch == t->epoch;
    if (t->tv2 && kelp_txn_status_preparing(t->status))
        valid = retry_bump;
    else if (t->tv2 && complete)
        valid = valid || retry_bump || retry_overflow;
    if (!valid)
        return fail(reply, ctx, KAFKA_ERR_PRODUCER_FENCED);
    if (e->phase != PHASE_IDLE)
        return fail(reply, ctx, KAFKA_ERR_CONCURRENT_TRANSACTIONS);
    /* v2: an abort at the current epoch with no transaction open is an
     * empty abort, which bumps the epoch too (the producer cannot know
     * whether its batches joined a transaction); a commit there is invalid. */
    bool retry = retry_bump || retry_overflow;
    bool empty_abort = tv2 && !commit && !retry && (complete || t->status == KELP_TXN_EMPTY);
    if (commit && !retry && complete && t->tv2)
        return fail(reply, ctx, KAFKA_ERR_INVALID_TXN_STATE);
    if (t->status == KELP_TXN_ONGOING || empty_abort) {
        if (tv2 && t->epoch >= INT16_MAX - 1) {
            /* The bump takes the last epoch: the next transaction needs a new id. */
            int64_t next;
            if (kelp_producer_ids_next(c->ids, &next) != 0)
                return fail(reply, ctx, KAFKA_ERR_COORDINATOR_LOAD_IN_PROGRESS);
            t->next_producer_id = next;
        }
        e->reply = reply;
        e->reply_ctx = ctx;
        begin_end(e, commit, false, tv2);
        return;
    }
    switch (t->status) {
    case KELP_TXN_COMPLETE_COMMIT: /* a retry of what happened already */
        return commit ? reply(ctx, KAFKA_ERR_NONE, t->producer_id, t->epoch)
                      : fail(reply, ctx, KAFKA_ERR_INVALID_TXN_STATE);
    case KELP_TXN_COMPLETE_ABORT:
        return !commit ? reply(ctx, KAFKA_ERR_NONE, t->producer_id, t->epoch)
                       : fail(reply, ctx, KAFKA_ERR_INVALID_TXN_STATE);
    case KELP_TXN_PREPARE_COMMIT:
        return fail(reply, ctx, commit ? KAFKA_ERR_CONCURRENT_TRANSACTIONS : KAFKA_ERR_INVALID_TXN_STATE);
    case KELP_TXN_PREPARE_ABORT:
    case KELP_TXN_PREPARE_EPOCH_FENCE:
        return fail(reply, ctx, !commit ? KAFKA_ERR_CONCURRENT_TRANSACTIONS : KAFKA_ERR_INVALID_TXN_STATE);
    default:
        return fail(reply, ctx, KAFKA_ERR_INVALID_TXN_STATE);
    }
}

int16_t kelp_txn_check_produce(kelp_txn_coordinator *c, int64_t producer_id, int16_t epoch, const char *topic,
                               size_t topic_len, int32_t partition)
{
    txn_entry *e = find_by_pid(c, producer_id);
    if (!e)
        return KAFKA_ERR_INVALID_PRODUCER_ID_MAPPING;
    if (epoch < e->t->epoch)
        return KAFKA_ERR_INVALID_PRODUCER_EPOCH;
    if (epoch != e->t->epoch || e->t->status != KELP_TXN_ONGOING ||
        !kelp_txn_has_partition(e->t, topic, topic_len, partition))
        return KAFKA_ERR_INVALID_TXN_STATE;
    return KAFKA_ERR_NONE;
}

bool kelp_txn_offset_pending(kelp_txn_coordinator *c, const char *group, size_t group_len, const char *topic,
                             size_t topic_len, int32_t partition)
{
    size_t pos = 0;
    const char *key;
    size_t len;
    void *value;
    while (kelp_strmap_next(&c->by_id, &pos, &key, &len, &value)) {
        const kelp_txn *t = ((txn_entry *)value)->t;
        for (size_t i = 0; i < t->offset_count; i++) {
            const kelp_txn_offset *o = &t->offsets[i];
            if (o->partition == partition && o->group_len == group_len && memcmp(o->group, group, group_len) == 0 &&
                strlen(o->topic) == topic_len && memcmp(o->topic, topic, topic_len) == 0)
                return true;
        }
    }
    return false;
}

const kelp_txn *kelp_txn_find(kelp_txn_coordinator *c, const char *id, size_t len)
{
    txn_entry *e = find_entry(c, id, len);
    return e ? e->t : NULL;
}

void kelp_txn_each(kelp_txn_coordinator *c, void (*fn)(void *ctx, const kelp_txn *t), void *ctx)
{
    size_t pos = 0;
    const char *key;
    size_t len;
    void *value;
    while (kelp_strmap_next(&c->by_id, &pos, &key, &len, &value))
        fn(ctx, ((txn_entry *)value)->t);
}
