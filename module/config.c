/* Configuration: defaults, a table of keys with their types and bounds, and
 * JSON in both directions. Bounds (inclusive) are listed in config_keys
 * below; README.md documents them for operators. */
#include "module/config.h"

#include <cjson/cJSON.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "module/config_listeners.h"
#include "security/scram.h"
#include "util/log.h"
#include "util/log_line.h"

enum key_type {
    KEY_HOSTPORT,          /* "host:port", required */
    KEY_HOSTPORT_OR_EMPTY, /* "host:port" or "" (disabled) */
    KEY_STRING,            /* free text; empty allowed */
    KEY_PATH,              /* non-empty text */
    KEY_INT32,
    KEY_INT64,
    KEY_BOOL,
    KEY_LOG_LEVEL,
    KEY_FILER_URL, /* "" or http(s)://host[:port] */
    KEY_ABS_PATH,  /* "/..." */
    KEY_OBJECT,    /* a JSON object of the keys in its sub table */
    KEY_ENUM,      /* one of the key's choices, stored as its index (int32) */
    KEY_SECRET,    /* free text never echoed back */
    KEY_MECHANISMS, /* array of SASL mechanism names into a bit set */
    KEY_NAME_LIST, /* array of user names, stored '\n'-terminated */
    KEY_USERS,     /* object of name -> password, stored as JSON text */
    KEY_LISTENERS  /* the "listeners" array (module/config_listeners.c) */
};

typedef struct config_key {
    const char *name;
    enum key_type type;
    size_t offset;
    size_t size;      /* capacity of string fields */
    int64_t min, max; /* bounds of integer fields */
    const struct config_key *sub; /* KEY_OBJECT: its keys */
    size_t sub_count;
    const char *const *choices; /* KEY_ENUM: the names, NULL-terminated */
} config_key;

#define STR_KEY(n, t, field) \
    {n, t, offsetof(kelp_config, field), sizeof(((kelp_config *)0)->field), 0, 0, NULL, 0, NULL}
#define INT_KEY(n, t, field, lo, hi) {n, t, offsetof(kelp_config, field), 0, lo, hi, NULL, 0, NULL}
#define ENUM_KEY(n, field, names) {n, KEY_ENUM, offsetof(kelp_config, field), 0, 0, 0, NULL, 0, names}
#define OBJECT_KEY(n, keys) {n, KEY_OBJECT, 0, 0, 0, 0, keys, sizeof(keys) / sizeof(keys[0]), NULL}

/* In the order of the KELP_LISTENER_* and KELP_CLIENT_AUTH_* numbers. */
static const char *const listener_names[] = {"PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL", NULL};
static const char *const client_auth_names[] = {"none", "requested", "required", NULL};
/* In the order of the KELP_LOG_FORMAT_* numbers (util/log_line.h). */
static const char *const log_format_names[] = {"logfmt", "json", NULL};

/* The keys of the "storage" object, at their place in kelp_config. */
static const config_key storage_keys[] = {
    STR_KEY("filer", KEY_FILER_URL, storage.filer),
    STR_KEY("root", KEY_ABS_PATH, storage.root),
    STR_KEY("jwt", KEY_STRING, storage.jwt),
    INT_KEY("max_requests", KEY_INT32, storage.max_requests, 1, 256),
    INT_KEY("timeout_ms", KEY_INT32, storage.timeout_ms, 100, 600000),
    INT_KEY("read_cache_bytes", KEY_INT64, storage.read_cache_bytes, 0, 1LL << 30),
};

static const config_key security_keys[] = {
    ENUM_KEY("listener", security.listener, listener_names),
    STR_KEY("ssl_certificate", KEY_STRING, security.ssl_certificate),
    STR_KEY("ssl_key", KEY_STRING, security.ssl_key),
    STR_KEY("ssl_ca", KEY_STRING, security.ssl_ca),
    ENUM_KEY("ssl_client_auth", security.ssl_client_auth, client_auth_names),
    INT_KEY("authorizer", KEY_BOOL, security.authorizer, 0, 1),
    INT_KEY("sasl_mechanisms", KEY_MECHANISMS, security.sasl_mechanisms, 0, 0),
    STR_KEY("super_users", KEY_NAME_LIST, security.super_users),
    INT_KEY("session_lifetime_ms", KEY_INT64, security.session_lifetime_ms, 0, 1LL << 53),
    STR_KEY("users", KEY_USERS, security.users),
};

