#include "security/scram.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *kelp_scram_mech_name(int mech)
{
    return mech == KELP_SCRAM_SHA_256 ? "SCRAM-SHA-256" : mech == KELP_SCRAM_SHA_512 ? "SCRAM-SHA-512" : NULL;
}

int kelp_scram_mech_parse(const char *name)
{
    if (strcmp(name, "SCRAM-SHA-256") == 0)
        return KELP_SCRAM_SHA_256;
    if (strcmp(name, "SCRAM-SHA-512") == 0)
        return KELP_SCRAM_SHA_512;
    return 0;
}

static const EVP_MD *mech_md(int mech)
{
    return mech == KELP_SCRAM_SHA_256 ? EVP_sha256() : mech == KELP_SCRAM_SHA_512 ? EVP_sha512() : NULL;
}

size_t kelp_scram_key_len(int mech)
{
    const EVP_MD *md = mech_md(mech);
    return md ? (size_t)EVP_MD_get_size(md) : 0;
}

static int hmac(int mech, const uint8_t *key, size_t key_len, const void *data, size_t len, uint8_t *out)
{
    unsigned int n = 0;
    return HMAC(mech_md(mech), key, (int)key_len, data, len, out, &n) ? 0 : -1;
}

static int digest(int mech, const uint8_t *data, size_t len, uint8_t *out)
{
    unsigned int n = 0;
    return EVP_Digest(data, len, out, &n, mech_md(mech), NULL) == 1 ? 0 : -1;
}

int kelp_scram_cred_from_salted(int mech, const uint8_t *salted, size_t salted_len, const uint8_t *salt,
                                size_t salt_len, int32_t iterations, kelp_scram_cred *out)
{
    size_t klen = kelp_scram_key_len(mech);
    if (!klen || salted_len != klen || salt_len == 0 || salt_len > KELP_SCRAM_SALT_MAX || iterations <= 0)
        return -1;
    uint8_t client_key[KELP_SCRAM_KEY_MAX];
    memset(out, 0, sizeof(*out));
    out->iterations = iterations;
    out->salt_len = salt_len;
    memcpy(out->salt, salt, salt_len);
    int rc = hmac(mech, salted, klen, "Client Key", 10, client_key) != 0 ||
                     digest(mech, client_key, klen, out->stored_key) != 0 ||
                     hmac(mech, salted, klen, "Server Key", 10, out->server_key) != 0
                 ? -1
                 : 0;
    OPENSSL_cleanse(client_key, sizeof(client_key));
    return rc;
}

static int salted_password(int mech, const char *password, size_t len, const uint8_t *salt, size_t salt_len,
                           int32_t iterations, uint8_t *out)
{
    return PKCS5_PBKDF2_HMAC(password, (int)len, salt, (int)salt_len, iterations, mech_md(mech),
                             (int)kelp_scram_key_len(mech), out) == 1
               ? 0
               : -1;
}

int kelp_scram_cred_derive(int mech, const char *password, size_t len, const uint8_t *salt, size_t salt_len,
                           int32_t iterations, kelp_scram_cred *out)
{
    uint8_t salted[KELP_SCRAM_KEY_MAX];
    if (!kelp_scram_key_len(mech) || salt_len == 0 ||
        salted_password(mech, password, len, salt, salt_len, iterations, salted) != 0)
        return -1;
    int rc = kelp_scram_cred_from_salted(mech, salted, kelp_scram_key_len(mech), salt, salt_len, iterations, out);
    OPENSSL_cleanse(salted, sizeof(salted));
    return rc;
}

int kelp_scram_cred_from_password(int mech, const char *password, size_t len, int32_t iterations,
                                  kelp_scram_cred *out)
{
    uint8_t salt[32];
    if (RAND_bytes(salt, sizeof(salt)) != 1)
        return -1;
    return kelp_scram_cred_derive(mech, password, len, salt, sizeof(salt), iterations, out);
}

