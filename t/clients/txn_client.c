/* Exactly-once semantics through librdkafka: the transactional producer
 * (init/begin/commit/abort), zombie fencing, read_committed consumers, and a
 * consume-transform-produce loop that commits its input offsets inside its
 * transactions (send_offsets_to_transaction).
 *
 * usage: txn_client BOOTSTRAP MODE ARGS...
 *   produce TOPIC TXN-ID FIRST PLAN MANIFEST
 *       one transaction per PLAN item, "c12,a7,k3": c commits, a aborts,
 *       k leaves the transaction open and the process kills itself with
 *       SIGKILL (a crash mid-transaction). Record FIRST+n goes to partition
 *       (FIRST+n) % 4. Each transaction is flushed before it ends, so aborted
 *       records are in the log too. Appends "index partition offset state
 *       txn" lines to MANIFEST (state committed, aborted or open).
 *   fence TOPIC TXN-ID FIRST MANIFEST
 *       producer A begins a transaction and writes a record; producer B with
 *       the same transactional.id initializes, which must fence A: A's next
 *       record and its commit fail with a fatal fenced error. B commits.
 *   verify TOPIC MANIFEST read_committed|read_uncommitted
 *       consumes every partition from the beginning until the position
 *       reaches the end offset (the last stable offset when read_committed):
 *       exactly the records the isolation level may see, each once, in
 *       offset order, and the end offsets leave room for one transaction
 *       marker per transaction and partition.
 *   check-open TOPIC MANIFEST
 *       with a transaction still open: the last stable offset of the
 *       partitions it wrote is its first offset there, a read_committed
 *       consumer stops there, the high watermark is past its records.
 *   ctp-input TOPIC COUNT
 *       COUNT records "in-NNNNN" from an idempotent (not transactional)
 *       producer, record i to partition i % 4.
 *   ctp-run IN OUT GROUP TXN-ID PLAN STATE
 *       a group member of GROUP reading IN (read_committed, no auto commit)
 *       that writes "out-NNNNN" to the same partition of OUT for each input
 *       record, and commits the input offsets in the same transaction. PLAN
 *       items: cN commits after N records, aN aborts (and rewinds to the
 *       committed offsets), kN sends the offsets and then dies by SIGKILL
 *       before committing, c* commits batches of 10 until IN is consumed.
 *       STATE keeps the offsets of the last commit, to check them on the
 *       next run.
 *   ctp-verify IN OUT GROUP COUNT
 *       OUT read_committed holds each input record exactly once, in input
 *       order per partition, and GROUP's committed offsets are IN's ends.
 *
 * KELP_TEST_MOCK set (librdkafka 2.0.2's mock cluster): the mock writes no
 * transaction markers, answers no aborted transactions and no last stable
 * offset, hands each InitProducerId a new producer id (so fences no one) and
 * drops TxnOffsetCommit offsets; the checks that depend on these say so and
 * expect what the mock does.
 * Exit status 0 when every check passes, 1 (with a message) otherwise. */
#define _POSIX_C_SOURCE 200809L

#include <librdkafka/rdkafka.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "t/clients/client_util.h"

const char client_program[] = "txn_client";

enum {
    PARTITIONS = 4,
    WAIT_MS = 60000,        /* bound on every wait, so a broken broker fails instead of hanging */
    OPEN_TXN_TIMEOUT_MS = 300000, /* longer than the test: only fencing may end a killed transaction */
    MAX_RECORDS = 10000,
    CTP_BATCH = 10,
};

static bool on_mock;

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Fails on an error object, naming the call. */
static void check_error(rd_kafka_error_t *error, const char *what)
{
    if (!error)
        return;
    fail("%s: %s (%s%s%s)", what, rd_kafka_error_string(error), rd_kafka_error_name(error),
         rd_kafka_error_is_fatal(error) ? ", fatal" : "",
         rd_kafka_error_txn_requires_abort(error) ? ", abortable" : "");
}

static bool fenced_code(rd_kafka_resp_err_t err)
{
    return err == RD_KAFKA_RESP_ERR__FENCED || err == RD_KAFKA_RESP_ERR_PRODUCER_FENCED ||
           err == RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH;
}

/* ---- the manifest ---------------------------------------------------- */

struct record {
    int index;
    int32_t partition;
    int64_t offset;
    char state[16]; /* committed, aborted, open */
    char txn[64];   /* which transaction wrote it */
};

struct manifest {
    struct record *r;
    int count;
};

static void manifest_append(const char *path, const struct record *r, int count)
{
    FILE *f = fopen(path, "a");
    if (!f)
        fail("cannot write %s", path);
    for (int i = 0; i < count; i++)
        fprintf(f, "%d %d %" PRId64 " %s %s\n", r[i].index, (int)r[i].partition, r[i].offset,
                r[i].state, r[i].txn);
    if (fclose(f) != 0)
        fail("cannot write %s", path);
}

static struct manifest manifest_read(const char *path)
{
    struct manifest m = { calloc(MAX_RECORDS, sizeof(struct record)), 0 };
    FILE *f = fopen(path, "r");
    if (!f || !m.r)
        fail("cannot read %s", path);
    struct record r;
    int p;
    while (fscanf(f, "%d %d %" SCNd64 " %15s %63s", &r.index, &p, &r.offset, r.state, r.txn) == 5) {
        if (m.count == MAX_RECORDS)
            fail("%s: too many records", path);
        r.partition = p;
        if (p < 0 || p >= PARTITIONS || r.offset < 0)
            fail("%s: bad record %d", path, r.index);
        m.r[m.count++] = r;
    }
    if (!feof(f))
        fail("%s: bad line after %d records", path, m.count);
    fclose(f);
    if (m.count == 0)
        fail("%s: no records", path);
    return m;
}

