/* The admin endpoint's view of consumer groups: GET /v1/groups lists them,
 * GET /v1/groups/<id> shows one with its members, their assignments, and
 * the committed offsets with the lag behind each partition's high watermark. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "broker/broker.h"
#include "groups/coordinator.h"
#include "offsets/offset_store.h"

static void add_string_or_null(cJSON *o, const char *name, const char *value)
{
    cJSON_AddItemToObject(o, name, value ? cJSON_CreateString(value) : cJSON_CreateNull());
}

static cJSON *group_summary(const kelp_group *g)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "group_id", g->id);
    cJSON_AddStringToObject(o, "state", kelp_group_state_name(g->state));
    add_string_or_null(o, "protocol_type", g->protocol_type);
    add_string_or_null(o, "protocol", g->protocol_name);
    cJSON_AddNumberToObject(o, "generation", g->generation);
    cJSON_AddNumberToObject(o, "member_count", g->member_count);
    return o;
}

static void collect_group(void *ctx, const kelp_group *g)
{
    cJSON_AddItemToArray(ctx, group_summary(g));
}

static char *list_groups(kelp_broker *b, unsigned *status)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *groups = cJSON_AddArrayToObject(o, "groups");
    kelp_coordinator_each(b->groups, collect_group, groups);
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    *status = text ? 200 : 500;
    return text;
}

typedef struct assignment_walk {
    cJSON *topics; /* [{"topic": ..., "partitions": [...]}] */
} assignment_walk;

static void on_assigned(void *ctx, const char *topic, size_t len, int32_t partition)
{
    assignment_walk *w = ctx;
    cJSON *entry = NULL, *it;
    cJSON_ArrayForEach(it, w->topics)
    {
        const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "topic"));
        if (name && strlen(name) == len && memcmp(name, topic, len) == 0)
            entry = it;
    }
    if (!entry) {
        entry = cJSON_CreateObject();
        char *name = strndup(topic, len);
        cJSON_AddStringToObject(entry, "topic", name ? name : "");
        free(name);
        cJSON_AddArrayToObject(entry, "partitions");
        cJSON_AddItemToArray(w->topics, entry);
    }
    cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(entry, "partitions"), cJSON_CreateNumber(partition));
}

static cJSON *member_json(const kelp_group *g, const kelp_group_member *m)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "member_id", m->member_id);
    add_string_or_null(o, "group_instance_id", m->instance_id);
    cJSON_AddStringToObject(o, "client_id", m->client_id);
    cJSON_AddStringToObject(o, "client_host", m->client_host);
    cJSON_AddNumberToObject(o, "session_timeout_ms", m->session_timeout_ms);
    cJSON_AddNumberToObject(o, "rebalance_timeout_ms", m->rebalance_timeout_ms);
    cJSON_AddBoolToObject(o, "leader", kelp_group_is_leader(g, m));
    /* Assignments are readable when the group speaks the consumer protocol. */
    assignment_walk w = {.topics = cJSON_AddArrayToObject(o, "assignment")};
    if (g->protocol_type && strcmp(g->protocol_type, "consumer") == 0)
        kelp_member_each_assigned_partition(m, on_assigned, &w);
    return o;
}

static cJSON *offsets_json(kelp_broker *b, const kelp_group *g, int64_t *total_lag)
{
    cJSON *arr = cJSON_CreateArray();
    const kelp_committed_offset **list;
    size_t n = kelp_offset_store_list(b->offsets, g->id, g->id_len, &list);
    *total_lag = 0;
    for (size_t i = 0; i < n; i++) {
        const kelp_committed_offset *c = list[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "topic", c->topic);
        cJSON_AddNumberToObject(o, "partition", c->partition);
        cJSON_AddNumberToObject(o, "committed_offset", (double)c->offset);
        cJSON_AddNumberToObject(o, "leader_epoch", c->leader_epoch);
        cJSON_AddStringToObject(o, "metadata", c->metadata);
        cJSON_AddNumberToObject(o, "committed_at", (double)c->commit_ms);
        kelp_topic *t = kelp_storage_find_topic(b->storage, c->topic, strlen(c->topic));
        kelp_partition *p = t ? kelp_topic_partition(t, c->partition) : NULL;
        if (p) {
            int64_t hw = kelp_partition_high_watermark(p);
            int64_t lag = hw > c->offset ? hw - c->offset : 0;
            cJSON_AddNumberToObject(o, "high_watermark", (double)hw);
            cJSON_AddNumberToObject(o, "lag", (double)lag);
            *total_lag += lag;
        } else {
            cJSON_AddNullToObject(o, "high_watermark");
            cJSON_AddNullToObject(o, "lag");
        }
        cJSON_AddItemToArray(arr, o);
    }
    free(list);
    return arr;
}

static char *describe_group(kelp_broker *b, const char *id, unsigned *status)
{
    const kelp_group *g = kelp_coordinator_find(b->groups, id, strlen(id));
    if (!g) {
        *status = 404;
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "error", "no such group");
        char *text = cJSON_PrintUnformatted(o);
        cJSON_Delete(o);
        return text;
    }
    cJSON *o = group_summary(g);
    add_string_or_null(o, "leader", g->leader_id);
    cJSON *members = cJSON_AddArrayToObject(o, "members");
    for (const kelp_group_member *m = g->members; m; m = m->next)
        cJSON_AddItemToArray(members, member_json(g, m));
    int64_t lag;
    cJSON_AddItemToObject(o, "offsets", offsets_json(b, g, &lag));
    cJSON_AddNumberToObject(o, "total_lag", (double)lag);
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    *status = text ? 200 : 500;
    return text;
}

char *kelp_broker_groups_json(kelp_broker *b, const char *group_id, unsigned *status)
{
    return group_id ? describe_group(b, group_id, status) : list_groups(b, status);
}