bool kelp_scram_cred_check_password(int mech, const kelp_scram_cred *cred, const char *password, size_t len)
{
    kelp_scram_cred probe;
    size_t klen = kelp_scram_key_len(mech);
    if (!klen || kelp_scram_cred_derive(mech, password, len, cred->salt, cred->salt_len, cred->iterations, &probe) != 0)
        return false;
    bool ok = CRYPTO_memcmp(probe.stored_key, cred->stored_key, klen) == 0;
    OPENSSL_cleanse(&probe, sizeof(probe));
    return ok;
}

int kelp_base64_encode(const uint8_t *in, size_t len, char *out, size_t cap)
{
    if (cap < 4 * ((len + 2) / 3) + 1)
        return -1;
    return EVP_EncodeBlock((unsigned char *)out, in, (int)len);
}

int kelp_base64_decode(const char *in, size_t len, uint8_t *out, size_t cap)
{
    if (len % 4 != 0 || cap < len / 4 * 3)
        return -1;
    if (len == 0)
        return 0;
    int n = EVP_DecodeBlock(out, (const unsigned char *)in, (int)len);
    if (n < 0)
        return -1;
    /* EVP_DecodeBlock counts the padding as zero bytes. */
    if (in[len - 1] == '=')
        n--;
    if (in[len - 2] == '=')
        n--;
    return n;
}

void kelp_scram_server_init(kelp_scram_server *s, int mech)
{
    memset(s, 0, sizeof(*s));
    s->mech = mech;
}

void kelp_scram_server_free(kelp_scram_server *s)
{
    free(s->auth_message);
    OPENSSL_cleanse(s, sizeof(*s));
}

/* Value of "k=" at the start of an attribute, NUL-free text of len bytes. */
static bool attr(const char *p, size_t len, char k, const char **v, size_t *vlen)
{
    if (len < 2 || p[0] != k || p[1] != '=')
        return false;
    *v = p + 2;
    *vlen = len - 2;
    return true;
}

/* saslname: "=2C" is ',' and "=3D" is '='; anything else after '=' is invalid. */
static int decode_saslname(const char *in, size_t len, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        char c = in[i];
        if (c == '=') {
            if (i + 2 >= len)
                return -1;
            if (in[i + 1] == '2' && in[i + 2] == 'C')
                c = ',';
            else if (in[i + 1] == '3' && in[i + 2] == 'D')
                c = '=';
            else
                return -1;
            i += 2;
        }
        if (o + 1 >= cap)
            return -1;
        out[o++] = c;
    }
    out[o] = '\0';
    return o > 0 ? 0 : -1;
}

