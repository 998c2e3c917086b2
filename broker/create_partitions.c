/* CreatePartitions: grows topics; a replica assignment for the new
 * partitions may only name this broker, one replica each. */
#include <stdio.h>
#include <string.h>

#include "broker/authorizer.h"
#include "broker/group_common.h"
#include "protocol/generated/kafka_messages.h"
#include "protocol/kafka_errors.h"
#include "util/log.h"

typedef kafka_CreatePartitionsResponse_CreatePartitionsTopicResult topic_result;

static void fail(kelp_request *req, topic_result *out, int16_t error, const char *why)
{
    out->error_code = error;
    out->error_message = (kw_str){.ptr = kelp_arena_kw_dup(&req->arena, kelp_kw_or_empty(why)),
                                  .len = (int32_t)strlen(why)};
    if (!out->error_message.ptr)
        out->error_message = (kw_str){NULL, -1};
}

static bool duplicate_name(const kafka_CreatePartitionsRequest *in, int32_t i)
{
    for (int32_t j = 0; j < in->topics_count; j++)
        if (j != i && in->topics[j].name.len == in->topics[i].name.len &&
            memcmp(in->topics[j].name.ptr, in->topics[i].name.ptr, (size_t)in->topics[i].name.len) == 0)
            return true;
    return false;
}

static void grow(kelp_broker *b, kelp_request *req, const kafka_CreatePartitionsRequest *in, int32_t i,
                 topic_result *out)
{
    const kafka_CreatePartitionsRequest_CreatePartitionsTopic *t = &in->topics[i];
    char why[256];
    out->name = t->name;
    out->error_code = KAFKA_ERR_NONE;
    if (duplicate_name(in, i)) {
        fail(req, out, KAFKA_ERR_INVALID_REQUEST, "the topic is named more than once in this request");
        return;
    }
    if (!kelp_authorized_kw(b, req, KELP_ACL_RESOURCE_TOPIC, t->name, KELP_ACL_OP_ALTER)) {
        fail(req, out, KAFKA_ERR_TOPIC_AUTHORIZATION_FAILED, "Authorization failed.");
        return;
    }
    kelp_topic *topic = kelp_topic_name_usable(t->name)
                            ? kelp_storage_find_topic(b->storage, t->name.ptr, (size_t)t->name.len)
                            : NULL;
    if (!topic) {
        fail(req, out, KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION, "no such topic");
        return;
    }
    int32_t current = kelp_topic_partition_count(topic);
    if (t->count <= current) {
        snprintf(why, sizeof(why), "topic has %d partitions; the new count must be larger", (int)current);
        fail(req, out, KAFKA_ERR_INVALID_PARTITIONS, why);
        return;
    }
    if (t->count > KELP_STORAGE_MAX_PARTITIONS) {
        snprintf(why, sizeof(why), "at most %d partitions", KELP_STORAGE_MAX_PARTITIONS);
        fail(req, out, KAFKA_ERR_INVALID_PARTITIONS, why);
        return;
    }
    if (t->assignments_count >= 0 && t->assignments) {
        if (t->assignments_count != t->count - current) {
            snprintf(why, sizeof(why), "%d new partitions need %d assignments, not %d", (int)(t->count - current),
                     (int)(t->count - current), (int)t->assignments_count);
            fail(req, out, KAFKA_ERR_INVALID_REPLICA_ASSIGNMENT, why);
            return;
        }
        for (int32_t a = 0; a < t->assignments_count; a++)
            if (t->assignments[a].broker_ids_count != 1 || t->assignments[a].broker_ids[0] != b->cfg.node_id) {
                snprintf(why, sizeof(why), "the only broker is %d, with one replica per partition",
                         (int)b->cfg.node_id);
                fail(req, out, KAFKA_ERR_INVALID_REPLICA_ASSIGNMENT, why);
                return;
            }
    }
    if (in->validate_only)
        return;
    if (kelp_storage_add_partitions(b->storage, topic, t->count) != KELP_STORAGE_OK) {
        fail(req, out, KAFKA_ERR_KAFKA_STORAGE_ERROR, "the new partitions could not be written");
        return;
    }
    KELP_INFO("broker", "topic %s grown to %d partitions", kelp_topic_name(topic), (int)t->count);
}

int kelp_handle_create_partitions(kelp_broker *b, kelp_request *req)
{
    kafka_CreatePartitionsRequest in;
    if (kafka_CreatePartitionsRequest_decode(&req->body, &req->arena, req->api_version, &in) != 0)
        return -1;
    kafka_CreatePartitionsResponse resp;
    kafka_CreatePartitionsResponse_init(&resp);
    if (in.topics_count > 0) {
        resp.results = kelp_arena_alloc(&req->arena, (size_t)in.topics_count * sizeof(*resp.results));
        if (!resp.results)
            return -1;
        resp.results_count = in.topics_count;
    }
    for (int32_t i = 0; i < in.topics_count; i++) {
        kafka_CreatePartitionsResponse_CreatePartitionsTopicResult_init(&resp.results[i]);
        grow(b, req, &in, i, &resp.results[i]);
    }
    KELP_RESPOND(req, CreatePartitionsResponse, &resp);
    return 0;
}