static const config_key admin_auth_keys[] = {
    STR_KEY("bearer_token", KEY_SECRET, admin_auth.bearer_token),
    STR_KEY("basic_users", KEY_USERS, admin_auth.basic_users),
    STR_KEY("ssl_certificate", KEY_STRING, admin_auth.ssl_certificate),
    STR_KEY("ssl_key", KEY_STRING, admin_auth.ssl_key),
};

static const config_key config_keys[] = {
    STR_KEY("listen", KEY_HOSTPORT, listen),
    STR_KEY("admin", KEY_HOSTPORT_OR_EMPTY, admin),
    STR_KEY("schema_registry", KEY_HOSTPORT_OR_EMPTY, schema_registry),
    STR_KEY("advertised_host", KEY_STRING, advertised_host),
    STR_KEY("data", KEY_PATH, data_dir),
    OBJECT_KEY("storage", storage_keys),
    OBJECT_KEY("security", security_keys),
    OBJECT_KEY("admin_auth", admin_auth_keys),
    {"listeners", KEY_LISTENERS, 0, 0, 0, 0, NULL, 0, NULL},
    INT_KEY("node_id", KEY_INT32, node_id, 0, INT32_MAX),
    INT_KEY("default_partitions", KEY_INT32, default_partitions, 1, 10000),
    INT_KEY("auto_create_topics", KEY_BOOL, auto_create_topics, 0, 1),
    /* Segment positions must fit the 32-bit offset index, hence INT32_MAX. */
    INT_KEY("segment_bytes", KEY_INT64, segment_bytes, 1 << 20, INT32_MAX),
    INT_KEY("index_interval_bytes", KEY_INT32, index_interval_bytes, 1, 16 << 20),
    INT_KEY("max_request_bytes", KEY_INT32, max_request_bytes, 64 << 10, 1 << 30),
    INT_KEY("message_max_bytes", KEY_INT32, message_max_bytes, 1 << 10, 1 << 30),
    INT_KEY("max_connections", KEY_INT32, max_connections, 1, 1000000),
    INT_KEY("connections_max_idle_ms", KEY_INT32, connections_max_idle_ms, 1000, INT32_MAX),
    INT_KEY("log_level", KEY_LOG_LEVEL, log_level, 0, 0),
    ENUM_KEY("log_format", log_format, log_format_names),
    INT_KEY("group_initial_rebalance_delay_ms", KEY_INT32, group_initial_rebalance_delay_ms, 0, 300000),
    INT_KEY("group_min_session_timeout_ms", KEY_INT32, group_min_session_timeout_ms, 1, 3600000),
    INT_KEY("group_max_session_timeout_ms", KEY_INT32, group_max_session_timeout_ms, 1, 3600000),
    INT_KEY("group_max_size", KEY_INT32, group_max_size, 1, INT32_MAX),
    INT_KEY("log_retention_ms", KEY_INT64, log_retention_ms, -1, 1LL << 53),
    INT_KEY("log_retention_bytes", KEY_INT64, log_retention_bytes, -1, 1LL << 53),
    INT_KEY("log_segment_ms", KEY_INT64, log_segment_ms, 1, 1LL << 53),
    INT_KEY("log_retention_check_interval_ms", KEY_INT64, log_retention_check_interval_ms, 1, 1LL << 53),
    INT_KEY("transaction_max_timeout_ms", KEY_INT32, transaction_max_timeout_ms, 1, INT32_MAX),
    INT_KEY("transaction_check_interval_ms", KEY_INT32, transaction_check_interval_ms, 1, 3600000),
    INT_KEY("producer_id_expiration_ms", KEY_INT64, producer_id_expiration_ms, 1, 1LL << 53),
};

#define KEY_COUNT (sizeof(config_keys) / sizeof(config_keys[0]))

