/* Idempotent and transactional producers as a partition sees them: the
 * sequence rules, retries answered with their first offsets, open and
 * aborted transactions and the last stable offset; then the same through
 * the storage layer (appends, markers, read_committed reads) and across a
 * close and reopen, where recovery rebuilds everything from the log. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* mkdtemp */
#endif
#include <check.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "records/byte_order.h"
#include "records/control_batch.h"
#include "records/record_batch.h"
#include "storage/producer_state.h"
#include "storage/storage.h"
#include "t/unit/batch_builder.h"
#include "util/clock.h"

/* ---- the rules on headers alone ---- */

static kelp_batch_header hdr(int64_t pid, int16_t epoch, int32_t seq, int32_t count, bool txn)
{
    kelp_batch_header h;
    memset(&h, 0, sizeof(h));
    h.magic = 2;
    h.producer_id = pid;
    h.producer_epoch = epoch;
    h.base_sequence = seq;
    h.last_offset_delta = count - 1;
    h.record_count = count;
    h.attributes = txn ? KELP_BATCH_ATTR_TRANSACTIONAL : 0;
    h.max_timestamp = 1000;
    return h;
}

static kelp_batch_header marker_hdr(int64_t pid, int16_t epoch)
{
    kelp_batch_header h = hdr(pid, epoch, -1, 1, true);
    h.attributes |= KELP_BATCH_ATTR_CONTROL;
    return h;
}

static enum kelp_producer_check check(const kelp_producer_state *ps, kelp_batch_header h)
{
    int64_t f = -7, l = -7;
    enum kelp_producer_check rc = kelp_producer_state_check(ps, &h, &f, &l);
    if (rc != KELP_PRODUCER_DUPLICATE) /* offsets are only reported for duplicates */
        ck_assert(f == -7 && l == -7);
    return rc;
}

static void apply(kelp_producer_state *ps, kelp_batch_header h, int64_t offset)
{
    ck_assert_int_eq(kelp_producer_state_check(ps, &h, &(int64_t){0}, &(int64_t){0}), KELP_PRODUCER_OK);
    ck_assert_int_eq(kelp_producer_state_apply(ps, &h, offset, -1), 0);
}

START_TEST(sequences_continue_within_an_epoch_and_restart_with_a_new_one)
{
    kelp_producer_state ps;
    kelp_producer_state_init(&ps);
    /* Not an idempotent producer: nothing is checked or kept. */
    ck_assert_int_eq(check(&ps, hdr(-1, -1, -1, 3, false)), KELP_PRODUCER_OK);
    ck_assert_int_eq(kelp_producer_state_apply(&ps, &(kelp_batch_header){.producer_id = -1}, 0, -1), 0);
    size_t pos = 0;
    const kelp_producer *e;
    ck_assert(!kelp_producer_state_next(&ps, &pos, &e));

    /* A producer the state does not know may start anywhere (its earlier
     * batches may have gone with old segments). */
    ck_assert_int_eq(check(&ps, hdr(5, 3, 42, 3, false)), KELP_PRODUCER_OK);
    apply(&ps, hdr(5, 3, 42, 3, false), 100); /* seqs 42..44, offsets 100..102 */
    e = kelp_producer_state_get(&ps, 5);
    ck_assert_ptr_nonnull(e);
    ck_assert_int_eq(e->epoch, 3);
    ck_assert_int_eq(e->batch_count, 1);
    ck_assert_int_eq(e->batches[0].first_seq, 42);
    ck_assert_int_eq(e->batches[0].last_seq, 44);
    ck_assert_int_eq(e->batches[0].first_offset, 100);
    ck_assert_int_eq(e->batches[0].last_offset, 102);
    ck_assert_int_eq(e->last_timestamp, 1000);
    ck_assert_int_eq(e->txn_first_offset, -1);
    ck_assert_ptr_null(kelp_producer_state_get(&ps, 6));

    /* The same epoch continues at last_seq + 1, nowhere else. */
    ck_assert_int_eq(check(&ps, hdr(5, 3, 46, 1, false)), KELP_PRODUCER_OUT_OF_ORDER);
    ck_assert_int_eq(check(&ps, hdr(5, 3, 44, 1, false)), KELP_PRODUCER_OUT_OF_ORDER);
    ck_assert_int_eq(check(&ps, hdr(5, 3, 0, 1, false)), KELP_PRODUCER_OUT_OF_ORDER);
    ck_assert_int_eq(check(&ps, hdr(5, 3, 45, 2, false)), KELP_PRODUCER_OK);
    apply(&ps, hdr(5, 3, 45, 2, false), 103);

    /* A newer epoch starts at 0. */
    ck_assert_int_eq(check(&ps, hdr(5, 4, 47, 1, false)), KELP_PRODUCER_OUT_OF_ORDER);
    ck_assert_int_eq(check(&ps, hdr(5, 4, 1, 1, false)), KELP_PRODUCER_OUT_OF_ORDER);
    ck_assert_int_eq(check(&ps, hdr(5, 4, 0, 1, false)), KELP_PRODUCER_OK);
    apply(&ps, hdr(5, 4, 0, 1, false), 105);
    e = kelp_producer_state_get(&ps, 5);
    ck_assert_int_eq(e->epoch, 4);
    ck_assert_int_eq(e->batch_count, 1); /* the old epoch's batches are forgotten */
    /* The old epoch is fenced, even for what was once a valid retry. */
    ck_assert_int_eq(check(&ps, hdr(5, 3, 45, 2, false)), KELP_PRODUCER_INVALID_EPOCH);
    ck_assert_int_eq(check(&ps, hdr(5, 3, 47, 1, false)), KELP_PRODUCER_INVALID_EPOCH);
    ck_assert_int_eq(check(&ps, hdr(5, 4, 1, 1, false)), KELP_PRODUCER_OK);

    /* Producers are independent. */
    ck_assert_int_eq(check(&ps, hdr(6, 0, 9, 1, false)), KELP_PRODUCER_OK);
    apply(&ps, hdr(6, 0, 9, 1, false), 106);
    ck_assert_int_eq(check(&ps, hdr(5, 4, 1, 1, false)), KELP_PRODUCER_OK);
    int seen = 0;
    pos = 0;
    while (kelp_producer_state_next(&ps, &pos, &e)) {
        ck_assert(e->producer_id == 5 || e->producer_id == 6);
        seen++;
    }
    ck_assert_int_eq(seen, 2);
    kelp_producer_state_free(&ps);
}
END_TEST

