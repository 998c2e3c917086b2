/* The event loop's timers and the connection's framing and response order,
 * over a real socketpair. */
#include <check.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/clock.h"
#include "net/connection.h"
#include "net/event_loop.h"

static kelp_loop *loop;
static int order[8];
static int order_len;

static void record_timer(void *ctx)
{
    order[order_len++] = (int)(intptr_t)ctx;
}

static void stop_loop(void *ctx)
{
    kelp_loop_stop(loop);
}

START_TEST(timers_fire_in_due_order)
{
    loop = kelp_loop_new();
    ck_assert_ptr_nonnull(loop);
    order_len = 0;
    int64_t now = kelp_clock_mono_ms();
    kelp_timer_add(loop, now + 30, record_timer, (void *)(intptr_t)3);
    kelp_timer_add(loop, now + 10, record_timer, (void *)(intptr_t)1);
    kelp_timer *cancelled = kelp_timer_add(loop, now + 15, record_timer, (void *)(intptr_t)9);
    kelp_timer_add(loop, now + 20, record_timer, (void *)(intptr_t)2);
    kelp_timer_cancel(loop, cancelled);
    kelp_timer_add(loop, now + 40, stop_loop, NULL);
    kelp_loop_run(loop);
    ck_assert_int_eq(order_len, 3);
    ck_assert_int_eq(order[0], 1);
    ck_assert_int_eq(order[1], 2);
    ck_assert_int_eq(order[2], 3);
    kelp_loop_free(loop);
}
END_TEST

/* Connection tests: the handler keeps the slots and completes them later. */
static kelp_conn_slot *slots[16];
static uint8_t *frames[16];
static size_t frame_lens[16];
static int frame_count;
static int close_count;

static int on_frame(void *ctx, kelp_conn *conn, uint8_t *frame, size_t len)
{
    if (len >= 5 && memcmp(frame, "BAD!!", 5) == 0) {
        free(frame);
        return -1;
    }
    frames[frame_count] = frame;
    frame_lens[frame_count] = len;
    slots[frame_count] = kelp_conn_slot_reserve(conn);
    frame_count++;
    return 0;
}

static void on_close(void *ctx, kelp_conn *conn)
{
    close_count++;
}

static const kelp_conn_handler handler = {.on_frame = on_frame, .on_close = on_close};

static void put_frame(int fd, const char *payload, uint32_t len)
{
    uint8_t hdr[4] = {(uint8_t)(len >> 24), (uint8_t)(len >> 16), (uint8_t)(len >> 8), (uint8_t)len};
    ck_assert_int_eq(write(fd, hdr, 4), 4);
    if (payload)
        ck_assert_int_eq(write(fd, payload, len), (ssize_t)len);
}

static void run_briefly(void)
{
    kelp_timer_add(loop, kelp_clock_mono_ms() + 30, stop_loop, NULL);
    kelp_loop_run(loop);
}