void kelp_config_defaults(kelp_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    snprintf(cfg->listen, sizeof(cfg->listen), "127.0.0.1:9092");
    snprintf(cfg->admin, sizeof(cfg->admin), "127.0.0.1:9644");
    snprintf(cfg->data_dir, sizeof(cfg->data_dir), "./kelp-data");
    cfg->node_id = 0;
    cfg->default_partitions = 4;
    cfg->auto_create_topics = true;
    cfg->segment_bytes = 1073741824;
    cfg->index_interval_bytes = 4096;
    cfg->max_request_bytes = 104857600;
    cfg->message_max_bytes = 1048588;
    cfg->max_connections = 10000;
    cfg->connections_max_idle_ms = 600000; /* Kafka's connections.max.idle.ms */
    cfg->log_level = KELP_LOG_INFO;
    cfg->log_format = KELP_LOG_FORMAT_LOGFMT;
    /* Kafka's defaults. */
    cfg->group_initial_rebalance_delay_ms = 3000;
    cfg->group_min_session_timeout_ms = 6000;
    cfg->group_max_session_timeout_ms = 1800000;
    cfg->group_max_size = INT32_MAX;
    cfg->log_retention_ms = 7 * 24 * 3600 * 1000LL;
    cfg->log_retention_bytes = -1;
    cfg->log_segment_ms = 7 * 24 * 3600 * 1000LL;
    cfg->log_retention_check_interval_ms = 300000;
    cfg->transaction_max_timeout_ms = 900000;
    /* Kafka's transaction.abort.timed.out.transaction.cleanup.interval.ms. */
    cfg->transaction_check_interval_ms = 10000;
    cfg->producer_id_expiration_ms = 86400000; /* Kafka's producer.id.expiration.ms */
    snprintf(cfg->storage.root, sizeof(cfg->storage.root), "/");
    cfg->storage.max_requests = 8;
    cfg->storage.timeout_ms = 10000;
    cfg->storage.read_cache_bytes = 8 << 20;
    cfg->security.listener = KELP_LISTENER_PLAINTEXT;
    cfg->security.sasl_mechanisms = KELP_SASL_PLAIN_BIT | KELP_SASL_SCRAM_256_BIT | KELP_SASL_SCRAM_512_BIT;
    snprintf(cfg->security.users, sizeof(cfg->security.users), "{}");
    snprintf(cfg->admin_auth.basic_users, sizeof(cfg->admin_auth.basic_users), "{}");
}

int kelp_config_split_hostport(const char *addr, char *host, size_t hostlen, uint16_t *port)
{
    const char *host_start, *host_end, *port_text;
    if (addr[0] == '[') {
        host_start = addr + 1;
        host_end = strchr(host_start, ']');
        if (!host_end || host_end[1] != ':')
            return -1;
        port_text = host_end + 2;
    } else {
        host_start = addr;
        host_end = strrchr(addr, ':');
        if (!host_end)
            return -1;
        port_text = host_end + 1;
        if (memchr(host_start, ':', (size_t)(host_end - host_start)))
            return -1; /* an IPv6 address needs brackets */
    }
    size_t len = (size_t)(host_end - host_start);
    if (len == 0 || len >= hostlen || memchr(host_start, ' ', len))
        return -1;
    size_t digits = strlen(port_text);
    if (digits == 0 || digits > 5 || strspn(port_text, "0123456789") != digits)
        return -1;
    long value = strtol(port_text, NULL, 10);
    if (value > 65535)
        return -1;
    memcpy(host, host_start, len);
    host[len] = '\0';
    *port = (uint16_t)value;
    return 0;
}

static const char *type_name(enum key_type type)
{
    switch (type) {
    case KEY_INT32:
    case KEY_INT64:
        return "an integer";
    case KEY_BOOL:
        return "a boolean";
    case KEY_OBJECT:
    case KEY_USERS:
        return "an object";
    case KEY_MECHANISMS:
    case KEY_NAME_LIST:
        return "an array of strings";
    case KEY_LISTENERS:
        return "an array of objects";
    default:
        return "a string";
    }
}

