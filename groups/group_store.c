/* One JSON file per group; byte fields (subscriptions, assignments) are hex. */
#include "groups/group_store.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "offsets/offset_path.h"
#include "storage/layout.h"
#include "util/buf.h"
#include "util/hex.h"
#include "util/json_text.h"
#include "util/log.h"

void kelp_group_free(kelp_group *g)
{
    if (!g)
        return;
    while (g->members) {
        kelp_group_member *m = g->members;
        g->members = m->next;
        kelp_member_free(m);
    }
    while (g->pending) {
        kelp_pending_member *p = g->pending;
        g->pending = p->next;
        free(p->member_id);
        free(p);
    }
    free(g->id);
    free(g->protocol_type);
    free(g->protocol_name);
    free(g->leader_id);
    free(g);
}

static cJSON *hex_node(const uint8_t *p, size_t len)
{
    char *s = kelp_hex_encode(p, len);
    cJSON *n = s ? cJSON_CreateString(s) : NULL;
    free(s);
    return n;
}

/* Decodes a hex string into a malloc'd buffer (never NULL on success). */
static bool unhex(const cJSON *n, uint8_t **out, size_t *len)
{
    if (!cJSON_IsString(n))
        return false;
    *out = (uint8_t *)kelp_hex_decode(n->valuestring, len);
    return *out != NULL;
}

static cJSON *string_or_null(const char *s)
{
    return s ? cJSON_CreateString(s) : cJSON_CreateNull();
}

static cJSON *member_json(const kelp_group_member *m)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *protocols = cJSON_AddArrayToObject(o, "protocols");
    if (!protocols)
        goto fail;
    cJSON_AddItemToObject(o, "member_id", cJSON_CreateString(m->member_id));
    cJSON_AddItemToObject(o, "instance_id", string_or_null(m->instance_id));
    cJSON_AddItemToObject(o, "client_id", cJSON_CreateString(m->client_id));
    cJSON_AddItemToObject(o, "client_host", cJSON_CreateString(m->client_host));
    cJSON_AddNumberToObject(o, "session_timeout_ms", m->session_timeout_ms);
    cJSON_AddNumberToObject(o, "rebalance_timeout_ms", m->rebalance_timeout_ms);
    for (int32_t i = 0; i < m->protocol_count; i++) {
        cJSON *p = cJSON_CreateObject();
        if (!p)
            goto fail;
        cJSON_AddItemToArray(protocols, p);
        cJSON_AddItemToObject(p, "name", cJSON_CreateString(m->protocols[i].name));
        cJSON_AddItemToObject(p, "metadata", hex_node(m->protocols[i].metadata, m->protocols[i].metadata_len));
    }
    cJSON_AddItemToObject(o, "assignment", hex_node(m->assignment, m->assignment_len));
    return o;
fail:
    cJSON_Delete(o);
    return NULL;
}

void kelp_group_store_save(kelp_file_writer *w, const kelp_group *g)
{
    char path[KELP_LAYOUT_PATH_MAX];
    if (kelp_group_metadata_path(path, sizeof(path), g->id, g->id_len) != 0)
        return;
    cJSON *o = cJSON_CreateObject();
    cJSON *members = cJSON_AddArrayToObject(o, "members");
    char *text = NULL;
    if (members) {
        cJSON_AddStringToObject(o, "state", kelp_group_state_name(g->state));
        cJSON_AddNumberToObject(o, "state_since", (double)g->state_since_ms);
        cJSON_AddNumberToObject(o, "generation", g->generation);
        cJSON_AddItemToObject(o, "protocol_type", string_or_null(g->protocol_type));
        cJSON_AddItemToObject(o, "protocol", string_or_null(g->protocol_name));
        cJSON_AddItemToObject(o, "leader", string_or_null(g->leader_id));
        bool ok = true;
        for (const kelp_group_member *m = g->members; m && ok; m = m->next) {
            cJSON *mj = member_json(m);
            ok = mj != NULL;
            if (mj)
                cJSON_AddItemToArray(members, mj);
        }
        if (ok)
            text = cJSON_PrintUnformatted(o);
    }
    cJSON_Delete(o);
    if (!text || kelp_file_writer_put(w, path, text, strlen(text), NULL, NULL) != 0)
        KELP_WARN("groups", "could not save group metadata to %s", path);
    cJSON_free(text);
}

void kelp_group_store_remove(kelp_file_writer *w, const char *id, size_t len)
{
    char path[KELP_LAYOUT_PATH_MAX];
    if (kelp_group_metadata_dir(path, sizeof(path), id, len) == 0)
        kelp_file_writer_remove(w, path, NULL, NULL);
}

static char *dup_string(const cJSON *o, const char *name, bool nullable, bool *ok)
{
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(o, name);
    if (nullable && (!n || cJSON_IsNull(n)))
        return NULL;
    if (!cJSON_IsString(n)) {
        *ok = false;
        return NULL;
    }
    char *s = strdup(n->valuestring);
    if (!s)
        *ok = false;
    return s;
}

static int32_t get_int(const cJSON *o, const char *name, bool *ok)
{
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(o, name);
    if (!cJSON_IsNumber(n) || n->valuedouble < INT32_MIN || n->valuedouble > INT32_MAX) {
        *ok = false;
        return 0;
    }
    return (int32_t)n->valuedouble;
}

