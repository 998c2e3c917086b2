/* Metadata: this broker, and the topics asked for (auto-created when allowed). */
#include <string.h>

#include "broker/authorizer.h"
#include "broker/broker.h"
#include "broker/group_common.h"
#include "util/log.h"
#include "protocol/generated/kafka_messages.h"
#include "protocol/kafka_errors.h"
#include "storage/topic_name.h"

/* The cluster's operations as Kafka's AclOperation bits. */
#define ACL_BIT(op) (1 << (op))
#define CLUSTER_OPERATIONS                                                                        \
    (ACL_BIT(5) | ACL_BIT(7) | ACL_BIT(8) | ACL_BIT(9) | ACL_BIT(10) | ACL_BIT(11) | ACL_BIT(12) | \
     ACL_BIT(13) | ACL_BIT(14))

typedef kafka_MetadataResponse_MetadataResponseTopic response_topic;
typedef kafka_MetadataResponse_MetadataResponsePartition response_partition;

static int32_t *one_node(kelp_arena *a, int32_t node)
{
    int32_t *v = kelp_arena_alloc(a, sizeof(*v));
    if (v)
        *v = node;
    return v;
}

static int describe_topic(kelp_broker *b, kelp_request *req, const kafka_MetadataRequest *in,
                          kelp_topic *topic, response_topic *out)
{
    kelp_arena *a = &req->arena;
    const char *name = kelp_topic_name(topic);
    out->error_code = KAFKA_ERR_NONE;
    out->name = (kw_str){.ptr = name, .len = (int32_t)strlen(name)};
    memcpy(out->topic_id.b, kelp_topic_id(topic), 16);
    out->is_internal = false;
    if (in->include_topic_authorized_operations)
        out->topic_authorized_operations = kelp_authorized_operations(b, req, KELP_ACL_RESOURCE_TOPIC, name,
                                                                      strlen(name), KELP_TOPIC_AUTHORIZED_OPERATIONS);
    int32_t n = kelp_topic_partition_count(topic);
    out->partitions = kelp_arena_alloc(a, (size_t)n * sizeof(*out->partitions));
    if (!out->partitions && n > 0)
        return -1;
    out->partitions_count = n;
    for (int32_t i = 0; i < n; i++) {
        response_partition *p = &out->partitions[i];
        kafka_MetadataResponse_MetadataResponsePartition_init(p);
        p->error_code = KAFKA_ERR_NONE;
        p->partition_index = i;
        p->leader_id = b->cfg.node_id;
        p->leader_epoch = 0;
        p->replica_nodes = one_node(a, b->cfg.node_id);
        p->replica_nodes_count = 1;
        p->isr_nodes = one_node(a, b->cfg.node_id);
        p->isr_nodes_count = 1;
        p->offline_replicas_count = 0;
        if (!p->replica_nodes || !p->isr_nodes)
            return -1;
    }
    return 0;
}

static void topic_error(response_topic *out, kw_str name, const kw_uuid *id, int16_t error)
{
    out->error_code = error;
    out->name = name;
    if (id)
        out->topic_id = *id;
    out->partitions_count = 0;
}

