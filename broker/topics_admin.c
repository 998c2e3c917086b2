/* The admin endpoint's view of topics: GET /v1/topics lists them, GET
 * /v1/topics/<name> shows one (partitions with offsets and sizes, every
 * config with its value and whether the topic sets it), POST /v1/topics
 * creates one, DELETE /v1/topics/<name> deletes one as DeleteTopics does. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/broker.h"
#include "broker/topic_configs.h"
#include "protocol/kafka_errors.h"
#include "storage/topic_name.h"
#include "util/log.h"
#include "util/uuid.h"

static char *error_json(unsigned code, const char *message, unsigned *status)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "error", message);
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    *status = text ? code : 500;
    return text;
}

static char *print(cJSON *o, unsigned code, unsigned *status)
{
    char *text = o ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    *status = text ? code : 500;
    return text;
}

static void add_common(cJSON *o, kelp_topic *t)
{
    char id[KELP_UUID_STRING_LEN + 1];
    kelp_uuid_to_string(kelp_topic_id(t), id);
    cJSON_AddStringToObject(o, "name", kelp_topic_name(t));
    cJSON_AddStringToObject(o, "id", id);
}

static cJSON *topic_summary(kelp_topic *t)
{
    cJSON *o = cJSON_CreateObject();
    add_common(o, t);
    int32_t n = kelp_topic_partition_count(t);
    int64_t size = 0, records = 0;
    for (int32_t i = 0; i < n; i++) {
        kelp_partition *p = kelp_topic_partition(t, i);
        size += kelp_partition_size_bytes(p);
        records += kelp_partition_high_watermark(p) - kelp_partition_log_start_offset(p);
    }
    cJSON_AddNumberToObject(o, "partitions", n);
    cJSON_AddNumberToObject(o, "size_bytes", (double)size);
    cJSON_AddNumberToObject(o, "offset_span", (double)records);
    return o;
}

static cJSON *topic_detail(kelp_broker *b, kelp_topic *t)
{
    cJSON *o = cJSON_CreateObject();
    add_common(o, t);
    cJSON *parts = cJSON_AddArrayToObject(o, "partitions");
    for (int32_t i = 0; i < kelp_topic_partition_count(t); i++) {
        kelp_partition *p = kelp_topic_partition(t, i);
        cJSON *po = cJSON_CreateObject();
        cJSON_AddNumberToObject(po, "partition", i);
        cJSON_AddNumberToObject(po, "log_start_offset", (double)kelp_partition_log_start_offset(p));
        cJSON_AddNumberToObject(po, "high_watermark", (double)kelp_partition_high_watermark(p));
        cJSON_AddNumberToObject(po, "log_end_offset", (double)kelp_partition_log_end_offset(p));
        cJSON_AddNumberToObject(po, "size_bytes", (double)kelp_partition_size_bytes(p));
        cJSON_AddItemToArray(parts, po);
    }
    kelp_topic_config_view views[KELP_TC_COUNT];
    const kelp_topic_config *own = kelp_topic_configs(t);
    kelp_topic_config_views(b, own, views);
    cJSON *configs = cJSON_AddObjectToObject(o, "configs");
    cJSON *overrides = cJSON_AddArrayToObject(o, "overrides");
    for (int k = 0; k < KELP_TC_COUNT; k++) {
        cJSON_AddStringToObject(configs, views[k].info->name, views[k].value);
        if (own->set & (1u << k))
            cJSON_AddItemToArray(overrides, cJSON_CreateString(views[k].info->name));
    }
    return o;
}

char *kelp_broker_topics_json(kelp_broker *b, const char *name, unsigned *status)
{
    if (name) {
        kelp_topic *t = kelp_topic_name_valid(name, strlen(name)) ? kelp_storage_find_topic(b->storage, name, strlen(name))
                                                                   : NULL;
        if (!t)
            return error_json(404, "no such topic", status);
        return print(topic_detail(b, t), 200, status);
    }
    cJSON *o = cJSON_CreateObject();
    cJSON *list = cJSON_AddArrayToObject(o, "topics");
    for (size_t i = 0; i < kelp_storage_topic_count(b->storage); i++)
        cJSON_AddItemToArray(list, topic_summary(kelp_storage_topic_at(b->storage, i)));
    return print(o, 200, status);
}

/* {"name": "...", "partitions": N (optional), "configs": {"key": "value" or number}} */
int kelp_broker_topics_parse_create(const char *body, int32_t default_partitions, char name_out[KELP_TOPIC_BODY_NAME_MAX],
                                    int32_t *count, kelp_topic_config *config, char *why, size_t whylen)
{
    cJSON *in = cJSON_Parse(body);
    int rc = -1;
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(in, "name");
    const cJSON *parts = cJSON_GetObjectItemCaseSensitive(in, "partitions");
    const cJSON *configs = cJSON_GetObjectItemCaseSensitive(in, "configs");
    if (!cJSON_IsObject(in) || !cJSON_IsString(name)) {
        snprintf(why, whylen, "the body must be a JSON object with a string \"name\"");
        goto done;
    }
    size_t len = strlen(name->valuestring);
    if (len >= KELP_TOPIC_BODY_NAME_MAX || !kelp_topic_name_valid(name->valuestring, len) ||
        kelp_topic_name_reserved(name->valuestring, len)) {
        snprintf(why, whylen, "topic names are 1 to 249 characters of [a-zA-Z0-9._-], not . or ..");
        goto done;
    }
    memcpy(name_out, name->valuestring, len + 1);
    *count = default_partitions;
    if (parts) {
        if (!cJSON_IsNumber(parts) || parts->valuedouble < 1 || parts->valuedouble > KELP_STORAGE_MAX_PARTITIONS ||
            parts->valuedouble != (double)(int32_t)parts->valuedouble) {
            snprintf(why, whylen, "\"partitions\" must be an integer from 1 to 100000");
            goto done;
        }
        *count = (int32_t)parts->valuedouble;
    }
    if (configs && !cJSON_IsObject(configs)) {
        snprintf(why, whylen, "\"configs\" must be an object of config names to values");
        goto done;
    }
    config->set = 0;
    const cJSON *c;
    cJSON_ArrayForEach(c, configs)
    {
        char number[32];
        const char *text = cJSON_IsString(c) ? c->valuestring : NULL;
        /* In range before the cast: converting a double beyond long long is undefined. */
        if (cJSON_IsNumber(c) && c->valuedouble >= -9223372036854775808.0 && c->valuedouble < 9223372036854775808.0 &&
            c->valuedouble == (double)(long long)c->valuedouble) {
            snprintf(number, sizeof(number), "%lld", (long long)c->valuedouble);
            text = number;
        }
        if (!text) {
            snprintf(why, whylen, "config %s must be a string or an integer", c->string);
            goto done;
        }
        kw_str key = {.ptr = c->string, .len = (int32_t)strlen(c->string)};
        kw_str value = {.ptr = text, .len = (int32_t)strlen(text)};
        if (kelp_topic_config_apply(config, key, value, why, whylen) != KAFKA_ERR_NONE)
            goto done;
    }
    rc = 0;
done:
    cJSON_Delete(in);
    return rc;
}

