/* The transaction record and its JSON file. Strings that may hold any
 * bytes (group ids, offset metadata) are stored in the group-directory
 * encoding and in hex, so the file is always valid JSON. */
#include "txn/txn_state.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "offsets/offset_path.h"
#include "util/hex.h"
#include "util/json_text.h"

static const char *const status_names[KELP_TXN_STATUS_COUNT] = {
    [KELP_TXN_EMPTY] = "Empty",
    [KELP_TXN_ONGOING] = "Ongoing",
    [KELP_TXN_PREPARE_COMMIT] = "PrepareCommit",
    [KELP_TXN_PREPARE_ABORT] = "PrepareAbort",
    [KELP_TXN_COMPLETE_COMMIT] = "CompleteCommit",
    [KELP_TXN_COMPLETE_ABORT] = "CompleteAbort",
    [KELP_TXN_DEAD] = "Dead",
    [KELP_TXN_PREPARE_EPOCH_FENCE] = "PrepareEpochFence",
};

const char *kelp_txn_status_name(kelp_txn_status s)
{
    return s < KELP_TXN_STATUS_COUNT ? status_names[s] : "Unknown";
}

static char *dup_bytes(const char *p, size_t len)
{
    char *s = malloc(len + 1);
    if (s) {
        if (len)
            memcpy(s, p, len);
        s[len] = '\0';
    }
    return s;
}

kelp_txn *kelp_txn_new(const char *id, size_t id_len)
{
    kelp_txn *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    t->id = dup_bytes(id, id_len);
    if (!t->id) {
        free(t);
        return NULL;
    }
    t->id_len = id_len;
    t->producer_id = -1;
    t->epoch = -1;
    t->last_producer_id = -1;
    t->last_epoch = -1;
    t->next_producer_id = -1;
    t->start_ms = -1;
    return t;
}

void kelp_txn_clear_members(kelp_txn *t)
{
    for (size_t i = 0; i < t->partition_count; i++)
        free(t->partitions[i].topic);
    t->partition_count = 0;
    for (size_t i = 0; i < t->group_count; i++)
        free(t->groups[i]);
    t->group_count = 0;
    for (size_t i = 0; i < t->offset_count; i++) {
        free(t->offsets[i].group);
        free(t->offsets[i].topic);
        free(t->offsets[i].metadata);
    }
    t->offset_count = 0;
}

void kelp_txn_free(kelp_txn *t)
{
    if (!t)
        return;
    kelp_txn_clear_members(t);
    free(t->partitions);
    free(t->groups);
    free(t->group_lens);
    free(t->offsets);
    free(t->id);
    free(t);
}

static bool grow(void **v, size_t *cap, size_t count, size_t size)
{
    if (count < *cap)
        return true;
    size_t n = *cap ? *cap * 2 : 4;
    void *g = realloc(*v, n * size);
    if (!g)
        return false;
    *v = g;
    *cap = n;
    return true;
}

bool kelp_txn_has_partition(const kelp_txn *t, const char *topic, size_t topic_len, int32_t partition)
{
    for (size_t i = 0; i < t->partition_count; i++)
        if (t->partitions[i].partition == partition && strlen(t->partitions[i].topic) == topic_len &&
            memcmp(t->partitions[i].topic, topic, topic_len) == 0)
            return true;
    return false;
}

int kelp_txn_add_partition(kelp_txn *t, const char *topic, size_t topic_len, int32_t partition)
{
    if (kelp_txn_has_partition(t, topic, topic_len, partition))
        return 0;
    if (!grow((void **)&t->partitions, &t->partition_cap, t->partition_count, sizeof(*t->partitions)))
        return -1;
    char *name = dup_bytes(topic, topic_len);
    if (!name)
        return -1;
    t->partitions[t->partition_count++] = (kelp_txn_partition){name, partition};
    return 0;
}

bool kelp_txn_has_group(const kelp_txn *t, const char *group, size_t len)
{
    for (size_t i = 0; i < t->group_count; i++)
        if (t->group_lens[i] == len && memcmp(t->groups[i], group, len) == 0)
            return true;
    return false;
}

