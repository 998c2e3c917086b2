/* DeleteTopics, by name (v0-5) or by name or topic id (v6): the topic
 * leaves the catalogue at once, produces still waiting on it are answered,
 * its committed offsets go, and its files are removed in the background. */
#include <stdio.h>
#include <string.h>

#include "broker/authorizer.h"
#include "broker/group_common.h"
#include "metrics/server_metrics.h"
#include "protocol/generated/kafka_messages.h"
#include "protocol/kafka_errors.h"
#include "storage/layout.h"
#include "storage/topic_name.h"
#include "util/uuid.h"

typedef kafka_DeleteTopicsResponse_DeletableTopicResult topic_result;

void kelp_broker_delete_topic(kelp_broker *b, kelp_topic *t)
{
    char name[KELP_TOPIC_NAME_MAX + 1];
    snprintf(name, sizeof(name), "%s", kelp_topic_name(t));
    kelp_storage_detach_topic(b->storage, t);
    kelp_broker_process_durable(b);
    kelp_produce_release_topic(b, t);
    char trash[KELP_LAYOUT_PATH_MAX];
    if (kelp_storage_drop_topic(b->storage, t, trash, sizeof(trash)) == KELP_STORAGE_OK)
        kelp_file_writer_remove(b->writer, trash, NULL, NULL);
    kelp_offset_store_delete_topic(b->offsets, name, strlen(name));
    kelp_metrics_topic_forget(b->metrics, name, strlen(name));
}

/* Looks the topic up by name, or by id when the name is null (v6). */
static void delete_one(kelp_broker *b, kelp_request *req, kw_str name, const kw_uuid *id, topic_result *out)
{
    out->name = name;
    if (id)
        out->topic_id = *id;
    kelp_topic *t = NULL;
    if (name.len >= 0) {
        if (id && !kelp_uuid_is_zero(id->b)) {
            out->error_code = KAFKA_ERR_INVALID_REQUEST;
            out->error_message = kelp_kw_or_empty("give a topic name or a topic id, not both");
            return;
        }
        if (!kelp_authorized_kw(b, req, KELP_ACL_RESOURCE_TOPIC, name, KELP_ACL_OP_DELETE)) {
            out->error_code = KAFKA_ERR_TOPIC_AUTHORIZATION_FAILED;
            out->error_message = kelp_kw_or_empty("Authorization failed.");
            return;
        }
        t = kelp_topic_name_usable(name) ? kelp_storage_find_topic(b->storage, name.ptr, (size_t)name.len) : NULL;
        if (!t) {
            out->error_code = KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION;
            out->error_message = kelp_kw_or_empty("no such topic");
            return;
        }
        memcpy(out->topic_id.b, kelp_topic_id(t), 16);
    } else {
        t = id && !kelp_uuid_is_zero(id->b) ? kelp_storage_find_topic_by_id(b->storage, id->b) : NULL;
        if (!t) {
            out->error_code = KAFKA_ERR_UNKNOWN_TOPIC_ID;
            out->error_message = kelp_kw_or_empty("no topic with this id");
            return;
        }
        const char *n = kelp_topic_name(t);
        if (!kelp_authorized(b, req, KELP_ACL_RESOURCE_TOPIC, n, strlen(n), KELP_ACL_OP_DELETE)) {
            /* Kafka names the topic only to those who may describe it. */
            out->error_code = KAFKA_ERR_TOPIC_AUTHORIZATION_FAILED;
            out->error_message = kelp_kw_or_empty("Authorization failed.");
            return;
        }
        char *copy = kelp_arena_kw_dup(&req->arena, kelp_kw_or_empty(n));
        out->name = copy ? (kw_str){.ptr = copy, .len = (int32_t)strlen(copy)} : (kw_str){NULL, -1};
    }
    kelp_broker_delete_topic(b, t);
    out->error_code = KAFKA_ERR_NONE;
}

int kelp_handle_delete_topics(kelp_broker *b, kelp_request *req)
{
    kafka_DeleteTopicsRequest in;
    if (kafka_DeleteTopicsRequest_decode(&req->body, &req->arena, req->api_version, &in) != 0)
        return -1;
    bool by_state = req->api_version >= 6;
    int32_t n = by_state ? in.topics_count : in.topic_names_count;
    kafka_DeleteTopicsResponse resp;
    kafka_DeleteTopicsResponse_init(&resp);
    if (n > 0) {
        resp.responses = kelp_arena_alloc(&req->arena, (size_t)n * sizeof(*resp.responses));
        if (!resp.responses)
            return -1;
        resp.responses_count = n;
    }
    for (int32_t i = 0; i < n; i++) {
        topic_result *out = &resp.responses[i];
        kafka_DeleteTopicsResponse_DeletableTopicResult_init(out);
        if (by_state)
            delete_one(b, req, in.topics[i].name, &in.topics[i].topic_id, out);
        else
            delete_one(b, req, in.topic_names[i], NULL, out);
        /* Before v5 there is no message to carry. */
        if (req->api_version < 5)
            out->error_message = (kw_str){NULL, -1};
    }
    KELP_RESPOND(req, DeleteTopicsResponse, &resp);
    return 0;
}
