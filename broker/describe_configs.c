/* DescribeConfigs: a topic's configs (its own and inherited, with their
 * sources, the broker synonyms they inherit from, types and documentation)
 * and this broker's settings under Kafka's names. */
#include <stdio.h>
#include <string.h>

#include "broker/authorizer.h"
#include "broker/broker_configs.h"
#include "broker/group_common.h"
#include "broker/topic_configs.h"
#include "protocol/generated/kafka_messages.h"
#include "protocol/kafka_errors.h"

#define RESOURCE_TOPIC 2
#define RESOURCE_BROKER 4

typedef kafka_DescribeConfigsResponse_DescribeConfigsResult resource_result;
typedef kafka_DescribeConfigsResponse_DescribeConfigsResourceResult config_result;

/* Kafka's ConfigEntry.ConfigType codes. */
static int8_t type_code(kelp_config_type t)
{
    switch (t) {
    case KELP_CONFIG_BOOLEAN: return 1;
    case KELP_CONFIG_STRING: return 2;
    case KELP_CONFIG_INT: return 3;
    case KELP_CONFIG_SHORT: return 4;
    case KELP_CONFIG_LONG: return 5;
    case KELP_CONFIG_LIST: return 7;
    case KELP_CONFIG_CLASS: return 8;
    }
    return 0;
}

static bool wanted(const kafka_DescribeConfigsRequest_DescribeConfigsResource *r, const char *name)
{
    if (r->configuration_keys_count < 0)
        return true; /* null: all of them */
    for (int32_t i = 0; i < r->configuration_keys_count; i++)
        if (kw_str_eq(r->configuration_keys[i], name))
            return true;
    return false;
}

static kw_str arena_text(kelp_request *req, const char *s)
{
    char *copy = kelp_arena_kw_dup(&req->arena, kelp_kw_or_empty(s));
    return copy ? (kw_str){.ptr = copy, .len = (int32_t)strlen(s)} : (kw_str){"", 0};
}

static void fill_common(config_result *c, kelp_request *req, bool docs, const char *name, const char *value,
                        int8_t source, kelp_config_type type, const char *doc, bool read_only)
{
    kafka_DescribeConfigsResponse_DescribeConfigsResourceResult_init(c);
    c->name = kelp_kw_or_empty(name);
    c->value = arena_text(req, value);
    c->read_only = read_only;
    c->config_source = source;
    c->is_default = source == KELP_CONFIG_SOURCE_DEFAULT;
    c->config_type = type_code(type);
    c->documentation = docs ? kelp_kw_or_empty(doc) : (kw_str){NULL, -1};
}

static int describe_topic(kelp_broker *b, kelp_request *req, const kafka_DescribeConfigsRequest *in,
                          const kafka_DescribeConfigsRequest_DescribeConfigsResource *r, resource_result *out)
{
    if (!kelp_topic_name_usable(r->resource_name)) {
        out->error_code = KAFKA_ERR_INVALID_TOPIC_EXCEPTION;
        out->error_message = kelp_kw_or_empty("invalid topic name");
        return 0;
    }
    kelp_topic *t = kelp_storage_find_topic(b->storage, r->resource_name.ptr, (size_t)r->resource_name.len);
    if (!t) {
        out->error_code = KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION;
        out->error_message = kelp_kw_or_empty("no such topic");
        return 0;
    }
    kelp_topic_config_view own[KELP_TC_COUNT], inherited[KELP_TC_COUNT];
    kelp_topic_config_views(b, kelp_topic_configs(t), own);
    kelp_topic_config_views(b, NULL, inherited);
    out->configs = kelp_arena_alloc(&req->arena, KELP_TC_COUNT * sizeof(*out->configs));
    if (!out->configs)
        return -1;
    bool docs = req->api_version >= 3 && in->include_documentation;
    for (int k = 0; k < KELP_TC_COUNT; k++) {
        if (!wanted(r, own[k].info->name))
            continue;
        config_result *c = &out->configs[out->configs_count++];
        fill_common(c, req, docs, own[k].info->name, own[k].value, own[k].source, own[k].info->type, own[k].info->doc,
                    false);
        if (!in->include_synonyms)
            continue;
        /* The topic's own value first, then the broker-wide one it would inherit. */
        bool set = own[k].source == KELP_CONFIG_SOURCE_DYNAMIC_TOPIC;
        c->synonyms = kelp_arena_alloc(&req->arena, 2 * sizeof(*c->synonyms));
        if (!c->synonyms)
            return -1;
        if (set) {
            kafka_DescribeConfigsResponse_DescribeConfigsSynonym *s = &c->synonyms[c->synonyms_count++];
            kafka_DescribeConfigsResponse_DescribeConfigsSynonym_init(s);
            s->name = c->name;
            s->value = c->value;
            s->source = KELP_CONFIG_SOURCE_DYNAMIC_TOPIC;
        }
        /* Configs with no broker-wide default (confluent.*) have no second synonym. */
        if (!own[k].info->broker_name)
            continue;
        kafka_DescribeConfigsResponse_DescribeConfigsSynonym *s = &c->synonyms[c->synonyms_count++];
        kafka_DescribeConfigsResponse_DescribeConfigsSynonym_init(s);
        s->name = kelp_kw_or_empty(own[k].info->broker_name);
        s->value = arena_text(req, inherited[k].value);
        s->source = inherited[k].source;
    }
    return 0;
}