static bool type_matches(const config_key *key, const cJSON *value)
{
    switch (key->type) {
    case KEY_INT32:
    case KEY_INT64:
        return cJSON_IsNumber(value);
    case KEY_BOOL:
        return cJSON_IsBool(value);
    case KEY_OBJECT:
    case KEY_USERS:
        return cJSON_IsObject(value);
    case KEY_MECHANISMS:
    case KEY_NAME_LIST:
    case KEY_LISTENERS:
        return cJSON_IsArray(value);
    default:
        return cJSON_IsString(value);
    }
}

/* A filer URL: scheme, host and optional port, nothing after. */
static bool filer_url_valid(const char *text)
{
    const char *rest = strncmp(text, "http://", 7) == 0 ? text + 7 : strncmp(text, "https://", 8) == 0 ? text + 8 : NULL;
    if (!rest || !*rest)
        return false;
    for (const char *c = rest; *c; c++)
        if (*c == '/' || *c == '?' || *c == '#' || *c == ' ' || *c == '@')
            return false;
    return true;
}

static int set_string(const config_key *key, const char *prefix, kelp_config *cfg, const char *text, char *err,
                      size_t errlen)
{
    size_t len = strlen(text);
    if (key->type != KEY_LOG_LEVEL && len >= key->size) {
        snprintf(err, errlen, "configuration key \"%s%s\" is too long (at most %zu bytes)", prefix, key->name,
                 key->size - 1);
        return -1;
    }
    char host[KELP_CONFIG_ADDR_MAX];
    uint16_t port;
    switch (key->type) {
    case KEY_HOSTPORT_OR_EMPTY:
        if (len == 0)
            break;
        /* fall through */
    case KEY_HOSTPORT:
        if (kelp_config_split_hostport(text, host, sizeof(host), &port) != 0) {
            snprintf(err, errlen, "configuration key \"%s%s\" must be HOST:PORT with a port from 0 to 65535",
                     prefix, key->name);
            return -1;
        }
        break;
    case KEY_PATH:
        if (len == 0) {
            snprintf(err, errlen, "configuration key \"%s%s\" must not be empty", prefix, key->name);
            return -1;
        }
        break;
    case KEY_FILER_URL:
        if (len > 0 && !filer_url_valid(text)) {
            snprintf(err, errlen,
                     "configuration key \"%s%s\" must be \"\" or http://HOST:PORT (or https://), without a path",
                     prefix, key->name);
            return -1;
        }
        break;
    case KEY_ABS_PATH:
        if (text[0] != '/' || strstr(text, "/../") || strstr(text, "//") ||
            (len >= 3 && strcmp(text + len - 3, "/..") == 0)) {
            snprintf(err, errlen, "configuration key \"%s%s\" must be an absolute filer path such as \"/\"",
                     prefix, key->name);
            return -1;
        }
        break;
    case KEY_LOG_LEVEL: {
        int level = kelp_log_level_parse(text);
        if (level < 0) {
            snprintf(err, errlen, "configuration key \"%s%s\" must be one of error, warn, info, debug",
                     prefix, key->name);
            return -1;
        }
        *(int32_t *)((char *)cfg + key->offset) = level;
        return 0;
    }
    default:
        break;
    }
    /* Zero the tail too: equal settings are then equal bytes. */
    memset((char *)cfg + key->offset, 0, key->size);
    memcpy((char *)cfg + key->offset, text, len);
    return 0;
}

static int set_number(const config_key *key, const char *prefix, kelp_config *cfg, double number, char *err,
                      size_t errlen)
{
    /* The negated test also catches NaN; doubles hold every integer in these
     * ranges exactly, so a round trip through int64_t spots fractions. */
    if (!(number >= (double)key->min && number <= (double)key->max)) {
        snprintf(err, errlen, "configuration key \"%s%s\" must be between %lld and %lld", prefix, key->name,
                 (long long)key->min, (long long)key->max);
        return -1;
    }
    int64_t whole = (int64_t)number;
    if ((double)whole != number) {
        snprintf(err, errlen, "configuration key \"%s%s\" must be an integer", prefix, key->name);
        return -1;
    }
    if (key->type == KEY_INT64)
        *(int64_t *)((char *)cfg + key->offset) = whole;
    else
        *(int32_t *)((char *)cfg + key->offset) = (int32_t)whole;
    return 0;
}