START_TEST(sequences_wrap_after_int32_max)
{
    kelp_producer_state ps;
    kelp_producer_state_init(&ps);
    apply(&ps, hdr(1, 0, INT32_MAX - 2, 3, false), 0); /* ends exactly at INT32_MAX */
    ck_assert_int_eq(kelp_producer_state_get(&ps, 1)->batches[0].last_seq, INT32_MAX);
    ck_assert_int_eq(check(&ps, hdr(1, 0, 1, 1, false)), KELP_PRODUCER_OUT_OF_ORDER);
    ck_assert_int_eq(check(&ps, hdr(1, 0, INT32_MAX, 1, false)), KELP_PRODUCER_OUT_OF_ORDER);
    ck_assert_int_eq(check(&ps, hdr(1, 0, 0, 1, false)), KELP_PRODUCER_OK);
    apply(&ps, hdr(1, 0, 0, 1, false), 3);

    /* A batch may itself cross the wrap: INT32_MAX-1, INT32_MAX, 0, 1. */
    apply(&ps, hdr(2, 0, INT32_MAX - 1, 4, false), 4);
    const kelp_producer *e = kelp_producer_state_get(&ps, 2);
    ck_assert_int_eq(e->batches[0].first_seq, INT32_MAX - 1);
    ck_assert_int_eq(e->batches[0].last_seq, 1);
    ck_assert_int_eq(e->batches[0].last_offset, 7);
    ck_assert_int_eq(check(&ps, hdr(2, 0, 0, 1, false)), KELP_PRODUCER_OUT_OF_ORDER);
    ck_assert_int_eq(check(&ps, hdr(2, 0, 2, 1, false)), KELP_PRODUCER_OK);
    /* And its retry is still recognised. */
    int64_t f, l;
    kelp_batch_header h = hdr(2, 0, INT32_MAX - 1, 4, false);
    ck_assert_int_eq(kelp_producer_state_check(&ps, &h, &f, &l), KELP_PRODUCER_DUPLICATE);
    ck_assert_int_eq(f, 4);
    ck_assert_int_eq(l, 7);
    kelp_producer_state_free(&ps);
}
END_TEST

START_TEST(retries_of_the_last_five_batches_are_duplicates)
{
    kelp_producer_state ps;
    kelp_producer_state_init(&ps);
    /* Six batches of two records: seqs 2i..2i+1 at offsets 10i..10i+1. */
    for (int i = 0; i < 6; i++)
        apply(&ps, hdr(9, 2, 2 * i, 2, false), 10 * i);
    const kelp_producer *e = kelp_producer_state_get(&ps, 9);
    ck_assert_int_eq(e->batch_count, KELP_PRODUCER_BATCHES_KEPT);
    ck_assert_int_eq(e->batches[0].first_seq, 2); /* the oldest kept is the second */
    for (int i = 1; i < 6; i++) {
        int64_t f = -1, l = -1;
        kelp_batch_header h = hdr(9, 2, 2 * i, 2, false);
        ck_assert_int_eq(kelp_producer_state_check(&ps, &h, &f, &l), KELP_PRODUCER_DUPLICATE);
        ck_assert_int_eq(f, 10 * i);
        ck_assert_int_eq(l, 10 * i + 1);
    }
    /* The first batch is no longer known: its retry is out of order. */
    ck_assert_int_eq(check(&ps, hdr(9, 2, 0, 2, false)), KELP_PRODUCER_OUT_OF_ORDER);
    /* Only an exact match is a retry. */
    ck_assert_int_eq(check(&ps, hdr(9, 2, 4, 1, false)), KELP_PRODUCER_OUT_OF_ORDER);
    ck_assert_int_eq(check(&ps, hdr(9, 2, 4, 3, false)), KELP_PRODUCER_OUT_OF_ORDER);
    /* The same sequences in a newer epoch are new data, not retries. */
    ck_assert_int_eq(check(&ps, hdr(9, 3, 10, 2, false)), KELP_PRODUCER_OUT_OF_ORDER);
    ck_assert_int_eq(check(&ps, hdr(9, 3, 0, 2, false)), KELP_PRODUCER_OK);
    ck_assert_int_eq(check(&ps, hdr(9, 1, 10, 2, false)), KELP_PRODUCER_INVALID_EPOCH);
    /* Not recorded sequences (a batch without one) keep the window as it is. */
    ck_assert_int_eq(kelp_producer_state_apply(&ps, &(kelp_batch_header){.producer_id = 9, .producer_epoch = 2,
                                                                         .base_sequence = -1},
                                               70, -1),
                     0);
    ck_assert_int_eq(kelp_producer_state_get(&ps, 9)->batch_count, KELP_PRODUCER_BATCHES_KEPT);
    ck_assert_int_eq(check(&ps, hdr(9, 2, 12, 1, false)), KELP_PRODUCER_OK);
    kelp_producer_state_free(&ps);
}
END_TEST