char *kelp_broker_topics_create(kelp_broker *b, const char *body, unsigned *status)
{
    char why[256] = "";
    char name[KELP_TOPIC_BODY_NAME_MAX];
    int32_t count;
    kelp_topic_config config;
    kelp_broker_topic_defaults(b, &config);
    if (kelp_broker_topics_parse_create(body, b->cfg.default_partitions, name, &count, &config, why, sizeof(why)) != 0)
        return error_json(400, why, status);
    kelp_topic *t;
    int rc = kelp_storage_create_topic(b->storage, name, strlen(name), count, &config, &t);
    if (rc == KELP_STORAGE_ERR_EXISTS)
        return error_json(409, "the topic exists", status);
    if (rc != KELP_STORAGE_OK)
        return error_json(500, "the topic could not be written", status);
    KELP_INFO("broker", "created topic %s with %d partitions (admin endpoint)", name, (int)count);
    return print(topic_detail(b, t), 201, status);
}

char *kelp_broker_topics_delete(kelp_broker *b, const char *name, unsigned *status)
{
    size_t len = strlen(name);
    kelp_topic *t = kelp_topic_name_valid(name, len) ? kelp_storage_find_topic(b->storage, name, len) : NULL;
    if (!t)
        return error_json(404, "no such topic", status);
    cJSON *o = cJSON_CreateObject();
    add_common(o, t);
    cJSON_AddBoolToObject(o, "deleted", 1);
    kelp_broker_delete_topic(b, t);
    return print(o, 200, status);
}
