/* OffsetFetch: committed offsets of one group (v0-7) or of several (v8+),
 * for the named partitions or, with a null topic list, for all of them. A
 * partition without a commit answers offset -1. */
#include <stdlib.h>

#include "broker/authorizer.h"
#include "broker/group_common.h"
#include "groups/coordinator.h"
#include "offsets/offset_store.h"
#include "protocol/generated/kafka_messages.h"
#include "protocol/kafka_errors.h"

/* One partition's answer, in the shape both response layouts share. */
typedef struct fetched_partition {
    int32_t partition;
    int64_t offset;
    int32_t leader_epoch;
    kw_str metadata;
    int16_t error;
} fetched_partition;

typedef struct fetched_topic {
    kw_str name;
    fetched_partition *partitions;
    int32_t count;
} fetched_topic;

static void lookup(kelp_broker *b, kw_str group, kw_str topic, int32_t partition, fetched_partition *out)
{
    *out = (fetched_partition){.partition = partition, .offset = -1, .leader_epoch = -1,
                               .metadata = kelp_kw_or_empty("")};
    const kelp_committed_offset *c =
        topic.len > 0 ? kelp_offset_store_get(b->offsets, group.ptr, (size_t)group.len, topic.ptr, (size_t)topic.len,
                                              partition)
                      : NULL;
    if (c) {
        out->offset = c->offset;
        out->leader_epoch = c->leader_epoch;
        out->metadata = (kw_str){.ptr = c->metadata, .len = (int32_t)c->metadata_len};
    }
}

/* Requested partitions: topics_count >= 0 lists them; < 0 asks for all. */
typedef struct topic_request {
    kw_str name;
    const int32_t *partitions;
    int32_t count;
} topic_request;

/* require_stable (v7+): an offset an open transaction is about to commit
 * is not answered yet; the client retries. */
static void mark_unstable(kelp_broker *b, kw_str group, kw_str topic, fetched_partition *p)
{
    if (topic.len > 0 && kelp_txn_offset_pending(b->txns, group.ptr, (size_t)group.len, topic.ptr, (size_t)topic.len,
                                                 p->partition)) {
        p->error = KAFKA_ERR_UNSTABLE_OFFSET_COMMIT;
        p->offset = -1;
    }
}

/* group_error: the group may not be described; every named partition
 * carries it, and the all-topics form answers nothing. */