static int describe_requested(kelp_broker *b, kelp_request *req, const kafka_MetadataRequest *in,
                              const kafka_MetadataRequest_MetadataRequestTopic *want, response_topic *out)
{
    kw_str name = want->name;
    if (name.len < 0) {
        /* v10+: asked for by id only. */
        kelp_topic *t = kelp_storage_find_topic_by_id(b->storage, want->topic_id.b);
        if (!t) {
            topic_error(out, name, &want->topic_id, KAFKA_ERR_UNKNOWN_TOPIC_ID);
            return 0;
        }
        const char *tn = kelp_topic_name(t);
        if (!kelp_authorized(b, req, KELP_ACL_RESOURCE_TOPIC, tn, strlen(tn), KELP_ACL_OP_DESCRIBE)) {
            topic_error(out, name, &want->topic_id, KAFKA_ERR_TOPIC_AUTHORIZATION_FAILED);
            return 0;
        }
        return describe_topic(b, req, in, t, out);
    }
    /* Before anything else, so that refused names tell nothing of the topic. */
    if (!kelp_authorized_kw(b, req, KELP_ACL_RESOURCE_TOPIC, name, KELP_ACL_OP_DESCRIBE)) {
        topic_error(out, name, NULL, KAFKA_ERR_TOPIC_AUTHORIZATION_FAILED);
        return 0;
    }
    if (!kelp_topic_name_valid(name.ptr, (size_t)name.len) || kelp_topic_name_reserved(name.ptr, (size_t)name.len)) {
        topic_error(out, name, NULL, KAFKA_ERR_INVALID_TOPIC_EXCEPTION);
        return 0;
    }
    kelp_topic *t = kelp_storage_find_topic(b->storage, name.ptr, (size_t)name.len);
    if (!t) {
        bool allowed = b->cfg.auto_create_topics && (req->api_version < 4 || in->allow_auto_topic_creation);
        if (!allowed) {
            topic_error(out, name, NULL, KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION);
            return 0;
        }
        if (!kelp_authorized_cluster(b, req, KELP_ACL_OP_CREATE) &&
            !kelp_authorized_kw(b, req, KELP_ACL_RESOURCE_TOPIC, name, KELP_ACL_OP_CREATE)) {
            topic_error(out, name, NULL, KAFKA_ERR_TOPIC_AUTHORIZATION_FAILED);
            return 0;
        }
        int rc = kelp_storage_create_topic(b->storage, name.ptr, (size_t)name.len, b->cfg.default_partitions, NULL,
                                           &t);
        if (rc == KELP_STORAGE_ERR_EXISTS)
            t = kelp_storage_find_topic(b->storage, name.ptr, (size_t)name.len);
        else if (rc != KELP_STORAGE_OK)
            t = NULL;
        if (!t) {
            KELP_WARN("broker", "auto-creating topic %.*s failed (%d)", (int)name.len, name.ptr, rc);
            topic_error(out, name, NULL,
                        rc == KELP_STORAGE_ERR_INVALID ? KAFKA_ERR_INVALID_TOPIC_EXCEPTION
                                                       : KAFKA_ERR_KAFKA_STORAGE_ERROR);
            return 0;
        }
        KELP_INFO("broker", "auto-created topic %.*s with %d partitions", (int)name.len, name.ptr,
                  b->cfg.default_partitions);
    }
    return describe_topic(b, req, in, t, out);
}

int kelp_handle_metadata(kelp_broker *b, kelp_request *req)
{
    kafka_MetadataRequest in;
    if (kafka_MetadataRequest_decode(&req->body, &req->arena, req->api_version, &in) != 0)
        return -1;
    kelp_arena *a = &req->arena;

    kafka_MetadataResponse resp;
    kafka_MetadataResponse_init(&resp);
    resp.brokers = kelp_arena_alloc(a, sizeof(*resp.brokers));
    if (!resp.brokers)
        return -1;
    kafka_MetadataResponse_MetadataResponseBroker_init(&resp.brokers[0]);
    resp.brokers_count = 1;
    resp.brokers[0].node_id = b->cfg.node_id;
    const kelp_broker_endpoint *ep = kelp_broker_request_endpoint(b, req);
    resp.brokers[0].host = (kw_str){.ptr = ep->host, .len = (int32_t)strlen(ep->host)};
    resp.brokers[0].port = ep->port;
    resp.brokers[0].rack = (kw_str){.ptr = NULL, .len = -1};
    resp.cluster_id = (kw_str){.ptr = b->cluster_id, .len = (int32_t)strlen(b->cluster_id)};
    resp.controller_id = b->cfg.node_id;
    if (in.include_cluster_authorized_operations)
        resp.cluster_authorized_operations =
            kelp_authorized_cluster(b, req, KELP_ACL_OP_DESCRIBE)
                ? kelp_authorized_operations(b, req, KELP_ACL_RESOURCE_CLUSTER, KELP_ACL_CLUSTER_NAME,
                                             strlen(KELP_ACL_CLUSTER_NAME), CLUSTER_OPERATIONS)
                : 0;

    /* Null (v1+), or empty in v0, means every topic. */
    bool all = in.topics_count < 0 || (req->api_version == 0 && in.topics_count == 0);
    int32_t n = all ? (int32_t)kelp_storage_topic_count(b->storage) : in.topics_count;
    resp.topics = kelp_arena_alloc(a, (size_t)(n > 0 ? n : 1) * sizeof(*resp.topics));
    if (!resp.topics)
        return -1;
    resp.topics_count = 0;
    for (int32_t i = 0; i < n; i++) {
        response_topic *out = &resp.topics[resp.topics_count];
        kafka_MetadataResponse_MetadataResponseTopic_init(out);
        kelp_topic *t = all ? kelp_storage_topic_at(b->storage, (size_t)i) : NULL;
        /* The whole list leaves out the topics the principal may not describe. */
        if (t && !kelp_authorized(b, req, KELP_ACL_RESOURCE_TOPIC, kelp_topic_name(t), strlen(kelp_topic_name(t)),
                                  KELP_ACL_OP_DESCRIBE))
            continue;
        int rc = all ? describe_topic(b, req, &in, t, out) : describe_requested(b, req, &in, &in.topics[i], out);
        if (rc != 0)
            return -1;
        resp.topics_count++;
    }
    KELP_RESPOND(req, MetadataResponse, &resp);
    return 0;
}
