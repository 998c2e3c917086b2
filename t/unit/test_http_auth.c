/* admin/http_auth.c: Authorization headers against "admin_auth" settings
 * (Bearer, Basic, malformed input, settings without credentials), the
 * WWW-Authenticate challenges, and the admin endpoint asking for them over
 * a real socket, with settings that change between two requests. Also the
 * messages of admin/http_tls.c for files that cannot be served. */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "admin/admin_http.h"
#include "admin/http_auth.h"
#include "admin/http_tls.h"
#include "module/config.h"

#define TOKEN "0123456789abcdef-token"

static kelp_admin_auth_config settings(const char *token, const char *users)
{
    kelp_admin_auth_config aa;
    memset(&aa, 0, sizeof(aa));
    snprintf(aa.bearer_token, sizeof(aa.bearer_token), "%s", token);
    snprintf(aa.basic_users, sizeof(aa.basic_users), "%s", users);
    return aa;
}

/* "Basic " + base64(user_pass), built with OpenSSL's encoder. */
static char *basic(const char *user_pass)
{
    size_t len = strlen(user_pass);
    char *out = malloc(6 + 4 * ((len + 2) / 3) + 1);
    memcpy(out, "Basic ", 6);
    EVP_EncodeBlock((unsigned char *)out + 6, (const unsigned char *)user_pass, (int)len);
    return out;
}

static bool check_basic(const kelp_admin_auth_config *aa, const char *user_pass)
{
    char *header = basic(user_pass);
    bool ok = kelp_http_auth_check(aa, header);
    free(header);
    return ok;
}

START_TEST(nothing_configured_is_open)
{
    kelp_admin_auth_config aa = settings("", "{}");
    ck_assert(!kelp_http_auth_enabled(&aa));
    ck_assert(kelp_http_auth_check(&aa, NULL));
    ck_assert(kelp_http_auth_check(&aa, "Bearer whatever"));
    const char *ch[2];
    ck_assert_uint_eq(kelp_http_auth_challenges(&aa, ch), 0);
}
END_TEST

START_TEST(bearer_token_must_match_exactly)
{
    kelp_admin_auth_config aa = settings(TOKEN, "{}");
    ck_assert(kelp_http_auth_enabled(&aa));
    ck_assert(kelp_http_auth_check(&aa, "Bearer " TOKEN));
    ck_assert(kelp_http_auth_check(&aa, "bearer " TOKEN));  /* schemes are case-insensitive */
    ck_assert(kelp_http_auth_check(&aa, "Bearer   " TOKEN " ")); /* extra spaces around it */
    ck_assert(!kelp_http_auth_check(&aa, NULL));
    ck_assert(!kelp_http_auth_check(&aa, ""));
    ck_assert(!kelp_http_auth_check(&aa, "Bearer"));
    ck_assert(!kelp_http_auth_check(&aa, "Bearer "));
    ck_assert(!kelp_http_auth_check(&aa, "Bearer " TOKEN "x"));
    ck_assert(!kelp_http_auth_check(&aa, "Bearer 0123456789abcdef-toke"));
    ck_assert(!kelp_http_auth_check(&aa, "Bearer 0123456789abcdef-tokeN"));
    ck_assert(!kelp_http_auth_check(&aa, "Bearer" TOKEN));
    ck_assert(!kelp_http_auth_check(&aa, "Token " TOKEN));
    ck_assert(!kelp_http_auth_check(&aa, TOKEN));
    /* No Basic users: Basic is refused whatever it carries. */
    ck_assert(!check_basic(&aa, "admin:" TOKEN));
    const char *ch[2];
    ck_assert_uint_eq(kelp_http_auth_challenges(&aa, ch), 1);
    ck_assert_str_eq(ch[0], "Bearer realm=\"kelp\"");
}
END_TEST

START_TEST(basic_users_need_name_and_password)
{
    kelp_admin_auth_config aa = settings("", "{\"alice\":\"wonder:land\",\"bob\":\"builder\"}");
    ck_assert(kelp_http_auth_enabled(&aa));
    ck_assert(check_basic(&aa, "alice:wonder:land")); /* the password may hold ':' */
    ck_assert(check_basic(&aa, "bob:builder"));
    ck_assert(!check_basic(&aa, "bob:wonder:land"));  /* another user's password */
    ck_assert(!check_basic(&aa, "alice:wonder"));
    ck_assert(!check_basic(&aa, "alice:"));
    ck_assert(!check_basic(&aa, "alice"));
    ck_assert(!check_basic(&aa, "carol:builder"));
    ck_assert(!check_basic(&aa, ":builder"));
    ck_assert(!check_basic(&aa, "Bob:builder"));
    /* "bob:builder" is Ym9iOmJ1aWxkZXI=; broken encodings are refused. */
    ck_assert(kelp_http_auth_check(&aa, "Basic Ym9iOmJ1aWxkZXI="));
    ck_assert(kelp_http_auth_check(&aa, "BASIC Ym9iOmJ1aWxkZXI="));
    ck_assert(!kelp_http_auth_check(&aa, "Basic Ym9iOmJ1aWxkZXI"));
    ck_assert(!kelp_http_auth_check(&aa, "Basic Ym9iOmJ1aWxkZXI=="));
    ck_assert(!kelp_http_auth_check(&aa, "Basic Ym9i*mJ1aWxkZXI="));
    ck_assert(!kelp_http_auth_check(&aa, "Basic "));
    ck_assert(!kelp_http_auth_check(&aa, "Basic"));
    /* "bob:builder\0x" with a NUL inside. */
    ck_assert(!kelp_http_auth_check(&aa, "Basic Ym9iOmJ1aWxkZXIAeA=="));
    /* No token configured: Bearer is refused whatever it carries. */
    ck_assert(!kelp_http_auth_check(&aa, "Bearer builder"));
    ck_assert(!kelp_http_auth_check(&aa, "Bearer "));
    const char *ch[2];
    ck_assert_uint_eq(kelp_http_auth_challenges(&aa, ch), 1);
    ck_assert_ptr_nonnull(strstr(ch[0], "Basic realm=\"kelp\""));
}
END_TEST

