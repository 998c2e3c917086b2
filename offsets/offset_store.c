/* Committed offsets: a map of groups, each a map of (topic, partition). The
 * file of a commit is JSON, written whole and atomically:
 *   {"type":"offset","value":N,"committed_at":MS,"metadata":"...","leader_epoch":E}
 * which is the Go gateway's form plus the leader epoch it does not keep. */
#include "offsets/offset_store.h"

#include <cjson/cJSON.h>

#include "util/json_text.h"
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "offsets/offset_path.h"
#include "storage/layout.h"
#include "storage/topic_name.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/strmap.h"

typedef struct offset_group {
    kelp_strmap partitions; /* key: topic NUL partition (4 bytes) */
} offset_group;

struct kelp_offset_store {
    kelp_fs *fs;
    kelp_file_writer *writer;
    kelp_strmap groups;
};

static size_t partition_key(char *key, const char *topic, size_t tlen, int32_t partition)
{
    memcpy(key, topic, tlen);
    key[tlen] = '\0';
    uint32_t p = (uint32_t)partition;
    key[tlen + 1] = (char)(p >> 24);
    key[tlen + 2] = (char)(p >> 16);
    key[tlen + 3] = (char)(p >> 8);
    key[tlen + 4] = (char)p;
    return tlen + 5;
}

static void entry_free(kelp_committed_offset *e)
{
    if (!e)
        return;
    free(e->topic);
    free(e->metadata);
    free(e);
}

static void group_free(offset_group *g)
{
    size_t pos = 0;
    void *v;
    while (kelp_strmap_next(&g->partitions, &pos, NULL, NULL, &v))
        entry_free(v);
    kelp_strmap_free(&g->partitions);
    free(g);
}

void kelp_offset_store_free(kelp_offset_store *s)
{
    if (!s)
        return;
    size_t pos = 0;
    void *v;
    while (kelp_strmap_next(&s->groups, &pos, NULL, NULL, &v))
        group_free(v);
    kelp_strmap_free(&s->groups);
    free(s);
}

static offset_group *group_get(const kelp_offset_store *s, const char *group, size_t glen, bool create)
{
    offset_group *g = kelp_strmap_get(&s->groups, group, glen);
    if (g || !create)
        return g;
    g = calloc(1, sizeof(*g));
    if (!g)
        return NULL;
    kelp_strmap_init(&g->partitions);
    if (kelp_strmap_put((kelp_strmap *)&s->groups, group, glen, g) != 0) {
        free(g);
        return NULL;
    }
    return g;
}

const kelp_committed_offset *kelp_offset_store_get(const kelp_offset_store *s, const char *group, size_t glen,
                                                   const char *topic, size_t tlen, int32_t partition)
{
    offset_group *g = group_get(s, group, glen, false);
    if (!g || tlen > KELP_TOPIC_NAME_MAX)
        return NULL;
    char key[KELP_TOPIC_NAME_MAX + 5];
    return kelp_strmap_get(&g->partitions, key, partition_key(key, topic, tlen, partition));
}

/* Stores an entry in memory, replacing an older one. */
static kelp_committed_offset *remember(kelp_offset_store *s, const char *group, size_t glen, const char *topic,
                                       size_t tlen, int32_t partition, int64_t offset, int32_t leader_epoch,
                                       const char *metadata, size_t mlen, int64_t commit_ms)
{
    offset_group *g = group_get(s, group, glen, true);
    kelp_committed_offset *e = calloc(1, sizeof(*e));
    if (!g || !e || tlen > KELP_TOPIC_NAME_MAX) {
        free(e);
        return NULL;
    }
    e->topic = strndup(topic, tlen);
    e->metadata = malloc(mlen + 1);
    char key[KELP_TOPIC_NAME_MAX + 5];
    size_t klen = partition_key(key, topic, tlen, partition);
    kelp_committed_offset *old = kelp_strmap_get(&g->partitions, key, klen);
    if (!e->topic || !e->metadata || kelp_strmap_put(&g->partitions, key, klen, e) != 0) {
        entry_free(e);
        return NULL;
    }
    entry_free(old);
    memcpy(e->metadata, metadata, mlen);
    e->metadata[mlen] = '\0';
    e->metadata_len = mlen;
    e->partition = partition;
    e->offset = offset;
    e->leader_epoch = leader_epoch;
    e->commit_ms = commit_ms;
    return e;
}

