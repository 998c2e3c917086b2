/* The "listeners" key: an array of Kafka listeners beyond "listen", each
 * {"name", "listen", "protocol", "advertised_host"}. A change replaces the
 * whole list. */
#include "module/config_listeners.h"

#include <stdio.h>
#include <string.h>

/* Kafka's listener names: upper-case letters, digits and underscores. */
static bool name_valid(const char *name)
{
    size_t len = strlen(name);
    return len > 0 && len < KELP_LISTENER_NAME_MAX && strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") == len &&
           strcmp(name, KELP_MAIN_LISTENER_NAME) != 0;
}

static int copy_string(const cJSON *v, const char *what, int i, char *out, size_t cap, char *err, size_t errlen)
{
    if (!cJSON_IsString(v) || strlen(v->valuestring) >= cap) {
        snprintf(err, errlen, "configuration key \"listeners[%d].%s\" must be a string shorter than %zu bytes", i,
                 what, cap);
        return -1;
    }
    snprintf(out, cap, "%s", v->valuestring);
    return 0;
}

static int parse_one(const cJSON *o, int i, kelp_listener_config *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    out->protocol = KELP_LISTENER_PLAINTEXT;
    if (!cJSON_IsObject(o)) {
        snprintf(err, errlen, "configuration key \"listeners[%d]\" must be an object", i);
        return -1;
    }
    bool have_name = false, have_listen = false;
    for (const cJSON *k = o->child; k; k = k->next) {
        if (strcmp(k->string, "name") == 0) {
            if (copy_string(k, "name", i, out->name, sizeof(out->name), err, errlen) != 0)
                return -1;
            have_name = true;
        } else if (strcmp(k->string, "listen") == 0) {
            if (copy_string(k, "listen", i, out->listen, sizeof(out->listen), err, errlen) != 0)
                return -1;
            have_listen = true;
        } else if (strcmp(k->string, "advertised_host") == 0) {
            if (copy_string(k, "advertised_host", i, out->advertised_host, sizeof(out->advertised_host), err,
                            errlen) != 0)
                return -1;
        } else if (strcmp(k->string, "protocol") == 0) {
            int p = cJSON_IsString(k) ? kelp_config_protocol_parse(k->valuestring) : -1;
            if (p < 0) {
                snprintf(err, errlen,
                         "configuration key \"listeners[%d].protocol\" must be one of \"PLAINTEXT\", \"SSL\", "
                         "\"SASL_PLAINTEXT\", \"SASL_SSL\"",
                         i);
                return -1;
            }
            out->protocol = p;
        } else {
            snprintf(err, errlen, "unknown configuration key \"listeners[%d].%s\"", i, k->string);
            return -1;
        }
    }
    if (!have_name || !name_valid(out->name)) {
        snprintf(err, errlen,
                 "configuration key \"listeners[%d].name\" must be set: upper-case letters, digits and _ (not %s)", i,
                 KELP_MAIN_LISTENER_NAME);
        return -1;
    }
    char host[KELP_CONFIG_ADDR_MAX];
    uint16_t port;
    if (!have_listen || kelp_config_split_hostport(out->listen, host, sizeof(host), &port) != 0) {
        snprintf(err, errlen, "configuration key \"listeners[%d].listen\" must be HOST:PORT with a port from 0 to 65535",
                 i);
        return -1;
    }
    return 0;
}

int kelp_config_listeners_apply(kelp_config *cfg, const cJSON *item, char *err, size_t errlen)
{
    if (!cJSON_IsArray(item)) {
        snprintf(err, errlen, "configuration key \"listeners\" must be an array of objects");
        return -1;
    }
    int n = cJSON_GetArraySize(item);
    if (n > KELP_MAX_EXTRA_LISTENERS) {
        snprintf(err, errlen, "configuration key \"listeners\" may name at most %d listeners",
                 KELP_MAX_EXTRA_LISTENERS);
        return -1;
    }
    kelp_listener_config list[KELP_MAX_EXTRA_LISTENERS];
    int i = 0;
    for (const cJSON *o = item->child; o; o = o->next, i++)
        if (parse_one(o, i, &list[i], err, errlen) != 0)
            return -1;
    memset(cfg->listeners, 0, sizeof(cfg->listeners));
    memcpy(cfg->listeners, list, (size_t)n * sizeof(list[0]));
    cfg->listener_count = n;
    return 0;
}

/* Port 0 binds a new ephemeral port, so it never clashes. */
static bool same_address(const char *a, const char *b)
{
    size_t n = strlen(a);
    return strcmp(a, b) == 0 && !(n >= 2 && strcmp(a + n - 2, ":0") == 0);
}

int kelp_config_listeners_check(const kelp_config *cfg, char *err, size_t errlen)
{
    const kelp_security_config *sec = &cfg->security;
    for (int i = 0; i < cfg->listener_count; i++) {
        const kelp_listener_config *l = &cfg->listeners[i];
        if (KELP_LISTENER_HAS_TLS(l->protocol) && (!sec->ssl_certificate[0] || !sec->ssl_key[0])) {
            snprintf(err, errlen, "listener %s (%s) needs \"security.ssl_certificate\" and \"security.ssl_key\"",
                     l->name, kelp_config_protocol_name(l->protocol));
            return -1;
        }
        if (same_address(l->listen, cfg->listen)) {
            snprintf(err, errlen, "listener %s listens on %s, as \"listen\" does", l->name, l->listen);
            return -1;
        }
        for (int j = 0; j < i; j++) {
            if (strcmp(cfg->listeners[j].name, l->name) == 0) {
                snprintf(err, errlen, "two listeners are named %s", l->name);
                return -1;
            }
            if (same_address(cfg->listeners[j].listen, l->listen)) {
                snprintf(err, errlen, "listeners %s and %s both listen on %s", cfg->listeners[j].name, l->name,
                         l->listen);
                return -1;
            }
        }
    }
    return 0;
}

cJSON *kelp_config_listeners_json(const kelp_config *cfg)
{
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; a && i < cfg->listener_count; i++) {
        const kelp_listener_config *l = &cfg->listeners[i];
        cJSON *o = cJSON_CreateObject();
        if (!o || !cJSON_AddItemToArray(a, o) || !cJSON_AddStringToObject(o, "name", l->name) ||
            !cJSON_AddStringToObject(o, "listen", l->listen) ||
            !cJSON_AddStringToObject(o, "protocol", kelp_config_protocol_name(l->protocol)) ||
            !cJSON_AddStringToObject(o, "advertised_host", l->advertised_host)) {
            cJSON_Delete(a);
            return NULL;
        }
    }
    return a;
}
