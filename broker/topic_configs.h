/* Topic configs as the admin APIs see them: the broker's defaults, a
 * topic's effective values with their sources, and configs given in a
 * request checked into a kelp_topic_config. */
#ifndef KELP_BROKER_TOPIC_CONFIGS_H
#define KELP_BROKER_TOPIC_CONFIGS_H

#include "broker/broker.h"
#include "storage/topic_config.h"

/* Kafka's DescribeConfigs config sources. */
#define KELP_CONFIG_SOURCE_DYNAMIC_TOPIC 1
#define KELP_CONFIG_SOURCE_STATIC_BROKER 4
#define KELP_CONFIG_SOURCE_DEFAULT 5

/* The values a topic inherits from this broker. */
void kelp_broker_topic_defaults(const kelp_broker *b, kelp_topic_config *out);

/* One config of a topic as reported: effective value text and its source. */
typedef struct kelp_topic_config_view {
    const kelp_topic_config_info *info;
    char value[KELP_TOPIC_CONFIG_TEXT_MAX];
    int8_t source;
} kelp_topic_config_view;

/* Every config of a topic (NULL: of a topic created with no configs). */
void kelp_topic_config_views(const kelp_broker *b, const kelp_topic_config *own,
                             kelp_topic_config_view out[KELP_TC_COUNT]);

/* A request's configs, one at a time, checked into *out. Returns a Kafka
 * error code (INVALID_CONFIG for an unknown name or bad value;
 * INVALID_REQUEST for a null value) with the reason in why. */
int16_t kelp_topic_config_apply(kelp_topic_config *out, kw_str name, kw_str value, char *why, size_t whylen);

/* The checks of a POST /v1/topics body (the admin endpoint), storage
 * untouched: 0 with the name (NUL-terminated), the partition count
 * (default_partitions when absent) and the configs applied onto *config
 * (set bits only for those); -1 with the reason of a 400 otherwise. */
#define KELP_TOPIC_BODY_NAME_MAX 250
int kelp_broker_topics_parse_create(const char *body, int32_t default_partitions, char name_out[KELP_TOPIC_BODY_NAME_MAX],
                                    int32_t *count, kelp_topic_config *config, char *why, size_t whylen);

#endif
