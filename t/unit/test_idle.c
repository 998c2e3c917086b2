/* The idle sweep of connections (connections_max_idle_ms): ticks close a
 * connection that neither completes a frame nor writes, a partial frame
 * does not keep it open, a pending request or a whole frame does; a partial
 * frame's buffer grows with what arrives. The
 * sweep's timer is the server's; here ticks are given by hand. */
#include <check.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/connection.h"
#include "net/frame_pool.h"
#include "net/event_loop.h"
#include "util/clock.h"

#define TICKS 4

static kelp_loop *loop;
static kelp_conn_slot *slot;
static int frame_count, close_count;
static uint8_t *last_frame;
static size_t last_len;

static int on_frame(void *ctx, kelp_conn *conn, uint8_t *frame, size_t len)
{
    kelp_frame_free(last_frame);
    last_frame = frame;
    last_len = len;
    frame_count++;
    slot = kelp_conn_slot_reserve(conn);
    return 0;
}

static void on_close(void *ctx, kelp_conn *conn) { close_count++; }

static const kelp_conn_handler handler = {.on_frame = on_frame, .on_close = on_close};

static void stop_loop(void *ctx) { kelp_loop_stop(loop); }

/* Lets the connection read what the peer sent. */
static void run_briefly(void)
{
    kelp_timer_add(loop, kelp_clock_mono_ms() + 20, stop_loop, NULL);
    kelp_loop_run(loop);
}

static int peer;

static kelp_conn *new_conn(void)
{
    int sv[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
    peer = sv[1];
    loop = kelp_loop_new();
    ck_assert_ptr_nonnull(loop);
    frame_count = close_count = 0;
    slot = NULL;
    kelp_conn_limits limits = {.max_frame_bytes = 1 << 20, .max_pending = 16, .max_output_bytes = 1 << 20};
    kelp_conn *c = kelp_conn_new(loop, sv[0], &limits, &handler, NULL);
    ck_assert_ptr_nonnull(c);
    return c;
}

static void finish(void)
{
    run_briefly(); /* the deferred free of a closed connection */
    kelp_frame_free(last_frame);
    last_frame = NULL;
    close(peer);
    kelp_loop_free(loop);
}

/* Ticks up to max_ticks keep it; the next one closes it. */
static void expect_closed_after(kelp_conn *c, int ticks)
{
    for (int i = 0; i < ticks; i++) {
        ck_assert(!kelp_conn_idle_tick(c, TICKS));
        ck_assert_int_eq(close_count, 0);
    }
    ck_assert(kelp_conn_idle_tick(c, TICKS));
    ck_assert_int_eq(close_count, 1);
    ck_assert(kelp_conn_is_closed(c));
}

static void send_bytes(const void *p, size_t n)
{
    ck_assert_int_eq(write(peer, p, n), (ssize_t)n);
    run_briefly();
}

static const uint8_t frame8[12] = {0, 0, 0, 8, 0, 18, 0, 0, 0, 0, 0, 1};

START_TEST(an_idle_connection_is_closed_on_the_tick_after_the_limit)
{
    kelp_conn *c = new_conn();
    expect_closed_after(c, TICKS);
    char b;
    ck_assert_int_eq(read(peer, &b, 1), 0); /* the peer sees the close */
    finish();
}
END_TEST

START_TEST(a_partial_frame_does_not_count_as_activity)
{
    kelp_conn *c = new_conn();
    /* One byte per tick, never a whole frame: the drip does not keep it open. */
    for (int i = 0; i < TICKS; i++) {
        send_bytes(frame8 + i, 1);
        ck_assert(!kelp_conn_idle_tick(c, TICKS));
    }
    send_bytes(frame8 + TICKS, 1);
    ck_assert(kelp_conn_idle_tick(c, TICKS));
    ck_assert_int_eq(frame_count, 0);
    ck_assert_int_eq(close_count, 1);
    finish();
}
END_TEST

START_TEST(a_whole_frame_and_a_pending_request_keep_it_open)
{
    kelp_conn *c = new_conn();
    for (int i = 0; i < TICKS; i++)
        ck_assert(!kelp_conn_idle_tick(c, TICKS));
    send_bytes(frame8, sizeof(frame8));
    ck_assert_int_eq(frame_count, 1);
    /* Unanswered (a long poll, a rebalance): busy, however long it takes. */
    for (int i = 0; i < 10 * TICKS; i++)
        ck_assert(!kelp_conn_idle_tick(c, TICKS));
    kelp_buf resp;
    kelp_buf_init(&resp);
    kelp_buf_append(&resp, "\0\0\0\2ok", 6);
    kelp_conn_slot_complete(slot, &resp);
    uint8_t got[6];
    ck_assert_int_eq(read(peer, got, sizeof(got)), 6);
    /* The answer was the last activity: the count starts again from it. */
    expect_closed_after(c, TICKS);
    finish();
}
END_TEST

START_TEST(a_closed_connection_ignores_ticks)
{
    kelp_conn *c = new_conn();
    send_bytes(frame8, sizeof(frame8));
    kelp_conn_close(c, "test");
    ck_assert_int_eq(close_count, 1);
    for (int i = 0; i < 2 * TICKS; i++)
        ck_assert(!kelp_conn_idle_tick(c, TICKS));
    ck_assert_int_eq(close_count, 1);
    kelp_conn_slot_complete(slot, NULL); /* frees the connection */
    finish();
}
END_TEST

/* The buffer of a partial frame grows with what arrives, and the frame
 * still comes out whole when the peer sends it in pieces. */
START_TEST(a_large_frame_sent_in_pieces_arrives_whole)
{
    kelp_conn *c = new_conn();
    size_t len = 300000;
    uint8_t *buf = malloc(4 + len);
    buf[0] = 0, buf[1] = (uint8_t)(len >> 16), buf[2] = (uint8_t)(len >> 8), buf[3] = (uint8_t)len;
    for (size_t i = 0; i < len; i++)
        buf[4 + i] = (uint8_t)(i * 7 + i / 251);
    size_t sent = 0;
    for (int round = 0; round < 1000 && frame_count == 0; round++) {
        size_t piece = sent + 7000 < 4 + len ? 7000 : 4 + len - sent;
        if (piece > 0) {
            ssize_t n = write(peer, buf + sent, piece);
            if (n > 0)
                sent += (size_t)n;
        }
        run_briefly();
    }
    ck_assert_int_eq(frame_count, 1);
    ck_assert_uint_eq(last_len, len);
    ck_assert_int_eq(memcmp(last_frame, buf + 4, len), 0);
    ck_assert(!kelp_conn_is_closed(c));
    free(buf);
    kelp_conn_close(c, "test");
    kelp_conn_slot_complete(slot, NULL);
    finish();
}
END_TEST

int main(void)
{
    Suite *s = suite_create("idle");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, an_idle_connection_is_closed_on_the_tick_after_the_limit);
    tcase_add_test(tc, a_partial_frame_does_not_count_as_activity);
    tcase_add_test(tc, a_whole_frame_and_a_pending_request_keep_it_open);
    tcase_add_test(tc, a_closed_connection_ignores_ticks);
    tcase_add_test(tc, a_large_frame_sent_in_pieces_arrives_whole);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