int kelp_scram_server_client_first(kelp_scram_server *s, const uint8_t *msg, size_t len, char *err,
                                   size_t errlen)
{
    const char *m = (const char *)msg;
    if (s->step != 0 || memchr(msg, '\0', len)) {
        snprintf(err, errlen, "invalid SCRAM client-first message");
        return -1;
    }
    /* gs2-header: "n," or "y," (no channel binding), optional "a=authzid", ",". */
    if (len < 3 || (m[0] != 'n' && m[0] != 'y') || m[1] != ',') {
        snprintf(err, errlen, "SCRAM channel binding is not supported");
        return -1;
    }
    const char *authz = m + 2;
    const char *comma = memchr(authz, ',', len - 2);
    if (!comma) {
        snprintf(err, errlen, "invalid SCRAM client-first message");
        return -1;
    }
    size_t authz_len = (size_t)(comma - authz);
    const char *bare = comma + 1;
    size_t bare_len = len - (size_t)(bare - m);
    const char *p = bare, *end = bare + bare_len, *v;
    size_t vlen;
    const char *next = memchr(p, ',', (size_t)(end - p));
    if (!next || !attr(p, (size_t)(next - p), 'n', &v, &vlen) ||
        decode_saslname(v, vlen, s->user, sizeof(s->user)) != 0) {
        snprintf(err, errlen, "invalid SCRAM user name");
        return -1;
    }
    if (authz_len > 0) {
        char az[KELP_SASL_USER_MAX];
        if (!attr(authz, authz_len, 'a', &v, &vlen) || decode_saslname(v, vlen, az, sizeof(az)) != 0 ||
            strcmp(az, s->user) != 0) {
            snprintf(err, errlen, "SCRAM authorization id must be the user name");
            return -1;
        }
    }
    p = next + 1;
    next = memchr(p, ',', (size_t)(end - p));
    size_t rlen = (size_t)((next ? next : end) - p);
    if (!attr(p, rlen, 'r', &v, &vlen) || vlen == 0 || vlen >= sizeof(s->nonce) / 2) {
        snprintf(err, errlen, "invalid SCRAM client nonce");
        return -1;
    }
    for (size_t i = 0; i < vlen; i++)
        if (v[i] < 0x21 || v[i] > 0x7e || v[i] == ',') {
            snprintf(err, errlen, "invalid SCRAM client nonce");
            return -1;
        }
    memcpy(s->nonce, v, vlen);
    s->nonce[vlen] = '\0';
    /* Extensions after the nonce (Kafka's tokenauth) are ignored. */
    free(s->auth_message);
    s->auth_message = malloc(bare_len + 1);
    if (!s->auth_message) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    memcpy(s->auth_message, bare, bare_len);
    s->auth_message[bare_len] = '\0';
    return 0;
}

int kelp_scram_server_first(kelp_scram_server *s, const kelp_scram_cred *cred, const char *server_nonce,
                            kelp_buf *out)
{
    char nonce[48], salt[KELP_SCRAM_SALT_MAX * 2];
    if (!s->auth_message)
        return -1;
    if (!server_nonce) {
        uint8_t raw[24];
        if (RAND_bytes(raw, sizeof(raw)) != 1 || kelp_base64_encode(raw, sizeof(raw), nonce, sizeof(nonce)) < 0)
            return -1;
        server_nonce = nonce; /* base64 never holds ',' */
    }
    if (strlen(s->nonce) + strlen(server_nonce) >= sizeof(s->nonce) ||
        kelp_base64_encode(cred->salt, cred->salt_len, salt, sizeof(salt)) < 0)
        return -1;
    strcat(s->nonce, server_nonce);
    s->cred = *cred;
    char first[sizeof(s->nonce) + sizeof(salt) + 32];
    int n = snprintf(first, sizeof(first), "r=%s,s=%s,i=%d", s->nonce, salt, (int)cred->iterations);
    size_t am_len = strlen(s->auth_message);
    char *am = realloc(s->auth_message, am_len + 1 + (size_t)n + 1);
    if (!am)
        return -1;
    s->auth_message = am;
    am[am_len] = ',';
    memcpy(am + am_len + 1, first, (size_t)n + 1);
    s->step = 1;
    return kelp_buf_append(out, first, (size_t)n) ? 0 : -1;
}