START_TEST(plain_batches_are_refused_inside_an_open_transaction)
{
    kelp_producer_state ps;
    kelp_producer_state_init(&ps);
    apply(&ps, hdr(3, 0, 0, 2, false), 0);
    apply(&ps, hdr(3, 0, 2, 1, true), 2); /* opens a transaction at 2 */
    ck_assert_int_eq(kelp_producer_state_get(&ps, 3)->txn_first_offset, 2);
    ck_assert_int_eq(check(&ps, hdr(3, 0, 3, 1, false)), KELP_PRODUCER_INVALID_TXN_STATE);
    ck_assert_int_eq(check(&ps, hdr(3, 0, 3, 1, true)), KELP_PRODUCER_OK);
    /* A retry is still answered as one. */
    ck_assert_int_eq(check(&ps, hdr(3, 0, 2, 1, true)), KELP_PRODUCER_DUPLICATE);
    apply(&ps, hdr(3, 0, 3, 1, true), 3);
    ck_assert_int_eq(kelp_producer_state_get(&ps, 3)->txn_first_offset, 2); /* still the first */
    /* The commit marker ends it; plain batches are fine again. */
    kelp_batch_header m = marker_hdr(3, 0);
    ck_assert_int_eq(kelp_producer_state_apply(&ps, &m, 4, KELP_CONTROL_COMMIT), 0);
    ck_assert_int_eq(kelp_producer_state_get(&ps, 3)->txn_first_offset, -1);
    ck_assert_int_eq(check(&ps, hdr(3, 0, 4, 1, false)), KELP_PRODUCER_OK);
    kelp_producer_state_free(&ps);
}
END_TEST

START_TEST(the_last_stable_offset_waits_for_open_transactions_and_durable_markers)
{
    kelp_producer_state ps;
    kelp_producer_state_init(&ps);
    ck_assert_int_eq(kelp_producer_state_lso(&ps, 0), 0);
    apply(&ps, hdr(1, 0, 0, 5, false), 0);       /* plain: 0..4 */
    ck_assert_int_eq(kelp_producer_state_lso(&ps, 5), 5);
    apply(&ps, hdr(2, 0, 0, 2, true), 5);        /* txn A: 5..6 */
    apply(&ps, hdr(1, 0, 5, 1, false), 7);       /* plain: 7 */
    apply(&ps, hdr(3, 0, 0, 1, true), 8);        /* txn B: 8 */
    ck_assert_int_eq(kelp_producer_state_lso(&ps, 3), 3); /* never above the high watermark */
    ck_assert_int_eq(kelp_producer_state_lso(&ps, 9), 5);
    /* B ends first: A still holds the LSO. */
    kelp_batch_header mb = marker_hdr(3, 0);
    ck_assert_int_eq(kelp_producer_state_apply(&ps, &mb, 9, KELP_CONTROL_COMMIT), 0);
    ck_assert_int_eq(kelp_producer_state_lso(&ps, 10), 5);
    /* A's marker at 10, not yet durable (high watermark 10): still 5. */
    kelp_batch_header ma = marker_hdr(2, 0);
    ck_assert_int_eq(kelp_producer_state_apply(&ps, &ma, 10, KELP_CONTROL_ABORT), 0);
    ck_assert_int_eq(kelp_producer_state_get(&ps, 2)->txn_first_offset, -1);
    ck_assert_int_eq(kelp_producer_state_lso(&ps, 10), 5);
    ck_assert_uint_eq(ps.open_count, 1); /* B's marker (9) was durable at 10: forgotten */
    /* Durable: everything is stable, and stays so. */
    ck_assert_int_eq(kelp_producer_state_lso(&ps, 11), 11);
    ck_assert_uint_eq(ps.open_count, 0);
    ck_assert_int_eq(kelp_producer_state_lso(&ps, 11), 11);
    /* A new transaction of the same producer holds it again. */
    apply(&ps, hdr(2, 0, 2, 1, true), 11);
    ck_assert_int_eq(kelp_producer_state_lso(&ps, 12), 11);
    kelp_producer_state_free(&ps);
}
END_TEST

typedef struct span_list {
    int count;
    int stop_after; /* 0: never */
    kelp_txn_span spans[8];
} span_list;

static int collect_span(void *ctx, const kelp_txn_span *span)
{
    span_list *l = ctx;
    ck_assert_int_lt(l->count, 8);
    l->spans[l->count++] = *span;
    return l->stop_after && l->count >= l->stop_after;
}

static span_list aborted(kelp_producer_state *ps, int64_t log_start, int64_t from, int64_t upto)
{
    span_list l = {0};
    kelp_producer_state_aborted(ps, log_start, from, upto, collect_span, &l);
    return l;
}

