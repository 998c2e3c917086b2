/* AlterConfigs (a topic's whole set of own configs replaced) and
 * IncrementalAlterConfigs (SET, DELETE, APPEND, SUBTRACT per key). A
 * resource's changes are checked together and written at once, or not at
 * all; validate_only checks without writing. This broker's own settings
 * change through Kelp's configuration, so BROKER resources are refused. */
#include <stdio.h>
#include <string.h>

#include "broker/authorizer.h"
#include "broker/group_common.h"
#include "broker/topic_configs.h"
#include "protocol/generated/kafka_messages.h"
#include "protocol/kafka_errors.h"
#include "util/log.h"

#define RESOURCE_TOPIC 2
#define RESOURCE_BROKER 4

#define OP_SET 0
#define OP_DELETE 1
#define OP_APPEND 2
#define OP_SUBTRACT 3

/* One resource's outcome. */
typedef struct alter_outcome {
    int16_t error;
    char why[256];
} alter_outcome;

/* The topic a resource names, or an error in *o. */
static kelp_topic *resource_topic(kelp_broker *b, int8_t type, kw_str name, alter_outcome *o)
{
    if (type == RESOURCE_BROKER) {
        o->error = KAFKA_ERR_INVALID_REQUEST;
        snprintf(o->why, sizeof(o->why), "broker settings change through Kelp's configuration (admin PUT /v1/config)");
        return NULL;
    }
    if (type != RESOURCE_TOPIC) {
        o->error = KAFKA_ERR_INVALID_REQUEST;
        snprintf(o->why, sizeof(o->why), "unsupported resource type %d", (int)type);
        return NULL;
    }
    if (!kelp_topic_name_usable(name)) {
        o->error = KAFKA_ERR_INVALID_TOPIC_EXCEPTION;
        snprintf(o->why, sizeof(o->why), "invalid topic name");
        return NULL;
    }
    kelp_topic *t = kelp_storage_find_topic(b->storage, name.ptr, (size_t)name.len);
    if (!t) {
        o->error = KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION;
        snprintf(o->why, sizeof(o->why), "no such topic");
    }
    return t;
}

static void commit(kelp_broker *b, kelp_topic *t, const kelp_topic_config *next, bool validate_only, alter_outcome *o)
{
    if (validate_only)
        return;
    if (kelp_storage_set_topic_config(b->storage, t, next) != KELP_STORAGE_OK) {
        o->error = KAFKA_ERR_KAFKA_STORAGE_ERROR;
        snprintf(o->why, sizeof(o->why), "the topic's configs could not be written");
        return;
    }
    KELP_INFO("broker", "configs of topic %s changed", kelp_topic_name(t));
}

static bool named_twice(const kw_str *names, int32_t i)
{
    for (int32_t j = 0; j < i; j++)
        if (names[j].len == names[i].len && names[i].len > 0 &&
            memcmp(names[j].ptr, names[i].ptr, (size_t)names[i].len) == 0)
            return true;
    return false;
}

static alter_outcome alter_whole(kelp_broker *b, kelp_request *req,
                                 const kafka_AlterConfigsRequest_AlterConfigsResource *r, bool validate_only)
{
    alter_outcome o = {0};
    kelp_topic *t = resource_topic(b, r->resource_type, r->resource_name, &o);
    if (!t)
        return o;
    kelp_topic_config next;
    kelp_broker_topic_defaults(b, &next);
    next.set = 0;
    kw_str *names = kelp_arena_alloc(&req->arena, ((size_t)r->configs_count + 1) * sizeof(*names));
    for (int32_t i = 0; names && i < r->configs_count; i++) {
        names[i] = r->configs[i].name;
        if (named_twice(names, i)) {
            o.error = KAFKA_ERR_INVALID_REQUEST;
            snprintf(o.why, sizeof(o.why), "config %.*s is given more than once", (int)names[i].len, names[i].ptr);
            return o;
        }
        o.error = kelp_topic_config_apply(&next, r->configs[i].name, r->configs[i].value, o.why, sizeof(o.why));
        if (o.error)
            return o;
    }
    if (!names) {
        o.error = KAFKA_ERR_UNKNOWN_SERVER_ERROR;
        return o;
    }
    commit(b, t, &next, validate_only, &o);
    return o;
}