int kelp_txn_add_group(kelp_txn *t, const char *group, size_t len)
{
    if (kelp_txn_has_group(t, group, len))
        return 0;
    if (t->group_count == t->group_cap) {
        size_t n = t->group_cap ? t->group_cap * 2 : 4;
        char **groups = realloc(t->groups, n * sizeof(*groups));
        if (!groups)
            return -1;
        t->groups = groups;
        size_t *lens = realloc(t->group_lens, n * sizeof(*lens));
        if (!lens)
            return -1;
        t->group_lens = lens;
        t->group_cap = n;
    }
    char *g = dup_bytes(group, len);
    if (!g)
        return -1;
    t->groups[t->group_count] = g;
    t->group_lens[t->group_count++] = len;
    return 0;
}

int kelp_txn_put_offset(kelp_txn *t, const char *group, size_t group_len, const char *topic, size_t topic_len,
                        int32_t partition, int64_t offset, int32_t leader_epoch, const char *metadata,
                        size_t metadata_len)
{
    kelp_txn_offset *slot = NULL;
    for (size_t i = 0; i < t->offset_count && !slot; i++) {
        kelp_txn_offset *o = &t->offsets[i];
        if (o->partition == partition && o->group_len == group_len && memcmp(o->group, group, group_len) == 0 &&
            strlen(o->topic) == topic_len && memcmp(o->topic, topic, topic_len) == 0)
            slot = o;
    }
    char *md = dup_bytes(metadata ? metadata : "", metadata ? metadata_len : 0);
    if (!md)
        return -1;
    if (slot) {
        free(slot->metadata);
    } else {
        if (!grow((void **)&t->offsets, &t->offset_cap, t->offset_count, sizeof(*t->offsets))) {
            free(md);
            return -1;
        }
        slot = &t->offsets[t->offset_count];
        slot->group = dup_bytes(group, group_len);
        slot->topic = dup_bytes(topic, topic_len);
        if (!slot->group || !slot->topic) {
            free(slot->group);
            free(slot->topic);
            free(md);
            return -1;
        }
        slot->group_len = group_len;
        slot->partition = partition;
        t->offset_count++;
    }
    slot->offset = offset;
    slot->leader_epoch = leader_epoch;
    slot->metadata = md;
    slot->metadata_len = metadata ? metadata_len : 0;
    return 0;
}

int kelp_txn_dir_path(char *out, size_t cap, const char *id, size_t id_len)
{
    char dir[KELP_GROUP_DIR_MAX + 1];
    if (kelp_group_dir_encode(id, id_len, dir) != 0)
        return -1;
    int n = snprintf(out, cap, "%s/%s", KELP_TXN_ROOT, dir);
    return n < 0 || (size_t)n >= cap ? -1 : 0;
}

int kelp_txn_file_path(char *out, size_t cap, const char *id, size_t id_len)
{
    char dir[KELP_GROUP_DIR_MAX + 1];
    if (kelp_group_dir_encode(id, id_len, dir) != 0)
        return -1;
    int n = snprintf(out, cap, "%s/%s/%s", KELP_TXN_ROOT, dir, KELP_TXN_FILE);
    return n < 0 || (size_t)n >= cap ? -1 : 0;
}

static cJSON *hex_string(const char *p, size_t len)
{
    char *s = kelp_hex_encode(p, len);
    cJSON *n = s ? cJSON_CreateString(s) : NULL;
    free(s);
    return n;
}

static cJSON *group_string(const char *group, size_t len)
{
    char dir[KELP_GROUP_DIR_MAX + 1];
    if (kelp_group_dir_encode(group, len, dir) != 0)
        return NULL;
    return cJSON_CreateString(dir);
}