START_TEST(aborted_transactions_are_reported_by_marker_and_first_offset)
{
    kelp_producer_state ps;
    kelp_producer_state_init(&ps);
    /* A: 0..2 aborted at 3; B: 4 committed at 5; C: 6 (and 7 plain) aborted at 8;
     * D: 9..10, a control batch that is no marker at 11, aborted at 12. */
    apply(&ps, hdr(10, 0, 0, 3, true), 0);
    kelp_batch_header m = marker_hdr(10, 0);
    ck_assert_int_eq(kelp_producer_state_apply(&ps, &m, 3, KELP_CONTROL_ABORT), 0);
    apply(&ps, hdr(11, 0, 0, 1, true), 4);
    m = marker_hdr(11, 0);
    ck_assert_int_eq(kelp_producer_state_apply(&ps, &m, 5, KELP_CONTROL_COMMIT), 0);
    apply(&ps, hdr(12, 0, 0, 1, true), 6);
    apply(&ps, hdr(13, 0, 0, 1, false), 7);
    m = marker_hdr(12, 0);
    ck_assert_int_eq(kelp_producer_state_apply(&ps, &m, 8, KELP_CONTROL_ABORT), 0);
    apply(&ps, hdr(14, 0, 0, 2, true), 9);
    /* A control batch that is no marker ends nothing. */
    m = marker_hdr(14, 0);
    ck_assert_int_eq(kelp_producer_state_apply(&ps, &m, 11, -1), 0);
    ck_assert_int_eq(kelp_producer_state_get(&ps, 14)->txn_first_offset, 9);
    m = marker_hdr(14, 0);
    ck_assert_int_eq(kelp_producer_state_apply(&ps, &m, 12, KELP_CONTROL_ABORT), 0);

    span_list l = aborted(&ps, 0, 0, 100);
    ck_assert_int_eq(l.count, 3);
    ck_assert_int_eq(l.spans[0].producer_id, 10);
    ck_assert_int_eq(l.spans[0].first_offset, 0);
    ck_assert_int_eq(l.spans[0].last_offset, 3);
    ck_assert_int_eq(l.spans[1].producer_id, 12);
    ck_assert_int_eq(l.spans[1].first_offset, 6);
    ck_assert_int_eq(l.spans[1].last_offset, 8);
    ck_assert_int_eq(l.spans[2].producer_id, 14);
    ck_assert_int_eq(l.spans[2].last_offset, 12);
    /* from: only markers at or after it (A's marker 3 is before 4). */
    l = aborted(&ps, 0, 4, 100);
    ck_assert_int_eq(l.count, 2);
    ck_assert_int_eq(l.spans[0].producer_id, 12);
    l = aborted(&ps, 0, 3, 100);
    ck_assert_int_eq(l.count, 3); /* a marker exactly at from counts */
    /* upto: only transactions starting below it. */
    l = aborted(&ps, 0, 0, 6);
    ck_assert_int_eq(l.count, 1);
    ck_assert_int_eq(l.spans[0].producer_id, 10);
    l = aborted(&ps, 0, 7, 9);
    ck_assert_int_eq(l.count, 1); /* C started before 9 and ended after 7 */
    ck_assert_int_eq(l.spans[0].producer_id, 12);
    l = aborted(&ps, 0, 13, 100);
    ck_assert_int_eq(l.count, 0);
    /* The callback can stop the walk. */
    l = (span_list){.stop_after = 1};
    kelp_producer_state_aborted(&ps, 0, 0, 100, collect_span, &l);
    ck_assert_int_eq(l.count, 1);
    /* Below the log start (marker < log_start) they are dropped for good. */
    l = aborted(&ps, 4, 0, 100);
    ck_assert_int_eq(l.count, 2);
    ck_assert_uint_eq(ps.aborted_count, 2);
    l = aborted(&ps, 0, 0, 100);
    ck_assert_int_eq(l.count, 2);
    ck_assert_int_eq(l.spans[0].producer_id, 12);
    /* One whose marker is at the log start is kept. */
    l = aborted(&ps, 8, 0, 100);
    ck_assert_int_eq(l.count, 2);
    kelp_producer_state_free(&ps);
}
END_TEST

START_TEST(a_marker_with_a_newer_epoch_fences_the_producer)
{
    kelp_producer_state ps;
    kelp_producer_state_init(&ps);
    apply(&ps, hdr(4, 0, 0, 2, true), 0);
    apply(&ps, hdr(4, 0, 2, 1, true), 2);
    /* The coordinator aborted with a bumped epoch (a timeout or a new producer). */
    kelp_batch_header m = marker_hdr(4, 1);
    ck_assert_int_eq(kelp_producer_state_apply(&ps, &m, 3, KELP_CONTROL_ABORT), 0);
    const kelp_producer *e = kelp_producer_state_get(&ps, 4);
    ck_assert_int_eq(e->epoch, 1);
    ck_assert_int_eq(e->batch_count, 0);
    ck_assert_int_eq(e->txn_first_offset, -1);
    ck_assert_int_eq(check(&ps, hdr(4, 0, 3, 1, true)), KELP_PRODUCER_INVALID_EPOCH);
    ck_assert_int_eq(check(&ps, hdr(4, 0, 2, 1, true)), KELP_PRODUCER_INVALID_EPOCH);
    /* The new epoch has no sequences yet: it must start at 0. */
    ck_assert_int_eq(check(&ps, hdr(4, 1, 3, 1, true)), KELP_PRODUCER_OUT_OF_ORDER);
    ck_assert_int_eq(check(&ps, hdr(4, 1, 0, 1, true)), KELP_PRODUCER_OK);
    span_list l = aborted(&ps, 0, 0, 100);
    ck_assert_int_eq(l.count, 1);
    ck_assert_int_eq(l.spans[0].first_offset, 0);
    ck_assert_int_eq(l.spans[0].last_offset, 3);
    kelp_producer_state_free(&ps);
}
END_TEST

