/* The admin HTTP layer over real sockets, with a fake configuration behind
 * its callbacks: status codes, JSON bodies, and that refused changes change
 * nothing. */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "admin/admin_http.h"
#include "util/buf.h"
#include "module/config.h"

/* The fake module: a configuration under a lock; "data" is fixed as in the
 * real one, and "admin" moves the endpoint from inside the request. */
typedef struct fake_module {
    pthread_mutex_t lock;
    kelp_config cfg;
    kelp_admin *admin;
    int apply_calls;
} fake_module;

static char *fake_get_config(void *ctx)
{
    fake_module *m = ctx;
    pthread_mutex_lock(&m->lock);
    char *json = kelp_config_to_json(&m->cfg);
    pthread_mutex_unlock(&m->lock);
    return json;
}

static int fake_apply_config(void *ctx, const char *patch, char *err, size_t errlen)
{
    fake_module *m = ctx;
    pthread_mutex_lock(&m->lock);
    m->apply_calls++;
    kelp_config next = m->cfg;
    int rc = kelp_config_apply_json(&next, patch, err, errlen);
    if (rc == 0 && strcmp(next.data_dir, m->cfg.data_dir) != 0) {
        snprintf(err, errlen, "configuration key \"data\" cannot change while Kelp runs");
        rc = -1;
    }
    if (rc == 0 && strcmp(next.admin, m->cfg.admin) != 0) {
        int fd = kelp_admin_listen(next.admin, err, errlen);
        rc = fd < 0 ? -1 : kelp_admin_rebind_fd(m->admin, fd, err, errlen);
    }
    if (rc == 0)
        m->cfg = next;
    pthread_mutex_unlock(&m->lock);
    return rc;
}

static fake_module fake;
static uint16_t admin_port;

static uint16_t port_of(kelp_admin *admin)
{
    char addr[128];
    ck_assert_int_eq(kelp_admin_bound_address(admin, addr, sizeof(addr)), 0);
    char *colon = strrchr(addr, ':');
    ck_assert_ptr_nonnull(colon);
    return (uint16_t)atoi(colon + 1);
}

static void setup(void)
{
    pthread_mutex_init(&fake.lock, NULL);
    kelp_config_defaults(&fake.cfg);
    snprintf(fake.cfg.admin, sizeof(fake.cfg.admin), "127.0.0.1:0");
    fake.apply_calls = 0;
    kelp_admin_callbacks cb = {.ctx = &fake, .get_config = fake_get_config, .apply_config = fake_apply_config};
    char err[256] = "";
    fake.admin = kelp_admin_start("127.0.0.1:0", &cb, NULL, err, sizeof(err));
    ck_assert_msg(fake.admin != NULL, "start: %s", err);
    admin_port = port_of(fake.admin);
    ck_assert_uint_ne(admin_port, 0);
}

static void teardown(void)
{
    kelp_admin_stop(fake.admin);
    pthread_mutex_destroy(&fake.lock);
}

typedef struct http_reply {
    int status;
    char *headers; /* raw header block */
    char *body;
} http_reply;

static void reply_free(http_reply *r)
{
    free(r->headers);
    free(r->body);
}

static int connect_to(uint16_t port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(fd, 0);
    /* A safety net against a hung server, not a timing assertion. */
    struct timeval tv = {.tv_sec = 20};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(port)};
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static void send_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n <= 0)
            return; /* the server may close early (413); the reply tells */
        p += n;
        len -= (size_t)n;
    }
}

/* Reads until the server closes, then splits status, headers and body. */
static http_reply read_reply(int fd)
{
    kelp_buf in;
    kelp_buf_init(&in);
    char chunk[4096];
    ssize_t n;
    while ((n = recv(fd, chunk, sizeof(chunk), 0)) > 0)
        kelp_buf_append(&in, chunk, (size_t)n);
    close(fd);
    kelp_buf_append(&in, "", 1);
    http_reply r = {0};
    const char *text = (const char *)in.data;
    ck_assert_msg(sscanf(text, "HTTP/1.%*d %d", &r.status) == 1, "no status line in \"%s\"", text);
    const char *end = strstr(text, "\r\n\r\n");
    ck_assert_ptr_nonnull(end);
    r.headers = strndup(text, (size_t)(end - text));
    r.body = strdup(end + 4);
    kelp_buf_free(&in);
    return r;
}

static http_reply request_on(uint16_t port, const char *method, const char *path, const char *body)
{
    int fd = connect_to(port);
    ck_assert_int_ge(fd, 0);
    char head[512];
    int len = snprintf(head, sizeof(head),
                       "%s %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: %zu\r\n\r\n",
                       method, path, body ? strlen(body) : 0);
    send_all(fd, head, (size_t)len);
    if (body)
        send_all(fd, body, strlen(body));
    return read_reply(fd);
}

static http_reply request(const char *method, const char *path, const char *body)
{
    return request_on(admin_port, method, path, body);
}

