/* Connections under back-pressure, plain and over TLS: frames left in the
 * input buffer or inside the TLS session while reading was paused must be
 * delivered once reading resumes, with no new bytes arriving on the socket.
 * A client thread speaks TLS with OpenSSL over a socketpair. */
#include <check.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "module/config.h"
#include "net/connection.h"
#include "net/frame_pool.h"
#include "net/event_loop.h"
#include "net/tls.h"
#include "util/clock.h"

#define FRAMES 24
#define MAX_PENDING 4

static kelp_loop *loop;
static kelp_conn_slot *slots[FRAMES];
static uint8_t *frames[FRAMES];
static size_t frame_lens[FRAMES];
static int frame_count, answered, close_count;

static int on_frame(void *ctx, kelp_conn *conn, uint8_t *frame, size_t len)
{
    if (frame_count >= FRAMES) {
        kelp_frame_free(frame);
        return -1;
    }
    frames[frame_count] = frame;
    frame_lens[frame_count] = len;
    slots[frame_count++] = kelp_conn_slot_reserve(conn);
    return 0;
}

static void on_close(void *ctx, kelp_conn *conn) { close_count++; }

static const kelp_conn_handler handler = {.on_frame = on_frame, .on_close = on_close};

static void stop_loop(void *ctx) { kelp_loop_stop(loop); }

static void run_briefly(void)
{
    kelp_timer_add(loop, kelp_clock_mono_ms() + 20, stop_loop, NULL);
    kelp_loop_run(loop);
}

static bool big_frames; /* TLS: up to ~60 KB, several TLS records each */
static size_t frame_size(int i) { return 8 + (size_t)i * (big_frames ? 2500 : 10); }

static void fill(uint8_t *p, size_t n, int i)
{
    for (size_t k = 0; k < n; k++)
        p[k] = (uint8_t)(i * 31 + k);
}

/* All frames in one buffer, as a pipelining client sends them. */
static uint8_t *all_frames(size_t *len)
{
    size_t total = 0;
    for (int i = 0; i < FRAMES; i++)
        total += 4 + frame_size(i);
    uint8_t *buf = malloc(total), *p = buf;
    for (int i = 0; i < FRAMES; i++) {
        uint32_t n = (uint32_t)frame_size(i);
        p[0] = (uint8_t)(n >> 24), p[1] = (uint8_t)(n >> 16), p[2] = (uint8_t)(n >> 8), p[3] = (uint8_t)n;
        fill(p + 4, n, i);
        p += 4 + n;
    }
    *len = total;
    return buf;
}

/* Answers every frame received so far with "ok<index>". */
static void answer_received(void)
{
    while (answered < frame_count) {
        char text[16];
        int n = snprintf(text, sizeof(text), "ok%d", answered);
        kelp_buf b;
        kelp_buf_init(&b);
        uint8_t hdr[4] = {0, 0, 0, (uint8_t)n};
        kelp_buf_append(&b, hdr, 4);
        kelp_buf_append(&b, text, (size_t)n);
        kelp_conn_slot_complete(slots[answered++], &b);
    }
}

static void serve_until_all_answered(void)
{
    for (int round = 0; round < 500 && answered < FRAMES; round++) {
        run_briefly();
        ck_assert_int_le(frame_count - answered, MAX_PENDING);
        answer_received();
    }
    ck_assert_int_eq(frame_count, FRAMES);
    ck_assert_int_eq(answered, FRAMES);
    for (int i = 0; i < FRAMES; i++) {
        ck_assert_uint_eq(frame_lens[i], frame_size(i));
        uint8_t *want = malloc(frame_size(i));
        fill(want, frame_size(i), i);
        ck_assert_int_eq(memcmp(frames[i], want, frame_size(i)), 0);
        free(want);
        kelp_frame_free(frames[i]);
    }
}

static kelp_conn *new_conn(int fd)
{
    loop = kelp_loop_new();
    frame_count = answered = close_count = 0;
    kelp_conn_limits limits = {.max_frame_bytes = 1 << 20, .max_pending = MAX_PENDING, .max_output_bytes = 1 << 20};
    kelp_conn *c = kelp_conn_new(loop, fd, &limits, &handler, NULL);
    ck_assert_ptr_nonnull(c);
    return c;
}

/* Reads the FRAMES answers and checks their order. */
static int read_answers(int (*rd)(void *io, void *buf, int len), void *io)
{
    for (int i = 0; i < FRAMES; i++) {
        uint8_t hdr[4];
        char text[16], want[16];
        int got = 0;
        while (got < 4) {
            int n = rd(io, hdr + got, 4 - got);
            if (n <= 0)
                return -1;
            got += n;
        }
        int len = hdr[3];
        for (got = 0; got < len;) {
            int n = rd(io, text + got, len - got);
            if (n <= 0)
                return -1;
            got += n;
        }
        snprintf(want, sizeof(want), "ok%d", i);
        if (len != (int)strlen(want) || memcmp(text, want, (size_t)len) != 0)
            return -1;
    }
    return 0;
}

static int plain_read(void *io, void *buf, int len) { return (int)read(*(int *)io, buf, (size_t)len); }