static int by_partition_offset(const void *a, const void *b)
{
    const struct record *x = a, *y = b;
    if (x->partition != y->partition)
        return x->partition < y->partition ? -1 : 1;
    return (x->offset > y->offset) - (x->offset < y->offset);
}

/* Transactions (distinct txn labels) that wrote to partition p, leaving out
 * the open ones when with_open is false. Each one ended with one marker. */
static int transactions_in(const struct manifest *m, int32_t p, bool with_open)
{
    int n = 0;
    for (int i = 0; i < m->count; i++) {
        if (m->r[i].partition != p || (!with_open && strcmp(m->r[i].state, "open") == 0))
            continue;
        bool seen = false;
        for (int j = 0; j < i && !seen; j++)
            seen = m->r[j].partition == p && strcmp(m->r[j].txn, m->r[i].txn) == 0;
        n += !seen;
    }
    return n;
}

/* ---- producing ------------------------------------------------------- */

struct landing {
    int32_t partition;
    int64_t offset;
    rd_kafka_resp_err_t err;
    bool delivered;
};

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    struct landing *l = m->_private;
    if (!l)
        return; /* untracked: the transaction's outcome tells */
    l->err = m->err;
    l->partition = m->partition;
    l->offset = m->offset;
    l->delivered = true;
}

static rd_kafka_t *producer_new(const char *bootstrap, const char *txn_id, int txn_timeout_ms)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    conf_set(conf, "bootstrap.servers", bootstrap);
    conf_set(conf, "linger.ms", "5");
    if (txn_id) {
        conf_set(conf, "transactional.id", txn_id);
        if (txn_timeout_ms > 0) {
            char v[32];
            snprintf(v, sizeof(v), "%d", txn_timeout_ms);
            conf_set(conf, "transaction.timeout.ms", v);
        }
    } else {
        conf_set(conf, "enable.idempotence", "true");
    }
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    return client_new(RD_KAFKA_PRODUCER, conf);
}

static void produce_one(rd_kafka_t *rk, const char *topic, int32_t partition, const char *key,
                        const char *value, struct landing *l)
{
    rd_kafka_resp_err_t err;
    memset(l, 0, sizeof(*l));
    do {
        err = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition),
                                RD_KAFKA_V_KEY(key, strlen(key)),
                                RD_KAFKA_V_VALUE((void *)value, strlen(value)),
                                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_OPAQUE(l),
                                RD_KAFKA_V_END);
        if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL)
            rd_kafka_poll(rk, 100);
    } while (err == RD_KAFKA_RESP_ERR__QUEUE_FULL);
    if (err)
        fail("produce to %s [%d]: %s", topic, (int)partition, rd_kafka_err2str(err));
    rd_kafka_poll(rk, 0);
}

static void record_text(int index, char key[32], char value[64])
{
    snprintf(key, 32, "k%05d", index);
    snprintf(value, 64, "rec-%05d", index);
}

/* Waits for every delivery report; all must have succeeded. */
static void flush_delivered(rd_kafka_t *rk, const struct landing *l, int count, const char *what)
{
    rd_kafka_resp_err_t err = rd_kafka_flush(rk, WAIT_MS);
    if (err)
        fail("%s: flush: %s (%d message(s) queued)", what, rd_kafka_err2str(err), rd_kafka_outq_len(rk));
    for (int i = 0; i < count; i++) {
        if (!l[i].delivered)
            fail("%s: record %d: no delivery report", what, i);
        if (l[i].err)
            fail("%s: record %d: delivery failed: %s", what, i, rd_kafka_err2str(l[i].err));
    }
}