static int fetch_group(kelp_broker *b, kelp_request *req, kw_str group, const topic_request *topics,
                       int32_t topics_count, fetched_topic **out, int32_t *out_count, bool require_stable,
                       int16_t group_error)
{
    kelp_arena *a = &req->arena;
    *out = NULL;
    *out_count = 0;
    if (topics_count >= 0) {
        fetched_topic *ft = kelp_arena_alloc(a, ((size_t)topics_count + 1) * sizeof(*ft));
        if (!ft)
            return -1;
        for (int32_t t = 0; t < topics_count; t++) {
            ft[t].name = topics[t].name;
            ft[t].count = topics[t].count;
            ft[t].partitions = kelp_arena_alloc(a, ((size_t)topics[t].count + 1) * sizeof(*ft[t].partitions));
            if (!ft[t].partitions)
                return -1;
            int16_t denied = group_error ? group_error
                             : !kelp_authorized_kw(b, req, KELP_ACL_RESOURCE_TOPIC, topics[t].name, KELP_ACL_OP_DESCRIBE)
                                 ? KAFKA_ERR_TOPIC_AUTHORIZATION_FAILED
                                 : KAFKA_ERR_NONE;
            for (int32_t i = 0; i < topics[t].count; i++) {
                if (denied) {
                    ft[t].partitions[i] = (fetched_partition){.partition = topics[t].partitions[i], .offset = -1,
                                                              .leader_epoch = -1, .metadata = kelp_kw_or_empty(""),
                                                              .error = denied};
                    continue;
                }
                lookup(b, group, topics[t].name, topics[t].partitions[i], &ft[t].partitions[i]);
                if (require_stable)
                    mark_unstable(b, group, topics[t].name, &ft[t].partitions[i]);
            }
        }
        *out = ft;
        *out_count = topics_count;
        return 0;
    }
    /* All committed offsets, grouped by topic (the list is sorted). Strings
     * are copied: they must outlive any change before the encode. */
    if (group_error)
        return 0;
    const kelp_committed_offset **list;
    size_t n = kelp_offset_store_list(b->offsets, group.ptr, (size_t)group.len, &list);
    fetched_topic *ft = kelp_arena_alloc(a, (n + 1) * sizeof(*ft));
    if (!ft) {
        free(list);
        return -1;
    }
    int32_t nt = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && strcmp(list[j]->topic, list[i]->topic) == 0)
            j++;
        if (!kelp_authorized(b, req, KELP_ACL_RESOURCE_TOPIC, list[i]->topic, strlen(list[i]->topic),
                             KELP_ACL_OP_DESCRIBE)) {
            i = j; /* left out of the whole list */
            continue;
        }
        fetched_topic *t = &ft[nt++];
        t->name = (kw_str){.ptr = kelp_arena_kw_dup(a, kelp_kw_or_empty(list[i]->topic)),
                           .len = (int32_t)strlen(list[i]->topic)};
        t->partitions = kelp_arena_alloc(a, (j - i) * sizeof(*t->partitions));
        if (!t->name.ptr || !t->partitions) {
            free(list);
            return -1;
        }
        for (size_t k = i; k < j; k++) {
            const kelp_committed_offset *c = list[k];
            t->partitions[t->count++] = (fetched_partition){
                .partition = c->partition,
                .offset = c->offset,
                .leader_epoch = c->leader_epoch,
                .metadata = {.ptr = kelp_arena_kw_dup(a, (kw_str){c->metadata, (int32_t)c->metadata_len}),
                             .len = (int32_t)c->metadata_len},
            };
            if (!t->partitions[t->count - 1].metadata.ptr) {
                free(list);
                return -1;
            }
            if (require_stable)
                mark_unstable(b, group, t->name, &t->partitions[t->count - 1]);
        }
        i = j;
    }
    free(list);
    *out = ft;
    *out_count = nt;
    return 0;
}

/* The version 0-7 layout: one group, errors at the top (v2+). */
static int respond_single(kelp_broker *b, kelp_request *req, const kafka_OffsetFetchRequest *in)
{
    kelp_arena *a = &req->arena;
    topic_request *topics = NULL;
    if (in->topics_count > 0) {
        topics = kelp_arena_alloc(a, (size_t)in->topics_count * sizeof(*topics));
        if (!topics)
            return -1;
        for (int32_t t = 0; t < in->topics_count; t++)
            topics[t] = (topic_request){in->topics[t].name, in->topics[t].partition_indexes,
                                        in->topics[t].partition_indexes_count};
    }
    fetched_topic *ft;
    int32_t nt;
    bool denied = !kelp_authorized_kw(b, req, KELP_ACL_RESOURCE_GROUP, in->group_id, KELP_ACL_OP_DESCRIBE);
    /* v2+ carries the group's error at the top, older versions per partition. */
    bool top_error = denied && req->api_version >= 2;
    if (fetch_group(b, req, in->group_id, topics, top_error ? 0 : in->topics_count, &ft, &nt,
                    req->api_version >= 7 && in->require_stable, denied ? KAFKA_ERR_GROUP_AUTHORIZATION_FAILED : 0) != 0)
        return -1;
    kafka_OffsetFetchResponse resp;
    kafka_OffsetFetchResponse_init(&resp);
    if (top_error)
        resp.error_code = KAFKA_ERR_GROUP_AUTHORIZATION_FAILED;
    resp.topics = kelp_arena_alloc(a, ((size_t)nt + 1) * sizeof(*resp.topics));
    if (!resp.topics)
        return -1;
    resp.topics_count = nt;
    for (int32_t t = 0; t < nt; t++) {
        kafka_OffsetFetchResponse_OffsetFetchResponseTopic *to = &resp.topics[t];
        kafka_OffsetFetchResponse_OffsetFetchResponseTopic_init(to);
        to->name = ft[t].name;
        to->partitions = kelp_arena_alloc(a, ((size_t)ft[t].count + 1) * sizeof(*to->partitions));
        if (!to->partitions)
            return -1;
        to->partitions_count = ft[t].count;
        for (int32_t i = 0; i < ft[t].count; i++) {
            kafka_OffsetFetchResponse_OffsetFetchResponsePartition *po = &to->partitions[i];
            kafka_OffsetFetchResponse_OffsetFetchResponsePartition_init(po);
            po->partition_index = ft[t].partitions[i].partition;
            po->committed_offset = ft[t].partitions[i].offset;
            po->committed_leader_epoch = ft[t].partitions[i].leader_epoch;
            po->metadata = ft[t].partitions[i].metadata;
            po->error_code = ft[t].partitions[i].error;
        }
    }
    KELP_RESPOND(req, OffsetFetchResponse, &resp);
    return 0;
}

