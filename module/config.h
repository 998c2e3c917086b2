/* Kelp configuration: defaults, JSON parsing with cJSON, validation. The same
 * parser serves kelpd's --config file and the admin endpoint's PUT /v1/config. */
#ifndef KELP_MODULE_CONFIG_H
#define KELP_MODULE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KELP_CONFIG_ADDR_MAX 300
#define KELP_CONFIG_PATH_MAX 4096

/* Where the filer root is: a local directory ("data"), or a SeaweedFS
 * filer reached over its HTTP API when "filer" is set. */
typedef struct kelp_storage_config {
    char filer[KELP_CONFIG_ADDR_MAX];      /* "filer": http(s)://host:port, "" = the local directory */
    char root[KELP_CONFIG_PATH_MAX];       /* "root": filer path holding topics/kafka (default "/") */
    char jwt[2048];                        /* "jwt": bearer token the filer checks, "" = none */
    int32_t max_requests;                  /* "max_requests": concurrent requests to the filer */
    int32_t timeout_ms;                    /* "timeout_ms": one request's limit */
    int64_t read_cache_bytes;              /* "read_cache_bytes": newest bytes of each log kept in memory */
} kelp_storage_config;

/* Kafka listener security: "security": {...}. */
#define KELP_LISTENER_PLAINTEXT 0
#define KELP_LISTENER_SSL 1
#define KELP_LISTENER_SASL_PLAINTEXT 2
#define KELP_LISTENER_SASL_SSL 3
#define KELP_LISTENER_HAS_SASL(l) ((l) == KELP_LISTENER_SASL_PLAINTEXT || (l) == KELP_LISTENER_SASL_SSL)
#define KELP_LISTENER_HAS_TLS(l) ((l) == KELP_LISTENER_SSL || (l) == KELP_LISTENER_SASL_SSL)
#define KELP_CLIENT_AUTH_NONE 0
#define KELP_CLIENT_AUTH_REQUESTED 1
#define KELP_CLIENT_AUTH_REQUIRED 2
typedef struct kelp_security_config {
    int32_t listener;            /* "listener": "PLAINTEXT" (default), "SSL", "SASL_PLAINTEXT", "SASL_SSL" */
    char ssl_certificate[KELP_CONFIG_PATH_MAX]; /* "ssl_certificate": PEM chain file (TLS listeners) */
    char ssl_key[KELP_CONFIG_PATH_MAX];         /* "ssl_key": PEM private key file */
    char ssl_ca[KELP_CONFIG_PATH_MAX];          /* "ssl_ca": PEM CAs that client certificates must chain to */
    int32_t ssl_client_auth;     /* "ssl_client_auth": "none", "requested", "required" */
    bool authorizer;             /* "authorizer": enforce ACLs (false: everyone may do everything) */
    int32_t sasl_mechanisms;     /* "sasl_mechanisms": KELP_SASL_*_BIT (security/scram.h) */
    char super_users[4096];      /* "super_users": user names, each followed by '\n' */
    int64_t session_lifetime_ms; /* "session_lifetime_ms": KIP-368, 0 = sessions never expire */
    char users[8192];            /* "users": {"name":"password"} as JSON text, hashed into the
                                    credential store at start; never echoed back */
} kelp_security_config;

/* More Kafka listeners than "listen": "listeners": [{...}], each with its
 * own security protocol and advertised host. TLS and SASL settings are the
 * "security" object's, shared by every listener. */
#define KELP_MAX_EXTRA_LISTENERS 8
#define KELP_MAX_LISTENERS (1 + KELP_MAX_EXTRA_LISTENERS) /* with the "listen" one */
#define KELP_LISTENER_NAME_MAX 64
#define KELP_MAIN_LISTENER_NAME "MAIN" /* the "listen" one, as GET /v1/listeners shows it */
typedef struct kelp_listener_config {
    char name[KELP_LISTENER_NAME_MAX];          /* "name": [A-Z0-9_]+, unique, not "MAIN" */
    char listen[KELP_CONFIG_ADDR_MAX];          /* "listen": HOST:PORT */
    int32_t protocol;                           /* "protocol": KELP_LISTENER_* (default PLAINTEXT) */
    char advertised_host[KELP_CONFIG_ADDR_MAX]; /* "advertised_host": "" = the listen host */
} kelp_listener_config;