static const char *const mechanism_names[] = {"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"};

static bool user_name_valid(const char *name)
{
    size_t len = strlen(name);
    return len > 0 && len < KELP_SASL_USER_MAX && !strchr(name, '\n');
}

/* The security keys that are neither numbers nor plain strings. */
static int set_security(const config_key *key, const char *prefix, kelp_config *cfg, const cJSON *item, char *err,
                        size_t errlen)
{
    char *field = (char *)cfg + key->offset;
    if (key->type == KEY_MECHANISMS) {
        int32_t bits = 0;
        for (const cJSON *m = item->child; m; m = m->next) {
            size_t i = 0;
            while (cJSON_IsString(m) && i < 3 && strcmp(m->valuestring, mechanism_names[i]) != 0)
                i++;
            if (!cJSON_IsString(m) || i == 3) {
                snprintf(err, errlen,
                         "configuration key \"%s%s\" may name only PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512", prefix,
                         key->name);
                return -1;
            }
            bits |= 1 << i;
        }
        if (!bits) {
            snprintf(err, errlen, "configuration key \"%s%s\" must name at least one mechanism", prefix, key->name);
            return -1;
        }
        *(int32_t *)field = bits;
        return 0;
    }
    if (key->type == KEY_NAME_LIST) {
        char list[sizeof(cfg->security.super_users)] = "";
        size_t used = 0;
        for (const cJSON *m = item->child; m; m = m->next) {
            if (!cJSON_IsString(m) || !user_name_valid(m->valuestring)) {
                snprintf(err, errlen, "configuration key \"%s%s\" must list user names of 1 to %d bytes", prefix,
                         key->name, KELP_SASL_USER_MAX - 1);
                return -1;
            }
            size_t len = strlen(m->valuestring);
            if (used + len + 2 > key->size) {
                snprintf(err, errlen, "configuration key \"%s%s\" is too long", prefix, key->name);
                return -1;
            }
            memcpy(list + used, m->valuestring, len);
            used += len;
            list[used++] = '\n';
        }
        memset(field, 0, key->size);
        memcpy(field, list, used);
        return 0;
    }
    for (const cJSON *u = item->child; u; u = u->next) {
        if (!user_name_valid(u->string) || !cJSON_IsString(u) || !u->valuestring[0]) {
            snprintf(err, errlen,
                     "configuration key \"%s%s\" must map user names (1 to %d bytes) to non-empty passwords",
                     prefix, key->name, KELP_SASL_USER_MAX - 1);
            return -1;
        }
    }
    char *text = cJSON_PrintUnformatted(item);
    if (!text || strlen(text) >= key->size) {
        free(text);
        snprintf(err, errlen, "configuration key \"%s%s\" is too long (at most %zu bytes)", prefix, key->name,
                 key->size - 1);
        return -1;
    }
    memset(field, 0, key->size);
    memcpy(field, text, strlen(text));
    free(text);
    return 0;
}

static int set_enum(const config_key *key, const char *prefix, kelp_config *cfg, const char *text, char *err,
                    size_t errlen)
{
    for (int32_t i = 0; key->choices[i]; i++)
        if (strcmp(key->choices[i], text) == 0) {
            *(int32_t *)((char *)cfg + key->offset) = i;
            return 0;
        }
    char list[256] = "";
    for (int i = 0; key->choices[i]; i++)
        snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s\"%s\"", i ? ", " : "", key->choices[i]);
    snprintf(err, errlen, "configuration key \"%s%s\" must be one of %s", prefix, key->name, list);
    return -1;
}

int kelp_config_protocol_parse(const char *name)
{
    for (int i = 0; listener_names[i]; i++)
        if (strcmp(listener_names[i], name) == 0)
            return i;
    return -1;
}

const char *kelp_config_protocol_name(int protocol)
{
    return protocol >= 0 && protocol <= KELP_LISTENER_SASL_SSL ? listener_names[protocol] : "?";
}