static int describe_broker(kelp_broker *b, kelp_request *req, const kafka_DescribeConfigsRequest *in,
                           const kafka_DescribeConfigsRequest_DescribeConfigsResource *r, resource_result *out)
{
    char id[16];
    snprintf(id, sizeof(id), "%d", (int)b->cfg.node_id);
    if (!kw_str_eq(r->resource_name, id)) {
        out->error_code = KAFKA_ERR_INVALID_REQUEST;
        out->error_message = kelp_kw_or_empty("this is the only broker; name it by its id");
        return 0;
    }
    kelp_broker_config_view views[KELP_BROKER_CONFIG_COUNT];
    kelp_broker_config_views(b, views);
    out->configs = kelp_arena_alloc(&req->arena, KELP_BROKER_CONFIG_COUNT * sizeof(*out->configs));
    if (!out->configs)
        return -1;
    bool docs = req->api_version >= 3 && in->include_documentation;
    for (int i = 0; i < KELP_BROKER_CONFIG_COUNT; i++) {
        if (!wanted(r, views[i].name))
            continue;
        config_result *c = &out->configs[out->configs_count++];
        fill_common(c, req, docs, views[i].name, views[i].value, KELP_CONFIG_SOURCE_STATIC_BROKER, views[i].type,
                    views[i].doc, true);
        if (in->include_synonyms) {
            c->synonyms = kelp_arena_alloc(&req->arena, sizeof(*c->synonyms));
            if (!c->synonyms)
                return -1;
            kafka_DescribeConfigsResponse_DescribeConfigsSynonym_init(c->synonyms);
            c->synonyms->name = c->name;
            c->synonyms->value = c->value;
            c->synonyms->source = KELP_CONFIG_SOURCE_STATIC_BROKER;
            c->synonyms_count = 1;
        }
    }
    return 0;
}

int kelp_handle_describe_configs(kelp_broker *b, kelp_request *req)
{
    kafka_DescribeConfigsRequest in;
    if (kafka_DescribeConfigsRequest_decode(&req->body, &req->arena, req->api_version, &in) != 0)
        return -1;
    kafka_DescribeConfigsResponse resp;
    kafka_DescribeConfigsResponse_init(&resp);
    if (in.resources_count > 0) {
        resp.results = kelp_arena_alloc(&req->arena, (size_t)in.resources_count * sizeof(*resp.results));
        if (!resp.results)
            return -1;
        resp.results_count = in.resources_count;
    }
    for (int32_t i = 0; i < in.resources_count; i++) {
        const kafka_DescribeConfigsRequest_DescribeConfigsResource *r = &in.resources[i];
        resource_result *out = &resp.results[i];
        kafka_DescribeConfigsResponse_DescribeConfigsResult_init(out);
        out->resource_type = r->resource_type;
        out->resource_name = r->resource_name;
        int rc = 0;
        int16_t denied = kelp_config_resource_denied(b, req, r->resource_type, r->resource_name,
                                                     KELP_ACL_OP_DESCRIBE_CONFIGS);
        if (denied) {
            out->error_code = denied;
            out->error_message = kelp_kw_or_empty("Authorization failed.");
        } else if (r->resource_type == RESOURCE_TOPIC) {
            rc = describe_topic(b, req, &in, r, out);
        } else if (r->resource_type == RESOURCE_BROKER) {
            rc = describe_broker(b, req, &in, r, out);
        } else {
            out->error_code = KAFKA_ERR_INVALID_REQUEST;
            out->error_message = kelp_kw_or_empty("unsupported resource type");
        }
        if (rc != 0)
            return -1;
    }
    KELP_RESPOND(req, DescribeConfigsResponse, &resp);
    return 0;
}