/* The admin HTTP endpoint's protection: "admin_auth": {...}. */
typedef struct kelp_admin_auth_config {
    char bearer_token[256];                     /* "bearer_token": "" = none; never echoed back */
    char basic_users[4096];                     /* "basic_users": {"name":"password"} JSON; never echoed */
    char ssl_certificate[KELP_CONFIG_PATH_MAX]; /* "ssl_certificate": HTTPS when set with ssl_key */
    char ssl_key[KELP_CONFIG_PATH_MAX];         /* "ssl_key" */
} kelp_admin_auth_config;

typedef struct kelp_config {
    char listen[KELP_CONFIG_ADDR_MAX];          /* "listen": Kafka "host:port" */
    char admin[KELP_CONFIG_ADDR_MAX];           /* "admin": HTTP "host:port", "" disables */
    char schema_registry[KELP_CONFIG_ADDR_MAX]; /* "schema_registry": HTTP "host:port", "" (default) disables */
    char advertised_host[KELP_CONFIG_ADDR_MAX]; /* "advertised_host": "" = the listen host */
    char data_dir[KELP_CONFIG_PATH_MAX];        /* "data": filer root of the local store */
    kelp_storage_config storage;                /* "storage": {...} the filer backend */
    kelp_security_config security;              /* "security": {...} TLS, SASL and ACLs on the Kafka listener */
    kelp_admin_auth_config admin_auth;          /* "admin_auth": {...} who may use the admin endpoint */
    kelp_listener_config listeners[KELP_MAX_EXTRA_LISTENERS]; /* "listeners": [...] more Kafka listeners */
    int32_t listener_count;
    int32_t node_id;                            /* "node_id" */
    int32_t default_partitions;                 /* "default_partitions" (auto-create) */
    bool auto_create_topics;                    /* "auto_create_topics" */
    int64_t segment_bytes;                      /* "segment_bytes": roll size */
    int32_t index_interval_bytes;               /* "index_interval_bytes" */
    int32_t max_request_bytes;                  /* "max_request_bytes": frame limit */
    int32_t message_max_bytes;                  /* "message_max_bytes": largest batch */
    int32_t max_connections;                    /* "max_connections" */
    int32_t connections_max_idle_ms;            /* "connections_max_idle_ms": a connection with
                                                   nothing pending and no whole request for this
                                                   long is closed */
    int32_t log_level;                          /* "log_level": "error".."debug" */
    int32_t log_format;                         /* "log_format": KELP_LOG_FORMAT_* ("logfmt", "json") */
    int32_t group_initial_rebalance_delay_ms;   /* "group_initial_rebalance_delay_ms" */
    int32_t group_min_session_timeout_ms;       /* "group_min_session_timeout_ms" */
    int32_t group_max_session_timeout_ms;       /* "group_max_session_timeout_ms" */
    int32_t group_max_size;                     /* "group_max_size": members per group */
    int64_t log_retention_ms;                   /* "log_retention_ms": topics' default retention.ms */
    int64_t log_retention_bytes;                /* "log_retention_bytes": default retention.bytes */
    int64_t log_segment_ms;                     /* "log_segment_ms": default segment.ms */
    int64_t log_retention_check_interval_ms;    /* "log_retention_check_interval_ms": how often
                                                   retention and compaction run */
    int32_t transaction_max_timeout_ms;         /* "transaction_max_timeout_ms": longest
                                                   transaction.timeout.ms a producer may ask for */
    int32_t transaction_check_interval_ms;      /* "transaction_check_interval_ms": how often
                                                   timed-out transactions are aborted */
    int64_t producer_id_expiration_ms;          /* "producer_id_expiration_ms": idle producers'
                                                   sequences are forgotten after this */
} kelp_config;