char *kelp_txn_to_json(const kelp_txn *t)
{
    cJSON *root = cJSON_CreateObject();
    if (!root)
        return NULL;
    bool ok = true;
    cJSON *id = t->id_len == strlen(t->id) ? cJSON_CreateString(t->id) : NULL;
    if (id)
        cJSON_AddItemToObject(root, "transactional_id", id);
    ok &= cJSON_AddNumberToObject(root, "producer_id", (double)t->producer_id) != NULL;
    ok &= cJSON_AddNumberToObject(root, "producer_epoch", t->epoch) != NULL;
    ok &= cJSON_AddNumberToObject(root, "last_producer_id", (double)t->last_producer_id) != NULL;
    ok &= cJSON_AddNumberToObject(root, "last_producer_epoch", t->last_epoch) != NULL;
    ok &= cJSON_AddNumberToObject(root, "transaction_version", t->tv2 ? 2 : 1) != NULL;
    ok &= cJSON_AddNumberToObject(root, "next_producer_id", (double)t->next_producer_id) != NULL;
    ok &= cJSON_AddNumberToObject(root, "timeout_ms", t->timeout_ms) != NULL;
    ok &= cJSON_AddStringToObject(root, "state", kelp_txn_status_name(t->status)) != NULL;
    ok &= cJSON_AddNumberToObject(root, "start_ms", (double)t->start_ms) != NULL;
    ok &= cJSON_AddNumberToObject(root, "update_ms", (double)t->update_ms) != NULL;
    cJSON *parts = cJSON_AddArrayToObject(root, "partitions");
    ok &= parts != NULL;
    for (size_t i = 0; ok && i < t->partition_count; i++) {
        cJSON *p = cJSON_CreateObject();
        ok &= p && cJSON_AddStringToObject(p, "topic", t->partitions[i].topic) &&
              cJSON_AddNumberToObject(p, "partition", t->partitions[i].partition);
        if (p)
            cJSON_AddItemToArray(parts, p);
    }
    cJSON *groups = cJSON_AddArrayToObject(root, "groups");
    ok &= groups != NULL;
    for (size_t i = 0; ok && i < t->group_count; i++) {
        cJSON *g = group_string(t->groups[i], t->group_lens[i]);
        ok &= g != NULL;
        if (g)
            cJSON_AddItemToArray(groups, g);
    }
    cJSON *offsets = cJSON_AddArrayToObject(root, "pending_offsets");
    ok &= offsets != NULL;
    for (size_t i = 0; ok && i < t->offset_count; i++) {
        const kelp_txn_offset *o = &t->offsets[i];
        cJSON *n = cJSON_CreateObject();
        cJSON *g = group_string(o->group, o->group_len);
        cJSON *md = hex_string(o->metadata, o->metadata_len);
        ok &= n && g && md;
        if (!n || !g || !md) {
            cJSON_Delete(n);
            cJSON_Delete(g);
            cJSON_Delete(md);
            break;
        }
        cJSON_AddItemToObject(n, "group", g);
        ok &= cJSON_AddStringToObject(n, "topic", o->topic) && cJSON_AddNumberToObject(n, "partition", o->partition) &&
              cJSON_AddNumberToObject(n, "offset", (double)o->offset) &&
              cJSON_AddNumberToObject(n, "leader_epoch", o->leader_epoch);
        cJSON_AddItemToObject(n, "metadata_hex", md);
        cJSON_AddItemToArray(offsets, n);
    }
    char *text = ok ? cJSON_PrintUnformatted(root) : NULL;
    cJSON_Delete(root);
    return text;
}

static bool parse_status(const cJSON *n, kelp_txn_status *out)
{
    if (!cJSON_IsString(n))
        return false;
    for (int i = 0; i < KELP_TXN_STATUS_COUNT; i++)
        if (strcmp(n->valuestring, status_names[i]) == 0) {
            *out = (kelp_txn_status)i;
            return true;
        }
    return false;
}