/* The file content; numbers are written as text so that 64-bit values are exact. */
static char *offset_json(const kelp_committed_offset *e)
{
    cJSON *o = cJSON_CreateObject();
    char value[24], at[24], epoch[16];
    snprintf(value, sizeof(value), "%" PRId64, e->offset);
    snprintf(at, sizeof(at), "%" PRId64, e->commit_ms);
    snprintf(epoch, sizeof(epoch), "%d", (int)e->leader_epoch);
    char *text = NULL;
    if (o && cJSON_AddStringToObject(o, "type", "offset") && cJSON_AddRawToObject(o, "value", value) &&
        cJSON_AddRawToObject(o, "committed_at", at) && cJSON_AddStringToObject(o, "metadata", e->metadata) &&
        cJSON_AddRawToObject(o, "leader_epoch", epoch))
        text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return text;
}

int kelp_offset_store_commit(kelp_offset_store *s, const char *group, size_t glen, const char *topic,
                             size_t tlen, int32_t partition, int64_t offset, int32_t leader_epoch,
                             const char *metadata, size_t metadata_len, int64_t commit_ms,
                             kelp_file_writer_done_fn done, void *ctx)
{
    char path[KELP_LAYOUT_PATH_MAX];
    char topic_z[KELP_TOPIC_NAME_MAX + 1];
    if (tlen > KELP_TOPIC_NAME_MAX)
        return -1;
    memcpy(topic_z, topic, tlen);
    topic_z[tlen] = '\0';
    if (kelp_offset_file_path(path, sizeof(path), group, glen, topic_z, partition) != 0)
        return -1;
    kelp_committed_offset *e = remember(s, group, glen, topic, tlen, partition, offset, leader_epoch, metadata,
                                        metadata_len, commit_ms);
    if (!e)
        return -1;
    char *json = offset_json(e);
    if (!json)
        return -1;
    int rc = kelp_file_writer_put(s->writer, path, json, strlen(json), done, ctx);
    cJSON_free(json);
    return rc;
}

bool kelp_offset_store_delete(kelp_offset_store *s, const char *group, size_t glen, const char *topic,
                              size_t tlen, int32_t partition)
{
    offset_group *g = group_get(s, group, glen, false);
    if (!g || tlen > KELP_TOPIC_NAME_MAX)
        return false;
    char key[KELP_TOPIC_NAME_MAX + 5];
    kelp_committed_offset *e = kelp_strmap_remove(&g->partitions, key, partition_key(key, topic, tlen, partition));
    if (!e)
        return false;
    char path[KELP_LAYOUT_PATH_MAX];
    if (kelp_offset_partition_dir(path, sizeof(path), group, glen, e->topic, partition) == 0)
        kelp_file_writer_remove(s->writer, path, NULL, NULL);
    entry_free(e);
    if (g->partitions.count == 0)
        kelp_offset_store_delete_group(s, group, glen);
    return true;
}

void kelp_offset_store_delete_group(kelp_offset_store *s, const char *group, size_t glen)
{
    offset_group *g = kelp_strmap_remove(&s->groups, group, glen);
    if (g)
        group_free(g);
    char path[KELP_LAYOUT_PATH_MAX];
    if (kelp_offset_group_dir(path, sizeof(path), group, glen) == 0)
        kelp_file_writer_remove(s->writer, path, NULL, NULL);
}