static void assert_json_content_type(const http_reply *r)
{
    ck_assert_msg(strcasestr(r->headers, "\r\nContent-Type: application/json") != NULL, "headers: %s",
                  r->headers);
}

START_TEST(healthz_answers_ok)
{
    http_reply r = request("GET", "/healthz", NULL);
    ck_assert_int_eq(r.status, 200);
    assert_json_content_type(&r);
    ck_assert_str_eq(r.body, "{\"status\":\"ok\"}");
    reply_free(&r);
}
END_TEST

START_TEST(get_config_returns_the_callback_json)
{
    char *expected = fake_get_config(&fake);
    http_reply r = request("GET", "/v1/config", NULL);
    ck_assert_int_eq(r.status, 200);
    assert_json_content_type(&r);
    ck_assert_str_eq(r.body, expected);
    free(expected);
    reply_free(&r);
}
END_TEST

START_TEST(put_config_applies_named_keys)
{
    http_reply r = request("PUT", "/v1/config", "{\"node_id\":5,\"log_level\":\"debug\"}");
    ck_assert_int_eq(r.status, 200);
    assert_json_content_type(&r);
    ck_assert_ptr_nonnull(strstr(r.body, "\"node_id\":5"));
    ck_assert_ptr_nonnull(strstr(r.body, "\"log_level\":\"debug\""));
    ck_assert_ptr_nonnull(strstr(r.body, "\"listen\":\"127.0.0.1:9092\"")); /* kept */
    reply_free(&r);
    ck_assert_int_eq(fake.cfg.node_id, 5);
}
END_TEST

static const struct bad_put {
    const char *body;
    const char *expected;
} bad_puts[] = {
    {"{\"node_id\":", "not valid JSON"},
    {"", "not valid JSON"},
    {"[]", "must be a JSON object"},
    {"{\"node_id\":9,\"bogus\":1}", "unknown configuration key \\\"bogus\\\""},
    {"{\"node_id\":\"9\"}", "configuration key \\\"node_id\\\" must be an integer"},
    {"{\"node_id\":9,\"data\":\"/elsewhere\"}", "configuration key \\\"data\\\" cannot change"},
};

START_TEST(bad_put_is_400_and_changes_nothing)
{
    const struct bad_put *bp = &bad_puts[_i];
    http_reply before = request("GET", "/v1/config", NULL);
    http_reply r = request("PUT", "/v1/config", bp->body);
    ck_assert_int_eq(r.status, 400);
    assert_json_content_type(&r);
    ck_assert_msg(strncmp(r.body, "{\"error\":\"", 10) == 0, "body: %s", r.body);
    ck_assert_msg(strstr(r.body, bp->expected) != NULL, "body %s lacks %s", r.body, bp->expected);
    http_reply after = request("GET", "/v1/config", NULL);
    ck_assert_str_eq(before.body, after.body);
    reply_free(&r);
    reply_free(&before);
    reply_free(&after);
}
END_TEST

START_TEST(unknown_path_is_404_json)
{
    /* GET / is the web console (admin/routes_console.c). */
    const char *paths[] = {"/console/missing.js", "/v1", "/v1/config/extra", "/healthz/", "/nope?x=1"};
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        http_reply r = request("GET", paths[i], NULL);
        ck_assert_msg(r.status == 404, "%s: %d", paths[i], r.status);
        assert_json_content_type(&r);
        ck_assert_ptr_nonnull(strstr(r.body, "\"error\""));
        reply_free(&r);
    }
}
END_TEST

START_TEST(wrong_method_is_405_with_allow)
{
    http_reply r = request("POST", "/healthz", "{}");
    ck_assert_int_eq(r.status, 405);
    assert_json_content_type(&r);
    ck_assert_ptr_nonnull(strcasestr(r.headers, "\r\nAllow: GET"));
    ck_assert_ptr_nonnull(strstr(r.body, "\"error\""));
    reply_free(&r);

    r = request("DELETE", "/v1/config", NULL);
    ck_assert_int_eq(r.status, 405);
    ck_assert_ptr_nonnull(strcasestr(r.headers, "\r\nAllow: GET, PUT"));
    reply_free(&r);
    ck_assert_int_eq(fake.apply_calls, 0);
}
END_TEST

START_TEST(declared_oversized_body_is_413)
{
    int fd = connect_to(admin_port);
    ck_assert_int_ge(fd, 0);
    char head[256];
    int len = snprintf(head, sizeof(head),
                       "PUT /v1/config HTTP/1.1\r\nHost: localhost\r\nContent-Length: %u\r\n\r\n",
                       KELP_ADMIN_MAX_BODY + 1);
    send_all(fd, head, (size_t)len);
    http_reply r = read_reply(fd);
    ck_assert_int_eq(r.status, 413);
    assert_json_content_type(&r);
    reply_free(&r);
    ck_assert_int_eq(fake.apply_calls, 0);
}
END_TEST

