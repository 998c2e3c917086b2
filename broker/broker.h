/* The Kafka broker: API handlers over the storage layer. Runs on the event
 * loop thread only. */
#ifndef KELP_BROKER_BROKER_H
#define KELP_BROKER_BROKER_H

#include <stdbool.h>
#include <stdint.h>

#include "groups/coordinator.h"
#include "module/config.h"
#include "offsets/offset_store.h"
#include "security/acl.h"
#include "security/users.h"
#include "storage/file_writer.h"
#include "net/event_loop.h"
#include "server/request.h"
#include "storage/storage.h"
#include "txn/coordinator.h"

typedef struct kelp_broker kelp_broker;
typedef struct kelp_fetch_wait kelp_fetch_wait;

/* A Kafka listener as clients see it: Metadata, FindCoordinator and
 * DescribeCluster answer with the endpoint of the listener the request
 * came in on, and its protocol says whether SASL is asked for. */
typedef struct kelp_broker_endpoint {
    char host[KELP_CONFIG_ADDR_MAX];
    int32_t port;
    int32_t protocol; /* KELP_LISTENER_* */
} kelp_broker_endpoint;

struct kelp_broker {
    kelp_loop *loop;
    kelp_storage *storage;
    kelp_config cfg;                /* this thread's copy of the configuration */
    kelp_broker_endpoint endpoints[KELP_MAX_LISTENERS]; /* [0]: "listen"; then "listeners" */
    int endpoint_count;
    char cluster_id[32];
    bool stopping;

    kelp_request *produce_waiters;  /* acks!=0 produces waiting for a group commit */
    kelp_request *produce_waiters_tail;
    kelp_fetch_wait *fetch_waiters; /* long-polling fetches */
    bool durable_progress;          /* a group commit advanced some partition */

    kelp_file_writer *writer;       /* offsets and group metadata files */
    kelp_offset_store *offsets;
    kelp_coordinator *groups;
    kelp_txn_coordinator *txns;
    kelp_timer *maintenance_timer;  /* retention and compaction passes */
    struct kelp_schema_validator *schemas; /* confluent.*.schema.validation; NULL without a registry */
    kelp_user_store users;          /* SASL credentials (broker/sasl.c) */
    kelp_acl_store acls;            /* ACLs (broker/acls.c, broker/authorizer.c) */
    struct kelp_server_metrics *metrics; /* the server's counters; NULL when nobody counts */
};

/* An API the broker serves: the versions it advertises and its handler. A
 * handler returns 0 once it owns the request (answered or waiting), -1 when
 * the body is malformed (the caller closes the connection). */
typedef int (*kelp_api_handler)(kelp_broker *b, kelp_request *req);

typedef struct kelp_api {
    int16_t api_key;
    int16_t min_version;
    int16_t max_version;
    kelp_api_handler handle;
} kelp_api;

/* The served API for a key, or NULL. */
const kelp_api *kelp_broker_api(int16_t api_key);
/* All served APIs, for ApiVersions. */
const kelp_api *kelp_broker_apis(size_t *count);

/* bound: each listener's bound address (host and port) and protocol, in
 * configuration order; advertised hosts come from cfg. */
int kelp_broker_init(kelp_broker *b, kelp_loop *loop, kelp_storage *storage, const kelp_config *cfg,
                     const kelp_broker_endpoint *bound, int nbound, char *err, size_t errlen);
void kelp_broker_set_config(kelp_broker *b, const kelp_config *cfg, const kelp_broker_endpoint *bound,
                            int nbound);
/* The endpoint of the listener a connection came in on (the main one for
 * NULL or a listener since removed). */
struct kelp_conn;
const kelp_broker_endpoint *kelp_broker_endpoint_of(const kelp_broker *b, const struct kelp_conn *conn);
/* The endpoint a request came in on. */
const kelp_broker_endpoint *kelp_broker_request_endpoint(const kelp_broker *b, const kelp_request *req);
/* Storage callback (see kelp_storage_options.on_durable). */
void kelp_broker_on_durable(void *ctx, kelp_partition *p, int64_t high_watermark);
/* After a batch of durability callbacks: answers what can be answered. */
void kelp_broker_process_durable(kelp_broker *b);
/* Shutdown: answers every waiting fetch, join and sync now. */
void kelp_broker_stop(kelp_broker *b);
/* After the loop stopped: finishes queued file writes and frees. */
void kelp_broker_destroy(kelp_broker *b);