int kelp_scram_server_client_final(kelp_scram_server *s, const uint8_t *msg, size_t len, kelp_buf *out,
                                   char *err, size_t errlen)
{
    const char *m = (const char *)msg, *end = m + len, *v;
    size_t vlen, klen = kelp_scram_key_len(s->mech);
    if (s->step != 1 || memchr(msg, '\0', len)) {
        snprintf(err, errlen, "invalid SCRAM client-final message");
        return -1;
    }
    s->step = 2;
    /* c=biws is base64("n,,"); "y,," is accepted too (eSx5). */
    const char *next = memchr(m, ',', len);
    if (!next || !attr(m, (size_t)(next - m), 'c', &v, &vlen) ||
        !((vlen == 4 && (memcmp(v, "biws", 4) == 0 || memcmp(v, "eSws", 4) == 0)))) {
        snprintf(err, errlen, "SCRAM channel binding is not supported");
        return -1;
    }
    const char *p = next + 1;
    next = memchr(p, ',', (size_t)(end - p));
    /* Kafka checks only that the nonce ends with the server's: librdkafka
     * sends its client nonce again in front. */
    size_t nlen = strlen(s->nonce);
    if (!next || !attr(p, (size_t)(next - p), 'r', &v, &vlen) || vlen < nlen ||
        memcmp(v + vlen - nlen, s->nonce, nlen) != 0) {
        snprintf(err, errlen, "SCRAM nonce mismatch");
        return -1;
    }
    /* The proof is the last attribute; extensions in between are skipped. */
    const char *proof = NULL;
    for (const char *q = end; q > next; q--)
        if (q[-1] == ',') {
            proof = q;
            break;
        }
    if (!proof || !attr(proof, (size_t)(end - proof), 'p', &v, &vlen)) {
        snprintf(err, errlen, "SCRAM client proof missing");
        return -1;
    }
    uint8_t client_proof[KELP_SCRAM_KEY_MAX + 4], sig[KELP_SCRAM_KEY_MAX], client_key[KELP_SCRAM_KEY_MAX],
        stored[KELP_SCRAM_KEY_MAX], server_sig[KELP_SCRAM_KEY_MAX];
    if (kelp_base64_decode(v, vlen, client_proof, sizeof(client_proof)) != (int)klen) {
        snprintf(err, errlen, "invalid SCRAM client proof");
        return -1;
    }
    /* AuthMessage = client-first-bare "," server-first "," client-final-without-proof */
    size_t without_proof = (size_t)(proof - 1 - m);
    size_t am_len = strlen(s->auth_message);
    char *am = malloc(am_len + 1 + without_proof);
    if (!am) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    memcpy(am, s->auth_message, am_len);
    am[am_len] = ',';
    memcpy(am + am_len + 1, m, without_proof);
    size_t total = am_len + 1 + without_proof;
    int rc = hmac(s->mech, s->cred.stored_key, klen, am, total, sig);
    for (size_t i = 0; rc == 0 && i < klen; i++)
        client_key[i] = client_proof[i] ^ sig[i];
    if (rc == 0)
        rc = digest(s->mech, client_key, klen, stored);
    if (rc == 0 && CRYPTO_memcmp(stored, s->cred.stored_key, klen) != 0)
        rc = -2;
    if (rc == 0)
        rc = hmac(s->mech, s->cred.server_key, klen, am, total, server_sig);
    free(am);
    OPENSSL_cleanse(client_key, sizeof(client_key));
    if (rc != 0) {
        snprintf(err, errlen, rc == -2 ? "invalid credentials" : "SCRAM computation failed");
        return -1;
    }
    char b64[KELP_SCRAM_KEY_MAX * 2];
    if (kelp_base64_encode(server_sig, klen, b64, sizeof(b64)) < 0 || !kelp_buf_append(out, "v=", 2) ||
        !kelp_buf_append(out, b64, strlen(b64))) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

int kelp_sasl_plain_parse(const uint8_t *msg, size_t len, const char **user, size_t *user_len,
                          const char **password, size_t *password_len)
{
    const char *m = (const char *)msg;
    const char *z1 = memchr(m, '\0', len);
    if (!z1)
        return -1;
    const char *u = z1 + 1;
    const char *z2 = memchr(u, '\0', len - (size_t)(u - m));
    if (!z2)
        return -1;
    size_t authz_len = (size_t)(z1 - m), ulen = (size_t)(z2 - u);
    if (ulen == 0 || (authz_len > 0 && (authz_len != ulen || memcmp(m, u, ulen) != 0)))
        return -1;
    const char *pw = z2 + 1;
    size_t pwlen = len - (size_t)(pw - m);
    if (memchr(pw, '\0', pwlen))
        return -1;
    *user = u;
    *user_len = ulen;
    *password = pw;
    *password_len = pwlen;
    return 0;
}
