/* CreateTopics: checked as Kafka checks them (name, partitions,
 * replication factor or replica assignment for this one broker, configs),
 * then created durably unless validate_only. From v5 the answer carries the
 * partition count, replication factor and every config with its source. */
#include <stdio.h>
#include <string.h>

#include "broker/authorizer.h"
#include "broker/group_common.h"
#include "broker/topic_configs.h"
#include "protocol/generated/kafka_messages.h"
#include "protocol/kafka_errors.h"
#include "storage/topic_name.h"
#include "util/log.h"

typedef kafka_CreateTopicsRequest_CreatableTopic creatable_topic;
typedef kafka_CreateTopicsResponse_CreatableTopicResult topic_result;

#define WHY_MAX 256

static int16_t fail(kelp_request *req, topic_result *out, int16_t error, const char *why)
{
    out->error_code = error;
    out->error_message = (kw_str){.ptr = kelp_arena_kw_dup(&req->arena, kelp_kw_or_empty(why)),
                                  .len = (int32_t)strlen(why)};
    if (!out->error_message.ptr)
        out->error_message = (kw_str){NULL, -1};
    return error;
}

/* The partition count the request asks for, checking a replica assignment
 * against this single broker; an error code otherwise. */
static int16_t partition_count(kelp_broker *b, const creatable_topic *t, int32_t *count, char *why, size_t whylen)
{
    if (t->assignments_count > 0) {
        if (t->num_partitions != -1 || t->replication_factor != -1) {
            snprintf(why, whylen, "give either a replica assignment or a partition count and replication factor");
            return KAFKA_ERR_INVALID_REQUEST;
        }
        for (int32_t i = 0; i < t->assignments_count; i++) {
            const kafka_CreateTopicsRequest_CreatableReplicaAssignment *a = &t->assignments[i];
            bool seen = false;
            for (int32_t j = 0; j < i; j++)
                seen |= t->assignments[j].partition_index == a->partition_index;
            if (seen || a->partition_index < 0 || a->partition_index >= t->assignments_count) {
                snprintf(why, whylen, "replica assignment partitions must be 0 to %d, each once",
                         (int)t->assignments_count - 1);
                return KAFKA_ERR_INVALID_REPLICA_ASSIGNMENT;
            }
            if (a->broker_ids_count != 1 || a->broker_ids[0] != b->cfg.node_id) {
                snprintf(why, whylen, "partition %d: the only broker is %d, with one replica per partition",
                         (int)a->partition_index, (int)b->cfg.node_id);
                return KAFKA_ERR_INVALID_REPLICA_ASSIGNMENT;
            }
        }
        *count = t->assignments_count;
        return KAFKA_ERR_NONE;
    }
    if (t->replication_factor != -1 && t->replication_factor != 1) {
        if (t->replication_factor < 1)
            snprintf(why, whylen, "the replication factor must be larger than 0");
        else
            snprintf(why, whylen, "replication factor %d is larger than the 1 broker available",
                     (int)t->replication_factor);
        return KAFKA_ERR_INVALID_REPLICATION_FACTOR;
    }
    *count = t->num_partitions == -1 ? b->cfg.default_partitions : t->num_partitions;
    if (*count < 1 || *count > KELP_STORAGE_MAX_PARTITIONS) {
        snprintf(why, whylen, "the number of partitions must be between 1 and %d", KELP_STORAGE_MAX_PARTITIONS);
        return KAFKA_ERR_INVALID_PARTITIONS;
    }
    return KAFKA_ERR_NONE;
}

static bool duplicate_name(const kafka_CreateTopicsRequest *in, int32_t i)
{
    for (int32_t j = 0; j < in->topics_count; j++)
        if (j != i && in->topics[j].name.len == in->topics[i].name.len &&
            memcmp(in->topics[j].name.ptr, in->topics[i].name.ptr, (size_t)in->topics[i].name.len) == 0)
            return true;
    return false;
}

/* v5+: the created (or validated) topic's shape and configs. */
static int describe_result(kelp_broker *b, kelp_request *req, const kelp_topic_config *own, int32_t partitions,
                           topic_result *out)
{
    out->num_partitions = partitions;
    out->replication_factor = 1;
    kelp_topic_config_view views[KELP_TC_COUNT];
    kelp_topic_config_views(b, own, views);
    out->configs = kelp_arena_alloc(&req->arena, KELP_TC_COUNT * sizeof(*out->configs));
    if (!out->configs)
        return -1;
    out->configs_count = KELP_TC_COUNT;
    for (int k = 0; k < KELP_TC_COUNT; k++) {
        kafka_CreateTopicsResponse_CreatableTopicConfigs *c = &out->configs[k];
        kafka_CreateTopicsResponse_CreatableTopicConfigs_init(c);
        c->name = kelp_kw_or_empty(views[k].info->name);
        c->value = (kw_str){.ptr = kelp_arena_kw_dup(&req->arena, kelp_kw_or_empty(views[k].value)),
                            .len = (int32_t)strlen(views[k].value)};
        if (!c->value.ptr)
            return -1;
        c->config_source = views[k].source;
        c->read_only = false;
        c->is_sensitive = false;
    }
    return 0;
}