START_TEST(token_and_users_together)
{
    kelp_admin_auth_config aa = settings(TOKEN, "{\"bob\":\"builder\"}");
    ck_assert(kelp_http_auth_check(&aa, "Bearer " TOKEN));
    ck_assert(check_basic(&aa, "bob:builder"));
    ck_assert(!check_basic(&aa, "bob:" TOKEN));
    ck_assert(!kelp_http_auth_check(&aa, "Bearer builder"));
    const char *ch[2];
    ck_assert_uint_eq(kelp_http_auth_challenges(&aa, ch), 2);
    ck_assert_ptr_nonnull(strstr(ch[0], "Bearer"));
    ck_assert_ptr_nonnull(strstr(ch[1], "Basic"));
}
END_TEST

START_TEST(oversized_headers_are_refused)
{
    kelp_admin_auth_config aa = settings(TOKEN, "{}");
    size_t n = KELP_HTTP_AUTH_HEADER_MAX + 16;
    char *header = malloc(n + 1);
    memset(header, ' ', n);
    memcpy(header + n - strlen("Bearer " TOKEN), "Bearer " TOKEN, strlen("Bearer " TOKEN));
    header[n] = '\0';
    ck_assert(!kelp_http_auth_check(&aa, header));
    free(header);
}
END_TEST

/* ---- the admin endpoint over a socket ---- */

static pthread_mutex_t fake_lock = PTHREAD_MUTEX_INITIALIZER;
static kelp_admin_auth_config fake_auth;
static int fake_applies;

static void fake_get_auth(void *ctx, kelp_admin_auth_config *out)
{
    pthread_mutex_lock(&fake_lock);
    *out = fake_auth;
    pthread_mutex_unlock(&fake_lock);
}

static char *fake_get_config(void *ctx)
{
    return strdup("{}");
}

static int fake_apply_config(void *ctx, const char *patch, char *err, size_t errlen)
{
    pthread_mutex_lock(&fake_lock);
    fake_applies++;
    pthread_mutex_unlock(&fake_lock);
    return 0;
}

static uint16_t port_of(kelp_admin *admin)
{
    char addr[128];
    ck_assert_int_eq(kelp_admin_bound_address(admin, addr, sizeof(addr)), 0);
    return (uint16_t)atoi(strrchr(addr, ':') + 1);
}

/* One request; the status, and the whole answer in reply (malloc'd). */
static int http(uint16_t port, const char *method, const char *path, const char *authorization, char **reply)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(fd, 0);
    struct timeval tv = {.tv_sec = 20}; /* a safety net against a hung server */
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(port)};
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
    char head[1024];
    int len = snprintf(head, sizeof(head),
                       "%s %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n%s%s%sContent-Length: 2\r\n\r\n{}",
                       method, path, authorization ? "Authorization: " : "", authorization ? authorization : "",
                       authorization ? "\r\n" : "");
    ck_assert_int_eq(send(fd, head, (size_t)len, MSG_NOSIGNAL), len);
    size_t cap = 65536, used = 0;
    char *buf = malloc(cap);
    ssize_t n;
    while (used + 1 < cap && (n = recv(fd, buf + used, cap - 1 - used, 0)) > 0)
        used += (size_t)n;
    buf[used] = '\0';
    close(fd);
    int status = 0;
    ck_assert_msg(sscanf(buf, "HTTP/1.%*d %d", &status) == 1, "no status line in \"%s\"", buf);
    *reply = buf;
    return status;
}