START_TEST(chunked_oversized_body_is_413_and_changes_nothing)
{
    int fd = connect_to(admin_port);
    ck_assert_int_ge(fd, 0);
    const char *head = "PUT /v1/config HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
                       "Transfer-Encoding: chunked\r\n\r\n";
    send_all(fd, head, strlen(head));
    /* A valid object that is too big: {"node_id":1, then padding spaces. */
    size_t chunk_len = 64 * 1024;
    char *chunk = malloc(chunk_len);
    memset(chunk, ' ', chunk_len);
    char size_line[32];
    int n = snprintf(size_line, sizeof(size_line), "%zx\r\n", chunk_len);
    send_all(fd, "d\r\n{\"node_id\":1\r\n", 17);
    for (size_t sent = 0; sent <= KELP_ADMIN_MAX_BODY; sent += chunk_len) {
        send_all(fd, size_line, (size_t)n);
        send_all(fd, chunk, chunk_len);
        send_all(fd, "\r\n", 2);
    }
    send_all(fd, "1\r\n}\r\n0\r\n\r\n", 11);
    free(chunk);
    http_reply r = read_reply(fd);
    ck_assert_int_eq(r.status, 413);
    reply_free(&r);
    ck_assert_int_eq(fake.apply_calls, 0);
    ck_assert_int_eq(fake.cfg.node_id, 0);
}
END_TEST

START_TEST(body_just_under_the_limit_is_accepted)
{
    size_t len = KELP_ADMIN_MAX_BODY;
    char *body = malloc(len + 1);
    memset(body, ' ', len);
    memcpy(body, "{\"node_id\":3", 12);
    body[len - 1] = '}';
    body[len] = '\0';
    http_reply r = request("PUT", "/v1/config", body);
    ck_assert_int_eq(r.status, 200);
    ck_assert_int_eq(fake.cfg.node_id, 3);
    reply_free(&r);
    free(body);
}
END_TEST

/* A port that was free a moment ago (the kernel hands out fresh ones). */
static uint16_t free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sin = {.sin_family = AF_INET};
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(sin);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
    close(fd);
    return ntohs(sin.sin_port);
}

START_TEST(put_can_move_the_endpoint_from_inside_a_request)
{
    uint16_t old_port = admin_port, new_port = free_port();
    char body[128], expected[96];
    snprintf(expected, sizeof(expected), "\"admin\":\"127.0.0.1:%u\"", new_port);
    snprintf(body, sizeof(body), "{%s}", expected);
    http_reply r = request("PUT", "/v1/config", body);
    ck_assert_int_eq(r.status, 200); /* answered on the old connection */
    ck_assert_ptr_nonnull(strstr(r.body, expected));
    reply_free(&r);
    ck_assert_uint_eq(port_of(fake.admin), new_port);
    ck_assert_int_eq(connect_to(old_port), -1); /* the old port refuses */
    r = request_on(new_port, "GET", "/healthz", NULL);
    ck_assert_int_eq(r.status, 200);
    reply_free(&r);
}
END_TEST

START_TEST(rebind_to_nothing_stops_listening)
{
    char err[256] = "";
    ck_assert_int_eq(kelp_admin_rebind_fd(fake.admin, -1, err, sizeof(err)), 0);
    char addr[64];
    ck_assert_int_eq(kelp_admin_bound_address(fake.admin, addr, sizeof(addr)), -1);
    ck_assert_int_eq(connect_to(admin_port), -1);
}
END_TEST

START_TEST(bad_addresses_are_refused_with_a_message)
{
    char err[256] = "";
    kelp_admin_callbacks cb = {0};
    ck_assert_ptr_null(kelp_admin_start("no-port", &cb, NULL, err, sizeof(err)));
    ck_assert_ptr_nonnull(strstr(err, "no-port"));
    char busy[32];
    snprintf(busy, sizeof(busy), "127.0.0.1:%u", admin_port);
    ck_assert_int_eq(kelp_admin_listen(busy, err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, busy));
}
END_TEST

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    Suite *s = suite_create("admin");
    TCase *tc = tcase_create("http");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, healthz_answers_ok);
    tcase_add_test(tc, get_config_returns_the_callback_json);
    tcase_add_test(tc, put_config_applies_named_keys);
    tcase_add_loop_test(tc, bad_put_is_400_and_changes_nothing, 0, (int)(sizeof(bad_puts) / sizeof(bad_puts[0])));
    tcase_add_test(tc, unknown_path_is_404_json);
    tcase_add_test(tc, wrong_method_is_405_with_allow);
    tcase_add_test(tc, declared_oversized_body_is_413);
    tcase_add_test(tc, chunked_oversized_body_is_413_and_changes_nothing);
    tcase_add_test(tc, body_just_under_the_limit_is_accepted);
    tcase_add_test(tc, put_can_move_the_endpoint_from_inside_a_request);
    tcase_add_test(tc, rebind_to_nothing_stops_listening);
    tcase_add_test(tc, bad_addresses_are_refused_with_a_message);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
