/* Authorization header checks for the HTTP endpoints. Base64 comes from
 * OpenSSL (EVP_DecodeBlock), the Basic users from cJSON; every secret is
 * compared as a SHA-256 digest with CRYPTO_memcmp, so neither a secret's
 * length nor its first differing byte shows in the timing. */
#include "admin/http_auth.h"

#include <cjson/cJSON.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool has_basic_users(const kelp_admin_auth_config *aa)
{
    return aa->basic_users[0] && strcmp(aa->basic_users, "{}") != 0;
}

bool kelp_http_auth_enabled(const kelp_admin_auth_config *aa)
{
    return aa->bearer_token[0] || has_basic_users(aa);
}

size_t kelp_http_auth_challenges(const kelp_admin_auth_config *aa, const char *out[2])
{
    size_t n = 0;
    if (aa->bearer_token[0])
        out[n++] = "Bearer realm=\"" KELP_HTTP_AUTH_REALM "\"";
    if (has_basic_users(aa))
        out[n++] = "Basic realm=\"" KELP_HTTP_AUTH_REALM "\", charset=\"UTF-8\"";
    return n;
}

/* 1 when equal, 0 otherwise, in time that depends only on the lengths. */
static int secret_equal(const void *a, size_t alen, const void *b, size_t blen)
{
    unsigned char da[EVP_MAX_MD_SIZE], db[EVP_MAX_MD_SIZE];
    unsigned int la = 0, lb = 0;
    if (!EVP_Digest(a, alen, da, &la, EVP_sha256(), NULL) || !EVP_Digest(b, blen, db, &lb, EVP_sha256(), NULL))
        return 0;
    return la == lb && CRYPTO_memcmp(da, db, la) == 0;
}

/* "Scheme" followed by at least one space: the credentials after them, or
 * NULL for another scheme. Scheme names are case-insensitive (RFC 9110). */
static const char *after_scheme(const char *header, const char *scheme)
{
    size_t len = strlen(scheme);
    if (strncasecmp(header, scheme, len) != 0 || header[len] != ' ')
        return NULL;
    header += len;
    while (*header == ' ')
        header++;
    return header;
}

static bool bearer_ok(const kelp_admin_auth_config *aa, const char *token, size_t len)
{
    if (!aa->bearer_token[0] || len == 0)
        return false;
    return secret_equal(token, len, aa->bearer_token, strlen(aa->bearer_token));
}

/* Decodes standard base64 (with padding) into a NUL-terminated string;
 * NULL when it is not base64 or holds a NUL byte. */
static char *decode_base64(const char *text, size_t len, size_t *out_len)
{
    if (len == 0 || len % 4 != 0)
        return NULL;
    size_t pad = 0;
    while (pad < 2 && text[len - 1 - pad] == '=')
        pad++;
    unsigned char *out = malloc(len / 4 * 3 + 1);
    if (!out)
        return NULL;
    int n = EVP_DecodeBlock(out, (const unsigned char *)text, (int)len);
    /* EVP_DecodeBlock counts the bytes padding stands for; they are zeros. */
    if (n < 0 || (size_t)n < pad) {
        free(out);
        return NULL;
    }
    size_t used = (size_t)n - pad;
    out[used] = '\0';
    if (memchr(out, '\0', used)) {
        OPENSSL_cleanse(out, used);
        free(out);
        return NULL;
    }
    *out_len = used;
    return (char *)out;
}

static bool basic_ok(const kelp_admin_auth_config *aa, const char *encoded, size_t len)
{
    if (!has_basic_users(aa))
        return false;
    size_t plain_len = 0;
    char *plain = decode_base64(encoded, len, &plain_len);
    if (!plain)
        return false;
    bool ok = false;
    char *colon = strchr(plain, ':'); /* the user name holds none (RFC 7617); the password may */
    cJSON *users = colon ? cJSON_Parse(aa->basic_users) : NULL;
    if (users) {
        size_t name_len = (size_t)(colon - plain);
        const char *password = colon + 1;
        size_t password_len = plain_len - name_len - 1;
        int matched = 0;
        /* Every user is compared, so the time spent does not tell which matched. */
        for (const cJSON *u = users->child; u; u = u->next) {
            if (!u->string || !cJSON_IsString(u))
                continue;
            int name_eq = secret_equal(plain, name_len, u->string, strlen(u->string));
            int pass_eq = secret_equal(password, password_len, u->valuestring, strlen(u->valuestring));
            matched |= name_eq & pass_eq;
        }
        ok = matched != 0;
        cJSON_Delete(users);
    }
    OPENSSL_cleanse(plain, plain_len);
    free(plain);
    return ok;
}

bool kelp_http_auth_check(const kelp_admin_auth_config *aa, const char *authorization)
{
    if (!kelp_http_auth_enabled(aa))
        return true;
    if (!authorization)
        return false;
    size_t header_len = strnlen(authorization, KELP_HTTP_AUTH_HEADER_MAX + 1);
    if (header_len > KELP_HTTP_AUTH_HEADER_MAX)
        return false;
    while (*authorization == ' ' || *authorization == '\t')
        authorization++;
    const char *creds;
    bool bearer = false;
    if ((creds = after_scheme(authorization, "Bearer")) != NULL)
        bearer = true;
    else if ((creds = after_scheme(authorization, "Basic")) == NULL)
        return false;
    size_t len = strlen(creds);
    while (len > 0 && (creds[len - 1] == ' ' || creds[len - 1] == '\t'))
        len--;
    return bearer ? bearer_ok(aa, creds, len) : basic_ok(aa, creds, len);
}