static int create_one(kelp_broker *b, kelp_request *req, const kafka_CreateTopicsRequest *in, int32_t i,
                      topic_result *out)
{
    const creatable_topic *t = &in->topics[i];
    char why[WHY_MAX] = "";
    out->name = t->name;
    out->num_partitions = -1;
    out->replication_factor = -1;
    if (!kelp_authorized_cluster(b, req, KELP_ACL_OP_CREATE) &&
        !kelp_authorized_kw(b, req, KELP_ACL_RESOURCE_TOPIC, t->name, KELP_ACL_OP_CREATE)) {
        fail(req, out, KAFKA_ERR_TOPIC_AUTHORIZATION_FAILED, "Authorization failed.");
        return 0;
    }
    if (t->name.len <= 0 || !kelp_topic_name_valid(t->name.ptr, (size_t)t->name.len) ||
        kelp_topic_name_reserved(t->name.ptr, (size_t)t->name.len)) {
        fail(req, out, KAFKA_ERR_INVALID_TOPIC_EXCEPTION,
             "topic names are 1 to 249 characters of [a-zA-Z0-9._-], not . or .., and .meta is reserved");
        return 0;
    }
    if (duplicate_name(in, i)) {
        fail(req, out, KAFKA_ERR_INVALID_REQUEST, "the topic is named more than once in this request");
        return 0;
    }
    if (kelp_storage_find_topic(b->storage, t->name.ptr, (size_t)t->name.len)) {
        snprintf(why, sizeof(why), "topic '%.*s' already exists", (int)t->name.len, t->name.ptr);
        fail(req, out, KAFKA_ERR_TOPIC_ALREADY_EXISTS, why);
        return 0;
    }
    int32_t partitions;
    int16_t err = partition_count(b, t, &partitions, why, sizeof(why));
    if (err) {
        fail(req, out, err, why);
        return 0;
    }
    kelp_topic_config config;
    kelp_broker_topic_defaults(b, &config);
    config.set = 0;
    for (int32_t c = 0; c < t->configs_count; c++) {
        for (int32_t d = 0; d < c; d++)
            if (t->configs[d].name.len == t->configs[c].name.len && t->configs[c].name.len > 0 &&
                memcmp(t->configs[d].name.ptr, t->configs[c].name.ptr, (size_t)t->configs[c].name.len) == 0) {
                snprintf(why, sizeof(why), "config %.*s is given more than once", (int)t->configs[c].name.len,
                         t->configs[c].name.ptr);
                fail(req, out, KAFKA_ERR_INVALID_REQUEST, why);
                return 0;
            }
        err = kelp_topic_config_apply(&config, t->configs[c].name, t->configs[c].value, why, sizeof(why));
        if (err) {
            fail(req, out, err, why);
            return 0;
        }
    }
    if (!in->validate_only) {
        kelp_topic *created;
        int rc = kelp_storage_create_topic(b->storage, t->name.ptr, (size_t)t->name.len, partitions, &config,
                                           &created);
        if (rc == KELP_STORAGE_ERR_EXISTS) {
            fail(req, out, KAFKA_ERR_TOPIC_ALREADY_EXISTS, "topic already exists");
            return 0;
        }
        if (rc != KELP_STORAGE_OK) {
            fail(req, out, KAFKA_ERR_KAFKA_STORAGE_ERROR, "the topic could not be written");
            return 0;
        }
        memcpy(out->topic_id.b, kelp_topic_id(created), 16);
        KELP_INFO("broker", "created topic %.*s with %d partitions", (int)t->name.len, t->name.ptr, (int)partitions);
    }
    out->error_code = KAFKA_ERR_NONE;
    if (req->api_version >= 5 && !kelp_authorized_kw(b, req, KELP_ACL_RESOURCE_TOPIC, t->name, KELP_ACL_OP_DESCRIBE_CONFIGS)) {
        /* Created, but its configuration is not for this principal to see. */
        out->num_partitions = partitions;
        out->replication_factor = 1;
        out->topic_config_error_code = KAFKA_ERR_TOPIC_AUTHORIZATION_FAILED;
        return 0;
    }
    if (req->api_version >= 5)
        return describe_result(b, req, &config, partitions, out);
    return 0;
}

int kelp_handle_create_topics(kelp_broker *b, kelp_request *req)
{
    kafka_CreateTopicsRequest in;
    if (kafka_CreateTopicsRequest_decode(&req->body, &req->arena, req->api_version, &in) != 0)
        return -1;
    kafka_CreateTopicsResponse resp;
    kafka_CreateTopicsResponse_init(&resp);
    if (in.topics_count > 0) {
        resp.topics = kelp_arena_alloc(&req->arena, (size_t)in.topics_count * sizeof(*resp.topics));
        if (!resp.topics)
            return -1;
        resp.topics_count = in.topics_count;
    }
    for (int32_t i = 0; i < in.topics_count; i++) {
        kafka_CreateTopicsResponse_CreatableTopicResult_init(&resp.topics[i]);
        if (create_one(b, req, &in, i, &resp.topics[i]) != 0)
            return -1;
    }
    KELP_RESPOND(req, CreateTopicsResponse, &resp);
    return 0;
}
