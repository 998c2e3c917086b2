/* The event loop's timers and the connection's framing and response order,
 * over a real socketpair. */
#include <check.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/clock.h"
#include "net/connection.h"
#include "net/frame_pool.h"
#include "net/event_loop.h"
#include "net/listener.h"
#include "net/output.h"

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
        kelp_frame_free(frame);
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
        kelp_frame_free(frames[i]);
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
        kelp_frame_free(frames[i]);
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
    kelp_frame_free(frames[0]);
    kelp_loop_free(loop);
}
END_TEST

/* A file of n bytes (byte i is i % 251) opened for reading, already unlinked. */
static int pattern_file(size_t n)
{
    char path[] = "/tmp/kelp-test-net-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    unlink(path);
    uint8_t *data = malloc(n);
    for (size_t i = 0; i < n; i++)
        data[i] = (uint8_t)(i % 251);
    ck_assert_int_eq(write(fd, data, n), (ssize_t)n);
    free(data);
    return fd;
}

/* Reads exactly n bytes from the test side while the loop runs. */
static void read_all(int peer, uint8_t *dst, size_t n)
{
    size_t got = 0;
    for (int rounds = 0; got < n && rounds < 2000; rounds++) {
        kelp_timer_add(loop, kelp_clock_mono_ms() + 1, stop_loop, NULL);
        kelp_loop_run(loop);
        ssize_t k = recv(peer, dst + got, n - got, MSG_DONTWAIT);
        if (k > 0)
            got += (size_t)k;
    }
    ck_assert_uint_eq(got, n);
}

/* File ranges spliced into responses come out between the response's own
 * bytes, in order, also when the socket takes a range in many pieces, and
 * a response queued behind waits for them. */
START_TEST(file_ranges_are_spliced_into_responses)
{
    int peer;
    kelp_conn *c = setup_conn(&peer, 1 << 20);
    put_frame(peer, "fetch-1-", 8);
    put_frame(peer, "fetch-2-", 8);
    run_briefly();
    ck_assert_int_eq(frame_count, 2);
    enum { BIG = 3 << 20 };
    int fd = pattern_file(BIG);
    kelp_buf b;
    kelp_buf_init(&b);
    kelp_buf_append(&b, "<head|mid|tail>", 15);
    kelp_file_range *r = calloc(2, sizeof(*r));
    /* 100 bytes from 1000 after "<head", then BIG - 2000 from 2000 after "|mid". */
    r[0] = (kelp_file_range){.at = 5, .fd = dup(fd), .off = 1000, .len = 100};
    r[1] = (kelp_file_range){.at = 9, .fd = dup(fd), .off = 2000, .len = BIG - 2000};
    kelp_conn_slot_complete_ranges(slots[0], &b, r, 2);
    respond(1, "NEXT");
    size_t total = 15 + 100 + (BIG - 2000) + 4;
    uint8_t *got = malloc(total);
    read_all(peer, got, total);
    ck_assert_int_eq(memcmp(got, "<head", 5), 0);
    for (size_t i = 0; i < 100; i++)
        ck_assert_uint_eq(got[5 + i], (1000 + i) % 251);
    ck_assert_int_eq(memcmp(got + 105, "|mid", 4), 0);
    for (size_t i = 0; i < BIG - 2000; i += 4093)
        ck_assert_uint_eq(got[109 + i], (2000 + i) % 251);
    ck_assert_int_eq(memcmp(got + 109 + (BIG - 2000), "|tail>NEXT", 10), 0);
    ck_assert(kelp_conn_idle(c));
    free(got);
    close(fd);
    kelp_conn_close(c, "test over");
    for (int i = 0; i < frame_count; i++)
        kelp_frame_free(frames[i]);
    kelp_loop_free(loop);
    close(peer);
}
END_TEST

/* A range past the end of its file cannot be sent whole: the frame would
 * lie about its length, so the connection closes. */
