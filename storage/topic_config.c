#include "storage/topic_config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DAY_MS 86400000LL
#define TOPIC_NAME_STRATEGY "io.confluent.kafka.serializers.subject.TopicNameStrategy"
_Static_assert(sizeof(TOPIC_NAME_STRATEGY) <= KELP_TOPIC_CONFIG_TEXT_MAX, "config texts must fit their buffers");

/* Sorted by name, as Kafka lists them. */
static const kelp_topic_config_info infos[KELP_TC_COUNT] = {
    [KELP_TC_CLEANUP_POLICY] = {"cleanup.policy", "log.cleanup.policy", KELP_CONFIG_LIST, 0, 0,
                                "What happens to old log segments: \"delete\" removes them once retention "
                                "expires, \"compact\" keeps the latest record of each key; both may be given."},
    [KELP_TC_KEY_SCHEMA_VALIDATION] = {"confluent.key.schema.validation", NULL, KELP_CONFIG_BOOLEAN, 0, 1,
                                       "When true, every record key must carry the id of a schema registered "
                                       "under the topic's key subject and decode with that schema; a batch "
                                       "with any other key is refused with INVALID_RECORD. Null keys pass."},
    [KELP_TC_KEY_SUBJECT_NAME_STRATEGY] = {"confluent.key.subject.name.strategy", NULL, KELP_CONFIG_CLASS, 0, 0,
                                           "How the key subject is named: only "
                                           "io.confluent.kafka.serializers.subject.TopicNameStrategy "
                                           "(\"<topic>-key\") is supported."},
    [KELP_TC_VALUE_SCHEMA_VALIDATION] = {"confluent.value.schema.validation", NULL, KELP_CONFIG_BOOLEAN, 0, 1,
                                         "When true, every record value must carry the id of a schema registered "
                                         "under the topic's value subject and decode with that schema; a batch "
                                         "with any other value is refused with INVALID_RECORD. Null values "
                                         "(tombstones) pass."},
    [KELP_TC_VALUE_SUBJECT_NAME_STRATEGY] = {"confluent.value.subject.name.strategy", NULL, KELP_CONFIG_CLASS, 0,
                                             0,
                                             "How the value subject is named: only "
                                             "io.confluent.kafka.serializers.subject.TopicNameStrategy "
                                             "(\"<topic>-value\") is supported."},
    [KELP_TC_DELETE_RETENTION_MS] = {"delete.retention.ms", "log.cleaner.delete.retention.ms", KELP_CONFIG_LONG, 0,
                                     INT64_MAX,
                                     "How long a tombstone (a record with a null value) survives compaction."},
    [KELP_TC_MAX_MESSAGE_BYTES] = {"max.message.bytes", "message.max.bytes", KELP_CONFIG_INT, 0, INT32_MAX,
                                   "The largest record batch the topic accepts; larger batches are refused "
                                   "with MESSAGE_TOO_LARGE."},
    [KELP_TC_MESSAGE_TIMESTAMP_TYPE] = {"message.timestamp.type", "log.message.timestamp.type", KELP_CONFIG_STRING,
                                        0, 0,
                                        "CreateTime keeps the producer's timestamps; LogAppendTime replaces "
                                        "them with the time the broker stored the batch."},
    [KELP_TC_MIN_COMPACTION_LAG_MS] = {"min.compaction.lag.ms", "log.cleaner.min.compaction.lag.ms",
                                       KELP_CONFIG_LONG, 0, INT64_MAX,
                                       "The least time a record stays uncompacted after it is written."},
    [KELP_TC_RETENTION_BYTES] = {"retention.bytes", "log.retention.bytes", KELP_CONFIG_LONG, -1, INT64_MAX,
                                 "The size a partition may grow to before its oldest segments are deleted; "
                                 "-1 for no limit."},
    [KELP_TC_RETENTION_MS] = {"retention.ms", "log.retention.ms", KELP_CONFIG_LONG, -1, INT64_MAX,
                              "How long a segment is kept after its newest record; -1 for ever."},
    [KELP_TC_SEGMENT_BYTES] = {"segment.bytes", "log.segment.bytes", KELP_CONFIG_INT, 1048576, INT32_MAX,
                               "The size at which a partition starts a new log segment."},
    [KELP_TC_SEGMENT_MS] = {"segment.ms", "log.roll.ms", KELP_CONFIG_LONG, 1, INT64_MAX,
                            "The age at which a partition starts a new log segment even if the current one "
                            "is not full."},
};

const kelp_topic_config_info *kelp_topic_config_info_of(kelp_topic_config_key key)
{
    return key < KELP_TC_COUNT ? &infos[key] : NULL;
}

int kelp_topic_config_lookup(const char *name, size_t len)
{
    for (int k = 0; k < KELP_TC_COUNT; k++)
        if (strlen(infos[k].name) == len && memcmp(infos[k].name, name, len) == 0)
            return k;
    return -1;
}

void kelp_topic_config_defaults(kelp_topic_config *c, int64_t segment_bytes, int32_t max_message_bytes)
{
    memset(c, 0, sizeof(*c));
    c->value[KELP_TC_CLEANUP_POLICY] = KELP_CLEANUP_DELETE;
    c->value[KELP_TC_DELETE_RETENTION_MS] = DAY_MS;
    c->value[KELP_TC_MAX_MESSAGE_BYTES] = max_message_bytes;
    c->value[KELP_TC_MESSAGE_TIMESTAMP_TYPE] = KELP_TIMESTAMP_CREATE_TIME;
    c->value[KELP_TC_MIN_COMPACTION_LAG_MS] = 0;
    c->value[KELP_TC_RETENTION_BYTES] = -1;
    c->value[KELP_TC_RETENTION_MS] = 7 * DAY_MS;
    c->value[KELP_TC_SEGMENT_BYTES] = segment_bytes;
    c->value[KELP_TC_SEGMENT_MS] = 7 * DAY_MS;
}

