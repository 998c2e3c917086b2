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

typedef struct kelp_config {
    char listen[KELP_CONFIG_ADDR_MAX];          /* "listen": Kafka "host:port" */
    char admin[KELP_CONFIG_ADDR_MAX];           /* "admin": HTTP "host:port", "" disables */
    char schema_registry[KELP_CONFIG_ADDR_MAX]; /* "schema_registry": HTTP "host:port", "" (default) disables */
    char advertised_host[KELP_CONFIG_ADDR_MAX]; /* "advertised_host": "" = the listen host */
    char data_dir[KELP_CONFIG_PATH_MAX];        /* "data": filer root of the local store */
    kelp_storage_config storage;                /* "storage": {...} the filer backend */
    int32_t node_id;                            /* "node_id" */
    int32_t default_partitions;                 /* "default_partitions" (auto-create) */
    bool auto_create_topics;                    /* "auto_create_topics" */
    int64_t segment_bytes;                      /* "segment_bytes": roll size */
    int32_t index_interval_bytes;               /* "index_interval_bytes" */
    int32_t max_request_bytes;                  /* "max_request_bytes": frame limit */
    int32_t message_max_bytes;                  /* "message_max_bytes": largest batch */
    int32_t max_connections;                    /* "max_connections" */
    int32_t log_level;                          /* "log_level": "error".."debug" */
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
 *   log_level             "error", "warn", "info" or "debug"
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
 * Numbers must be integers; booleans must be JSON true/false. */
int kelp_config_apply_json(kelp_config *cfg, const char *json, char *err, size_t errlen);

/* The whole configuration as a JSON object (malloc'd string). */
char *kelp_config_to_json(const kelp_config *cfg);

/* Splits "host:port" or "[v6]:port"; port 0 is allowed (ephemeral). */
int kelp_config_split_hostport(const char *addr, char *host, size_t hostlen, uint16_t *port);

#endif