static void produce_plan(const char *bootstrap, const char *topic, const char *txn_id, int first,
                         const char *plan, const char *manifest)
{
    bool dies = strchr(plan, 'k') != NULL;
    rd_kafka_t *rk = producer_new(bootstrap, txn_id, dies ? OPEN_TXN_TIMEOUT_MS : 0);
    /* Fences and aborts whatever an earlier producer with this id left open. */
    check_error(rd_kafka_init_transactions(rk, WAIT_MS), "init_transactions");
    printf("%s: transactions initialized\n", txn_id);

    int index = first, number = 0;
    char *items = strdup(plan);
    char *save = NULL;
    for (char *item = strtok_r(items, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        char action = item[0];
        int count = atoi(item + 1);
        if (!strchr("cak", action) || count <= 0 || count > 1000)
            fail("bad plan item %s", item);
        number++;
        struct landing l[1000];
        struct record r[1000];
        check_error(rd_kafka_begin_transaction(rk), "begin_transaction");
        for (int n = 0; n < count; n++) {
            char key[32], value[64];
            record_text(index + n, key, value);
            produce_one(rk, topic, (index + n) % PARTITIONS, key, value, &l[n]);
        }
        flush_delivered(rk, l, count, "transaction");
        const char *state = action == 'c' ? "committed" : action == 'a' ? "aborted" : "open";
        for (int n = 0; n < count; n++) {
            r[n].index = index + n;
            r[n].partition = l[n].partition;
            r[n].offset = l[n].offset;
            snprintf(r[n].state, sizeof(r[n].state), "%s", state);
            snprintf(r[n].txn, sizeof(r[n].txn), "%s@%d", txn_id, index); /* unique across processes */
            if (l[n].partition != (index + n) % PARTITIONS)
                fail("record %d delivered to partition %d", index + n, (int)l[n].partition);
        }
        if (action == 'k') {
            manifest_append(manifest, r, count);
            printf("%s: transaction %d left open with %d record(s); killing this process\n",
                   txn_id, number, count);
            fflush(stdout);
            raise(SIGKILL);
        }
        if (action == 'c')
            check_error(rd_kafka_commit_transaction(rk, WAIT_MS), "commit_transaction");
        else
            check_error(rd_kafka_abort_transaction(rk, WAIT_MS), "abort_transaction");
        manifest_append(manifest, r, count);
        printf("%s: transaction %d %s with %d record(s) (%d..%d)\n", txn_id, number, state, count,
               index, index + count - 1);
        index += count;
    }
    free(items);
    rd_kafka_destroy(rk);
}

/* A zombie: A is fenced once B initializes with the same transactional.id. */
static void fence(const char *bootstrap, const char *topic, const char *txn_id, int first,
                  const char *manifest)
{
    char key[32], value[64], label[64];
    struct landing la[2], lb;
    struct record r[3];
    int32_t p = first % PARTITIONS;

    rd_kafka_t *a = producer_new(bootstrap, txn_id, OPEN_TXN_TIMEOUT_MS);
    check_error(rd_kafka_init_transactions(a, WAIT_MS), "A: init_transactions");
    check_error(rd_kafka_begin_transaction(a), "A: begin_transaction");
    record_text(first, key, value);
    produce_one(a, topic, p, key, value, &la[0]);
    flush_delivered(a, la, 1, "A's first record");
    printf("A: record %d at %s [%d] offset %" PRId64 ", transaction open\n", first, topic, (int)p,
           la[0].offset);

    rd_kafka_t *b = producer_new(bootstrap, txn_id, 0);
    check_error(rd_kafka_init_transactions(b, WAIT_MS), "B: init_transactions");
    printf("B: transactions initialized with A's transactional.id\n");

    /* Same partition: already in A's transaction, so the fencing must come
     * from the partition (Produce) or from EndTxn. */
    record_text(first + 1, key, value);
    produce_one(a, topic, p, key, value, &la[1]);
    rd_kafka_error_t *error = rd_kafka_commit_transaction(a, WAIT_MS);
    /* Whatever was not acknowledged gets its delivery report now. */
    rd_kafka_purge(a, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    for (int64_t until = now_ms() + WAIT_MS; !la[1].delivered && now_ms() < until;)
        rd_kafka_poll(a, 100);
    if (!la[1].delivered)
        fail("A: no delivery report for the record sent after the fencing");
    int kept = 0;
    snprintf(label, sizeof(label), "%s#A", txn_id);
    if (on_mock) {
        /* The mock gives B a new producer id and leaves A's alone. */
        check_error(error, "A: commit_transaction (mock)");
        printf("A: fencing not checked on the mock (it fences no producer); A committed\n");
        for (int n = 0; n < 2; n++)
            r[kept++] = (struct record){ first + n, la[n].partition, la[n].offset, "committed", "" };
    } else {
        if (!error)
            fail("A: commit_transaction succeeded after B took over its transactional.id");
        rd_kafka_resp_err_t code = rd_kafka_error_code(error);
        char reason[512];
        rd_kafka_resp_err_t fatal = rd_kafka_fatal_error(a, reason, sizeof(reason));
        printf("A: commit_transaction failed: %s (%s)%s\n", rd_kafka_error_name(error),
               rd_kafka_error_string(error), rd_kafka_error_is_fatal(error) ? ", fatal" : "");
        if (!rd_kafka_error_is_fatal(error) || !fenced_code(code))
            fail("A: commit_transaction failed with %s (%s), expected a fatal fenced error",
                 rd_kafka_error_name(error), rd_kafka_error_is_fatal(error) ? "fatal" : "not fatal");
        if (!fenced_code(fatal))
            fail("A: the client's fatal error is %s, expected a fenced error", rd_kafka_err2name(fatal));
        if (!la[1].err)
            fail("A: the record sent after the fencing was acknowledged at offset %" PRId64,
                 la[1].offset);
        printf("A: fenced (%s); its record after the fencing was refused (%s)\n",
               rd_kafka_err2name(fatal), rd_kafka_err2name(la[1].err));
        r[kept++] = (struct record){ first, la[0].partition, la[0].offset, "aborted", "" };
    }
    rd_kafka_error_destroy(error);
    for (int n = 0; n < kept; n++)
        snprintf(r[n].txn, sizeof(r[n].txn), "%s", label);
    rd_kafka_destroy(a);

    check_error(rd_kafka_begin_transaction(b), "B: begin_transaction");
    record_text(first + 2, key, value);
    produce_one(b, topic, p, key, value, &lb);
    check_error(rd_kafka_commit_transaction(b, WAIT_MS), "B: commit_transaction");
    flush_delivered(b, &lb, 1, "B's record");
    r[kept] = (struct record){ first + 2, lb.partition, lb.offset, "committed", "" };
    snprintf(r[kept].txn, sizeof(r[kept].txn), "%s#B", txn_id);
    kept++;
    printf("B: committed record %d at offset %" PRId64 "\n", first + 2, lb.offset);
    rd_kafka_destroy(b);
    manifest_append(manifest, r, kept);
}

/* ---- consuming ------------------------------------------------------- */

typedef void (*on_message_fn)(const rd_kafka_message_t *m, void *arg);

static rd_kafka_t *consumer_new(const char *bootstrap, const char *group, const char *isolation)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    conf_set(conf, "bootstrap.servers", bootstrap);
    /* librdkafka wants a group id for assign(); no group is joined. */
    conf_set(conf, "group.id", group);
    conf_set(conf, "enable.auto.commit", "false");
    conf_set(conf, "enable.auto.offset.store", "false");
    conf_set(conf, "auto.offset.reset", "earliest");
    conf_set(conf, "isolation.level", isolation);
    rd_kafka_t *rk = client_new(RD_KAFKA_CONSUMER, conf);
    rd_kafka_poll_set_consumer(rk);
    return rk;
}

/* The earliest and latest offsets, as the isolation level of rk sees them
 * (latest is the last stable offset for read_committed). */
static void watermarks(rd_kafka_t *rk, const char *topic, int64_t low[PARTITIONS],
                       int64_t high[PARTITIONS])
{
    for (int p = 0; p < PARTITIONS; p++) {
        rd_kafka_resp_err_t err =
            rd_kafka_query_watermark_offsets(rk, topic, p, &low[p], &high[p], WAIT_MS);
        if (err)
            fail("ListOffsets %s [%d]: %s", topic, p, rd_kafka_err2str(err));
    }
}

/* Consumes every partition from the beginning until the position (which
 * passes transaction markers) reaches end[p]. */
static void consume_to(rd_kafka_t *rk, const char *topic, const int64_t end[PARTITIONS],
                       on_message_fn fn, void *arg)
{
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(PARTITIONS);
    for (int p = 0; p < PARTITIONS; p++)
        rd_kafka_topic_partition_list_add(parts, topic, p)->offset = RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_resp_err_t err = rd_kafka_assign(rk, parts);
    if (err)
        fail("assign: %s", rd_kafka_err2str(err));
    int64_t deadline = now_ms() + WAIT_MS;
    for (;;) {
        rd_kafka_position(rk, parts);
        bool done = true;
        for (int p = 0; p < PARTITIONS; p++) {
            int64_t pos = parts->elems[p].offset;
            if (pos > end[p])
                fail("%s [%d]: position %" PRId64 " is past the end offset %" PRId64, topic, p, pos,
                     end[p]);
            done &= end[p] == 0 || pos == end[p];
        }
        if (done)
            break;
        if (now_ms() > deadline) {
            char where[256] = "";
            for (int p = 0; p < PARTITIONS; p++)
                snprintf(where + strlen(where), sizeof(where) - strlen(where),
                         " [%d] %" PRId64 "/%" PRId64, p, parts->elems[p].offset, end[p]);
            fail("%s: the consumer did not reach the end offsets within %d ms (position/end:%s)",
                 topic, WAIT_MS, where);
        }
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 200);
        if (!m)
            continue;
        if (m->err && m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
            fail("consume %s: %s", topic, rd_kafka_message_errstr(m));
        if (!m->err) {
            if (m->partition < 0 || m->partition >= PARTITIONS)
                fail("message from unknown partition %d", (int)m->partition);
            fn(m, arg);
        }
        rd_kafka_message_destroy(m);
    }
    rd_kafka_topic_partition_list_destroy(parts);
}

struct expectation {
    const char *topic;
    struct record *r; /* sorted by partition and offset */
    int count;
    int next[PARTITIONS]; /* index into r of the next record expected in p */
    int end[PARTITIONS];  /* one past the last record of p */
    int seen;
};

static void expect_init(struct expectation *x, const char *topic, struct record *r, int count)
{
    qsort(r, (size_t)count, sizeof(*r), by_partition_offset);
    x->topic = topic;
    x->r = r;
    x->count = count;
    x->seen = 0;
    int k = 0;
    for (int p = 0; p < PARTITIONS; p++) {
        x->next[p] = k;
        while (k < count && r[k].partition == p)
            k++;
        x->end[p] = k;
    }
}

static void check_record(const rd_kafka_message_t *m, void *arg)
{
    struct expectation *x = arg;
    int p = m->partition;
    char value[64];
    snprintf(value, sizeof(value), "%.*s", (int)(m->len < 63 ? m->len : 63), (const char *)m->payload);
    if (x->next[p] >= x->end[p])
        fail("%s [%d]: unexpected record at offset %" PRId64 " (%s): not one this isolation level "
             "may see, or seen twice", x->topic, p, m->offset, value);
    const struct record *want = &x->r[x->next[p]];
    char key[32], want_value[64];
    record_text(want->index, key, want_value);
    if (m->offset != want->offset)
        fail("%s [%d]: record at offset %" PRId64 " (%s), expected %s at offset %" PRId64
             " (from %s transaction %s)", x->topic, p, m->offset, value, want_value, want->offset,
             want->state, want->txn);
    if (strcmp(value, want_value) != 0 || !m->key || m->key_len != strlen(key) ||
        memcmp(m->key, key, m->key_len) != 0)
        fail("%s [%d] offset %" PRId64 ": got %s, expected %s", x->topic, p, m->offset, value,
             want_value);
    x->next[p]++;
    x->seen++;
}

static void verify(const char *bootstrap, const char *topic, const char *manifest,
                   const char *isolation)
{
    bool committed_only = strcmp(isolation, "read_committed") == 0;
    if (!committed_only && strcmp(isolation, "read_uncommitted") != 0)
        fail("unknown isolation level %s", isolation);
    struct manifest m = manifest_read(manifest);
    struct record *want = calloc((size_t)m.count, sizeof(*want));
    int n = 0, aborted = 0;
    for (int i = 0; i < m.count; i++) {
        bool committed = strcmp(m.r[i].state, "committed") == 0;
        aborted += !committed;
        /* The mock lists no aborted transactions: read_committed shows all. */
        if (committed || !committed_only || on_mock)
            want[n++] = m.r[i];
    }
    struct expectation x;
    expect_init(&x, topic, want, n);

    rd_kafka_t *rk = consumer_new(bootstrap, "kelp-test-assign-only", isolation);
    int64_t low[PARTITIONS], high[PARTITIONS], end[PARTITIONS];
    watermarks(rk, topic, low, high);
    for (int p = 0; p < PARTITIONS; p++) {
        int data = 0;
        for (int i = 0; i < m.count; i++)
            data += m.r[i].partition == p;
        /* Each transaction leaves one marker in each partition it wrote. */
        end[p] = data + (on_mock ? 0 : transactions_in(&m, p, true));
        if (low[p] != 0 || high[p] != end[p])
            fail("%s [%d] %s: earliest %" PRId64 " latest %" PRId64 ", expected 0 and %" PRId64
                 " (%d records%s)", topic, p, isolation, low[p], high[p], end[p], data,
                 on_mock ? "" : " and a marker per transaction");
    }
    consume_to(rk, topic, end, check_record, &x);
    if (x.seen != n)
        fail("%s %s: saw %d of %d records", topic, isolation, x.seen, n);
    printf("%s %s: %d record(s) each once and in order (%d of %d written by aborted "
           "transactions%s), positions at the end offsets\n", topic, isolation, n,
           committed_only && !on_mock ? 0 : aborted, aborted,
           committed_only && on_mock ? "; the mock hides no aborted record" : "");
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    free(want);
    free(m.r);
}

/* An open transaction holds the last stable offset at its first offset. */
static void check_open(const char *bootstrap, const char *topic, const char *manifest)
{
    struct manifest m = manifest_read(manifest);
    int64_t first_open[PARTITIONS], high_want[PARTITIONS];
    int open = 0;
    for (int p = 0; p < PARTITIONS; p++) {
        first_open[p] = -1;
        high_want[p] = transactions_in(&m, p, false);
    }
    for (int i = 0; i < m.count; i++) {
        int p = m.r[i].partition;
        high_want[p]++;
        if (strcmp(m.r[i].state, "open") == 0) {
            open++;
            if (first_open[p] < 0 || m.r[i].offset < first_open[p])
                first_open[p] = m.r[i].offset;
        }
    }
    if (open == 0)
        fail("%s names no open transaction", manifest);

    rd_kafka_t *uncommitted = consumer_new(bootstrap, "kelp-test-assign-only", "read_uncommitted");
    rd_kafka_t *committed = consumer_new(bootstrap, "kelp-test-assign-only", "read_committed");
    int64_t low[PARTITIONS], high[PARTITIONS], lso_low[PARTITIONS], lso[PARTITIONS];
    watermarks(uncommitted, topic, low, high);
    watermarks(committed, topic, lso_low, lso);
    for (int p = 0; p < PARTITIONS; p++) {
        int64_t lso_want = first_open[p] >= 0 ? first_open[p] : high_want[p];
        if (high[p] != high_want[p] || lso[p] != lso_want)
            fail("%s [%d]: high watermark %" PRId64 ", last stable offset %" PRId64
                 "; expected %" PRId64 " and %" PRId64, topic, p, high[p], lso[p], high_want[p],
                 lso_want);
        printf("%s [%d]: high watermark %" PRId64 ", last stable offset %" PRId64 "%s\n", topic, p,
               high[p], lso[p], first_open[p] >= 0 ? " (held by the open transaction)" : "");
    }
    rd_kafka_destroy(uncommitted);

    /* read_committed stops at the last stable offset, having seen the
     * committed records below it only. */
    struct record *want = calloc((size_t)m.count, sizeof(*want));
    int n = 0;
    for (int i = 0; i < m.count; i++)
        if (strcmp(m.r[i].state, "committed") == 0)
            want[n++] = m.r[i];
    struct expectation x;
    expect_init(&x, topic, want, n);
    consume_to(committed, topic, lso, check_record, &x);
    if (x.seen != n)
        fail("%s read_committed: saw %d of %d committed records below the last stable offset",
             topic, x.seen, n);
    /* Nothing of the open transaction may follow. */
    int64_t until = now_ms() + 2000;
    while (now_ms() < until) {
        rd_kafka_message_t *msg = rd_kafka_consumer_poll(committed, 200);
        if (!msg)
            continue;
        if (!msg->err)
            fail("%s [%d]: read_committed returned offset %" PRId64 ", at or past the last stable "
                 "offset", topic, (int)msg->partition, msg->offset);
        rd_kafka_message_destroy(msg);
    }
    printf("%s read_committed: %d committed record(s), stopped at the last stable offsets; "
           "%d record(s) of the open transaction hidden\n", topic, n, open);
    rd_kafka_consumer_close(committed);
    rd_kafka_destroy(committed);
    free(want);
    free(m.r);
}

/* ---- consume-transform-produce -------------------------------------- */

static void ctp_input(const char *bootstrap, const char *topic, int count)
{
    if (count <= 0 || count > MAX_RECORDS)
        fail("bad count %d", count);
    rd_kafka_t *rk = producer_new(bootstrap, NULL, 0);
    struct landing *l = calloc((size_t)count, sizeof(*l));
    for (int i = 0; i < count; i++) {
        char key[32], value[64];
        snprintf(key, sizeof(key), "k%05d", i);
        snprintf(value, sizeof(value), "in-%05d", i);
        produce_one(rk, topic, i % PARTITIONS, key, value, &l[i]);
    }
    flush_delivered(rk, l, count, "input");
    for (int i = 0; i < count; i++)
        if (l[i].partition != i % PARTITIONS || l[i].offset != i / PARTITIONS)
            fail("input %d landed at [%d] %" PRId64 ", expected [%d] %d", i, (int)l[i].partition,
                 l[i].offset, i % PARTITIONS, i / PARTITIONS);
    printf("%s: %d input record(s) from an idempotent producer\n", topic, count);
    free(l);
    rd_kafka_destroy(rk);
}

struct member {
    rd_kafka_topic_partition_list_t *assigned; /* NULL while not assigned */
    int generation;                            /* bumped on every assignment change */
};

static void on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *parts, void *opaque)
{
    struct member *me = opaque;
    if (me->assigned)
        rd_kafka_topic_partition_list_destroy(me->assigned);
    me->assigned = NULL;
    me->generation++;
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        rd_kafka_assign(rk, parts);
        me->assigned = rd_kafka_topic_partition_list_copy(parts);
    } else {
        rd_kafka_assign(rk, NULL);
    }
}

