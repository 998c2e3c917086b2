/* Per-topic configuration: the Kafka topic configs Kelp knows, their
 * values on one topic (set explicitly or inherited from the broker), and
 * their text form (the strings Kafka's admin APIs and topic.json use).
 * A config name Kelp does not know is an error, never ignored. */
#ifndef KELP_STORAGE_TOPIC_CONFIG_H
#define KELP_STORAGE_TOPIC_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum kelp_topic_config_key {
    KELP_TC_CLEANUP_POLICY,
    KELP_TC_KEY_SCHEMA_VALIDATION,
    KELP_TC_KEY_SUBJECT_NAME_STRATEGY,
    KELP_TC_VALUE_SCHEMA_VALIDATION,
    KELP_TC_VALUE_SUBJECT_NAME_STRATEGY,
    KELP_TC_DELETE_RETENTION_MS,
    KELP_TC_MAX_MESSAGE_BYTES,
    KELP_TC_MESSAGE_TIMESTAMP_TYPE,
    KELP_TC_MIN_COMPACTION_LAG_MS,
    KELP_TC_RETENTION_BYTES,
    KELP_TC_RETENTION_MS,
    KELP_TC_SEGMENT_BYTES,
    KELP_TC_SEGMENT_MS,
    KELP_TC_COUNT
} kelp_topic_config_key;

/* cleanup.policy is a set of these bits. */
#define KELP_CLEANUP_DELETE 1
#define KELP_CLEANUP_COMPACT 2
/* message.timestamp.type */
#define KELP_TIMESTAMP_CREATE_TIME 0
#define KELP_TIMESTAMP_LOG_APPEND_TIME 1
/* confluent.{key,value}.subject.name.strategy: only TopicNameStrategy. */
#define KELP_SUBJECT_TOPIC_NAME 0

typedef enum kelp_config_type {
    KELP_CONFIG_LONG,
    KELP_CONFIG_INT,
    KELP_CONFIG_SHORT,
    KELP_CONFIG_BOOLEAN,
    KELP_CONFIG_LIST,
    KELP_CONFIG_STRING,
    KELP_CONFIG_CLASS
} kelp_config_type;

typedef struct kelp_topic_config_info {
    const char *name;
    const char *broker_name; /* the broker-wide default's name (a DescribeConfigs synonym), NULL for none */
    kelp_config_type type;
    int64_t min, max; /* numeric bounds */
    const char *doc;
} kelp_topic_config_info;

/* A topic's configuration: every value, and which ones the topic sets. */
typedef struct kelp_topic_config {
    int64_t value[KELP_TC_COUNT];
    uint32_t set; /* bit (1 << key): set on the topic, not inherited */
} kelp_topic_config;

const kelp_topic_config_info *kelp_topic_config_info_of(kelp_topic_config_key key);
/* The key of a config name, or -1 when Kelp does not know the name. */
int kelp_topic_config_lookup(const char *name, size_t len);

/* Kafka's defaults, with the two the broker configures. */
void kelp_topic_config_defaults(kelp_topic_config *c, int64_t segment_bytes, int32_t max_message_bytes);

/* Parses a value's text; false (with a reason) when it is not valid for the key. */
bool kelp_topic_config_parse(kelp_topic_config_key key, const char *text, size_t len, int64_t *value,
                             char *why, size_t whylen);
/* Room for the text of any value (the longest is a strategy class name). */
#define KELP_TOPIC_CONFIG_TEXT_MAX 96

/* The text of a value, as Kafka shows it. */
void kelp_topic_config_format(kelp_topic_config_key key, int64_t value, char *out, size_t cap);

/* Sets a key on the topic from text; false with a reason when invalid. */
bool kelp_topic_config_set(kelp_topic_config *c, kelp_topic_config_key key, const char *text, size_t len,
                           char *why, size_t whylen);
/* Drops the topic's own value: the broker default applies again. */
void kelp_topic_config_unset(kelp_topic_config *c, const kelp_topic_config *defaults, kelp_topic_config_key key);

#endif
