/* Loading and checking the HTTPS certificate and key. OpenSSL parses them
 * first, so a wrong file gets a message naming it instead of
 * libmicrohttpd's generic start failure. */
#include "admin/http_tls.h"

#include <errno.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The whole file as a NUL-terminated string, or NULL with a message. */
static char *read_pem(const char *key_name, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "\"admin_auth.%s\": cannot read %s: %s", key_name, path, strerror(errno));
        return NULL;
    }
    char *text = malloc(KELP_HTTP_TLS_FILE_MAX + 1);
    size_t len = text ? fread(text, 1, KELP_HTTP_TLS_FILE_MAX + 1, f) : 0;
    bool failed = !text || ferror(f);
    fclose(f);
    if (failed || len > KELP_HTTP_TLS_FILE_MAX) {
        snprintf(err, errlen, "\"admin_auth.%s\": cannot read %s: %s", key_name, path,
                 !text ? "out of memory" : failed ? "read error" : "larger than 1 MiB");
        if (text)
            OPENSSL_cleanse(text, len > KELP_HTTP_TLS_FILE_MAX ? KELP_HTTP_TLS_FILE_MAX + 1 : len);
        free(text);
        return NULL;
    }
    text[len] = '\0';
    return text;
}

/* Encrypted keys are refused rather than prompting on the terminal. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
    (void)buf, (void)size, (void)rwflag, (void)u;
    return -1;
}

static int check_pair(const kelp_admin_auth_config *aa, const char *cert, const char *key, char *err,
                      size_t errlen)
{
    int rc = -1;
    BIO *cb = BIO_new_mem_buf(cert, -1), *kb = BIO_new_mem_buf(key, -1);
    X509 *x = cb ? PEM_read_bio_X509(cb, NULL, no_passphrase, NULL) : NULL;
    EVP_PKEY *pk = kb ? PEM_read_bio_PrivateKey(kb, NULL, no_passphrase, NULL) : NULL;
    if (!x)
        snprintf(err, errlen, "\"admin_auth.ssl_certificate\": %s holds no PEM certificate", aa->ssl_certificate);
    else if (!pk)
        snprintf(err, errlen, "\"admin_auth.ssl_key\": %s holds no unencrypted PEM private key", aa->ssl_key);
    else if (X509_check_private_key(x, pk) != 1)
        snprintf(err, errlen, "\"admin_auth.ssl_key\": %s is not the key of the certificate in %s", aa->ssl_key,
                 aa->ssl_certificate);
    else
        rc = 0;
    ERR_clear_error();
    EVP_PKEY_free(pk);
    X509_free(x);
    BIO_free(kb);
    BIO_free(cb);
    return rc;
}

int kelp_http_tls_load(const kelp_admin_auth_config *aa, kelp_http_tls *out, char *err, size_t errlen)
{
    if (!aa->ssl_certificate[0] && !aa->ssl_key[0]) {
        *out = (kelp_http_tls){NULL, NULL};
        return 0;
    }
    if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
        snprintf(err, errlen, "\"admin_auth.ssl_certificate\": this libmicrohttpd was built without TLS support, "
                              "so the HTTP endpoints cannot serve HTTPS");
        return -1;
    }
    char *cert = read_pem("ssl_certificate", aa->ssl_certificate, err, errlen);
    if (!cert)
        return -1;
    char *key = read_pem("ssl_key", aa->ssl_key, err, errlen);
    if (!key) {
        free(cert);
        return -1;
    }
    kelp_http_tls tls = {cert, key};
    if (check_pair(aa, cert, key, err, errlen) != 0) {
        kelp_http_tls_free(&tls);
        return -1;
    }
    *out = tls;
    return 0;
}

int kelp_http_tls_copy(const kelp_http_tls *src, kelp_http_tls *dst)
{
    *dst = (kelp_http_tls){NULL, NULL};
    if (!src || !src->cert || !src->key)
        return 0;
    dst->cert = strdup(src->cert);
    dst->key = strdup(src->key);
    if (!dst->cert || !dst->key) {
        kelp_http_tls_free(dst);
        return -1;
    }
    return 0;
}

static bool same_text(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

bool kelp_http_tls_equal(const kelp_http_tls *a, const kelp_http_tls *b)
{
    return same_text(a->cert, b->cert) && same_text(a->key, b->key);
}

void kelp_http_tls_free(kelp_http_tls *tls)
{
    if (tls->key)
        OPENSSL_cleanse(tls->key, strlen(tls->key));
    free(tls->key);
    free(tls->cert);
    *tls = (kelp_http_tls){NULL, NULL};
}

unsigned kelp_http_tls_mhd_options(const kelp_http_tls *tls, struct MHD_OptionItem opts[3])
{
    size_t n = 0;
    unsigned flags = 0;
    if (tls && tls->cert && tls->key) {
        opts[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, tls->key};
        opts[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, tls->cert};
        flags = MHD_USE_TLS;
    }
    opts[n] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
    return flags;
}