/* The group's committed offsets for the assigned partitions; the
 * beginning where nothing is committed. */
static void committed_offsets(rd_kafka_t *consumer, const struct member *me,
                              int64_t next[PARTITIONS])
{
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_copy(me->assigned);
    rd_kafka_resp_err_t err = rd_kafka_committed(consumer, parts, WAIT_MS);
    if (err)
        fail("committed offsets: %s", rd_kafka_err2str(err));
    for (int i = 0; i < parts->cnt; i++) {
        if (parts->elems[i].err)
            fail("committed offset of [%d]: %s", (int)parts->elems[i].partition,
                 rd_kafka_err2str(parts->elems[i].err));
        int64_t o = parts->elems[i].offset;
        next[parts->elems[i].partition] = o >= 0 ? o : 0;
    }
    rd_kafka_topic_partition_list_destroy(parts);
}

static void state_write(const char *path, const int64_t next[PARTITIONS])
{
    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f)
        fail("cannot write %s", tmp);
    for (int p = 0; p < PARTITIONS; p++)
        fprintf(f, "%" PRId64 "\n", next[p]);
    if (fclose(f) != 0 || rename(tmp, path) != 0)
        fail("cannot write %s", path);
}

static bool state_read(const char *path, int64_t next[PARTITIONS])
{
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    for (int p = 0; p < PARTITIONS; p++)
        if (fscanf(f, "%" SCNd64, &next[p]) != 1)
            fail("%s: bad contents", path);
    fclose(f);
    return true;
}