START_TEST(admin_endpoint_asks_for_credentials)
{
    pthread_mutex_lock(&fake_lock);
    fake_auth = settings(TOKEN, "{\"bob\":\"builder\"}");
    fake_applies = 0;
    pthread_mutex_unlock(&fake_lock);
    kelp_admin_callbacks cb = {.get_config = fake_get_config, .apply_config = fake_apply_config,
                               .get_auth = fake_get_auth};
    char err[256] = "";
    kelp_admin *admin = kelp_admin_start("127.0.0.1:0", &cb, NULL, err, sizeof(err));
    ck_assert_msg(admin != NULL, "start: %s", err);
    uint16_t port = port_of(admin);
    char *reply;

    ck_assert_int_eq(http(port, "GET", "/v1/config", NULL, &reply), 401);
    ck_assert_ptr_nonnull(strstr(reply, "WWW-Authenticate: Bearer realm=\"kelp\""));
    ck_assert_ptr_nonnull(strstr(reply, "WWW-Authenticate: Basic realm=\"kelp\""));
    ck_assert_ptr_nonnull(strstr(reply, "{\"error\":\"authentication required\"}"));
    free(reply);
    ck_assert_int_eq(http(port, "PUT", "/v1/config", "Bearer wrong-token-0123456789", &reply), 401);
    ck_assert_ptr_nonnull(strstr(reply, "{\"error\":\"invalid credentials\"}"));
    free(reply);
    /* Unknown paths are not told apart from known ones without credentials. */
    ck_assert_int_eq(http(port, "GET", "/nowhere", NULL, &reply), 401);
    free(reply);
    ck_assert_int_eq(fake_applies, 0);

    ck_assert_int_eq(http(port, "GET", "/healthz", NULL, &reply), 200);
    free(reply);
    ck_assert_int_eq(http(port, "PUT", "/v1/config", "Bearer " TOKEN, &reply), 200);
    free(reply);
    ck_assert_int_eq(http(port, "PUT", "/v1/config", "Basic Ym9iOmJ1aWxkZXI=", &reply), 200);
    free(reply);
    ck_assert_int_eq(fake_applies, 2);
    ck_assert_int_eq(http(port, "GET", "/nowhere", "Bearer " TOKEN, &reply), 404);
    free(reply);

    /* New settings apply from the next request on. */
    pthread_mutex_lock(&fake_lock);
    fake_auth = settings("fedcba9876543210-token", "{}");
    pthread_mutex_unlock(&fake_lock);
    ck_assert_int_eq(http(port, "GET", "/v1/config", "Bearer " TOKEN, &reply), 401);
    ck_assert_ptr_null(strstr(reply, "Basic realm"));
    free(reply);
    ck_assert_int_eq(http(port, "GET", "/v1/config", "Basic Ym9iOmJ1aWxkZXI=", &reply), 401);
    free(reply);
    ck_assert_int_eq(http(port, "GET", "/v1/config", "Bearer fedcba9876543210-token", &reply), 200);
    free(reply);
    pthread_mutex_lock(&fake_lock);
    fake_auth = settings("", "{}");
    pthread_mutex_unlock(&fake_lock);
    ck_assert_int_eq(http(port, "GET", "/v1/config", NULL, &reply), 200);
    free(reply);
    kelp_admin_stop(admin);
}
END_TEST

START_TEST(unusable_certificates_are_named)
{
    char err[512] = "";
    kelp_http_tls tls = {NULL, NULL};
    kelp_admin_auth_config aa = settings("", "{}");
    ck_assert_int_eq(kelp_http_tls_load(&aa, &tls, err, sizeof(err)), 0);
    ck_assert_ptr_null(tls.cert);
    snprintf(aa.ssl_certificate, sizeof(aa.ssl_certificate), "/nonexistent/cert.pem");
    snprintf(aa.ssl_key, sizeof(aa.ssl_key), "/nonexistent/key.pem");
    ck_assert_int_eq(kelp_http_tls_load(&aa, &tls, err, sizeof(err)), -1);
    ck_assert_msg(strstr(err, "admin_auth.ssl_certificate") && strstr(err, "/nonexistent/cert.pem"), "%s", err);
    char path[] = "/tmp/kelp-test-http-auth.XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, "not a certificate\n", 18), 18);
    close(fd);
    snprintf(aa.ssl_certificate, sizeof(aa.ssl_certificate), "%s", path);
    snprintf(aa.ssl_key, sizeof(aa.ssl_key), "%s", path);
    ck_assert_int_eq(kelp_http_tls_load(&aa, &tls, err, sizeof(err)), -1);
    ck_assert_msg(strstr(err, "no PEM certificate"), "%s", err);
    unlink(path);
    ck_assert_ptr_null(tls.cert);
}
END_TEST

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    Suite *s = suite_create("http_auth");
    TCase *tc = tcase_create("authorization");
    tcase_add_test(tc, nothing_configured_is_open);
    tcase_add_test(tc, bearer_token_must_match_exactly);
    tcase_add_test(tc, basic_users_need_name_and_password);
    tcase_add_test(tc, token_and_users_together);
    tcase_add_test(tc, oversized_headers_are_refused);
    tcase_add_test(tc, admin_endpoint_asks_for_credentials);
    tcase_add_test(tc, unusable_certificates_are_named);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