static const config_key *find_key(const config_key *table, size_t count, const char *name)
{
    for (size_t i = 0; i < count; i++)
        if (strcmp(table[i].name, name) == 0)
            return &table[i];
    return NULL;
}

static int apply_key_in(const config_key *table, size_t count, const char *prefix, kelp_config *cfg,
                        const cJSON *item, char *err, size_t errlen);

static int apply_key(kelp_config *cfg, const cJSON *item, char *err, size_t errlen)
{
    return apply_key_in(config_keys, KEY_COUNT, "", cfg, item, err, errlen);
}

static int apply_key_in(const config_key *table, size_t count, const char *prefix, kelp_config *cfg,
                        const cJSON *item, char *err, size_t errlen)
{
    const config_key *key = find_key(table, count, item->string);
    if (!key) {
        snprintf(err, errlen, "unknown configuration key \"%s%s\"", prefix, item->string);
        return -1;
    }
    if (key->type == KEY_OBJECT) {
        if (!cJSON_IsObject(item)) {
            snprintf(err, errlen, "configuration key \"%s\" must be an object", key->name);
            return -1;
        }
        char sub_prefix[32];
        snprintf(sub_prefix, sizeof(sub_prefix), "%s.", key->name);
        for (const cJSON *child = item->child; child; child = child->next)
            if (apply_key_in(key->sub, key->sub_count, sub_prefix, cfg, child, err, errlen) != 0)
                return -1;
        return 0;
    }
    if (!type_matches(key, item)) {
        snprintf(err, errlen, "configuration key \"%s%s\" must be %s", prefix, key->name, type_name(key->type));
        return -1;
    }
    if (key->type == KEY_BOOL) {
        *(bool *)((char *)cfg + key->offset) = cJSON_IsTrue(item);
        return 0;
    }
    if (key->type == KEY_INT32 || key->type == KEY_INT64)
        return set_number(key, prefix, cfg, item->valuedouble, err, errlen);
    if (key->type == KEY_ENUM)
        return set_enum(key, prefix, cfg, item->valuestring, err, errlen);
    if (key->type == KEY_LISTENERS)
        return kelp_config_listeners_apply(cfg, item, err, errlen);
    if (key->type == KEY_MECHANISMS || key->type == KEY_NAME_LIST || key->type == KEY_USERS)
        return set_security(key, prefix, cfg, item, err, errlen);
    return set_string(key, prefix, cfg, item->valuestring, err, errlen);
}

/* Rules that tie keys together, checked once all keys are applied. */
static int check_consistency(const kelp_config *cfg, char *err, size_t errlen)
{
    if (cfg->message_max_bytes > cfg->max_request_bytes) {
        snprintf(err, errlen,
                 "configuration key \"message_max_bytes\" (%d) must not exceed \"max_request_bytes\" (%d)",
                 (int)cfg->message_max_bytes, (int)cfg->max_request_bytes);
        return -1;
    }
    const kelp_security_config *sec = &cfg->security;
    if (KELP_LISTENER_HAS_TLS(sec->listener) && (!sec->ssl_certificate[0] || !sec->ssl_key[0])) {
        snprintf(err, errlen, "a TLS listener (\"security.listener\": \"%s\") needs \"security.ssl_certificate\" "
                 "and \"security.ssl_key\"", listener_names[sec->listener]);
        return -1;
    }
    if (sec->ssl_client_auth != KELP_CLIENT_AUTH_NONE && !sec->ssl_ca[0]) {
        snprintf(err, errlen, "\"security.ssl_client_auth\" needs \"security.ssl_ca\"");
        return -1;
    }
    const kelp_admin_auth_config *aa = &cfg->admin_auth;
    if (!aa->ssl_certificate[0] != !aa->ssl_key[0]) {
        snprintf(err, errlen, "\"admin_auth.ssl_certificate\" and \"admin_auth.ssl_key\" go together");
        return -1;
    }
    size_t token_len = strlen(aa->bearer_token);
    if (token_len > 0 && token_len < 16) {
        snprintf(err, errlen, "\"admin_auth.bearer_token\" must be empty or at least 16 bytes");
        return -1;
    }
    if (kelp_config_listeners_check(cfg, err, errlen) != 0)
        return -1;
    if (cfg->group_min_session_timeout_ms > cfg->group_max_session_timeout_ms) {
        snprintf(err, errlen,
                 "configuration key \"group_min_session_timeout_ms\" (%d) must not exceed "
                 "\"group_max_session_timeout_ms\" (%d)",
                 (int)cfg->group_min_session_timeout_ms, (int)cfg->group_max_session_timeout_ms);
        return -1;
    }
    return 0;
}

