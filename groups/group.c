#include "groups/group.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "protocol/generated/kafka_messages.h"
#include "util/arena.h"

static const char *const state_names[] = {"Empty", "PreparingRebalance", "CompletingRebalance", "Stable", "Dead"};

const char *kelp_group_state_name(kelp_group_state state)
{
    return state_names[state];
}

int kelp_group_state_parse(const char *name, size_t len)
{
    for (int i = 0; i < (int)(sizeof(state_names) / sizeof(state_names[0])); i++)
        if (strlen(state_names[i]) == len && strncasecmp(state_names[i], name, len) == 0)
            return i;
    return -1;
}

static bool same(const char *s, const char *p, size_t len)
{
    return s && strlen(s) == len && memcmp(s, p, len) == 0;
}

kelp_group_member *kelp_group_find_member(const kelp_group *g, const char *member_id, size_t len)
{
    for (kelp_group_member *m = g->members; m; m = m->next)
        if (same(m->member_id, member_id, len))
            return m;
    return NULL;
}

kelp_group_member *kelp_group_find_instance(const kelp_group *g, const char *instance_id, size_t len)
{
    for (kelp_group_member *m = g->members; m; m = m->next)
        if (same(m->instance_id, instance_id, len))
            return m;
    return NULL;
}

kelp_pending_member *kelp_group_find_pending(const kelp_group *g, const char *member_id, size_t len)
{
    for (kelp_pending_member *p = g->pending; p; p = p->next)
        if (same(p->member_id, member_id, len))
            return p;
    return NULL;
}

bool kelp_group_is_leader(const kelp_group *g, const kelp_group_member *m)
{
    return g->leader_id && strcmp(g->leader_id, m->member_id) == 0;
}

const kelp_group_protocol *kelp_member_protocol(const kelp_group_member *m, const char *name)
{
    for (int32_t i = 0; i < m->protocol_count; i++)
        if (strcmp(m->protocols[i].name, name) == 0)
            return &m->protocols[i];
    return NULL;
}

/* Whether every member supports the protocol name. */
static bool all_support(const kelp_group *g, const char *name)
{
    for (kelp_group_member *m = g->members; m; m = m->next)
        if (!kelp_member_protocol(m, name))
            return false;
    return true;
}

bool kelp_group_supports(const kelp_group *g, const kelp_group_protocol *protocols, int32_t count)
{
    if (!g->members)
        return count > 0;
    for (int32_t i = 0; i < count; i++)
        if (all_support(g, protocols[i].name))
            return true;
    return false;
}

const char *kelp_group_select_protocol(const kelp_group *g)
{
    /* Each member votes for the first of its protocols that every member
     * supports; the most votes wins, ties going to the order of the first
     * member's preferences. */
    const kelp_group_member *first = g->members;
    if (!first)
        return NULL;
    const char *best = NULL;
    int best_votes = 0;
    for (int32_t c = 0; c < first->protocol_count; c++) {
        const char *candidate = first->protocols[c].name;
        if (!all_support(g, candidate))
            continue;
        int votes = 0;
        for (kelp_group_member *m = g->members; m; m = m->next) {
            for (int32_t i = 0; i < m->protocol_count; i++) {
                if (all_support(g, m->protocols[i].name)) {
                    votes += strcmp(m->protocols[i].name, candidate) == 0;
                    break;
                }
            }
        }
        if (votes > best_votes) {
            best = candidate;
            best_votes = votes;
        }
    }
    return best;
}

bool kelp_protocols_equal(const kelp_group_protocol *a, int32_t na, const kelp_group_protocol *b, int32_t nb)
{
    if (na != nb)
        return false;
    for (int32_t i = 0; i < na; i++)
        if (strcmp(a[i].name, b[i].name) != 0 || a[i].metadata_len != b[i].metadata_len ||
            (a[i].metadata_len && memcmp(a[i].metadata, b[i].metadata, a[i].metadata_len) != 0))
            return false;
    return true;
}