/* The version 8+ layout: several groups, each with its own error. */
static int respond_groups(kelp_broker *b, kelp_request *req, const kafka_OffsetFetchRequest *in)
{
    kelp_arena *a = &req->arena;
    kafka_OffsetFetchResponse resp;
    kafka_OffsetFetchResponse_init(&resp);
    resp.groups = kelp_arena_alloc(a, ((size_t)in->groups_count + 1) * sizeof(*resp.groups));
    if (!resp.groups)
        return -1;
    resp.groups_count = in->groups_count;
    for (int32_t g = 0; g < in->groups_count; g++) {
        const kafka_OffsetFetchRequest_OffsetFetchRequestGroup *gin = &in->groups[g];
        kafka_OffsetFetchResponse_OffsetFetchResponseGroup *gout = &resp.groups[g];
        kafka_OffsetFetchResponse_OffsetFetchResponseGroup_init(gout);
        gout->group_id = gin->group_id;
        topic_request *topics = NULL;
        if (gin->topics_count > 0) {
            topics = kelp_arena_alloc(a, (size_t)gin->topics_count * sizeof(*topics));
            if (!topics)
                return -1;
            for (int32_t t = 0; t < gin->topics_count; t++)
                topics[t] = (topic_request){gin->topics[t].name, gin->topics[t].partition_indexes,
                                            gin->topics[t].partition_indexes_count};
        }
        fetched_topic *ft;
        int32_t nt;
        bool denied = !kelp_authorized_kw(b, req, KELP_ACL_RESOURCE_GROUP, gin->group_id, KELP_ACL_OP_DESCRIBE);
        if (denied)
            gout->error_code = KAFKA_ERR_GROUP_AUTHORIZATION_FAILED;
        if (fetch_group(b, req, gin->group_id, topics, denied ? 0 : gin->topics_count, &ft, &nt, in->require_stable,
                        denied ? KAFKA_ERR_GROUP_AUTHORIZATION_FAILED : 0) != 0)
            return -1;
        gout->topics = kelp_arena_alloc(a, ((size_t)nt + 1) * sizeof(*gout->topics));
        if (!gout->topics)
            return -1;
        gout->topics_count = nt;
        for (int32_t t = 0; t < nt; t++) {
            kafka_OffsetFetchResponse_OffsetFetchResponseTopics *to = &gout->topics[t];
            kafka_OffsetFetchResponse_OffsetFetchResponseTopics_init(to);
            to->name = ft[t].name;
            to->partitions = kelp_arena_alloc(a, ((size_t)ft[t].count + 1) * sizeof(*to->partitions));
            if (!to->partitions)
                return -1;
            to->partitions_count = ft[t].count;
            for (int32_t i = 0; i < ft[t].count; i++) {
                kafka_OffsetFetchResponse_OffsetFetchResponsePartitions *po = &to->partitions[i];
                kafka_OffsetFetchResponse_OffsetFetchResponsePartitions_init(po);
                po->partition_index = ft[t].partitions[i].partition;
                po->committed_offset = ft[t].partitions[i].offset;
                po->committed_leader_epoch = ft[t].partitions[i].leader_epoch;
                po->metadata = ft[t].partitions[i].metadata;
                po->error_code = ft[t].partitions[i].error;
            }
        }
    }
    KELP_RESPOND(req, OffsetFetchResponse, &resp);
    return 0;
}

int kelp_handle_offset_fetch(kelp_broker *b, kelp_request *req)
{
    kafka_OffsetFetchRequest in;
    if (kafka_OffsetFetchRequest_decode(&req->body, &req->arena, req->api_version, &in) != 0)
        return -1;
    return req->api_version >= 8 ? respond_groups(b, req, &in) : respond_single(b, req, &in);
}