static kelp_group_member *member_from_json(const cJSON *o)
{
    kelp_group_member *m = calloc(1, sizeof(*m));
    if (!m)
        return NULL;
    bool ok = true;
    m->member_id = dup_string(o, "member_id", false, &ok);
    m->instance_id = dup_string(o, "instance_id", true, &ok);
    m->client_id = dup_string(o, "client_id", false, &ok);
    m->client_host = dup_string(o, "client_host", false, &ok);
    m->session_timeout_ms = get_int(o, "session_timeout_ms", &ok);
    m->rebalance_timeout_ms = get_int(o, "rebalance_timeout_ms", &ok);
    const cJSON *protocols = cJSON_GetObjectItemCaseSensitive(o, "protocols");
    int n = cJSON_IsArray(protocols) ? cJSON_GetArraySize(protocols) : -1;
    ok = ok && n >= 0 && unhex(cJSON_GetObjectItemCaseSensitive(o, "assignment"), &m->assignment, &m->assignment_len);
    if (ok) {
        m->protocols = calloc((size_t)n + 1, sizeof(*m->protocols));
        ok = m->protocols != NULL;
    }
    const cJSON *p;
    int i = 0;
    cJSON_ArrayForEach(p, protocols)
    {
        if (!ok)
            break;
        m->protocols[i].name = dup_string(p, "name", false, &ok);
        m->protocol_count = i + 1;
        ok = ok && unhex(cJSON_GetObjectItemCaseSensitive(p, "metadata"), &m->protocols[i].metadata,
                         &m->protocols[i].metadata_len);
        i++;
    }
    if (!ok || m->session_timeout_ms <= 0) {
        kelp_member_free(m);
        return NULL;
    }
    return m;
}

static kelp_group *group_from_json(const cJSON *o, const char *id, size_t id_len)
{
    kelp_group *g = calloc(1, sizeof(*g));
    if (!g)
        return NULL;
    bool ok = true;
    g->id = malloc(id_len + 1);
    if (!g->id) {
        free(g);
        return NULL;
    }
    memcpy(g->id, id, id_len);
    g->id[id_len] = '\0';
    g->id_len = id_len;
    const cJSON *state = cJSON_GetObjectItemCaseSensitive(o, "state");
    int st = cJSON_IsString(state) ? kelp_group_state_parse(state->valuestring, strlen(state->valuestring)) : -1;
    g->state_since_ms = 0;
    kelp_json_get_int64(o, "state_since", 0, INT64_MAX, &g->state_since_ms);
    g->generation = get_int(o, "generation", &ok);
    g->protocol_type = dup_string(o, "protocol_type", true, &ok);
    g->protocol_name = dup_string(o, "protocol", true, &ok);
    g->leader_id = dup_string(o, "leader", true, &ok);
    const cJSON *members = cJSON_GetObjectItemCaseSensitive(o, "members");
    ok = ok && cJSON_IsArray(members) && (st == KELP_GROUP_STABLE || st == KELP_GROUP_EMPTY);
    const cJSON *mj;
    kelp_group_member **tail = &g->members;
    cJSON_ArrayForEach(mj, members)
    {
        if (!ok)
            break;
        kelp_group_member *m = member_from_json(mj);
        if (!m) {
            ok = false;
            break;
        }
        m->group = g;
        *tail = m;
        tail = &m->next;
        g->member_count++;
    }
    /* A Stable group needs its protocol and leader among its members. */
    if (ok && st == KELP_GROUP_STABLE)
        ok = g->members && g->protocol_type && g->protocol_name && g->leader_id &&
             kelp_group_find_member(g, g->leader_id, strlen(g->leader_id));
    if (ok && st == KELP_GROUP_EMPTY)
        ok = g->members == NULL;
    if (!ok) {
        kelp_group_free(g);
        return NULL;
    }
    g->state = (kelp_group_state)st;
    return g;
}

typedef struct load_walk {
    kelp_fs *fs;
    void (*fn)(void *ctx, kelp_group *g);
    void *ctx;
} load_walk;

static int on_group_dir(void *ctx, const char *name, bool is_dir)
{
    load_walk *w = ctx;
    char id[KELP_GROUP_DIR_MAX + 1];
    size_t id_len;
    if (!is_dir || !kelp_group_dir_decode(name, id, sizeof(id), &id_len))
        return 0;
    char path[KELP_LAYOUT_PATH_MAX];
    snprintf(path, sizeof(path), "%s/%s/%s", KELP_GROUPS_ROOT, name, KELP_GROUP_FILE);
    kelp_buf buf;
    kelp_buf_init(&buf);
    int rc = w->fs->ops->read_file(w->fs, path, &buf);
    cJSON *o = NULL;
    if (rc == 0 && kelp_buf_append(&buf, "", 1))
        o = cJSON_Parse((const char *)buf.data);
    kelp_buf_free(&buf);
    if (rc == -ENOENT)
        return 0;
    kelp_group *g = o ? group_from_json(o, id, id_len) : NULL;
    cJSON_Delete(o);
    if (!g) {
        KELP_WARN("groups", "skipping %s: not readable group metadata", path);
        return 0;
    }
    w->fn(w->ctx, g);
    return 0;
}

int kelp_group_store_load(kelp_fs *fs, void (*fn)(void *ctx, kelp_group *g), void *ctx)
{
    load_walk w = {.fs = fs, .fn = fn, .ctx = ctx};
    int rc = fs->ops->list(fs, KELP_GROUPS_ROOT, on_group_dir, &w);
    return rc == -ENOENT ? 0 : rc;
}