/* The group's committed offsets must be those of our last commit (a
 * commit's offsets count only once it commits, an abort drops them). */
static void check_committed(const int64_t got[PARTITIONS], const int64_t want[PARTITIONS],
                            const char *when)
{
    if (on_mock) {
        printf("committed offsets %s not checked: the mock drops TxnOffsetCommit\n", when);
        return;
    }
    for (int p = 0; p < PARTITIONS; p++)
        if (got[p] != want[p])
            fail("%s: the group's committed offset of [%d] is %" PRId64 ", the last transaction "
                 "committed %" PRId64, when, p, got[p], want[p]);
    printf("committed offsets %s: %" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64
           ", those of the last commit\n", when, got[0], got[1], got[2], got[3]);
}

static void seek_to(rd_kafka_t *consumer, const char *topic, const int64_t next[PARTITIONS])
{
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(PARTITIONS);
    for (int p = 0; p < PARTITIONS; p++)
        rd_kafka_topic_partition_list_add(parts, topic, p)->offset = next[p];
    rd_kafka_error_t *error = rd_kafka_seek_partitions(consumer, parts, WAIT_MS);
    check_error(error, "seek");
    for (int p = 0; p < PARTITIONS; p++)
        if (parts->elems[p].err)
            fail("seek [%d] to %" PRId64 ": %s", p, next[p], rd_kafka_err2str(parts->elems[p].err));
    rd_kafka_topic_partition_list_destroy(parts);
}

