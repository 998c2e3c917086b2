#include "net/tls.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "module/config.h"

struct kelp_tls_context {
    SSL_CTX *ctx; /* reference counted by OpenSSL: each SSL holds one */
};

struct kelp_tls_session {
    SSL *ssl;
    bool wants_write;
    bool subject_read;
    char *subject;
    char error[160];
};

/* The newest OpenSSL error as text, the queue emptied. */
static void last_error(char *buf, size_t len, const char *fallback)
{
    unsigned long e = ERR_get_error();
    if (e)
        ERR_error_string_n(e, buf, len);
    else
        snprintf(buf, len, "%s", fallback);
    ERR_clear_error();
}

kelp_tls_context *kelp_tls_context_new(const kelp_tls_options *opt, char *err, size_t errlen)
{
    char why[160];
    kelp_tls_context *c = calloc(1, sizeof(*c));
    if (!c || !(c->ctx = SSL_CTX_new(TLS_server_method()))) {
        snprintf(err, errlen, "cannot create a TLS context");
        free(c);
        return NULL;
    }
    SSL_CTX *ctx = c->ctx;
    /* Kafka's default ssl.enabled.protocols: TLSv1.2 and TLSv1.3. */
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    /* The output buffer may move or shrink between retries of a write. */
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                              SSL_MODE_RELEASE_BUFFERS);
    if (SSL_CTX_use_certificate_chain_file(ctx, opt->certificate) != 1) {
        last_error(why, sizeof(why), "unreadable");
        snprintf(err, errlen, "cannot load the TLS certificate %s: %s", opt->certificate, why);
        goto fail;
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, opt->key, SSL_FILETYPE_PEM) != 1) {
        last_error(why, sizeof(why), "unreadable");
        snprintf(err, errlen, "cannot load the TLS key %s: %s", opt->key, why);
        goto fail;
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
        last_error(why, sizeof(why), "mismatch");
        snprintf(err, errlen, "the TLS key %s does not match the certificate %s", opt->key, opt->certificate);
        goto fail;
    }
    if (opt->ca && opt->ca[0]) {
        STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(opt->ca);
        if (SSL_CTX_load_verify_locations(ctx, opt->ca, NULL) != 1 || !names) {
            sk_X509_NAME_pop_free(names, X509_NAME_free);
            last_error(why, sizeof(why), "no certificate in it");
            snprintf(err, errlen, "cannot load the client CA file %s: %s", opt->ca, why);
            goto fail;
        }
        SSL_CTX_set_client_CA_list(ctx, names);
    }
    int mode = SSL_VERIFY_NONE;
    if (opt->client_auth == KELP_CLIENT_AUTH_REQUESTED)
        mode = SSL_VERIFY_PEER;
    else if (opt->client_auth == KELP_CLIENT_AUTH_REQUIRED)
        mode = SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
    SSL_CTX_set_verify(ctx, mode, NULL);
    /* Resumed sessions with client verification need an id context. */
    static const unsigned char sid[] = "kelp";
    SSL_CTX_set_session_id_context(ctx, sid, sizeof(sid) - 1);
    return c;
fail:
    SSL_CTX_free(ctx);
    free(c);
    return NULL;
}

void kelp_tls_context_free(kelp_tls_context *c)
{
    if (!c)
        return;
    SSL_CTX_free(c->ctx);
    free(c);
}

kelp_tls_session *kelp_tls_session_new(kelp_tls_context *c, int fd)
{
    kelp_tls_session *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->ssl = SSL_new(c->ctx);
    if (!s->ssl || SSL_set_fd(s->ssl, fd) != 1) {
        SSL_free(s->ssl);
        free(s);
        ERR_clear_error();
        return NULL;
    }
    SSL_set_accept_state(s->ssl);
    return s;
}

void kelp_tls_session_free(kelp_tls_session *s)
{
    if (!s)
        return;
    SSL_free(s->ssl);
    free(s->subject);
    free(s);
}

/* Maps one SSL_read/SSL_write result onto the recv/send conventions. */
static ssize_t io_result(kelp_tls_session *s, int n)
{
    s->wants_write = false;
    if (n > 0)
        return n;
    int e = SSL_get_error(s->ssl, n);
    switch (e) {
    case SSL_ERROR_WANT_READ:
        errno = EAGAIN;
        return -1;
    case SSL_ERROR_WANT_WRITE:
        s->wants_write = true;
        errno = EAGAIN;
        return -1;
    case SSL_ERROR_ZERO_RETURN:
        return 0;
    case SSL_ERROR_SYSCALL:
        if (errno == 0 || ERR_peek_error() == 0) {
            /* The peer went away without a close_notify. */
            snprintf(s->error, sizeof(s->error), "%s", errno ? strerror(errno) : "connection closed mid-session");
            ERR_clear_error();
            if (!errno)
                return 0;
            return -1;
        }
        /* fall through */
    default:
        last_error(s->error, sizeof(s->error), "TLS failure");
        errno = EPROTO;
        return -1;
    }
}

ssize_t kelp_tls_recv(kelp_tls_session *s, void *buf, size_t len)
{
    ERR_clear_error();
    errno = 0;
    return io_result(s, SSL_read(s->ssl, buf, len > INT32_MAX ? INT32_MAX : (int)len));
}

ssize_t kelp_tls_send(kelp_tls_session *s, const void *buf, size_t len)
{
    ERR_clear_error();
    errno = 0;
    return io_result(s, SSL_write(s->ssl, buf, len > INT32_MAX ? INT32_MAX : (int)len));
}

bool kelp_tls_wants_write(const kelp_tls_session *s) { return s->wants_write; }
bool kelp_tls_has_pending(const kelp_tls_session *s) { return SSL_pending(s->ssl) > 0; }
const char *kelp_tls_error(const kelp_tls_session *s) { return s->error[0] ? s->error : "TLS failure"; }

const char *kelp_tls_peer_subject(kelp_tls_session *s)
{
    if (s->subject_read || !SSL_is_init_finished(s->ssl))
        return s->subject;
    s->subject_read = true;
    X509 *cert = SSL_get1_peer_certificate(s->ssl);
    if (!cert)
        return NULL;
    /* Verification failures end the handshake; a certificate seen here
     * has been verified when a CA was configured. */
    if (SSL_get_verify_result(s->ssl) == X509_V_OK) {
        BIO *mem = BIO_new(BIO_s_mem());
        if (mem && X509_NAME_print_ex(mem, X509_get_subject_name(cert), 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0) {
            char *text;
            long n = BIO_get_mem_data(mem, &text);
            if (n > 0 && (s->subject = malloc((size_t)n + 1))) {
                memcpy(s->subject, text, (size_t)n);
                s->subject[n] = '\0';
            }
        }
        BIO_free(mem);
    }
    X509_free(cert);
    return s->subject;
}
