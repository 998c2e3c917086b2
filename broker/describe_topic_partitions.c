/* DescribeTopicPartitions (KIP-966): topics and their partitions in name
 * order, paged by a cursor and a partition limit. One broker leads every
 * partition and is its only replica. */
#include <stdlib.h>
#include <string.h>

#include "broker/authorizer.h"
#include "broker/group_common.h"
#include "protocol/generated/kafka_messages.h"
#include "protocol/kafka_errors.h"

#define PARTITION_LIMIT_MAX 2000

typedef kafka_DescribeTopicPartitionsResponse_DescribeTopicPartitionsResponseTopic topic_result;
typedef kafka_DescribeTopicPartitionsResponse_DescribeTopicPartitionsResponsePartition partition_result;

static int kw_cmp(kw_str a, kw_str b)
{
    int32_t n = a.len < b.len ? a.len : b.len;
    int c = n > 0 ? memcmp(a.ptr, b.ptr, (size_t)n) : 0;
    return c ? c : (a.len > b.len) - (a.len < b.len);
}

static int by_name(const void *x, const void *y)
{
    return kw_cmp(*(const kw_str *)x, *(const kw_str *)y);
}

static kw_str name_of(kelp_topic *t)
{
    const char *n = kelp_topic_name(t);
    return (kw_str){.ptr = n, .len = (int32_t)strlen(n)};
}

int kelp_handle_describe_topic_partitions(kelp_broker *b, kelp_request *req)
{
    kafka_DescribeTopicPartitionsRequest in;
    if (kafka_DescribeTopicPartitionsRequest_decode(&req->body, &req->arena, req->api_version, &in) != 0)
        return -1;
    kelp_arena *a = &req->arena;
    /* The names to describe, sorted and without repeats. */
    size_t count = in.topics_count > 0 ? (size_t)in.topics_count : kelp_storage_topic_count(b->storage);
    kw_str *names = count ? kelp_arena_alloc(a, count * sizeof(*names)) : NULL;
    if (count && !names)
        return -1;
    for (size_t i = 0; i < count; i++)
        names[i] = in.topics_count > 0 ? in.topics[i].name : name_of(kelp_storage_topic_at(b->storage, i));
    qsort(names, count, sizeof(*names), by_name);
    size_t unique = 0;
    for (size_t i = 0; i < count; i++)
        if (unique == 0 || kw_cmp(names[unique - 1], names[i]) != 0)
            names[unique++] = names[i];

    int32_t limit = in.response_partition_limit > 0 && in.response_partition_limit < PARTITION_LIMIT_MAX
                        ? in.response_partition_limit
                        : PARTITION_LIMIT_MAX;
    kafka_DescribeTopicPartitionsResponse resp;
    kafka_DescribeTopicPartitionsResponse_init(&resp);
    resp.next_cursor_is_null = true;
    resp.topics = unique ? kelp_arena_alloc(a, unique * sizeof(*resp.topics)) : NULL;
    if (unique && !resp.topics)
        return -1;
    int32_t budget = limit;
    for (size_t i = 0; i < unique; i++) {
        int32_t first = 0;
        if (!in.cursor_is_null) {
            int c = kw_cmp(names[i], in.cursor.topic_name);
            if (c < 0)
                continue; /* before the cursor: returned on an earlier page */
            if (c == 0)
                first = in.cursor.partition_index > 0 ? in.cursor.partition_index : 0;
        }
        bool allowed = kelp_authorized_kw(b, req, KELP_ACL_RESOURCE_TOPIC, names[i], KELP_ACL_OP_DESCRIBE);
        if (!allowed && in.topics_count <= 0)
            continue; /* the whole list leaves out what may not be described */
        kelp_topic *t = allowed && kelp_topic_name_usable(names[i])
                            ? kelp_storage_find_topic(b->storage, names[i].ptr, (size_t)names[i].len)
                            : NULL;
        /* A full page stops before the next topic, known or not, as Kafka does. */
        if (budget == 0) {
            resp.next_cursor_is_null = false;
            resp.next_cursor.topic_name = names[i];
            resp.next_cursor.partition_index = first;
            break;
        }
        topic_result *out = &resp.topics[resp.topics_count++];
        kafka_DescribeTopicPartitionsResponse_DescribeTopicPartitionsResponseTopic_init(out);
        out->name = names[i];
        out->is_internal = false;
        if (!t) {
            out->error_code = allowed ? KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION : KAFKA_ERR_TOPIC_AUTHORIZATION_FAILED;
            continue;
        }
        memcpy(out->topic_id.b, kelp_topic_id(t), 16);
        out->topic_authorized_operations = kelp_authorized_operations(
            b, req, KELP_ACL_RESOURCE_TOPIC, names[i].ptr, (size_t)names[i].len, KELP_TOPIC_AUTHORIZED_OPERATIONS);
        int32_t total = kelp_topic_partition_count(t);
        int32_t n = first < total ? total - first : 0;
        if (n > budget) {
            n = budget;
            resp.next_cursor_is_null = false;
            resp.next_cursor.topic_name = names[i];
            resp.next_cursor.partition_index = first + n;
        }
        out->partitions = n ? kelp_arena_alloc(a, (size_t)n * sizeof(*out->partitions)) : NULL;
        int32_t *node = kelp_arena_alloc(a, sizeof(*node));
        if ((n && !out->partitions) || !node)
            return -1;
        *node = b->cfg.node_id;
        for (int32_t k = 0; k < n; k++) {
            partition_result *p = &out->partitions[k];
            kafka_DescribeTopicPartitionsResponse_DescribeTopicPartitionsResponsePartition_init(p);
            p->partition_index = first + k;
            p->leader_id = b->cfg.node_id;
            p->leader_epoch = 0;
            p->replica_nodes = p->isr_nodes = node;
            p->replica_nodes_count = p->isr_nodes_count = 1;
            /* No eligible-leader-replica sets (KIP-966): empty, as Kafka
             * answers for a partition without them, rather than null. */
            p->eligible_leader_replicas_count = 0;
            p->last_known_elr_count = 0;
            p->offline_replicas_count = 0;
        }
        out->partitions_count = n;
        budget -= n;
        if (!resp.next_cursor_is_null)
            break;
    }
    KELP_RESPOND(req, DescribeTopicPartitionsResponse, &resp);
    return 0;
}