void kelp_offset_store_delete_topic(kelp_offset_store *s, const char *topic, size_t tlen)
{
    /* Collect first: removing entries changes the maps being walked. */
    size_t gpos = 0;
    const char *gkey;
    size_t glen;
    void *gv;
    char **emptied = calloc(s->groups.count + 1, sizeof(*emptied));
    size_t *emptied_len = calloc(s->groups.count + 1, sizeof(*emptied_len));
    size_t nempty = 0;
    while (kelp_strmap_next(&s->groups, &gpos, &gkey, &glen, &gv)) {
        offset_group *g = gv;
        bool found = false;
        for (;;) {
            size_t pos = 0;
            void *v;
            kelp_committed_offset *hit = NULL;
            while (kelp_strmap_next(&g->partitions, &pos, NULL, NULL, &v)) {
                kelp_committed_offset *e = v;
                if (strlen(e->topic) == tlen && memcmp(e->topic, topic, tlen) == 0) {
                    hit = e;
                    break;
                }
            }
            if (!hit)
                break;
            char key[KELP_TOPIC_NAME_MAX + 5];
            kelp_strmap_remove(&g->partitions, key, partition_key(key, hit->topic, tlen, hit->partition));
            entry_free(hit);
            found = true;
        }
        if (!found)
            continue;
        char dir[KELP_LAYOUT_PATH_MAX], enc[KELP_GROUP_DIR_MAX + 1];
        if (kelp_group_dir_encode(gkey, glen, enc) == 0 &&
            snprintf(dir, sizeof(dir), "%s/%s/%.*s", KELP_OFFSETS_ROOT, enc, (int)tlen, topic) < (int)sizeof(dir))
            kelp_file_writer_remove(s->writer, dir, NULL, NULL);
        if (g->partitions.count == 0 && emptied && emptied_len && (emptied[nempty] = malloc(glen + 1))) {
            memcpy(emptied[nempty], gkey, glen);
            emptied_len[nempty++] = glen;
        }
    }
    for (size_t i = 0; i < nempty; i++) {
        kelp_offset_store_delete_group(s, emptied[i], emptied_len[i]);
        free(emptied[i]);
    }
    free(emptied);
    free(emptied_len);
}

static int by_topic_partition(const void *a, const void *b)
{
    const kelp_committed_offset *x = *(const kelp_committed_offset *const *)a;
    const kelp_committed_offset *y = *(const kelp_committed_offset *const *)b;
    int c = strcmp(x->topic, y->topic);
    if (c)
        return c;
    return x->partition < y->partition ? -1 : x->partition > y->partition;
}

size_t kelp_offset_store_list(const kelp_offset_store *s, const char *group, size_t glen,
                              const kelp_committed_offset ***out)
{
    *out = NULL;
    offset_group *g = group_get(s, group, glen, false);
    if (!g || g->partitions.count == 0)
        return 0;
    const kelp_committed_offset **list = malloc(g->partitions.count * sizeof(*list));
    if (!list)
        return 0;
    size_t n = 0, pos = 0;
    void *v;
    while (kelp_strmap_next(&g->partitions, &pos, NULL, NULL, &v))
        list[n++] = v;
    qsort(list, n, sizeof(*list), by_topic_partition);
    *out = list;
    return n;
}

bool kelp_offset_store_has_group(const kelp_offset_store *s, const char *group, size_t glen)
{
    offset_group *g = group_get(s, group, glen, false);
    return g && g->partitions.count > 0;
}

void kelp_offset_store_each_group(const kelp_offset_store *s,
                                  void (*fn)(void *ctx, const char *group, size_t glen), void *ctx)
{
    size_t pos = 0;
    const char *key;
    size_t len;
    while (kelp_strmap_next(&s->groups, &pos, &key, &len, NULL))
        fn(ctx, key, len);
}

/* Loading: consumer_offsets/<group>/<topic>/<partition>/offset. */

typedef struct load_walk {
    kelp_offset_store *s;
    char group[KELP_GROUP_DIR_MAX + 1];
    size_t glen;
    char group_dir[KELP_GROUP_DIR_MAX + 1];
    char topic[KELP_TOPIC_NAME_MAX + 1];
    size_t loaded;
} load_walk;