START_TEST(control_batches_are_valid_markers)
{
    uint8_t b[KELP_CONTROL_BATCH_SIZE];
    kelp_control_batch_build(b, 77, 5, KELP_CONTROL_COMMIT, 3, 123456);
    kelp_batches_info info;
    ck_assert_int_eq(kelp_batches_validate(b, sizeof(b), 1 << 20, &info), KELP_BATCH_OK);
    ck_assert_int_eq(info.batch_count, 1);
    ck_assert_int_eq(info.record_count, 1);
    kelp_batch_header h;
    ck_assert_int_eq(kelp_batch_header_parse(b, sizeof(b), &h), 0);
    ck_assert_int_eq(h.batch_length + KELP_BATCH_LOG_OVERHEAD, KELP_CONTROL_BATCH_SIZE);
    ck_assert_int_eq(h.producer_id, 77);
    ck_assert_int_eq(h.producer_epoch, 5);
    ck_assert_int_eq(h.base_sequence, -1);
    ck_assert_int_eq(h.max_timestamp, 123456);
    ck_assert_int_eq(h.base_timestamp, 123456);
    ck_assert_int_eq(h.attributes, KELP_BATCH_ATTR_TRANSACTIONAL | KELP_BATCH_ATTR_CONTROL);
    ck_assert_int_eq(kelp_control_batch_type(b, sizeof(b)), KELP_CONTROL_COMMIT);
    /* The record: key (version 0, type), value (version 0, coordinator epoch). */
    kelp_record_iter it;
    ck_assert_int_eq(kelp_record_iter_init(&it, b, sizeof(b), NULL), KELP_BATCH_OK);
    kelp_record r;
    ck_assert_int_eq(kelp_record_iter_next(&it, &r), 1);
    ck_assert_int_eq(r.key_len, 4);
    ck_assert_int_eq(kelp_be16(r.key), 0);
    ck_assert_int_eq(kelp_be16(r.key + 2), 1);
    ck_assert_int_eq(r.value_len, 6);
    ck_assert_int_eq(kelp_be16(r.value), 0);
    ck_assert_int_eq((int32_t)kelp_be32(r.value + 2), 3);
    ck_assert_int_eq(kelp_record_iter_next(&it, &r), 0);

    kelp_control_batch_build(b, 1, 0, KELP_CONTROL_ABORT, 0, 0);
    ck_assert_int_eq(kelp_batches_validate(b, sizeof(b), 1 << 20, NULL), KELP_BATCH_OK);
    ck_assert_int_eq(kelp_control_batch_type(b, sizeof(b)), KELP_CONTROL_ABORT);
    /* Not a marker: a truncated one, or a data batch. */
    ck_assert_int_eq(kelp_control_batch_type(b, 40), -1);
    kelp_buf data;
    kelp_buf_init(&data);
    ck_assert_int_eq(test_batch_simple(&data, 1, 0), 0);
    ck_assert_int_eq(kelp_control_batch_type(data.data, data.len), -1);
    kelp_buf_free(&data);
}
END_TEST

/* ---- through the storage layer ---- */

static char root[256];