int kelp_config_apply_json(kelp_config *cfg, const char *json, char *err, size_t errlen)
{
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithOpts(json, &end, true);
    if (!root) {
        size_t at = end ? (size_t)(end - json) : 0;
        snprintf(err, errlen, "configuration is not valid JSON (error near byte %zu)", at);
        return -1;
    }
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        snprintf(err, errlen, "configuration must be a JSON object");
        return -1;
    }
    kelp_config next = *cfg; /* applied onto a copy so an error changes nothing */
    int rc = 0;
    for (const cJSON *item = root->child; item && rc == 0; item = item->next)
        rc = apply_key(&next, item, err, errlen);
    if (rc == 0)
        rc = check_consistency(&next, err, errlen);
    if (rc == 0)
        *cfg = next;
    cJSON_Delete(root);
    return rc;
}

static cJSON *keys_to_json(const config_key *table, size_t count, const kelp_config *cfg);

static cJSON *key_value(const config_key *key, const kelp_config *cfg)
{
    const char *field = (const char *)cfg + key->offset;
    switch (key->type) {
    case KEY_INT32:
        return cJSON_CreateNumber(*(const int32_t *)field);
    case KEY_INT64:
        return cJSON_CreateNumber((double)*(const int64_t *)field);
    case KEY_BOOL:
        return cJSON_CreateBool(*(const bool *)field);
    case KEY_LOG_LEVEL:
        return cJSON_CreateString(kelp_log_level_name(*(const int32_t *)field));
    case KEY_OBJECT:
        return keys_to_json(key->sub, key->sub_count, cfg);
    case KEY_LISTENERS:
        return kelp_config_listeners_json(cfg);
    case KEY_ENUM:
        return cJSON_CreateString(key->choices[*(const int32_t *)field]);
    case KEY_MECHANISMS: {
        cJSON *a = cJSON_CreateArray();
        for (int i = 0; a && i < 3; i++)
            if (*(const int32_t *)field & (1 << i))
                cJSON_AddItemToArray(a, cJSON_CreateString(mechanism_names[i]));
        return a;
    }
    case KEY_NAME_LIST: {
        cJSON *a = cJSON_CreateArray();
        for (const char *p = field; a && *p;) {
            const char *nl = strchr(p, '\n');
            char name[KELP_SASL_USER_MAX];
            snprintf(name, sizeof(name), "%.*s", (int)(nl - p), p);
            cJSON_AddItemToArray(a, cJSON_CreateString(name));
            p = nl + 1;
        }
        return a;
    }
    default:
        return cJSON_CreateString(field);
    }
}

static cJSON *keys_to_json(const config_key *table, size_t count, const kelp_config *cfg)
{
    cJSON *obj = cJSON_CreateObject();
    for (size_t i = 0; obj && i < count; i++) {
        if (table[i].type == KEY_USERS || table[i].type == KEY_SECRET)
            continue; /* passwords and tokens are never echoed back */
        cJSON *value = key_value(&table[i], cfg);
        if (!value || !cJSON_AddItemToObject(obj, table[i].name, value)) {
            cJSON_Delete(value);
            cJSON_Delete(obj);
            return NULL;
        }
    }
    return obj;
}

char *kelp_config_to_json(const kelp_config *cfg)
{
    cJSON *root = keys_to_json(config_keys, KEY_COUNT, cfg);
    char *text = root ? cJSON_PrintUnformatted(root) : NULL;
    cJSON_Delete(root);
    return text;
}
