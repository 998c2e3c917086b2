#include "broker/topic_configs.h"

#include <stdio.h>
#include <string.h>

#include "protocol/kafka_errors.h"

void kelp_broker_topic_defaults(const kelp_broker *b, kelp_topic_config *out)
{
    kelp_topic_config_defaults(out, b->cfg.segment_bytes, b->cfg.message_max_bytes);
    out->value[KELP_TC_RETENTION_MS] = b->cfg.log_retention_ms;
    out->value[KELP_TC_RETENTION_BYTES] = b->cfg.log_retention_bytes;
    out->value[KELP_TC_SEGMENT_MS] = b->cfg.log_segment_ms;
}

void kelp_topic_config_views(const kelp_broker *b, const kelp_topic_config *own,
                             kelp_topic_config_view out[KELP_TC_COUNT])
{
    kelp_topic_config defaults;
    kelp_broker_topic_defaults(b, &defaults);
    for (int k = 0; k < KELP_TC_COUNT; k++) {
        bool set = own && (own->set & (1u << k));
        out[k].info = kelp_topic_config_info_of((kelp_topic_config_key)k);
        kelp_topic_config_format((kelp_topic_config_key)k, set ? own->value[k] : defaults.value[k], out[k].value,
                                 sizeof(out[k].value));
        /* segment.bytes and max.message.bytes come from Kelp's own configuration. */
        bool from_broker = k == KELP_TC_SEGMENT_BYTES || k == KELP_TC_MAX_MESSAGE_BYTES ||
                           k == KELP_TC_RETENTION_MS || k == KELP_TC_RETENTION_BYTES || k == KELP_TC_SEGMENT_MS;
        out[k].source = set ? KELP_CONFIG_SOURCE_DYNAMIC_TOPIC
                        : from_broker ? KELP_CONFIG_SOURCE_STATIC_BROKER
                                      : KELP_CONFIG_SOURCE_DEFAULT;
    }
}

int16_t kelp_topic_config_apply(kelp_topic_config *out, kw_str name, kw_str value, char *why, size_t whylen)
{
    int key = name.len > 0 ? kelp_topic_config_lookup(name.ptr, (size_t)name.len) : -1;
    if (key < 0) {
        snprintf(why, whylen, "unknown topic config %.*s", name.len > 0 ? (int)name.len : 0, name.ptr ? name.ptr : "");
        return KAFKA_ERR_INVALID_CONFIG;
    }
    if (value.len < 0) {
        snprintf(why, whylen, "null value for topic config %.*s", (int)name.len, name.ptr);
        return KAFKA_ERR_INVALID_REQUEST;
    }
    int64_t v;
    if (!kelp_topic_config_parse((kelp_topic_config_key)key, value.ptr, (size_t)value.len, &v, why, whylen))
        return KAFKA_ERR_INVALID_CONFIG;
    out->value[key] = v;
    out->set |= 1u << key;
    return KAFKA_ERR_NONE;
}