static kelp_conn *setup_conn(int *peer, int32_t max_frame)
{
    int sv[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
    *peer = sv[1];
    fcntl(sv[1], F_SETFL, 0); /* the test side blocks */
    loop = kelp_loop_new();
    frame_count = 0;
    close_count = 0;
    kelp_conn_limits limits = {.max_frame_bytes = max_frame, .max_pending = 8, .max_output_bytes = 1 << 20};
    kelp_conn *c = kelp_conn_new(loop, sv[0], &limits, &handler, NULL);
    ck_assert_ptr_nonnull(c);
    return c;
}

static void respond(int i, const char *text)
{
    kelp_buf b;
    kelp_buf_init(&b);
    kelp_buf_append(&b, text, strlen(text));
    kelp_conn_slot_complete(slots[i], &b);
}

START_TEST(frames_split_and_pipelined_are_delivered_whole)
{
    int peer;
    kelp_conn *c = setup_conn(&peer, 1 << 20);
    put_frame(peer, "first-frame", 11);
    put_frame(peer, "second--", 8);
    /* A large frame, sent in two writes. */
    char *big = malloc(100000);
    memset(big, 'x', 100000);
    uint8_t hdr[4] = {0, 1, 0x86, 0xa0}; /* 100000 */
    ck_assert_int_eq(write(peer, hdr, 4), 4);
    ck_assert_int_eq(write(peer, big, 1000), 1000);
    run_briefly();
    ck_assert_int_eq(frame_count, 2);
    ck_assert_int_eq(frame_lens[0], 11);
    ck_assert_int_eq(memcmp(frames[1], "second--", 8), 0);
    ck_assert_int_eq(write(peer, big + 1000, 99000), 99000);
    run_briefly();
    ck_assert_int_eq(frame_count, 3);
    ck_assert_int_eq(frame_lens[2], 100000);
    ck_assert_int_eq(memcmp(frames[2], big, 100000), 0);
    kelp_conn_close(c, "test over");
    /* The connection's memory goes with its last slot. */
    for (int i = 0; i < frame_count; i++)
        respond(i, "late");
    kelp_loop_free(loop);
    loop = NULL;
    free(big);
    close(peer);
    for (int i = 0; i < frame_count; i++)
        free(frames[i]);
}
END_TEST

START_TEST(responses_keep_request_order)
{
    int peer;
    kelp_conn *c = setup_conn(&peer, 1 << 20);
    put_frame(peer, "req-1---", 8);
    put_frame(peer, "req-2---", 8);
    put_frame(peer, "req-3---", 8);
    run_briefly();
    ck_assert_int_eq(frame_count, 3);
    ck_assert_int_eq(memcmp(frames[0], "req-1---", 8), 0);
    ck_assert_int_eq(memcmp(frames[2], "req-3---", 8), 0);
    /* Complete out of order: nothing may be sent before the first is done. */
    respond(2, "C");
    respond(1, "B");
    char got[8] = {0};
    ck_assert_int_eq(recv(peer, got, sizeof(got), MSG_DONTWAIT), -1);
    respond(0, "A");
    ck_assert_int_eq(recv(peer, got, sizeof(got), 0), 3);
    ck_assert_str_eq(got, "ABC");
    ck_assert(kelp_conn_idle(c));
    kelp_conn_close(c, "test over");
    ck_assert_int_eq(close_count, 1);
    for (int i = 0; i < frame_count; i++)
        free(frames[i]);
    kelp_loop_free(loop); /* runs the deferred free */
    close(peer);
}
END_TEST

START_TEST(oversized_or_malformed_frames_close_only_that_connection)
{
    int peer;
    setup_conn(&peer, 1000);
    put_frame(peer, NULL, 5000); /* too large: header alone is enough */
    run_briefly();
    ck_assert_int_eq(close_count, 1);
    ck_assert_int_eq(frame_count, 0);
    char b;
    ck_assert_int_eq(recv(peer, &b, 1, 0), 0); /* the peer sees EOF */
    kelp_loop_free(loop);
    close(peer);

    setup_conn(&peer, 1000);
    put_frame(peer, NULL, 0xffffffffu); /* negative size */
    run_briefly();
    ck_assert_int_eq(close_count, 1);
    kelp_loop_free(loop);
    close(peer);

    setup_conn(&peer, 1000);
    put_frame(peer, "BAD!!---", 8); /* the handler refuses it */
    run_briefly();
    ck_assert_int_eq(close_count, 1);
    kelp_loop_free(loop);
    close(peer);
}
END_TEST

START_TEST(slot_completed_after_close_is_dropped)
{
    int peer;
    kelp_conn *c = setup_conn(&peer, 1000);
    put_frame(peer, "pending!", 8);
    run_briefly();
    ck_assert_int_eq(frame_count, 1);
    close(peer);
    kelp_conn_close(c, "peer gone");
    respond(0, "late"); /* must not write to a closed socket or leak */
    free(frames[0]);
    kelp_loop_free(loop);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("net");
    TCase *tc = tcase_create("loop and connections");
    tcase_add_test(tc, timers_fire_in_due_order);
    tcase_add_test(tc, frames_split_and_pipelined_are_delivered_whole);
    tcase_add_test(tc, responses_keep_request_order);
    tcase_add_test(tc, oversized_or_malformed_frames_close_only_that_connection);
    tcase_add_test(tc, slot_completed_after_close_is_dropped);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