static void load_offset_file(load_walk *w, int32_t partition)
{
    char path[KELP_LAYOUT_PATH_MAX];
    snprintf(path, sizeof(path), "%s/%s/%s/%d/%s", KELP_OFFSETS_ROOT, w->group_dir, w->topic, (int)partition,
             KELP_OFFSET_FILE);
    kelp_buf buf;
    kelp_buf_init(&buf);
    int rc = w->s->fs->ops->read_file(w->s->fs, path, &buf);
    if (rc == -ENOENT) {
        kelp_buf_free(&buf);
        return;
    }
    cJSON *o = NULL;
    if (rc == 0 && kelp_buf_append(&buf, "", 1))
        o = cJSON_Parse((const char *)buf.data);
    kelp_buf_free(&buf);
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(o, "type");
    const cJSON *meta = cJSON_GetObjectItemCaseSensitive(o, "metadata");
    int64_t value, at = 0, epoch = -1;
    if (!o || !cJSON_IsString(type) || strcmp(type->valuestring, "offset") != 0 || !kelp_json_get_int64(o, "value", -1, INT64_MAX, &value)) {
        KELP_WARN("offsets", "skipping %s: not a committed offset", path);
        cJSON_Delete(o);
        return;
    }
    kelp_json_get_int64(o, "committed_at", 0, INT64_MAX, &at);
    kelp_json_get_int64(o, "leader_epoch", -1, INT32_MAX, &epoch);
    const char *md = cJSON_IsString(meta) ? meta->valuestring : "";
    if (!remember(w->s, w->group, w->glen, w->topic, strlen(w->topic), partition, value, (int32_t)epoch, md,
                  strlen(md), at))
        KELP_WARN("offsets", "out of memory loading %s", path);
    else
        w->loaded++;
    cJSON_Delete(o);
}

static int on_partition(void *ctx, const char *name, bool is_dir)
{
    load_walk *w = ctx;
    char *end;
    long p = strtol(name, &end, 10);
    if (!is_dir || *end || end == name || p < 0 || p > INT32_MAX)
        return 0;
    load_offset_file(w, (int32_t)p);
    return 0;
}

static int on_topic(void *ctx, const char *name, bool is_dir)
{
    load_walk *w = ctx;
    if (!is_dir || !kelp_topic_name_valid(name, strlen(name)))
        return 0;
    snprintf(w->topic, sizeof(w->topic), "%s", name);
    char dir[KELP_LAYOUT_PATH_MAX];
    snprintf(dir, sizeof(dir), "%s/%s/%s", KELP_OFFSETS_ROOT, w->group_dir, name);
    w->s->fs->ops->list(w->s->fs, dir, on_partition, w);
    return 0;
}

static int on_group(void *ctx, const char *name, bool is_dir)
{
    load_walk *w = ctx;
    if (!is_dir)
        return 0;
    if (!kelp_group_dir_decode(name, w->group, sizeof(w->group), &w->glen)) {
        KELP_WARN("offsets", "skipping %s/%s: not a group directory", KELP_OFFSETS_ROOT, name);
        return 0;
    }
    snprintf(w->group_dir, sizeof(w->group_dir), "%s", name);
    char dir[KELP_LAYOUT_PATH_MAX];
    snprintf(dir, sizeof(dir), "%s/%s", KELP_OFFSETS_ROOT, name);
    w->s->fs->ops->list(w->s->fs, dir, on_topic, w);
    return 0;
}

kelp_offset_store *kelp_offset_store_open(kelp_fs *fs, kelp_file_writer *writer, char *err, size_t errlen)
{
    kelp_offset_store *s = calloc(1, sizeof(*s));
    load_walk *w = calloc(1, sizeof(*w));
    if (!s || !w) {
        free(s);
        free(w);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    s->fs = fs;
    s->writer = writer;
    kelp_strmap_init(&s->groups);
    w->s = s;
    int rc = fs->ops->list(fs, KELP_OFFSETS_ROOT, on_group, w);
    if (rc != 0 && rc != -ENOENT) {
        snprintf(err, errlen, "cannot list %s: %s", KELP_OFFSETS_ROOT, strerror(-rc));
        free(w);
        kelp_offset_store_free(s);
        return NULL;
    }
    if (w->loaded)
        KELP_INFO("offsets", "loaded %zu committed offsets of %zu groups", w->loaded, s->groups.count);
    free(w);
    return s;
}