static bool word_eq(const char *p, size_t len, const char *word)
{
    return strlen(word) == len && memcmp(p, word, len) == 0;
}

static bool parse_policy(const char *text, size_t len, int64_t *value)
{
    int64_t bits = 0;
    size_t i = 0;
    while (i <= len) {
        size_t j = i;
        while (j < len && text[j] != ',')
            j++;
        /* Kafka trims the items of a list. */
        size_t a = i, b = j;
        while (a < b && text[a] == ' ')
            a++;
        while (b > a && text[b - 1] == ' ')
            b--;
        if (word_eq(text + a, b - a, "delete"))
            bits |= KELP_CLEANUP_DELETE;
        else if (word_eq(text + a, b - a, "compact"))
            bits |= KELP_CLEANUP_COMPACT;
        else
            return false;
        i = j + 1;
    }
    *value = bits;
    return bits != 0;
}

bool kelp_topic_config_parse(kelp_topic_config_key key, const char *text, size_t len, int64_t *value, char *why,
                             size_t whylen)
{
    const kelp_topic_config_info *info = &infos[key];
    switch (info->type) {
    case KELP_CONFIG_LIST:
        if (!parse_policy(text, len, value)) {
            snprintf(why, whylen, "%s must be a list of \"delete\" and \"compact\"", info->name);
            return false;
        }
        return true;
    case KELP_CONFIG_BOOLEAN:
        /* Kafka's ConfigDef takes true/false in any case. */
        if (len == 4 && strncasecmp(text, "true", 4) == 0)
            *value = 1;
        else if (len == 5 && strncasecmp(text, "false", 5) == 0)
            *value = 0;
        else {
            snprintf(why, whylen, "%s must be true or false", info->name);
            return false;
        }
        return true;
    case KELP_CONFIG_CLASS:
        /* Refused rather than accepted and ignored: the other strategies
         * name subjects after the record's type, which Kelp does not do. */
        if (!word_eq(text, len, TOPIC_NAME_STRATEGY)) {
            snprintf(why, whylen, "%s supports only %s", info->name, TOPIC_NAME_STRATEGY);
            return false;
        }
        *value = KELP_SUBJECT_TOPIC_NAME;
        return true;
    case KELP_CONFIG_STRING:
        if (word_eq(text, len, "CreateTime"))
            *value = KELP_TIMESTAMP_CREATE_TIME;
        else if (word_eq(text, len, "LogAppendTime"))
            *value = KELP_TIMESTAMP_LOG_APPEND_TIME;
        else {
            snprintf(why, whylen, "%s must be CreateTime or LogAppendTime", info->name);
            return false;
        }
        return true;
    default: {
        char buf[32];
        if (len == 0 || len >= sizeof(buf)) {
            snprintf(why, whylen, "%s must be an integer", info->name);
            return false;
        }
        memcpy(buf, text, len);
        buf[len] = '\0';
        char *end;
        errno = 0;
        long long v = strtoll(buf, &end, 10);
        if (errno || *end || end == buf || buf[0] == ' ' || buf[0] == '+') {
            snprintf(why, whylen, "%s must be an integer", info->name);
            return false;
        }
        if (v < info->min || v > info->max) {
            snprintf(why, whylen, "%s must be between %" PRId64 " and %" PRId64, info->name, info->min, info->max);
            return false;
        }
        *value = v;
        return true;
    }
    }
}

void kelp_topic_config_format(kelp_topic_config_key key, int64_t value, char *out, size_t cap)
{
    switch (infos[key].type) {
    case KELP_CONFIG_LIST:
        snprintf(out, cap, "%s",
                 value == (KELP_CLEANUP_DELETE | KELP_CLEANUP_COMPACT) ? "compact,delete"
                 : value == KELP_CLEANUP_COMPACT                       ? "compact"
                                                                       : "delete");
        break;
    case KELP_CONFIG_BOOLEAN:
        snprintf(out, cap, "%s", value ? "true" : "false");
        break;
    case KELP_CONFIG_CLASS:
        snprintf(out, cap, "%s", TOPIC_NAME_STRATEGY);
        break;
    case KELP_CONFIG_STRING:
        snprintf(out, cap, "%s", value == KELP_TIMESTAMP_LOG_APPEND_TIME ? "LogAppendTime" : "CreateTime");
        break;
    default:
        snprintf(out, cap, "%" PRId64, value);
    }
}

bool kelp_topic_config_set(kelp_topic_config *c, kelp_topic_config_key key, const char *text, size_t len,
                           char *why, size_t whylen)
{
    int64_t v;
    if (!kelp_topic_config_parse(key, text, len, &v, why, whylen))
        return false;
    c->value[key] = v;
    c->set |= 1u << key;
    return true;
}

void kelp_topic_config_unset(kelp_topic_config *c, const kelp_topic_config *defaults, kelp_topic_config_key key)
{
    c->value[key] = defaults->value[key];
    c->set &= ~(1u << key);
}