void kelp_protocols_free(kelp_group_protocol *p, int32_t count)
{
    if (!p)
        return;
    for (int32_t i = 0; i < count; i++) {
        free(p[i].name);
        free(p[i].metadata);
    }
    free(p);
}

kelp_group_protocol *kelp_protocols_copy(const kelp_group_protocol *src, int32_t count)
{
    kelp_group_protocol *p = calloc((size_t)count + 1, sizeof(*p));
    if (!p)
        return NULL;
    for (int32_t i = 0; i < count; i++) {
        p[i].name = strdup(src[i].name);
        p[i].metadata_len = src[i].metadata_len;
        p[i].metadata = malloc(src[i].metadata_len + 1);
        if (!p[i].name || !p[i].metadata) {
            kelp_protocols_free(p, i + 1);
            return NULL;
        }
        if (src[i].metadata_len)
            memcpy(p[i].metadata, src[i].metadata, src[i].metadata_len);
    }
    return p;
}

void kelp_member_free(kelp_group_member *m)
{
    if (!m)
        return;
    free(m->member_id);
    free(m->instance_id);
    free(m->client_id);
    free(m->client_host);
    kelp_protocols_free(m->protocols, m->protocol_count);
    free(m->assignment);
    free(m);
}

/* Consumer protocol payloads: an int16 version, then the schema at that
 * version; a newer version is read as the newest one known, which is how
 * Kafka stays compatible with clients ahead of it. */
#define SUBSCRIPTION_MAX_VERSION 3
#define ASSIGNMENT_MAX_VERSION 3

static bool open_payload(const uint8_t *p, size_t len, int16_t max_version, kw_reader *r, int16_t *version)
{
    *r = (kw_reader){.p = p, .len = len};
    int16_t v = kw_read_int16(r);
    if (r->err || v < 0)
        return false;
    *version = v > max_version ? max_version : v;
    return true;
}

void kelp_member_each_subscribed_topic(const kelp_group_member *m, const char *protocol,
                                       void (*fn)(void *ctx, const char *topic, size_t len), void *ctx)
{
    const kelp_group_protocol *p = protocol ? kelp_member_protocol(m, protocol) : NULL;
    kw_reader r;
    int16_t v;
    if (!p || !open_payload(p->metadata, p->metadata_len, SUBSCRIPTION_MAX_VERSION, &r, &v))
        return;
    kelp_arena a;
    kelp_arena_init(&a, 4096);
    kafka_ConsumerProtocolSubscription sub;
    if (kafka_ConsumerProtocolSubscription_decode(&r, &a, v, &sub) == 0)
        for (int32_t i = 0; i < sub.topics_count; i++)
            if (sub.topics[i].len > 0)
                fn(ctx, sub.topics[i].ptr, (size_t)sub.topics[i].len);
    kelp_arena_free(&a);
}

void kelp_member_each_assigned_partition(const kelp_group_member *m,
                                         void (*fn)(void *ctx, const char *topic, size_t len, int32_t partition),
                                         void *ctx)
{
    kw_reader r;
    int16_t v;
    if (!m->assignment_len || !open_payload(m->assignment, m->assignment_len, ASSIGNMENT_MAX_VERSION, &r, &v))
        return;
    kelp_arena a;
    kelp_arena_init(&a, 4096);
    kafka_ConsumerProtocolAssignment asg;
    if (kafka_ConsumerProtocolAssignment_decode(&r, &a, v, &asg) == 0)
        for (int32_t i = 0; i < asg.assigned_partitions_count; i++) {
            const kafka_ConsumerProtocolAssignment_TopicPartition *tp = &asg.assigned_partitions[i];
            if (tp->topic.len <= 0)
                continue;
            for (int32_t j = 0; j < tp->partitions_count; j++)
                fn(ctx, tp->topic.ptr, (size_t)tp->topic.len, tp->partitions[j]);
        }
    kelp_arena_free(&a);
}
