/* The storage object: topic catalogue (loaded from topic.json files,
 * created durably), partition recovery at open, orderly close. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/clock.h"
#include "util/json_text.h"
#include "util/log.h"
#include "util/uuid.h"
#include "storage/fs_filer.h"
#include "storage/storage_internal.h"
#include "storage/topic_name.h"

static void topic_free(kelp_topic *t)
{
    if (!t)
        return;
    for (int32_t i = 0; i < t->partition_count; i++)
        if (t->partitions)
            kelp_partition_free(t->partitions[i]);
    free(t->partitions);
    free(t->name);
    free(t);
}

static kelp_topic *topic_new(kelp_storage *s, const char *name, size_t len, const uint8_t id[16], int32_t partitions,
                             int64_t created_ms)
{
    kelp_topic *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    t->storage = s;
    t->name = malloc(len + 1);
    t->partitions = calloc((size_t)partitions, sizeof(*t->partitions));
    if (!t->name || !t->partitions) {
        topic_free(t);
        return NULL;
    }
    memcpy(t->name, name, len);
    t->name[len] = '\0';
    t->name_len = len;
    memcpy(t->id, id, 16);
    t->created_ms = created_ms;
    t->partition_count = partitions;
    return t;
}

/* Opens (recovering or creating) every partition of t. */
static int topic_open_partitions(kelp_storage *s, kelp_topic *t)
{
    for (int32_t i = 0; i < t->partition_count; i++) {
        t->partitions[i] = kelp_partition_new(s, t, i);
        if (!t->partitions[i])
            return KELP_STORAGE_ERR_NO_MEMORY;
        int rc = kelp_partition_recover(t->partitions[i]);
        if (rc != 0)
            return rc;
    }
    return KELP_STORAGE_OK;
}

static int name_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
    int c = memcmp(a, b, alen < blen ? alen : blen);
    return c ? c : (alen > blen) - (alen < blen);
}