static void make_root(void)
{
    snprintf(root, sizeof(root), "/tmp/kelp-test-producers-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(root));
}

static void remove_root(void)
{
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
    ck_assert_int_eq(system(cmd), 0);
}

static void on_durable(void *ctx, kelp_partition *p, int64_t hw)
{
    (void)ctx;
    (void)p;
    (void)hw;
}

static kelp_storage *open_storage(int64_t segment_bytes)
{
    kelp_storage_options opt = {.root = root, .segment_bytes = segment_bytes, .on_durable = on_durable};
    kelp_storage *s = NULL;
    char err[256] = "";
    ck_assert_msg(kelp_storage_open(&opt, &s, err, sizeof(err)) == 0, "open: %s", err);
    return s;
}

/* Group commit until everything written is durable (generous deadline). */
static void wait_durable(kelp_storage *s, kelp_partition *p)
{
    int64_t deadline = kelp_clock_mono_ms() + 10000;
    while (kelp_partition_high_watermark(p) < kelp_partition_log_end_offset(p)) {
        ck_assert_int_lt(kelp_clock_mono_ms(), deadline);
        kelp_storage_request_sync(s);
        struct pollfd pfd = {.fd = kelp_storage_completion_fd(s), .events = POLLIN};
        if (poll(&pfd, 1, 100) == 1)
            kelp_storage_process_completions(s);
    }
}

/* Appends one batch of n records from an idempotent (or transactional)
 * producer; returns its base offset. */
static int64_t produce(kelp_partition *p, int64_t pid, int16_t epoch, int32_t seq, int n, bool txn)
{
    kelp_buf b;
    kelp_buf_init(&b);
    test_record recs[8];
    ck_assert_int_le(n, 8);
    for (int i = 0; i < n; i++)
        recs[i] = (test_record){.key = "k", .value = "v", .timestamp = 1000 + i};
    test_batch_options opt = {.producer_id = pid};
    ck_assert_int_eq(test_batch_build(&b, &opt, recs, n), 0);
    kelp_put_be16(b.data + 51, (uint16_t)epoch);
    kelp_put_be32(b.data + 53, (uint32_t)seq);
    if (txn)
        kelp_put_be16(b.data + KELP_BATCH_OFF_ATTRIBUTES, KELP_BATCH_ATTR_TRANSACTIONAL);
    test_batch_fix_crc(b.data);
    ck_assert_int_eq(kelp_batches_validate(b.data, b.len, 1 << 20, NULL), KELP_BATCH_OK);
    kelp_batch_header h;
    ck_assert_int_eq(kelp_batch_header_parse(b.data, b.len, &h), 0);
    int64_t f, l;
    ck_assert_int_eq(kelp_producer_state_check(kelp_partition_producers(p), &h, &f, &l), KELP_PRODUCER_OK);
    int64_t base, last;
    ck_assert_int_eq(kelp_partition_append(p, b.data, b.len, &base, &last), KELP_STORAGE_OK);
    ck_assert_int_eq(last, base + n - 1);
    kelp_buf_free(&b);
    return base;
}

/* What the partition says of a resent batch. */
static enum kelp_producer_check resend(kelp_partition *p, int64_t pid, int16_t epoch, int32_t seq, int n, bool txn,
                                       int64_t *first, int64_t *last)
{
    kelp_batch_header h = hdr(pid, epoch, seq, n, txn);
    return kelp_producer_state_check(kelp_partition_producers(p), &h, first, last);
}

static span_list partition_aborted(kelp_partition *p, int64_t from, int64_t upto)
{
    span_list l = {0};
    kelp_producer_state_aborted(kelp_partition_producers(p), kelp_partition_log_start_offset(p), from, upto,
                                collect_span, &l);
    return l;
}

/* The base offsets of the batches in buf, and the control type of each (-2: data). */
static int list_batches(const kelp_buf *buf, int64_t *bases, int *types, int cap)
{
    size_t pos = 0;
    int n = 0;
    while (pos + KELP_BATCH_HEADER_SIZE <= buf->len) {
        kelp_batch_header h;
        ck_assert_int_eq(kelp_batch_header_parse(buf->data + pos, buf->len - pos, &h), 0);
        size_t total = (size_t)h.batch_length + KELP_BATCH_LOG_OVERHEAD;
        ck_assert_uint_le(pos + total, buf->len);
        ck_assert_int_lt(n, cap);
        bases[n] = h.base_offset;
        types[n] = h.attributes & KELP_BATCH_ATTR_CONTROL ? kelp_control_batch_type(buf->data + pos, total) : -2;
        n++;
        pos += total;
    }
    ck_assert_uint_eq(pos, buf->len);
    return n;
}

START_TEST(appends_track_producers_and_retries_survive_a_reopen)
{
    make_root();
    /* Small segments: recovery must walk every one of them. */
    kelp_storage *s = open_storage(150);
    kelp_topic *t;
    ck_assert_int_eq(kelp_storage_create_topic(s, "idem", 4, 1, NULL, &t), KELP_STORAGE_OK);
    kelp_partition *p = kelp_topic_partition(t, 0);
    ck_assert_int_eq(produce(p, 7, 0, 0, 3, false), 0);   /* seqs 0..2 at 0..2 */
    ck_assert_int_eq(produce(p, 8, 2, 0, 1, false), 3);   /* another producer */
    ck_assert_int_eq(produce(p, 7, 0, 3, 2, false), 4);   /* seqs 3..4 at 4..5 */
    int64_t f = -1, l = -1;
    ck_assert_int_eq(resend(p, 7, 0, 3, 2, false, &f, &l), KELP_PRODUCER_DUPLICATE);
    ck_assert_int_eq(f, 4);
    ck_assert_int_eq(l, 5);
    ck_assert_int_eq(resend(p, 7, 0, 6, 1, false, &f, &l), KELP_PRODUCER_OUT_OF_ORDER);
    /* A transaction aborted in a later segment than its first batch. */
    ck_assert_int_eq(produce(p, 9, 1, 0, 1, true), 6);
    ck_assert_int_eq(produce(p, 9, 1, 1, 1, true), 7);
    int64_t at;
    ck_assert_int_eq(kelp_partition_append_marker(p, 9, 1, KELP_CONTROL_ABORT, 0, 1000, &at), KELP_STORAGE_OK);
    ck_assert_int_eq(at, 8);
    wait_durable(s, p);
    ck_assert_int_eq(kelp_partition_last_stable_offset(p), 9);
    ck_assert_int_eq(kelp_storage_close(s), 0);
    char path[400];
    snprintf(path, sizeof(path), "%s/topics/kafka/idem/0/00000000000000000008.log", root);
    ck_assert_int_eq(access(path, R_OK), 0); /* the marker has a segment of its own */

    s = open_storage(150);
    p = kelp_topic_partition(kelp_storage_find_topic(s, "idem", 4), 0);
    ck_assert_int_eq(kelp_partition_log_end_offset(p), 9);
    ck_assert_int_eq(kelp_partition_last_stable_offset(p), 9);
    span_list sl = partition_aborted(p, 0, 9);
    ck_assert_int_eq(sl.count, 1);
    ck_assert_int_eq(sl.spans[0].producer_id, 9);
    ck_assert_int_eq(sl.spans[0].first_offset, 6);
    ck_assert_int_eq(sl.spans[0].last_offset, 8);
    ck_assert_int_eq(kelp_producer_state_get(kelp_partition_producers(p), 9)->epoch, 1);
    const kelp_producer *e = kelp_producer_state_get(kelp_partition_producers(p), 7);
    ck_assert_ptr_nonnull(e);
    ck_assert_int_eq(e->epoch, 0);
    ck_assert_int_eq(e->batch_count, 2);
    f = l = -1;
    ck_assert_int_eq(resend(p, 7, 0, 0, 3, false, &f, &l), KELP_PRODUCER_DUPLICATE);
    ck_assert_int_eq(f, 0);
    ck_assert_int_eq(l, 2);
    ck_assert_int_eq(resend(p, 7, 0, 3, 2, false, &f, &l), KELP_PRODUCER_DUPLICATE);
    ck_assert_int_eq(f, 4);
    ck_assert_int_eq(l, 5);
    ck_assert_int_eq(resend(p, 8, 2, 0, 1, false, &f, &l), KELP_PRODUCER_DUPLICATE);
    ck_assert_int_eq(f, 3);
    ck_assert_int_eq(resend(p, 8, 1, 1, 1, false, &f, &l), KELP_PRODUCER_INVALID_EPOCH);
    ck_assert_int_eq(resend(p, 7, 0, 7, 1, false, &f, &l), KELP_PRODUCER_OUT_OF_ORDER);
    /* The producer goes on where it was. */
    ck_assert_int_eq(produce(p, 7, 0, 5, 1, false), 9);
    ck_assert_int_eq(kelp_storage_close(s), 0);
    remove_root();
}
END_TEST

START_TEST(transactions_hold_the_last_stable_offset_and_survive_a_reopen)
{
    make_root();
    kelp_storage *s = open_storage(0);
    kelp_topic *t;
    ck_assert_int_eq(kelp_storage_create_topic(s, "txn", 3, 1, NULL, &t), KELP_STORAGE_OK);
    kelp_partition *p = kelp_topic_partition(t, 0);
    ck_assert_int_eq(produce(p, 1, 0, 0, 2, false), 0); /* plain: 0..1 */
    ck_assert_int_eq(produce(p, 2, 0, 0, 2, true), 2);  /* committed txn: 2..3 */
    ck_assert_int_eq(produce(p, 3, 0, 0, 1, true), 4);  /* aborted txn: 4 */
    ck_assert_int_eq(produce(p, 1, 0, 2, 1, false), 5); /* plain: 5 */
    wait_durable(s, p);
    ck_assert_int_eq(kelp_partition_high_watermark(p), 6);
    ck_assert_int_eq(kelp_partition_last_stable_offset(p), 2);

    /* A read_committed read stops at the LSO; a plain one does not. */
    kelp_buf out;
    kelp_buf_init(&out);
    int64_t bases[16];
    int types[16];
    ck_assert_int_gt(kelp_partition_read_until(p, 0, kelp_partition_last_stable_offset(p), 1 << 20, &out), 0);
    ck_assert_int_eq(list_batches(&out, bases, types, 16), 1);
    ck_assert_int_eq(bases[0], 0);
    kelp_buf_clear(&out);
    ck_assert_int_eq(kelp_partition_read_until(p, 2, 2, 1 << 20, &out), 0);
    ck_assert_uint_eq(out.len, 0);
    ck_assert_int_eq(kelp_partition_read_until(p, 7, 100, 1 << 20, &out), KELP_STORAGE_ERR_OFFSET_OUT_OF_RANGE);
    ck_assert_int_gt(kelp_partition_read(p, 0, 1 << 20, &out), 0);
    ck_assert_int_eq(list_batches(&out, bases, types, 16), 4);
    kelp_buf_clear(&out);
    /* A limit past the high watermark is cut to it. */
    ck_assert_int_gt(kelp_partition_read_until(p, 0, 1000, 1 << 20, &out), 0);
    ck_assert_int_eq(list_batches(&out, bases, types, 16), 4);
    kelp_buf_clear(&out);
    /* A limit inside the log keeps the batches below it. */
    ck_assert_int_gt(kelp_partition_read_until(p, 0, 5, 1 << 20, &out), 0);
    ck_assert_int_eq(list_batches(&out, bases, types, 16), 3);
    ck_assert_int_eq(bases[2], 4);
    kelp_buf_clear(&out);

    /* The commit marker: not stable until it is durable. */
    int64_t at = -1;
    ck_assert_int_eq(kelp_partition_append_marker(p, 2, 0, KELP_CONTROL_COMMIT, 0, 2000, &at), KELP_STORAGE_OK);
    ck_assert_int_eq(at, 6);
    ck_assert_int_eq(kelp_producer_state_get(kelp_partition_producers(p), 2)->txn_first_offset, -1);
    ck_assert_int_eq(kelp_partition_last_stable_offset(p), 2);
    wait_durable(s, p);
    ck_assert_int_eq(kelp_partition_last_stable_offset(p), 4); /* the aborted one is still open */
    ck_assert_int_eq(kelp_partition_append_marker(p, 3, 0, KELP_CONTROL_ABORT, 0, 2000, &at), KELP_STORAGE_OK);
    ck_assert_int_eq(at, 7);
    wait_durable(s, p);
    ck_assert_int_eq(kelp_partition_last_stable_offset(p), 8);
    /* And one left open. */
    ck_assert_int_eq(produce(p, 4, 0, 0, 3, true), 8); /* 8..10 */
    ck_assert_int_eq(produce(p, 1, 0, 3, 1, false), 11);
    wait_durable(s, p);
    ck_assert_int_eq(kelp_partition_high_watermark(p), 12);
    ck_assert_int_eq(kelp_partition_last_stable_offset(p), 8);

    span_list l = partition_aborted(p, 0, 12);
    ck_assert_int_eq(l.count, 1);
    ck_assert_int_eq(l.spans[0].producer_id, 3);
    ck_assert_int_eq(l.spans[0].first_offset, 4);
    ck_assert_int_eq(l.spans[0].last_offset, 7);

    /* The markers are in the log where they were appended. */
    ck_assert_int_gt(kelp_partition_read(p, 6, 1 << 20, &out), 0);
    int n = list_batches(&out, bases, types, 16);
    ck_assert_int_eq(n, 4);
    ck_assert_int_eq(bases[0], 6);
    ck_assert_int_eq(types[0], KELP_CONTROL_COMMIT);
    ck_assert_int_eq(bases[1], 7);
    ck_assert_int_eq(types[1], KELP_CONTROL_ABORT);
    ck_assert_int_eq(types[2], -2);
    kelp_buf_clear(&out);
    ck_assert_int_eq(kelp_storage_close(s), 0);

    /* Reopen: recovery finds the same transactions in the log. */
    s = open_storage(0);
    p = kelp_topic_partition(kelp_storage_find_topic(s, "txn", 3), 0);
    ck_assert_int_eq(kelp_partition_high_watermark(p), 12);
    ck_assert_int_eq(kelp_partition_last_stable_offset(p), 8);
    const kelp_producer *e = kelp_producer_state_get(kelp_partition_producers(p), 4);
    ck_assert_ptr_nonnull(e);
    ck_assert_int_eq(e->txn_first_offset, 8);
    ck_assert_int_eq(kelp_producer_state_get(kelp_partition_producers(p), 2)->txn_first_offset, -1);
    ck_assert_int_eq(kelp_producer_state_get(kelp_partition_producers(p), 3)->txn_first_offset, -1);
    l = partition_aborted(p, 0, 12);
    ck_assert_int_eq(l.count, 1);
    ck_assert_int_eq(l.spans[0].producer_id, 3);
    ck_assert_int_eq(l.spans[0].first_offset, 4);
    ck_assert_int_eq(l.spans[0].last_offset, 7);
    int64_t f = -1, last = -1;
    ck_assert_int_eq(resend(p, 4, 0, 0, 3, true, &f, &last), KELP_PRODUCER_DUPLICATE);
    ck_assert_int_eq(f, 8);
    ck_assert_int_eq(last, 10);
    /* The open transaction still refuses plain batches of its producer. */
    ck_assert_int_eq(resend(p, 4, 0, 3, 1, false, &f, &last), KELP_PRODUCER_INVALID_TXN_STATE);
    ck_assert_int_gt(kelp_partition_read_until(p, 0, kelp_partition_last_stable_offset(p), 1 << 20, &out), 0);
    n = list_batches(&out, bases, types, 16);
    ck_assert_int_eq(bases[n - 1], 7); /* up to the abort marker, nothing of the open one */
    kelp_buf_clear(&out);
    /* Ending it after the reopen makes everything stable. */
    ck_assert_int_eq(kelp_partition_append_marker(p, 4, 0, KELP_CONTROL_ABORT, 0, 3000, &at), KELP_STORAGE_OK);
    ck_assert_int_eq(at, 12);
    wait_durable(s, p);
    ck_assert_int_eq(kelp_partition_last_stable_offset(p), 13);
    l = partition_aborted(p, 8, 13);
    ck_assert_int_eq(l.count, 1);
    ck_assert_int_eq(l.spans[0].producer_id, 4);
    kelp_buf_free(&out);
    ck_assert_int_eq(kelp_storage_close(s), 0);
    remove_root();
}
END_TEST

int main(void)
{
    Suite *s = suite_create("producer state");
    TCase *rules = tcase_create("rules");
    tcase_add_test(rules, sequences_continue_within_an_epoch_and_restart_with_a_new_one);
    tcase_add_test(rules, sequences_wrap_after_int32_max);
    tcase_add_test(rules, retries_of_the_last_five_batches_are_duplicates);
    tcase_add_test(rules, plain_batches_are_refused_inside_an_open_transaction);
    tcase_add_test(rules, the_last_stable_offset_waits_for_open_transactions_and_durable_markers);
    tcase_add_test(rules, aborted_transactions_are_reported_by_marker_and_first_offset);
    tcase_add_test(rules, a_marker_with_a_newer_epoch_fences_the_producer);
    tcase_add_test(rules, control_batches_are_valid_markers);
    suite_add_tcase(s, rules);
    TCase *storage = tcase_create("storage");
    tcase_set_timeout(storage, 60);
    tcase_add_test(storage, appends_track_producers_and_retries_survive_a_reopen);
    tcase_add_test(storage, transactions_hold_the_last_stable_offset_and_survive_a_reopen);
    suite_add_tcase(s, storage);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
