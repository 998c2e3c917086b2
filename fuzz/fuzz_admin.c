/* Fuzz target: what the admin endpoint parses from a client, called
 * directly (no HTTP): the POST /v1/topics body and the Authorization
 * header checked against "admin_auth" (bearer token and Basic users, which
 * the schema registry shares). PUT /v1/config is kelp_config_apply_json:
 * see fuzz_config.c.
 *
 * Byte 0 (mod 2) picks: 0 the rest is a topic creation body; 1 the rest
 * is "basic_users JSON\nAuthorization header value". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/http_auth.h"
#include "broker/topic_configs.h"
#include "fuzz/fuzz_util.h"
#include "storage/topic_config.h"

static void fuzz_topic_body(const char *body)
{
    kelp_topic_config config, defaults;
    kelp_topic_config_defaults(&config, 1 << 30, 1048588);
    defaults = config;
    char name[KELP_TOPIC_BODY_NAME_MAX], why[256];
    int32_t count = 0;
    if (kelp_broker_topics_parse_create(body, 4, name, &count, &config, why, sizeof(why)) == 0) {
        /* What goes to storage: a valid name, a count in range, each value
         * formatted back to text the parser accepts. */
        if (count < 1 || strlen(name) >= KELP_TOPIC_BODY_NAME_MAX)
            abort();
        for (int k = 0; k < KELP_TC_COUNT; k++) {
            char text[64];
            int64_t v;
            kelp_topic_config_format((kelp_topic_config_key)k, config.value[k], text, sizeof(text));
            if (!kelp_topic_config_parse((kelp_topic_config_key)k, text, strlen(text), &v, why, sizeof(why)))
                abort();
            if (!(config.set & (1u << k)) && config.value[k] != defaults.value[k])
                abort();
        }
    }
}

static void fuzz_auth(const char *text)
{
    kelp_admin_auth_config aa;
    memset(&aa, 0, sizeof(aa));
    snprintf(aa.bearer_token, sizeof(aa.bearer_token), "%s", "fuzz-bearer-token-0123456789");
    const char *nl = strchr(text, '\n');
    size_t users_len = nl ? (size_t)(nl - text) : strlen(text);
    if (users_len >= sizeof(aa.basic_users))
        users_len = sizeof(aa.basic_users) - 1;
    memcpy(aa.basic_users, text, users_len);
    aa.basic_users[users_len] = '\0';
    const char *header = nl ? nl + 1 : NULL;
    const char *challenges[2];
    (void)kelp_http_auth_enabled(&aa);
    (void)kelp_http_auth_challenges(&aa, challenges);
    (void)kelp_http_auth_check(&aa, header);
    if (header && strlen(header) <= KELP_HTTP_AUTH_HEADER_MAX)
        (void)kelp_http_auth_check(&aa, header);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    char *text = fuzz_cstr(data + 1, size - 1);
    if (!text)
        return 0;
    if (data[0] % 2 == 0)
        fuzz_topic_body(text);
    else
        fuzz_auth(text);
    free(text);
    return 0;
}