START_TEST(plain_frames_left_in_the_buffer_are_served_after_a_pause)
{
    int sv[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
    fcntl(sv[1], F_SETFL, 0);
    kelp_conn *c = new_conn(sv[0]);
    size_t len;
    big_frames = false; /* the whole burst fits the socket buffer and one read */
    uint8_t *buf = all_frames(&len);
    ck_assert_int_eq(write(sv[1], buf, len), (ssize_t)len);
    serve_until_all_answered();
    ck_assert_int_eq(read_answers(plain_read, &sv[1]), 0);
    ck_assert_int_eq(close_count, 0);
    kelp_conn_close(c, "test over");
    kelp_loop_free(loop);
    close(sv[1]);
    free(buf);
}
END_TEST

/* A throwaway self-signed certificate and key in files. */
static char cert_path[64], key_path[64];

static void make_certificate(void)
{
    EVP_PKEY *pkey = EVP_RSA_gen(2048);
    ck_assert_ptr_nonnull(pkey);
    X509 *x = X509_new();
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_set_pubkey(x, pkey);
    X509_NAME *name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"kelp-test", -1, -1, 0);
    X509_set_issuer_name(x, name);
    ck_assert_int_gt(X509_sign(x, pkey, EVP_sha256()), 0);
    snprintf(cert_path, sizeof(cert_path), "/tmp/kelp-test-tls-%d.crt", (int)getpid());
    snprintf(key_path, sizeof(key_path), "/tmp/kelp-test-tls-%d.key", (int)getpid());
    FILE *f = fopen(cert_path, "w");
    PEM_write_X509(f, x);
    fclose(f);
    f = fopen(key_path, "w");
    PEM_write_PrivateKey(f, pkey, NULL, NULL, 0, NULL, NULL);
    fclose(f);
    X509_free(x);
    EVP_PKEY_free(pkey);
}

typedef struct tls_client {
    int fd;
    int result; /* 0 when every answer came back in order */
} tls_client;

static int tls_read(void *io, void *buf, int len) { return SSL_read(io, buf, len); }

static void *tls_client_main(void *arg)
{
    tls_client *tc = arg;
    tc->result = -1;
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    SSL *ssl = SSL_new(ctx);
    SSL_set_fd(ssl, tc->fd);
    size_t len;
    uint8_t *buf = all_frames(&len);
    if (SSL_connect(ssl) == 1) {
        size_t sent = 0;
        while (sent < len) {
            int n = SSL_write(ssl, buf + sent, (int)(len - sent));
            if (n <= 0)
                break;
            sent += (size_t)n;
        }
        if (sent == len)
            tc->result = read_answers(tls_read, ssl);
    }
    SSL_shutdown(ssl);
    SSL_free(ssl);
    SSL_CTX_free(ctx);
    free(buf);
    return NULL;
}

START_TEST(tls_frames_inside_the_session_are_served_after_a_pause)
{
    make_certificate();
    char err[256];
    kelp_tls_options opt = {.certificate = cert_path, .key = key_path, .ca = "", .client_auth = KELP_CLIENT_AUTH_NONE};
    kelp_tls_context *ctx = kelp_tls_context_new(&opt, err, sizeof(err));
    ck_assert_msg(ctx != NULL, "%s", err);
    int sv[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
    fcntl(sv[1], F_SETFL, 0);
    kelp_conn *c = new_conn(sv[0]);
    ck_assert_int_eq(kelp_conn_start_tls(c, ctx), 0);
    kelp_tls_context_free(ctx); /* the session keeps what it needs */
    big_frames = true;
    tls_client tc = {.fd = sv[1]};
    pthread_t th;
    ck_assert_int_eq(pthread_create(&th, NULL, tls_client_main, &tc), 0);
    serve_until_all_answered();
    /* Let the answers go out, then the client's close_notify in. */
    for (int i = 0; i < 50 && close_count == 0; i++)
        run_briefly();
    pthread_join(th, NULL);
    ck_assert_int_eq(tc.result, 0);
    ck_assert_int_eq(close_count, 1);
    kelp_loop_free(loop);
    close(sv[1]);
    unlink(cert_path);
    unlink(key_path);
}
END_TEST

START_TEST(tls_context_refuses_unusable_files)
{
    char err[256] = "";
    kelp_tls_options opt = {.certificate = "/nonexistent.pem", .key = "/nonexistent.key", .ca = ""};
    ck_assert_ptr_null(kelp_tls_context_new(&opt, err, sizeof(err)));
    ck_assert_ptr_nonnull(strstr(err, "/nonexistent.pem"));
    make_certificate();
    opt.certificate = cert_path;
    opt.key = cert_path; /* a certificate is no key */
    ck_assert_ptr_null(kelp_tls_context_new(&opt, err, sizeof(err)));
    ck_assert_ptr_nonnull(strstr(err, "key"));
    opt.key = key_path;
    opt.ca = "/nonexistent-ca.pem";
    opt.client_auth = KELP_CLIENT_AUTH_REQUIRED;
    ck_assert_ptr_null(kelp_tls_context_new(&opt, err, sizeof(err)));
    ck_assert_ptr_nonnull(strstr(err, "CA"));
    unlink(cert_path);
    unlink(key_path);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("tls");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, plain_frames_left_in_the_buffer_are_served_after_a_pause);
    tcase_add_test(tc, tls_frames_inside_the_session_are_served_after_a_pause);
    tcase_add_test(tc, tls_context_refuses_unusable_files);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