static void ctp_run(const char *bootstrap, const char *in, const char *out, const char *group,
                    const char *txn_id, const char *plan, const char *state)
{
    /* The producer first: its init_transactions aborts what an earlier
     * incarnation left open, offsets included, before we read them. */
    rd_kafka_t *producer = producer_new(bootstrap, txn_id, OPEN_TXN_TIMEOUT_MS);
    check_error(rd_kafka_init_transactions(producer, WAIT_MS), "init_transactions");

    struct member me = { NULL, 0 };
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    conf_set(conf, "bootstrap.servers", bootstrap);
    conf_set(conf, "group.id", group);
    conf_set(conf, "enable.auto.commit", "false");
    conf_set(conf, "auto.offset.reset", "earliest");
    conf_set(conf, "isolation.level", "read_committed");
    conf_set(conf, "session.timeout.ms", "6000");
    conf_set(conf, "heartbeat.interval.ms", "500");
    rd_kafka_conf_set_rebalance_cb(conf, on_rebalance);
    rd_kafka_conf_set_opaque(conf, &me);
    rd_kafka_t *consumer = client_new(RD_KAFKA_CONSUMER, conf);
    rd_kafka_poll_set_consumer(consumer);
    rd_kafka_topic_partition_list_t *topics = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(topics, in, RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t err = rd_kafka_subscribe(consumer, topics);
    if (err)
        fail("subscribe: %s", rd_kafka_err2str(err));
    rd_kafka_topic_partition_list_destroy(topics);

    /* A dead earlier member keeps its partitions until its session ends. */
    int64_t deadline = now_ms() + WAIT_MS;
    while (!me.assigned || me.assigned->cnt != PARTITIONS) {
        if (now_ms() > deadline)
            fail("no assignment of all %d partitions of %s within %d ms", PARTITIONS, in, WAIT_MS);
        rd_kafka_message_t *m = rd_kafka_consumer_poll(consumer, 100);
        if (m) {
            /* Nothing is processed before the assignment is complete;
             * the seek below rewinds whatever arrived. */
            rd_kafka_message_destroy(m);
        }
    }
    int generation = me.generation;
    printf("%s: assigned all %d partitions of %s\n", txn_id, PARTITIONS, in);

    int64_t end[PARTITIONS], low[PARTITIONS], next[PARTITIONS], last_commit[PARTITIONS];
    watermarks(consumer, in, low, end);
    committed_offsets(consumer, &me, next);
    if (state_read(state, last_commit))
        check_committed(next, last_commit, "at start");
    memcpy(last_commit, next, sizeof(next));
    seek_to(consumer, in, next);
    rd_kafka_consumer_group_metadata_t *cgmd = rd_kafka_consumer_group_metadata(consumer);

    char *items = strdup(plan);
    char *save = NULL;
    int number = 0;
    for (char *item = strtok_r(items, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        char action = item[0];
        bool rest = strcmp(item + 1, "*") == 0;
        int count = rest ? CTP_BATCH : atoi(item + 1);
        if (!strchr("cak", action) || count <= 0 || (rest && action != 'c'))
            fail("bad plan item %s", item);
        for (;;) {
            bool at_end = true;
            for (int p = 0; p < PARTITIONS; p++)
                at_end &= next[p] == end[p];
            if (at_end && rest)
                break;
            if (at_end)
                fail("plan item %s: the input is consumed already", item);
            number++;
            check_error(rd_kafka_begin_transaction(producer), "begin_transaction");
            int n = 0;
            deadline = now_ms() + WAIT_MS;
            while (n < count) {
                at_end = true;
                for (int p = 0; p < PARTITIONS; p++)
                    at_end &= next[p] == end[p];
                if (at_end)
                    break;
                if (now_ms() > deadline)
                    fail("transaction %d: only %d of %d input records within %d ms", number, n,
                         count, WAIT_MS);
                rd_kafka_message_t *m = rd_kafka_consumer_poll(consumer, 200);
                if (me.generation != generation)
                    fail("transaction %d: the assignment changed mid-transaction", number);
                if (!m)
                    continue;
                if (m->err) {
                    if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                        fail("consume %s: %s", in, rd_kafka_message_errstr(m));
                    rd_kafka_message_destroy(m);
                    continue;
                }
                int p = m->partition;
                if (m->offset != next[p])
                    fail("%s [%d]: got offset %" PRId64 ", expected %" PRId64
                         " (a skipped or repeated input record)", in, p, m->offset, next[p]);
                int index = -1;
                char text[64];
                snprintf(text, sizeof(text), "%.*s", (int)(m->len < 63 ? m->len : 63),
                         (const char *)m->payload);
                if (sscanf(text, "in-%5d", &index) != 1 || index % PARTITIONS != p)
                    fail("%s [%d] offset %" PRId64 ": not an input record", in, p, m->offset);
                char value[64];
                snprintf(value, sizeof(value), "out-%05d", index);
                rd_kafka_resp_err_t perr;
                do {
                    perr = rd_kafka_producev(producer, RD_KAFKA_V_TOPIC(out), RD_KAFKA_V_PARTITION(p),
                                             RD_KAFKA_V_KEY(m->key, m->key_len),
                                             RD_KAFKA_V_VALUE(value, strlen(value)),
                                             RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                             RD_KAFKA_V_END);
                    if (perr == RD_KAFKA_RESP_ERR__QUEUE_FULL)
                        rd_kafka_poll(producer, 100);
                } while (perr == RD_KAFKA_RESP_ERR__QUEUE_FULL);
                if (perr)
                    fail("produce to %s: %s", out, rd_kafka_err2str(perr));
                next[p] = m->offset + 1;
                n++;
                rd_kafka_message_destroy(m);
                rd_kafka_poll(producer, 0);
            }

            rd_kafka_topic_partition_list_t *offsets = rd_kafka_topic_partition_list_new(PARTITIONS);
            for (int p = 0; p < PARTITIONS; p++)
                rd_kafka_topic_partition_list_add(offsets, in, p)->offset = next[p];
            check_error(rd_kafka_send_offsets_to_transaction(producer, offsets, cgmd, WAIT_MS),
                        "send_offsets_to_transaction");
            rd_kafka_topic_partition_list_destroy(offsets);

            if (action == 'k') {
                if (rd_kafka_flush(producer, WAIT_MS))
                    fail("flush before the crash");
                printf("%s: transaction %d: %d record(s) written and offsets sent; killing this "
                       "process before the commit\n", txn_id, number, n);
                fflush(stdout);
                raise(SIGKILL);
            }
            if (action == 'c') {
                check_error(rd_kafka_commit_transaction(producer, WAIT_MS), "commit_transaction");
                memcpy(last_commit, next, sizeof(next));
                state_write(state, last_commit);
                printf("%s: transaction %d committed %d record(s)\n", txn_id, number, n);
            } else {
                check_error(rd_kafka_abort_transaction(producer, WAIT_MS), "abort_transaction");
                /* Rewind to what the group committed, as after a crash. */
                committed_offsets(consumer, &me, next);
                check_committed(next, last_commit, "after an abort");
                seek_to(consumer, in, next);
                printf("%s: transaction %d aborted %d record(s); rewound to the committed offsets\n",
                       txn_id, number, n);
            }
            if (!rest)
                break;
        }
    }
    free(items);
    rd_kafka_consumer_group_metadata_destroy(cgmd);
    rd_kafka_consumer_close(consumer);
    rd_kafka_destroy(consumer);
    rd_kafka_destroy(producer);
    if (me.assigned)
        rd_kafka_topic_partition_list_destroy(me.assigned);
}

struct outputs {
    int *count;          /* per input index */
    int per_partition[PARTITIONS];
    int expect_next[PARTITIONS]; /* next input index expected in each partition */
    int inputs;
};

static void collect_output(const rd_kafka_message_t *m, void *arg)
{
    struct outputs *o = arg;
    int p = m->partition, index = -1;
    char text[64];
    snprintf(text, sizeof(text), "%.*s", (int)(m->len < 63 ? m->len : 63), (const char *)m->payload);
    if (sscanf(text, "out-%5d", &index) != 1 || index < 0 || index >= o->inputs ||
        index % PARTITIONS != p)
        fail("output [%d] offset %" PRId64 ": %s is no output of this partition's inputs", p,
             m->offset, text);
    char key[32];
    snprintf(key, sizeof(key), "k%05d", index);
    if (!m->key || m->key_len != strlen(key) || memcmp(m->key, key, m->key_len) != 0)
        fail("output [%d] offset %" PRId64 ": key differs from the input's", p, m->offset);
    /* On the mock aborted and repeated outputs show up (no markers, no
     * transactional offsets); exactly once and in order is for real brokers. */
    if (!on_mock && index != o->expect_next[p])
        fail("output [%d] offset %" PRId64 ": out-%05d, expected out-%05d (each input once, in "
             "order)", p, m->offset, index, o->expect_next[p]);
    o->expect_next[p] = index + PARTITIONS;
    o->count[index]++;
    o->per_partition[p]++;
}

static void ctp_verify(const char *bootstrap, const char *in, const char *out, const char *group,
                       int count)
{
    struct outputs o = { calloc((size_t)count, sizeof(int)), { 0 }, { 0, 1, 2, 3 }, count };
    rd_kafka_t *rk = consumer_new(bootstrap, "kelp-test-assign-only", "read_committed");
    int64_t low[PARTITIONS], end[PARTITIONS];
    watermarks(rk, out, low, end);
    consume_to(rk, out, end, collect_output, &o);
    int missing = 0, repeated = 0;
    for (int i = 0; i < count; i++) {
        missing += o.count[i] == 0;
        repeated += o.count[i] > 1;
    }
    if (missing)
        fail("%s: %d of %d input records have no output", out, missing, count);
    if (!on_mock && repeated)
        fail("%s: %d input records have more than one output", out, repeated);
    if (on_mock)
        printf("%s read_committed: every input record has an output (%d repeated: the mock "
               "hides no aborted output and keeps no transactional offsets)\n", out, repeated);
    else
        printf("%s read_committed: each of %d input records exactly once, in input order\n", out,
               count);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);

    rk = consumer_new(bootstrap, group, "read_committed");
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(PARTITIONS);
    for (int p = 0; p < PARTITIONS; p++)
        rd_kafka_topic_partition_list_add(parts, in, p);
    rd_kafka_resp_err_t err = rd_kafka_committed(rk, parts, WAIT_MS);
    if (err)
        fail("committed offsets of %s: %s", group, rd_kafka_err2str(err));
    if (on_mock) {
        printf("group %s: committed offsets not checked: the mock drops TxnOffsetCommit\n", group);
    } else {
        for (int p = 0; p < PARTITIONS; p++) {
            int64_t want = count / PARTITIONS + (p < count % PARTITIONS);
            if (parts->elems[p].err || parts->elems[p].offset != want)
                fail("group %s: committed offset of %s [%d] is %" PRId64 " (%s), expected %" PRId64,
                     group, in, p, parts->elems[p].offset, rd_kafka_err2str(parts->elems[p].err),
                     want);
        }
        printf("group %s: committed offsets are the ends of %s\n", group, in);
    }
    rd_kafka_topic_partition_list_destroy(parts);
    rd_kafka_destroy(rk);
    free(o.count);
}

/* ---- command line ---------------------------------------------------- */

static void usage(void)
{
    fprintf(stderr,
            "usage: txn_client BOOTSTRAP produce TOPIC TXN-ID FIRST PLAN MANIFEST\n"
            "       txn_client BOOTSTRAP fence TOPIC TXN-ID FIRST MANIFEST\n"
            "       txn_client BOOTSTRAP verify TOPIC MANIFEST read_committed|read_uncommitted\n"
            "       txn_client BOOTSTRAP check-open TOPIC MANIFEST\n"
            "       txn_client BOOTSTRAP ctp-input TOPIC COUNT\n"
            "       txn_client BOOTSTRAP ctp-run IN OUT GROUP TXN-ID PLAN STATE\n"
            "       txn_client BOOTSTRAP ctp-verify IN OUT GROUP COUNT\n");
    exit(2);
}

int main(int argc, char **argv)
{
    if (argc < 3)
        usage();
    on_mock = getenv("KELP_TEST_MOCK") != NULL;
    setvbuf(stdout, NULL, _IOLBF, 0);
    const char *b = argv[1], *mode = argv[2];
    char **a = argv + 3;
    int n = argc - 3;
    if (strcmp(mode, "produce") == 0 && n == 5)
        produce_plan(b, a[0], a[1], atoi(a[2]), a[3], a[4]);
    else if (strcmp(mode, "fence") == 0 && n == 4)
        fence(b, a[0], a[1], atoi(a[2]), a[3]);
    else if (strcmp(mode, "verify") == 0 && n == 3)
        verify(b, a[0], a[1], a[2]);
    else if (strcmp(mode, "check-open") == 0 && n == 2)
        check_open(b, a[0], a[1]);
    else if (strcmp(mode, "ctp-input") == 0 && n == 2)
        ctp_input(b, a[0], atoi(a[1]));
    else if (strcmp(mode, "ctp-run") == 0 && n == 6)
        ctp_run(b, a[0], a[1], a[2], a[3], a[4], a[5]);
    else if (strcmp(mode, "ctp-verify") == 0 && n == 4)
        ctp_verify(b, a[0], a[1], a[2], atoi(a[3]));
    else
        usage();
    return 0;
}