/* Index of the first topic whose name is >= name. */
static size_t name_lower_bound(kelp_storage *s, const char *name, size_t len)
{
    size_t lo = 0, hi = s->topic_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (name_cmp(s->topics[mid]->name, s->topics[mid]->name_len, name, len) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static size_t id_lower_bound(kelp_storage *s, const uint8_t id[16])
{
    size_t lo = 0, hi = s->topic_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (memcmp(s->by_id[mid]->id, id, 16) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static int catalogue_insert(kelp_storage *s, kelp_topic *t)
{
    if (s->topic_count == s->topic_cap) {
        size_t cap = s->topic_cap ? s->topic_cap * 2 : 16;
        kelp_topic **a = realloc(s->topics, cap * sizeof(*a));
        if (!a)
            return KELP_STORAGE_ERR_NO_MEMORY;
        s->topics = a;
        kelp_topic **b = realloc(s->by_id, cap * sizeof(*b));
        if (!b)
            return KELP_STORAGE_ERR_NO_MEMORY;
        s->by_id = b;
        s->topic_cap = cap;
    }
    size_t i = name_lower_bound(s, t->name, t->name_len);
    memmove(&s->topics[i + 1], &s->topics[i], (s->topic_count - i) * sizeof(*s->topics));
    s->topics[i] = t;
    size_t j = id_lower_bound(s, t->id);
    memmove(&s->by_id[j + 1], &s->by_id[j], (s->topic_count - j) * sizeof(*s->by_id));
    s->by_id[j] = t;
    s->topic_count++;
    return KELP_STORAGE_OK;
}

static void catalogue_remove(kelp_storage *s, kelp_topic *t)
{
    for (size_t i = 0; i < s->topic_count; i++)
        if (s->topics[i] == t) {
            memmove(&s->topics[i], &s->topics[i + 1], (s->topic_count - i - 1) * sizeof(*s->topics));
            break;
        }
    for (size_t i = 0; i < s->topic_count; i++)
        if (s->by_id[i] == t) {
            memmove(&s->by_id[i], &s->by_id[i + 1], (s->topic_count - i - 1) * sizeof(*s->by_id));
            break;
        }
    s->topic_count--;
}

kelp_topic *kelp_storage_find_topic(kelp_storage *s, const char *name, size_t len)
{
    size_t i = name_lower_bound(s, name, len);
    if (i < s->topic_count && name_cmp(s->topics[i]->name, s->topics[i]->name_len, name, len) == 0)
        return s->topics[i];
    return NULL;
}

kelp_topic *kelp_storage_find_topic_by_id(kelp_storage *s, const uint8_t id[16])
{
    size_t i = id_lower_bound(s, id);
    if (i < s->topic_count && memcmp(s->by_id[i]->id, id, 16) == 0)
        return s->by_id[i];
    return NULL;
}

size_t kelp_storage_topic_count(kelp_storage *s) { return s->topic_count; }
kelp_topic *kelp_storage_topic_at(kelp_storage *s, size_t i) { return i < s->topic_count ? s->topics[i] : NULL; }
const char *kelp_topic_name(const kelp_topic *t) { return t->name; }
const uint8_t *kelp_topic_id(const kelp_topic *t) { return t->id; }
int32_t kelp_topic_partition_count(const kelp_topic *t) { return t->partition_count; }
const kelp_topic_config *kelp_topic_configs(const kelp_topic *t) { return &t->config; }

kelp_partition *kelp_topic_partition(kelp_topic *t, int32_t index)
{
    return index >= 0 && index < t->partition_count ? t->partitions[index] : NULL;
}

static char *topic_json(const kelp_topic *t)
{
    char id[KELP_UUID_STRING_LEN + 1];
    kelp_uuid_to_string(t->id, id);
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    cJSON_AddStringToObject(o, "name", t->name);
    cJSON_AddStringToObject(o, "id", id);
    cJSON_AddNumberToObject(o, "partitions", t->partition_count);
    cJSON_AddNumberToObject(o, "created_ms", (double)t->created_ms);
    cJSON *configs = cJSON_AddObjectToObject(o, "configs");
    for (int k = 0; k < KELP_TC_COUNT; k++) {
        if (!(t->config.set & (1u << k)))
            continue;
        char value[KELP_TOPIC_CONFIG_TEXT_MAX];
        kelp_topic_config_format((kelp_topic_config_key)k, t->config.value[k], value, sizeof(value));
        cJSON_AddStringToObject(configs, kelp_topic_config_info_of((kelp_topic_config_key)k)->name, value);
    }
    char *text = cJSON_Print(o);
    cJSON_Delete(o);
    return text;
}

static int write_topic_file(kelp_storage *s, const kelp_topic *t)
{
    char path[KELP_LAYOUT_PATH_MAX];
    char *text = topic_json(t);
    if (!text)
        return KELP_STORAGE_ERR_NO_MEMORY;
    int rc = KELP_STORAGE_OK;
    if (kelp_layout_topic_file(path, sizeof(path), t->name) != 0) {
        rc = KELP_STORAGE_ERR_INVALID;
    } else {
        int wr = s->fs->ops->write_file_atomic(s->fs, path, text, strlen(text));
        if (wr != 0) {
            KELP_ERROR(STORAGE_LOG, "cannot write %s: %s", path, strerror(-wr));
            rc = KELP_STORAGE_ERR_IO;
        }
    }
    free(text);
    return rc;
}

int kelp_storage_create_topic(kelp_storage *s, const char *name, size_t len, int32_t partitions,
                              const kelp_topic_config *config, kelp_topic **out)
{
    if (!kelp_topic_name_valid(name, len) || kelp_topic_name_reserved(name, len) || partitions < 1 ||
        partitions > KELP_STORAGE_MAX_PARTITIONS)
        return KELP_STORAGE_ERR_INVALID;
    if (kelp_storage_find_topic(s, name, len))
        return KELP_STORAGE_ERR_EXISTS;
    uint8_t id[16];
    do {
        if (kelp_uuid_random(id) != 0)
            return KELP_STORAGE_ERR_IO;
    } while (kelp_storage_find_topic_by_id(s, id));
    kelp_topic *t = topic_new(s, name, len, id, partitions, kelp_clock_wall_ms());
    if (!t)
        return KELP_STORAGE_ERR_NO_MEMORY;
    if (config)
        t->config = *config;
    /* A directory without topic.json is debris (a create cut short, a late
     * write after a delete): none of it may leak into the new topic. */
    char dir[KELP_LAYOUT_PATH_MAX];
    int rc = kelp_layout_topic_dir(dir, sizeof(dir), t->name) == 0 ? KELP_STORAGE_OK : KELP_STORAGE_ERR_INVALID;
    if (rc == 0) {
        int rr = s->fs->ops->remove_recursive(s->fs, dir);
        if (rr != 0 && rr != -ENOENT) {
            KELP_ERROR(STORAGE_LOG, "cannot clear %s: %s", dir, strerror(-rr));
            rc = KELP_STORAGE_ERR_IO;
        }
    }
    /* Partitions first; topic.json last, as the commit point. */
    if (rc == 0)
        rc = topic_open_partitions(s, t);
    if (rc == 0) {
        /* New segment files and partition directories become durable now. */
        kelp_sync_round(s);
        rc = write_topic_file(s, t);
    }
    if (rc == 0)
        rc = catalogue_insert(s, t);
    if (rc != 0) {
        /* The sync thread may still hold the segments: settle it first. */
        kelp_sync_round(s);
        topic_free(t);
        return rc;
    }
    KELP_INFO(STORAGE_LOG, "created topic %s with %d partitions", t->name, (int)partitions);
    if (out)
        *out = t;
    return KELP_STORAGE_OK;
}

/* The topic's own configs from topic.json; a key Kelp does not know or a
 * value it cannot read is skipped with a warning (the topic still loads). */
static void load_configs(const cJSON *configs, const char *path, kelp_topic_config *out)
{
    const cJSON *item;
    cJSON_ArrayForEach(item, configs)
    {
        char why[160] = "";
        int key = item->string ? kelp_topic_config_lookup(item->string, strlen(item->string)) : -1;
        if (key < 0 || !cJSON_IsString(item) ||
            !kelp_topic_config_set(out, (kelp_topic_config_key)key, item->valuestring, strlen(item->valuestring),
                                   why, sizeof(why)))
            KELP_WARN(STORAGE_LOG, "%s: ignoring config %s %s", path, item->string ? item->string : "?", why);
    }
}

void kelp_storage_detach_topic(kelp_storage *s, kelp_topic *t)
{
    catalogue_remove(s, t);
    /* Settle the sync thread: after this round nothing of the topic is
     * dirty, and its completions are delivered before it goes. */
    kelp_sync_round(s);
    kelp_storage_process_completions(s);
}

int kelp_storage_drop_topic(kelp_storage *s, kelp_topic *t, char *trash, size_t cap)
{
    char dir[KELP_LAYOUT_PATH_MAX], id[KELP_UUID_STRING_LEN + 1];
    kelp_uuid_to_string(t->id, id);
    int rc = KELP_STORAGE_OK;
    /* The directory moves out of the namespace at once (a new topic of the
     * same name may follow right away); its files go in the background. */
    if (kelp_layout_topic_dir(dir, sizeof(dir), t->name) != 0 ||
        snprintf(trash, cap, "%s/%s.%s", KELP_LAYOUT_TRASH_DIR, t->name, id) >= (int)cap)
        rc = KELP_STORAGE_ERR_INVALID;
    if (rc == 0) {
        int fr = s->fs->ops->mkdirs(s->fs, KELP_LAYOUT_TRASH_DIR);
        if (fr == 0)
            fr = s->fs->ops->rename(s->fs, dir, trash);
        if (fr != 0) {
            KELP_ERROR(STORAGE_LOG, "cannot move %s to %s: %s", dir, trash, strerror(-fr));
            rc = KELP_STORAGE_ERR_IO;
        }
    }
    KELP_INFO(STORAGE_LOG, "deleted topic %s", t->name);
    topic_free(t);
    return rc;
}

int kelp_storage_set_topic_config(kelp_storage *s, kelp_topic *t, const kelp_topic_config *config)
{
    kelp_topic_config old = t->config;
    t->config = *config;
    int rc = write_topic_file(s, t);
    if (rc != 0)
        t->config = old;
    return rc;
}

int kelp_storage_add_partitions(kelp_storage *s, kelp_topic *t, int32_t count)
{
    if (count <= t->partition_count || count > KELP_STORAGE_MAX_PARTITIONS)
        return KELP_STORAGE_ERR_INVALID;
    kelp_partition **grown = realloc(t->partitions, (size_t)count * sizeof(*grown));
    if (!grown)
        return KELP_STORAGE_ERR_NO_MEMORY;
    t->partitions = grown;
    int32_t old = t->partition_count;
    int rc = KELP_STORAGE_OK;
    int32_t opened = old;
    while (opened < count) {
        kelp_partition *p = kelp_partition_new(s, t, opened);
        if (!p) {
            rc = KELP_STORAGE_ERR_NO_MEMORY;
            break;
        }
        t->partitions[opened++] = p;
        rc = kelp_partition_recover(p);
        if (rc != 0)
            break;
    }
    if (rc == 0) {
        /* The new partitions' files become durable, then topic.json says they exist. */
        kelp_sync_round(s);
        t->partition_count = count;
        rc = write_topic_file(s, t);
    }
    if (rc != 0) {
        kelp_sync_round(s);
        for (int32_t i = old; i < opened; i++)
            kelp_partition_free(t->partitions[i]);
        t->partition_count = old;
        return rc;
    }
    KELP_INFO(STORAGE_LOG, "topic %s now has %d partitions", t->name, (int)count);
    return KELP_STORAGE_OK;
}

/* Loads one topic directory; a directory without a readable topic.json is
 * skipped (a creation that never completed, or foreign data). */
static int load_topic(kelp_storage *s, const char *name)
{
    char path[KELP_LAYOUT_PATH_MAX];
    if (kelp_layout_topic_file(path, sizeof(path), name) != 0)
        return 0;
    kelp_buf b;
    kelp_buf_init(&b);
    int rc = s->fs->ops->read_file(s->fs, path, &b);
    if (rc != 0) {
        KELP_WARN(STORAGE_LOG, "skipping %s: %s", path, strerror(-rc));
        kelp_buf_free(&b);
        return 0;
    }
    cJSON *o = cJSON_ParseWithLength((const char *)b.data, b.len);
    kelp_buf_free(&b);
    const cJSON *jname = cJSON_GetObjectItemCaseSensitive(o, "name");
    const cJSON *jid = cJSON_GetObjectItemCaseSensitive(o, "id");
    const cJSON *jparts = cJSON_GetObjectItemCaseSensitive(o, "partitions");
    uint8_t id[16];
    bool ok = cJSON_IsString(jname) && strcmp(jname->valuestring, name) == 0 && cJSON_IsString(jid) &&
              kelp_uuid_parse(jid->valuestring, id) && !kelp_uuid_is_zero(id) && cJSON_IsNumber(jparts) &&
              jparts->valuedouble >= 1 && jparts->valuedouble <= KELP_STORAGE_MAX_PARTITIONS &&
              !kelp_storage_find_topic_by_id(s, id);
    int32_t partitions = ok ? (int32_t)jparts->valuedouble : 0;
    int64_t created = 0;
    kelp_json_get_int64(o, "created_ms", 0, INT64_MAX, &created);
    kelp_topic_config config = {0};
    load_configs(cJSON_GetObjectItemCaseSensitive(o, "configs"), path, &config);
    cJSON_Delete(o);
    if (!ok) {
        KELP_ERROR(STORAGE_LOG, "%s is not a valid topic description; topic skipped", path);
        return 0;
    }
    kelp_topic *t = topic_new(s, name, strlen(name), id, partitions, created);
    if (!t)
        return KELP_STORAGE_ERR_NO_MEMORY;
    t->config = config;
    rc = topic_open_partitions(s, t);
    if (rc == 0)
        rc = catalogue_insert(s, t);
    if (rc != 0) {
        kelp_sync_round(s);
        topic_free(t);
    }
    return rc;
}

typedef struct name_list {
    char **v;
    size_t n, cap;
    bool failed;
} name_list;

static int collect_topic(void *ctx, const char *name, bool is_dir)
{
    name_list *l = ctx;
    size_t len = strlen(name);
    if (!is_dir || !kelp_topic_name_valid(name, len) || kelp_topic_name_reserved(name, len))
        return 0;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        char **v = realloc(l->v, cap * sizeof(*v));
        if (!v) {
            l->failed = true;
            return 1;
        }
        l->v = v;
        l->cap = cap;
    }
    if (!(l->v[l->n] = malloc(len + 1))) {
        l->failed = true;
        return 1;
    }
    memcpy(l->v[l->n], name, len + 1);
    l->n++;
    return 0;
}

static int load_topics(kelp_storage *s, char *err, size_t errlen)
{
    int rc = s->fs->ops->mkdirs(s->fs, KELP_LAYOUT_TOPICS_DIR);
    if (rc != 0) {
        snprintf(err, errlen, "cannot create %s: %s", KELP_LAYOUT_TOPICS_DIR, strerror(-rc));
        return -1;
    }
    /* Files of topics deleted before a stop finished removing them. */
    int tr = s->fs->ops->remove_recursive(s->fs, KELP_LAYOUT_TRASH_DIR);
    if (tr != 0 && tr != -ENOENT)
        KELP_WARN(STORAGE_LOG, "cannot empty %s: %s", KELP_LAYOUT_TRASH_DIR, strerror(-tr));
    name_list names = {0};
    rc = s->fs->ops->list(s->fs, KELP_LAYOUT_TOPICS_DIR, collect_topic, &names);
    if (rc != 0 || names.failed)
        snprintf(err, errlen, "cannot list %s: %s", KELP_LAYOUT_TOPICS_DIR, rc ? strerror(-rc) : "out of memory");
    for (size_t i = 0; i < names.n; i++) {
        if (rc == 0 && !names.failed) {
            int lr = load_topic(s, names.v[i]);
            if (lr != 0) {
                snprintf(err, errlen, "cannot open topic %s (see log)", names.v[i]);
                rc = lr;
            }
        }
        free(names.v[i]);
    }
    free(names.v);
    return rc != 0 || names.failed ? -1 : 0;
}

static void storage_free(kelp_storage *s)
{
    for (size_t i = 0; i < s->topic_count; i++)
        topic_free(s->topics[i]);
    free(s->topics);
    free(s->by_id);
    free(s->work_parts);
    free(s->work_segs);
    free(s->work_files);
    free(s->notify);
    kelp_buf_free(&s->scratch);
    if (s->event_fd >= 0)
        close(s->event_fd);
    if (s->fs)
        s->fs->ops->destroy(s->fs);
    pthread_mutex_destroy(&s->lock);
    pthread_mutex_destroy(&s->round_lock);
    pthread_cond_destroy(&s->wake);
    pthread_mutex_destroy(&s->cleaner_lock);
    pthread_cond_destroy(&s->cleaner_wake);
    free(s->root);
    free(s);
}

int kelp_storage_open(const kelp_storage_options *opt, kelp_storage **out, char *err, size_t errlen)
{
    kelp_storage *s = calloc(1, sizeof(*s));
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    s->opt = *opt;
    if (s->opt.segment_bytes <= 0)
        s->opt.segment_bytes = KELP_STORAGE_DEFAULT_SEGMENT_BYTES;
    if (s->opt.segment_bytes > INT32_MAX) /* index positions are 32-bit */
        s->opt.segment_bytes = INT32_MAX;
    if (s->opt.index_interval_bytes <= 0)
        s->opt.index_interval_bytes = KELP_STORAGE_DEFAULT_INDEX_INTERVAL;
    s->event_fd = -1;
    kelp_topic_config_defaults(&s->defaults, s->opt.segment_bytes, 1048588);
    kelp_buf_init(&s->scratch);
    pthread_mutex_init(&s->lock, NULL);
    pthread_mutex_init(&s->round_lock, NULL);
    pthread_mutex_init(&s->cleaner_lock, NULL);
    pthread_cond_init(&s->cleaner_wake, NULL);
    pthread_cond_init(&s->wake, NULL);
    s->root = opt->root ? strdup(opt->root) : NULL;
    s->opt.root = s->root;
    s->opt.filer = NULL; /* read during open only */
    if (opt->filer)
        s->fs = kelp_fs_filer_open(opt->filer, err, errlen);
    else
        s->fs = s->root ? kelp_fs_local_open(s->root, err, errlen) : NULL;
    if (!s->root && errlen)
        snprintf(err, errlen, "no data directory");
    if (s->fs && kelp_clean_shutdown_take(s, &s->clean_start) != 0) {
        snprintf(err, errlen, "cannot remove the clean-shutdown marker");
        storage_free(s);
        return -1;
    }
    if (!s->fs || load_topics(s, err, errlen) != 0) {
        storage_free(s);
        return -1;
    }
    int rc = kelp_sync_start(s);
    if (rc != 0) {
        snprintf(err, errlen, "cannot start the sync thread: %s", strerror(-rc));
        kelp_sync_stop(s);
        storage_free(s);
        return -1;
    }
    rc = kelp_cleaner_start(s);
    if (rc != 0) {
        snprintf(err, errlen, "cannot start the cleaner thread: %s", strerror(-rc));
        kelp_sync_stop(s);
        storage_free(s);
        return -1;
    }
    *out = s;
    return 0;
}

int kelp_storage_close(kelp_storage *s)
{
    if (!s)
        return 0;
    kelp_cleaner_stop(s);
    kelp_sync_stop(s);
    kelp_sync_round(s);
    kelp_clean_shutdown_mark(s);
    storage_free(s);
    return KELP_STORAGE_OK;
}

kelp_fs *kelp_storage_fs(kelp_storage *s)
{
    return s->fs;
}

const char *kelp_storage_root(const kelp_storage *s) { return s->root; }

void kelp_storage_set_topic_defaults(kelp_storage *s, const kelp_topic_config *defaults)
{
    s->defaults = *defaults;
}

int kelp_storage_space(kelp_storage *s, int64_t *total, int64_t *usable)
{
    if (!s->fs->ops->space)
        return -ENOTSUP;
    return s->fs->ops->space(s->fs, total, usable);
}