static bool parse_members(kelp_txn *t, const cJSON *root)
{
    const cJSON *n;
    cJSON_ArrayForEach(n, cJSON_GetObjectItemCaseSensitive(root, "partitions"))
    {
        const cJSON *topic = cJSON_GetObjectItemCaseSensitive(n, "topic");
        int64_t part;
        if (!cJSON_IsString(topic) || !kelp_json_get_int64(n, "partition", 0, INT32_MAX, &part) ||
            kelp_txn_add_partition(t, topic->valuestring, strlen(topic->valuestring), (int32_t)part) != 0)
            return false;
    }
    cJSON_ArrayForEach(n, cJSON_GetObjectItemCaseSensitive(root, "groups"))
    {
        char group[KELP_GROUP_DIR_MAX + 1];
        size_t len;
        if (!cJSON_IsString(n) || !kelp_group_dir_decode(n->valuestring, group, sizeof(group), &len) ||
            kelp_txn_add_group(t, group, len) != 0)
            return false;
    }
    cJSON_ArrayForEach(n, cJSON_GetObjectItemCaseSensitive(root, "pending_offsets"))
    {
        const cJSON *g = cJSON_GetObjectItemCaseSensitive(n, "group");
        const cJSON *topic = cJSON_GetObjectItemCaseSensitive(n, "topic");
        const cJSON *md = cJSON_GetObjectItemCaseSensitive(n, "metadata_hex");
        char group[KELP_GROUP_DIR_MAX + 1];
        size_t glen, mdlen;
        int64_t part, offset, epoch;
        if (!cJSON_IsString(g) || !cJSON_IsString(topic) || !cJSON_IsString(md) ||
            !kelp_group_dir_decode(g->valuestring, group, sizeof(group), &glen) ||
            !kelp_json_get_int64(n, "partition", 0, INT32_MAX, &part) || !kelp_json_get_int64(n, "offset", -1, INT64_MAX / 2, &offset) ||
            !kelp_json_get_int64(n, "leader_epoch", -1, INT32_MAX, &epoch))
            return false;
        char *metadata = kelp_hex_decode(md->valuestring, &mdlen);
        if (!metadata)
            return false;
        int rc = kelp_txn_put_offset(t, group, glen, topic->valuestring, strlen(topic->valuestring), (int32_t)part,
                                     offset, (int32_t)epoch, metadata, mdlen);
        free(metadata);
        if (rc != 0)
            return false;
    }
    return true;
}

kelp_txn *kelp_txn_from_json(const char *id, size_t id_len, const char *text, size_t len)
{
    cJSON *root = cJSON_ParseWithLength(text, len);
    if (!root)
        return NULL;
    kelp_txn *t = kelp_txn_new(id, id_len);
    int64_t pid, epoch, last_pid, last_epoch, timeout, start, update;
    bool ok = t && kelp_json_get_int64(root, "producer_id", -1, INT64_MAX / 2, &pid) &&
              kelp_json_get_int64(root, "producer_epoch", -1, INT16_MAX, &epoch) &&
              kelp_json_get_int64(root, "last_producer_id", -1, INT64_MAX / 2, &last_pid) &&
              kelp_json_get_int64(root, "last_producer_epoch", -1, INT16_MAX, &last_epoch) &&
              kelp_json_get_int64(root, "timeout_ms", 0, INT32_MAX, &timeout) && kelp_json_get_int64(root, "start_ms", -1, INT64_MAX / 2, &start) &&
              kelp_json_get_int64(root, "update_ms", -1, INT64_MAX / 2, &update) &&
              parse_status(cJSON_GetObjectItemCaseSensitive(root, "state"), &t->status);
    if (ok) {
        t->producer_id = pid;
        t->epoch = (int16_t)epoch;
        t->last_producer_id = last_pid;
        t->last_epoch = (int16_t)last_epoch;
        t->timeout_ms = (int32_t)timeout;
        t->start_ms = start;
        t->update_ms = update;
        /* Absent in files written before transactions v2: version 1. */
        int64_t version = 1, next_pid = -1;
        if (cJSON_GetObjectItemCaseSensitive(root, "transaction_version"))
            ok &= kelp_json_get_int64(root, "transaction_version", 0, 2, &version);
        if (cJSON_GetObjectItemCaseSensitive(root, "next_producer_id"))
            ok &= kelp_json_get_int64(root, "next_producer_id", -1, INT64_MAX / 2, &next_pid);
        t->tv2 = version == 2;
        t->next_producer_id = next_pid;
        ok = ok && parse_members(t, root);
    }
    cJSON_Delete(root);
    if (!ok) {
        kelp_txn_free(t);
        return NULL;
    }
    return t;
}