/* Handlers, one file each. */
int kelp_handle_api_versions(kelp_broker *b, kelp_request *req);
int kelp_handle_metadata(kelp_broker *b, kelp_request *req);
int kelp_handle_produce(kelp_broker *b, kelp_request *req);
int kelp_handle_fetch(kelp_broker *b, kelp_request *req);
int kelp_handle_list_offsets(kelp_broker *b, kelp_request *req);
int kelp_handle_delete_records(kelp_broker *b, kelp_request *req);
int kelp_handle_describe_log_dirs(kelp_broker *b, kelp_request *req);
int kelp_handle_describe_topic_partitions(kelp_broker *b, kelp_request *req);
int kelp_handle_offset_for_leader_epoch(kelp_broker *b, kelp_request *req);
int kelp_handle_find_coordinator(kelp_broker *b, kelp_request *req);
int kelp_handle_join_group(kelp_broker *b, kelp_request *req);
int kelp_handle_sync_group(kelp_broker *b, kelp_request *req);
int kelp_handle_heartbeat(kelp_broker *b, kelp_request *req);
int kelp_handle_leave_group(kelp_broker *b, kelp_request *req);
int kelp_handle_describe_groups(kelp_broker *b, kelp_request *req);
int kelp_handle_list_groups(kelp_broker *b, kelp_request *req);
int kelp_handle_delete_groups(kelp_broker *b, kelp_request *req);
int kelp_handle_offset_commit(kelp_broker *b, kelp_request *req);
int kelp_handle_offset_fetch(kelp_broker *b, kelp_request *req);
int kelp_handle_offset_delete(kelp_broker *b, kelp_request *req);
int kelp_handle_create_topics(kelp_broker *b, kelp_request *req);
int kelp_handle_create_partitions(kelp_broker *b, kelp_request *req);
int kelp_handle_delete_topics(kelp_broker *b, kelp_request *req);
int kelp_handle_describe_cluster(kelp_broker *b, kelp_request *req);
int kelp_handle_describe_configs(kelp_broker *b, kelp_request *req);
int kelp_handle_alter_configs(kelp_broker *b, kelp_request *req);
int kelp_handle_incremental_alter_configs(kelp_broker *b, kelp_request *req);
int kelp_handle_init_producer_id(kelp_broker *b, kelp_request *req);
int kelp_handle_add_partitions_to_txn(kelp_broker *b, kelp_request *req);
int kelp_handle_add_offsets_to_txn(kelp_broker *b, kelp_request *req);
int kelp_handle_end_txn(kelp_broker *b, kelp_request *req);
int kelp_handle_txn_offset_commit(kelp_broker *b, kelp_request *req);
int kelp_handle_describe_producers(kelp_broker *b, kelp_request *req);
int kelp_handle_describe_transactions(kelp_broker *b, kelp_request *req);
int kelp_handle_list_transactions(kelp_broker *b, kelp_request *req);
int kelp_handle_sasl_handshake(kelp_broker *b, kelp_request *req);
int kelp_handle_sasl_authenticate(kelp_broker *b, kelp_request *req);
int kelp_handle_describe_user_scram_credentials(kelp_broker *b, kelp_request *req);
int kelp_handle_alter_user_scram_credentials(kelp_broker *b, kelp_request *req);
int kelp_handle_describe_acls(kelp_broker *b, kelp_request *req);
int kelp_handle_create_acls(kelp_broker *b, kelp_request *req);
int kelp_handle_delete_acls(kelp_broker *b, kelp_request *req);

/* SASL per connection (broker/sasl.c). Whether a request of this API may be
 * served now: before authentication only ApiVersions and the SASL requests. */
bool kelp_sasl_request_allowed(kelp_broker *b, kelp_conn *conn, int16_t api_key);
/* After a v0 SaslHandshake the next frames are bare SASL tokens. */
bool kelp_sasl_expects_raw(kelp_conn *conn);
/* Answers one bare token (frame taken over); -1 closes the connection. */
int kelp_sasl_raw_token(kelp_broker *b, kelp_conn *conn, uint8_t *frame, size_t len);
void kelp_sasl_conn_free(kelp_conn *conn);
/* Who sent a request, without Kafka's "User:" prefix: the SASL user, else
 * the subject of the TLS client certificate, else "ANONYMOUS". */
const char *kelp_request_principal(kelp_request *req);
/* Hashes the configured users into the store: written now (at start) or
 * queued on the writer (reconfiguration). */
int kelp_sasl_apply_config_users(kelp_broker *b, bool now, char *err, size_t errlen);

/* Admin view of groups (loop thread): all of them when group_id is NULL,
 * else one (404 when unknown). Returns malloc'd JSON. */
char *kelp_broker_groups_json(kelp_broker *b, const char *group_id, unsigned *status);
/* Topics for the admin endpoint (broker/topics_admin.c): all (name NULL)
 * or one; create from a JSON body; delete by name. JSON text, status set. */
char *kelp_broker_topics_json(kelp_broker *b, const char *name, unsigned *status);
char *kelp_broker_topics_create(kelp_broker *b, const char *body, unsigned *status);
char *kelp_broker_topics_delete(kelp_broker *b, const char *name, unsigned *status);
/* The producers each partition of the topic knows (broker/producers_admin.c). */
char *kelp_broker_topic_producers_json(kelp_broker *b, const char *name, unsigned *status);
/* GET /metrics (broker/metrics_scrape.c): the Prometheus text exposition
 * of the server's counters and of the topics, partitions and groups now. */
char *kelp_broker_metrics_text(kelp_broker *b, const char *arg, unsigned *status);
/* Deletes a topic as DeleteTopics does: out of the catalogue at once,
 * waiting produces answered, committed offsets dropped, files removed in
 * the background. */
void kelp_broker_delete_topic(kelp_broker *b, kelp_topic *t);

/* The coordinator's answers to waiting JoinGroup and SyncGroup requests. */
void kelp_join_group_reply(void *waiter, const kelp_join_result *result);
void kelp_sync_group_reply(void *waiter, const kelp_sync_result *result);

/* Produce and fetch waiting lists (produce.c, fetch.c). */
void kelp_produce_wake(kelp_broker *b);
/* Before a topic is freed: answers every produce still waiting on it. */
void kelp_produce_release_topic(kelp_broker *b, kelp_topic *t);
void kelp_fetch_wake(kelp_broker *b, bool all);

/* Answers an ApiVersions request whose version is unknown (v0 layout). */
void kelp_api_versions_unsupported(kelp_broker *b, kelp_request *req);

#endif