void kelp_config_defaults(kelp_config *cfg);

/* Applies the keys of a JSON object onto cfg; keys not named keep their
 * value. An unknown key, a value of the wrong type or out of range is an
 * error whose message names the key; cfg is unchanged then.
 *
 * Accepted values (bounds inclusive):
 *   listen                HOST:PORT or [V6]:PORT, port 0-65535 (0: ephemeral)
 *   admin                 the same, or "" (disabled)
 *   schema_registry       the same, or "" (disabled, the default)
 *   advertised_host       any string shorter than KELP_CONFIG_ADDR_MAX
 *   data                  non-empty, shorter than KELP_CONFIG_PATH_MAX
 *   node_id               0 .. 2147483647
 *   default_partitions    1 .. 10000
 *   segment_bytes         1 MiB .. 2147483647 (positions fit a 32-bit index)
 *   index_interval_bytes  1 .. 16 MiB
 *   max_request_bytes     64 KiB .. 1 GiB
 *   message_max_bytes     1 KiB .. 1 GiB, and at most max_request_bytes
 *   max_connections       1 .. 1000000
 *   connections_max_idle_ms  1000 .. 2147483647
 *   log_level             "error", "warn", "info" or "debug"
 *   log_format            "logfmt" or "json"
 *   group_initial_rebalance_delay_ms  0 .. 300000
 *   group_min_session_timeout_ms      1 .. 3600000, at most the max
 *   group_max_session_timeout_ms      1 .. 3600000
 *   group_max_size                    1 .. 2147483647
 *   log_retention_ms                  -1 (keep forever) .. 2^53
 *   log_retention_bytes               -1 (no limit) .. 2^53
 *   log_segment_ms                    1 .. 2^53
 *   log_retention_check_interval_ms   1 .. 2^53
 *   transaction_max_timeout_ms        1 .. 2147483647
 *   transaction_check_interval_ms     1 .. 3600000
 *   producer_id_expiration_ms         1 .. 2^53
 *   storage               an object of these keys:
 *     filer               "" or http://HOST:PORT / https://HOST:PORT (no path)
 *     root                an absolute filer path ("/" by default)
 *     jwt                 any token, "" for none
 *     max_requests        1 .. 256
 *     timeout_ms          100 .. 600000
 *     read_cache_bytes    0 .. 1 GiB
 *   security              an object of these keys:
 *     listener            "PLAINTEXT", "SSL", "SASL_PLAINTEXT" or "SASL_SSL"
 *     ssl_certificate, ssl_key, ssl_ca   PEM file paths; a TLS listener needs the first two
 *     ssl_client_auth     "none", "requested" or "required" (the last two need ssl_ca)
 *     authorizer          true: every request is checked against the ACLs
 *     sasl_mechanisms     a non-empty array of "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"
 *     super_users         an array of user names (1-255 bytes each)
 *     session_lifetime_ms 0 (none) .. 2^53
 *     users               an object of user name -> non-empty password strings;
 *                         left out of kelp_config_to_json
 *   admin_auth            an object of these keys:
 *     bearer_token        "" or 16-255 bytes; left out of kelp_config_to_json
 *     basic_users         an object of user name -> password; left out too
 *     ssl_certificate, ssl_key   PEM file paths, both or neither (HTTPS)
 * Numbers must be integers; booleans must be JSON true/false. */
int kelp_config_apply_json(kelp_config *cfg, const char *json, char *err, size_t errlen);

/* The whole configuration as a JSON object (malloc'd string). */
char *kelp_config_to_json(const kelp_config *cfg);

/* Splits "host:port" or "[v6]:port"; port 0 is allowed (ephemeral). */
int kelp_config_split_hostport(const char *addr, char *host, size_t hostlen, uint16_t *port);
/* Security protocol names ("PLAINTEXT", "SSL", "SASL_PLAINTEXT",
 * "SASL_SSL") and KELP_LISTENER_* numbers; parse gives -1 for others. */
int kelp_config_protocol_parse(const char *name);
const char *kelp_config_protocol_name(int protocol);

#endif