START_TEST(a_range_past_the_end_of_its_file_closes_the_connection)
{
    int peer;
    setup_conn(&peer, 1 << 20);
    put_frame(peer, "fetch---", 8);
    run_briefly();
    int fd = pattern_file(100);
    kelp_buf b;
    kelp_buf_init(&b);
    kelp_buf_append(&b, "hdr", 3);
    kelp_file_range *r = calloc(1, sizeof(*r));
    r[0] = (kelp_file_range){.at = 3, .fd = fd, .off = 50, .len = 500};
    kelp_conn_slot_complete_ranges(slots[0], &b, r, 1);
    run_briefly();
    ck_assert_int_eq(close_count, 1);
    kelp_frame_free(frames[0]);
    kelp_loop_free(loop);
    close(peer);
}
END_TEST

/* TLS encrypts in user space: ranges are read in at their positions. */
START_TEST(ranges_inline_into_the_response_bytes)
{
    int fd = pattern_file(300);
    kelp_buf b;
    kelp_buf_init(&b);
    kelp_buf_append(&b, "ab", 2);
    kelp_file_range *r = calloc(2, sizeof(*r));
    r[0] = (kelp_file_range){.at = 1, .fd = dup(fd), .off = 10, .len = 3};
    r[1] = (kelp_file_range){.at = 2, .fd = dup(fd), .off = 260, .len = 2};
    ck_assert(kelp_file_ranges_inline(&b, r, 2));
    ck_assert_uint_eq(b.len, 7);
    const uint8_t want[] = {'a', 10, 11, 12, 'b', 260 % 251, 261 % 251};
    ck_assert_int_eq(memcmp(b.data, want, sizeof(want)), 0);
    kelp_buf_free(&b);
    /* Past the end: false, and nothing left to free but the buffer. */
    kelp_buf_init(&b);
    kelp_buf_append(&b, "x", 1);
    r = calloc(1, sizeof(*r));
    r[0] = (kelp_file_range){.at = 0, .fd = dup(fd), .off = 290, .len = 20};
    ck_assert(!kelp_file_ranges_inline(&b, r, 1));
    kelp_buf_free(&b);
    close(fd);
}
END_TEST

static int accepted;

static void on_accept(void *ctx, int fd)
{
    (void)ctx;
    accepted++;
    close(fd);
}

/* Out of descriptors, the listener stops accepting for a while instead of
 * spinning on a socket that stays readable, and takes the waiting
 * connection once descriptors are back. */
START_TEST(accept_pauses_while_out_of_descriptors)
{
    loop = kelp_loop_new();
    char err[128];
    kelp_listener *l = kelp_listener_bind("127.0.0.1", 0, err, sizeof(err));
    ck_assert_ptr_nonnull(l);
    accepted = 0;
    ck_assert_int_eq(kelp_listener_start(l, loop, on_accept, NULL), 0);
    int client = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(kelp_listener_port(l)),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    ck_assert_int_eq(connect(client, (struct sockaddr *)&a, sizeof(a)), 0);
    /* Every descriptor taken: accept gets EMFILE. The limit is lowered
     * first (for good: valgrind lets a limit fall, not rise again) so that
     * filling the table stays cheap. */
    struct rlimit rl;
    ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
    if (rl.rlim_cur > 4096) {
        rl.rlim_cur = 4096;
        ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
    }
    static int held[4096];
    int nheld = 0;
    while (nheld < 4096 && (held[nheld] = dup(0)) >= 0)
        nheld++;
    run_briefly();
    bool paused = kelp_listener_paused(l);
    int before = accepted;
    while (nheld > 0)
        close(held[--nheld]);
    ck_assert(paused);
    ck_assert_int_eq(before, 0);
    /* A new client is taken once the pause is over (under valgrind the
     * first one is gone: it accepts, then refuses the descriptor). */
    int second = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_eq(connect(second, (struct sockaddr *)&a, sizeof(a)), 0);
    for (int i = 0; i < 20 && accepted == 0; i++)
        run_briefly();
    ck_assert_int_ge(accepted, 1);
    ck_assert(!kelp_listener_paused(l));
    close(second);
    close(client);
    kelp_listener_close(l);
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
    tcase_add_test(tc, file_ranges_are_spliced_into_responses);
    tcase_add_test(tc, a_range_past_the_end_of_its_file_closes_the_connection);
    tcase_add_test(tc, ranges_inline_into_the_response_bytes);
    tcase_add_test(tc, accept_pauses_while_out_of_descriptors);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