static alter_outcome alter_incremental(kelp_broker *b, kelp_request *req,
                                       const kafka_IncrementalAlterConfigsRequest_AlterConfigsResource *r,
                                       bool validate_only)
{
    alter_outcome o = {0};
    kelp_topic *t = resource_topic(b, r->resource_type, r->resource_name, &o);
    if (!t)
        return o;
    kelp_topic_config defaults, next = *kelp_topic_configs(t);
    kelp_broker_topic_defaults(b, &defaults);
    /* Inherited keys hold the broker's current values. */
    for (int k = 0; k < KELP_TC_COUNT; k++)
        if (!(next.set & (1u << k)))
            next.value[k] = defaults.value[k];
    kw_str *names = kelp_arena_alloc(&req->arena, ((size_t)r->configs_count + 1) * sizeof(*names));
    if (!names) {
        o.error = KAFKA_ERR_UNKNOWN_SERVER_ERROR;
        return o;
    }
    for (int32_t i = 0; i < r->configs_count; i++) {
        const kafka_IncrementalAlterConfigsRequest_AlterableConfig *c = &r->configs[i];
        names[i] = c->name;
        if (named_twice(names, i)) {
            o.error = KAFKA_ERR_INVALID_REQUEST;
            snprintf(o.why, sizeof(o.why), "config %.*s is given more than once", (int)c->name.len, c->name.ptr);
            return o;
        }
        int key = c->name.len > 0 ? kelp_topic_config_lookup(c->name.ptr, (size_t)c->name.len) : -1;
        if (key < 0) {
            o.error = KAFKA_ERR_INVALID_CONFIG;
            snprintf(o.why, sizeof(o.why), "unknown topic config %.*s", c->name.len > 0 ? (int)c->name.len : 0,
                     c->name.ptr ? c->name.ptr : "");
            return o;
        }
        const kelp_topic_config_info *info = kelp_topic_config_info_of((kelp_topic_config_key)key);
        switch (c->config_operation) {
        case OP_SET:
            o.error = kelp_topic_config_apply(&next, c->name, c->value, o.why, sizeof(o.why));
            break;
        case OP_DELETE:
            kelp_topic_config_unset(&next, &defaults, (kelp_topic_config_key)key);
            break;
        case OP_APPEND:
        case OP_SUBTRACT: {
            int64_t items;
            if (info->type != KELP_CONFIG_LIST) {
                o.error = KAFKA_ERR_INVALID_CONFIG;
                snprintf(o.why, sizeof(o.why), "%s is not a list: APPEND and SUBTRACT do not apply", info->name);
                break;
            }
            if (c->value.len < 0 || !kelp_topic_config_parse((kelp_topic_config_key)key, c->value.ptr,
                                                             (size_t)c->value.len, &items, o.why, sizeof(o.why))) {
                o.error = KAFKA_ERR_INVALID_CONFIG;
                break;
            }
            int64_t v = c->config_operation == OP_APPEND ? next.value[key] | items : next.value[key] & ~items;
            if (v == 0) {
                o.error = KAFKA_ERR_INVALID_CONFIG;
                snprintf(o.why, sizeof(o.why), "%s may not become empty", info->name);
            } else {
                next.value[key] = v;
                next.set |= 1u << key;
            }
            break;
        }
        default:
            o.error = KAFKA_ERR_INVALID_REQUEST;
            snprintf(o.why, sizeof(o.why), "unknown config operation %d", (int)c->config_operation);
        }
        if (o.error)
            return o;
    }
    commit(b, t, &next, validate_only, &o);
    return o;
}

static kw_str why_text(kelp_request *req, const alter_outcome *o)
{
    if (!o->error)
        return (kw_str){NULL, -1};
    char *copy = kelp_arena_kw_dup(&req->arena, kelp_kw_or_empty(o->why));
    return copy ? (kw_str){.ptr = copy, .len = (int32_t)strlen(copy)} : (kw_str){NULL, -1};
}

int kelp_handle_alter_configs(kelp_broker *b, kelp_request *req)
{
    kafka_AlterConfigsRequest in;
    if (kafka_AlterConfigsRequest_decode(&req->body, &req->arena, req->api_version, &in) != 0)
        return -1;
    kafka_AlterConfigsResponse resp;
    kafka_AlterConfigsResponse_init(&resp);
    if (in.resources_count > 0) {
        resp.responses = kelp_arena_alloc(&req->arena, (size_t)in.resources_count * sizeof(*resp.responses));
        if (!resp.responses)
            return -1;
        resp.responses_count = in.resources_count;
    }
    for (int32_t i = 0; i < in.resources_count; i++) {
        kafka_AlterConfigsResponse_AlterConfigsResourceResponse *out = &resp.responses[i];
        kafka_AlterConfigsResponse_AlterConfigsResourceResponse_init(out);
        alter_outcome o = {.error = kelp_config_resource_denied(b, req, in.resources[i].resource_type,
                                                                in.resources[i].resource_name, KELP_ACL_OP_ALTER_CONFIGS)};
        if (o.error)
            snprintf(o.why, sizeof(o.why), "Authorization failed.");
        else
            o = alter_whole(b, req, &in.resources[i], in.validate_only);
        out->resource_type = in.resources[i].resource_type;
        out->resource_name = in.resources[i].resource_name;
        out->error_code = o.error;
        out->error_message = why_text(req, &o);
    }
    KELP_RESPOND(req, AlterConfigsResponse, &resp);
    return 0;
}

int kelp_handle_incremental_alter_configs(kelp_broker *b, kelp_request *req)
{
    kafka_IncrementalAlterConfigsRequest in;
    if (kafka_IncrementalAlterConfigsRequest_decode(&req->body, &req->arena, req->api_version, &in) != 0)
        return -1;
    kafka_IncrementalAlterConfigsResponse resp;
    kafka_IncrementalAlterConfigsResponse_init(&resp);
    if (in.resources_count > 0) {
        resp.responses = kelp_arena_alloc(&req->arena, (size_t)in.resources_count * sizeof(*resp.responses));
        if (!resp.responses)
            return -1;
        resp.responses_count = in.resources_count;
    }
    for (int32_t i = 0; i < in.resources_count; i++) {
        kafka_IncrementalAlterConfigsResponse_AlterConfigsResourceResponse *out = &resp.responses[i];
        kafka_IncrementalAlterConfigsResponse_AlterConfigsResourceResponse_init(out);
        alter_outcome o = {.error = kelp_config_resource_denied(b, req, in.resources[i].resource_type,
                                                                in.resources[i].resource_name, KELP_ACL_OP_ALTER_CONFIGS)};
        if (o.error)
            snprintf(o.why, sizeof(o.why), "Authorization failed.");
        else
            o = alter_incremental(b, req, &in.resources[i], in.validate_only);
        out->resource_type = in.resources[i].resource_type;
        out->resource_name = in.resources[i].resource_name;
        out->error_code = o.error;
        out->error_message = why_text(req, &o);
    }
    KELP_RESPOND(req, IncrementalAlterConfigsResponse, &resp);
    return 0;
}
