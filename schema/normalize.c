/* Schema validation and canonical text (see normalize.h). */
#include "schema/normalize.h"

#include <avro.h>
#include <cjson/cJSON.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int normalize_json(kelp_schema_type type, const char *text, bool has_references, char **out, char *why,
                          size_t whylen)
{
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithOpts(text, &end, true);
    if (!root) {
        snprintf(why, whylen, "Invalid schema: not valid JSON");
        return -1;
    }
    if (type == KELP_SCHEMA_JSON && !cJSON_IsObject(root) && !cJSON_IsBool(root)) {
        cJSON_Delete(root);
        snprintf(why, whylen, "Invalid schema: a JSON schema must be an object or a boolean");
        return -1;
    }
    char *printed = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    if (!printed) {
        snprintf(why, whylen, "out of memory");
        return -1;
    }
    if (type == KELP_SCHEMA_AVRO && !has_references) {
        avro_schema_t schema = NULL;
        if (avro_schema_from_json_length(printed, strlen(printed), &schema) != 0) {
            const char *reason = avro_strerror();
            snprintf(why, whylen, "Invalid schema: %s", reason && reason[0] ? reason : "not an Avro schema");
            free(printed);
            return -1;
        }
        avro_schema_decref(schema);
    }
    *out = printed;
    return 0;
}

static int normalize_text(const char *text, char **out, char *why, size_t whylen)
{
    size_t len = strlen(text);
    char *copy = malloc(len + 1);
    if (!copy) {
        snprintf(why, whylen, "out of memory");
        return -1;
    }
    size_t n = 0;
    bool space = false;
    for (const char *p = text; *p; p++) {
        if (isspace((unsigned char)*p)) {
            space = n > 0;
            continue;
        }
        if (space)
            copy[n++] = ' ';
        space = false;
        copy[n++] = *p;
    }
    copy[n] = '\0';
    if (n == 0) {
        free(copy);
        snprintf(why, whylen, "Invalid schema: empty schema");
        return -1;
    }
    *out = copy;
    return 0;
}

int kelp_schema_normalize(kelp_schema_type type, const char *text, bool has_references, char **out, char *why,
                          size_t whylen)
{
    *out = NULL;
    if (!text) {
        snprintf(why, whylen, "Invalid schema: empty schema");
        return -1;
    }
    if (type == KELP_SCHEMA_PROTOBUF)
        return normalize_text(text, out, why, whylen);
    return normalize_json(type, text, has_references, out, why, whylen);
}
