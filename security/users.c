#include "security/users.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "offsets/offset_path.h"
#include "util/json_text.h"
#include "util/log.h"

void kelp_user_store_init(kelp_user_store *s) { memset(s, 0, sizeof(*s)); }

void kelp_user_store_free(kelp_user_store *s)
{
    if (s->users)
        memset(s->users, 0, s->cap * sizeof(*s->users));
    free(s->users);
    memset(s, 0, sizeof(*s));
}

kelp_user *kelp_user_store_find(kelp_user_store *s, const char *name)
{
    for (size_t i = 0; i < s->count; i++)
        if (strcmp(s->users[i].name, name) == 0)
            return &s->users[i];
    return NULL;
}

kelp_user *kelp_user_store_put(kelp_user_store *s, const char *name)
{
    kelp_user *u = kelp_user_store_find(s, name);
    if (u)
        return u;
    if (strlen(name) >= KELP_SASL_USER_MAX || !name[0])
        return NULL;
    if (s->count == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 8;
        kelp_user *n = realloc(s->users, cap * sizeof(*n));
        if (!n)
            return NULL;
        s->users = n;
        s->cap = cap;
    }
    u = &s->users[s->count++];
    memset(u, 0, sizeof(*u));
    snprintf(u->name, sizeof(u->name), "%s", name);
    return u;
}

void kelp_user_store_remove(kelp_user_store *s, const char *name)
{
    kelp_user *u = kelp_user_store_find(s, name);
    if (!u)
        return;
    *u = s->users[--s->count];
    memset(&s->users[s->count], 0, sizeof(*u));
}

bool kelp_user_has_credentials(const kelp_user *u)
{
    for (int m = 1; m < KELP_SCRAM_MECH_COUNT; m++)
        if (u->has[m])
            return true;
    return false;
}

bool kelp_user_check_password(const kelp_user *u, const char *password, size_t len)
{
    for (int m = KELP_SCRAM_MECH_COUNT - 1; m >= 1; m--)
        if (u->has[m])
            return kelp_scram_cred_check_password(m, &u->cred[m], password, len);
    return false;
}

static bool add_b64(cJSON *obj, const char *key, const uint8_t *data, size_t len)
{
    char text[KELP_SCRAM_SALT_MAX * 2];
    return kelp_base64_encode(data, len, text, sizeof(text)) >= 0 && cJSON_AddStringToObject(obj, key, text);
}

int kelp_user_to_json(const kelp_user *u, kelp_buf *out)
{
    cJSON *root = cJSON_CreateObject(), *creds = NULL;
    bool ok = root && cJSON_AddStringToObject(root, "user", u->name) &&
              (creds = cJSON_AddObjectToObject(root, "credentials"));
    for (int m = 1; ok && m < KELP_SCRAM_MECH_COUNT; m++) {
        if (!u->has[m])
            continue;
        const kelp_scram_cred *c = &u->cred[m];
        size_t klen = kelp_scram_key_len(m);
        cJSON *o = cJSON_AddObjectToObject(creds, kelp_scram_mech_name(m));
        ok = o && cJSON_AddNumberToObject(o, "iterations", c->iterations) && add_b64(o, "salt", c->salt, c->salt_len) &&
             add_b64(o, "stored_key", c->stored_key, klen) && add_b64(o, "server_key", c->server_key, klen);
    }
    if (!ok) {
        cJSON_Delete(root);
        return -1;
    }
    return kelp_json_text_append(root, out);
}

static int get_b64(const cJSON *o, const char *key, uint8_t *out, size_t cap)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsString(v))
        return -1;
    return kelp_base64_decode(v->valuestring, strlen(v->valuestring), out, cap);
}

int kelp_user_from_json(const char *text, size_t len, kelp_user *out)
{
    memset(out, 0, sizeof(*out));
    cJSON *root = cJSON_ParseWithLength(text, len);
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(root, "user");
    const cJSON *creds = cJSON_GetObjectItemCaseSensitive(root, "credentials");
    int rc = -1;
    if (!cJSON_IsString(name) || !name->valuestring[0] || strlen(name->valuestring) >= sizeof(out->name) ||
        !cJSON_IsObject(creds))
        goto done;
    snprintf(out->name, sizeof(out->name), "%s", name->valuestring);
    for (const cJSON *c = creds->child; c; c = c->next) {
        int m = kelp_scram_mech_parse(c->string);
        const cJSON *it = cJSON_GetObjectItemCaseSensitive(c, "iterations");
        if (!m || !cJSON_IsNumber(it) || it->valuedouble < 1 || it->valuedouble > 1e9)
            goto done;
        kelp_scram_cred *cr = &out->cred[m];
        size_t klen = kelp_scram_key_len(m);
        uint8_t key[KELP_SCRAM_KEY_MAX + 4];
        int salt_len = get_b64(c, "salt", cr->salt, sizeof(cr->salt));
        if (salt_len <= 0)
            goto done;
        cr->salt_len = (size_t)salt_len;
        cr->iterations = (int32_t)it->valuedouble;
        if (get_b64(c, "stored_key", key, sizeof(key)) != (int)klen)
            goto done;
        memcpy(cr->stored_key, key, klen);
        if (get_b64(c, "server_key", key, sizeof(key)) != (int)klen)
            goto done;
        memcpy(cr->server_key, key, klen);
        out->has[m] = true;
    }
    rc = 0;
done:
    cJSON_Delete(root);
    return rc;
}

int kelp_user_file_path(char *out, size_t cap, const char *name)
{
    char enc[KELP_GROUP_DIR_MAX + 1];
    if (kelp_group_dir_encode(name, strlen(name), enc) != 0)
        return -1;
    int n = snprintf(out, cap, "%s/%s.json", KELP_USERS_ROOT, enc);
    return n > 0 && (size_t)n < cap ? 0 : -1;
}

typedef struct load_ctx {
    kelp_user_store *s;
    kelp_fs *fs;
    char *err;
    size_t errlen;
    int rc;
} load_ctx;

static int load_one(void *ctx, const char *name, bool is_dir)
{
    load_ctx *l = ctx;
    size_t n = strlen(name);
    if (is_dir || n < 6 || strcmp(name + n - 5, ".json") != 0)
        return 0;
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", KELP_USERS_ROOT, name);
    kelp_buf buf;
    kelp_buf_init(&buf);
    int rc = l->fs->ops->read_file(l->fs, path, &buf);
    kelp_user u;
    if (rc == 0 && kelp_user_from_json((const char *)buf.data, buf.len, &u) == 0) {
        kelp_user *slot = kelp_user_store_put(l->s, u.name);
        if (slot)
            *slot = u;
        else
            rc = -ENOMEM;
    } else if (rc == 0) {
        KELP_WARN("security", "ignoring %s: not a user credential file", path);
    }
    kelp_buf_free(&buf);
    memset(&u, 0, sizeof(u));
    if (rc != 0 && rc != -ENOENT) {
        snprintf(l->err, l->errlen, "cannot read %s: %s", path, strerror(-rc));
        l->rc = -1;
        return 1;
    }
    return 0;
}

int kelp_user_store_load(kelp_user_store *s, kelp_fs *fs, char *err, size_t errlen)
{
    load_ctx l = {.s = s, .fs = fs, .err = err, .errlen = errlen};
    int rc = fs->ops->list(fs, KELP_USERS_ROOT, load_one, &l);
    if (rc != 0 && rc != -ENOENT && l.rc == 0) {
        snprintf(err, errlen, "cannot list %s: %s", KELP_USERS_ROOT, strerror(-rc));
        return -1;
    }
    return l.rc;
}
