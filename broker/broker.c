/* Broker state, the table of served APIs, and group-commit wake-ups. */
#include "broker/broker.h"

#include <stdio.h>
#include <string.h>

#include "broker/cluster_id.h"
#include "broker/log_maintenance.h"
#include "net/connection.h"
#include "util/log.h"
#include "protocol/generated/kafka_apis.h"
#include "schema/record_validator.h"

/* The lowest versions match Kafka 4.0 (KIP-896 removed the older ones); the
 * highest are the newest stable versions of the schemas, capped below. */
static kelp_api apis[] = {
    {KAFKA_API_PRODUCE, 3, 0, kelp_handle_produce},
    {KAFKA_API_FETCH, 4, 0, kelp_handle_fetch},
    {KAFKA_API_LIST_OFFSETS, 1, 0, kelp_handle_list_offsets},
    {KAFKA_API_METADATA, 0, 0, kelp_handle_metadata},
    {KAFKA_API_API_VERSIONS, 0, 0, kelp_handle_api_versions},
    /* Group APIs: the versions Kafka 4.0 still serves (KIP-896 dropped
     * OffsetCommit v0-1 and OffsetFetch v0). */
    {KAFKA_API_OFFSET_COMMIT, 2, 0, kelp_handle_offset_commit},
    {KAFKA_API_OFFSET_FETCH, 1, 0, kelp_handle_offset_fetch},
    {KAFKA_API_FIND_COORDINATOR, 0, 0, kelp_handle_find_coordinator},
    {KAFKA_API_JOIN_GROUP, 0, 0, kelp_handle_join_group},
    {KAFKA_API_HEARTBEAT, 0, 0, kelp_handle_heartbeat},
    {KAFKA_API_LEAVE_GROUP, 0, 0, kelp_handle_leave_group},
    {KAFKA_API_SYNC_GROUP, 0, 0, kelp_handle_sync_group},
    {KAFKA_API_DESCRIBE_GROUPS, 0, 0, kelp_handle_describe_groups},
    {KAFKA_API_LIST_GROUPS, 0, 0, kelp_handle_list_groups},
    {KAFKA_API_DELETE_GROUPS, 0, 0, kelp_handle_delete_groups},
    {KAFKA_API_OFFSET_DELETE, 0, 0, kelp_handle_offset_delete},
    /* Topic administration (Kafka 4.0 minimums). */
    {KAFKA_API_CREATE_TOPICS, 2, 0, kelp_handle_create_topics},
    {KAFKA_API_CREATE_PARTITIONS, 0, 0, kelp_handle_create_partitions},
    {KAFKA_API_DELETE_TOPICS, 1, 0, kelp_handle_delete_topics},
    {KAFKA_API_DELETE_RECORDS, 0, 0, kelp_handle_delete_records},
    {KAFKA_API_DESCRIBE_LOG_DIRS, 1, 0, kelp_handle_describe_log_dirs},
    {KAFKA_API_DESCRIBE_TOPIC_PARTITIONS, 0, 0, kelp_handle_describe_topic_partitions},
    {KAFKA_API_OFFSET_FOR_LEADER_EPOCH, 2, 0, kelp_handle_offset_for_leader_epoch},
    {KAFKA_API_DESCRIBE_CLUSTER, 0, 0, kelp_handle_describe_cluster},
    {KAFKA_API_DESCRIBE_CONFIGS, 1, 0, kelp_handle_describe_configs},
    {KAFKA_API_ALTER_CONFIGS, 0, 0, kelp_handle_alter_configs},
    {KAFKA_API_INCREMENTAL_ALTER_CONFIGS, 0, 0, kelp_handle_incremental_alter_configs},
    /* Idempotence and transactions, every version: clients of all ages
     * send them, and none changed the meaning of older ones. */
    {KAFKA_API_INIT_PRODUCER_ID, 0, 0, kelp_handle_init_producer_id},
    {KAFKA_API_ADD_PARTITIONS_TO_TXN, 0, 0, kelp_handle_add_partitions_to_txn},
    {KAFKA_API_ADD_OFFSETS_TO_TXN, 0, 0, kelp_handle_add_offsets_to_txn},
    {KAFKA_API_END_TXN, 0, 0, kelp_handle_end_txn},
    {KAFKA_API_TXN_OFFSET_COMMIT, 0, 0, kelp_handle_txn_offset_commit},
    {KAFKA_API_DESCRIBE_PRODUCERS, 0, 0, kelp_handle_describe_producers},
    {KAFKA_API_DESCRIBE_TRANSACTIONS, 0, 0, kelp_handle_describe_transactions},
    {KAFKA_API_LIST_TRANSACTIONS, 0, 0, kelp_handle_list_transactions},
    /* SASL: every version; v0 of the handshake switches to bare tokens. */
    {KAFKA_API_SASL_HANDSHAKE, 0, 0, kelp_handle_sasl_handshake},
    {KAFKA_API_SASL_AUTHENTICATE, 0, 0, kelp_handle_sasl_authenticate},
    {KAFKA_API_DESCRIBE_USER_SCRAM_CREDENTIALS, 0, 0, kelp_handle_describe_user_scram_credentials},
    {KAFKA_API_ALTER_USER_SCRAM_CREDENTIALS, 0, 0, kelp_handle_alter_user_scram_credentials},
    /* ACLs: Kafka 4.0 serves 1-3 (KIP-896 removed v0). */
    {KAFKA_API_DESCRIBE_ACLS, 1, 0, kelp_handle_describe_acls},
    {KAFKA_API_CREATE_ACLS, 1, 0, kelp_handle_create_acls},
    {KAFKA_API_DELETE_ACLS, 1, 0, kelp_handle_delete_acls},
};
static const size_t api_count = sizeof(apis) / sizeof(apis[0]);

static void apis_resolve_versions(void)
{
    for (size_t i = 0; i < api_count; i++) {
        const kafka_api_info *info = kafka_api_lookup(apis[i].api_key);
        apis[i].max_version = info ? info->max_version : -1;
    }
}

const kelp_api *kelp_broker_api(int16_t api_key)
{
    for (size_t i = 0; i < api_count; i++)
        if (apis[i].api_key == api_key && apis[i].max_version >= apis[i].min_version)
            return &apis[i];
    return NULL;
}

const kelp_api *kelp_broker_apis(size_t *count)
{
    *count = api_count;
    return apis;
}

static void set_endpoints(kelp_broker *b, const kelp_broker_endpoint *bound, int nbound)
{
    b->endpoint_count = nbound < KELP_MAX_LISTENERS ? nbound : KELP_MAX_LISTENERS;
    for (int i = 0; i < b->endpoint_count; i++) {
        const char *configured = i == 0 ? b->cfg.advertised_host
                                 : i - 1 < b->cfg.listener_count ? b->cfg.listeners[i - 1].advertised_host
                                                                 : "";
        const char *host = configured[0] ? configured : bound[i].host;
        /* A wildcard address is no use to a client: fall back to loopback. */
        if (strcmp(host, "0.0.0.0") == 0 || strcmp(host, "::") == 0)
            host = strcmp(host, "::") == 0 ? "::1" : "127.0.0.1";
        kelp_broker_endpoint *e = &b->endpoints[i];
        snprintf(e->host, sizeof(e->host), "%s", host);
        e->port = bound[i].port;
        e->protocol = bound[i].protocol;
    }
}

const kelp_broker_endpoint *kelp_broker_endpoint_of(const kelp_broker *b, const struct kelp_conn *conn)
{
    int i = kelp_conn_listener(conn);
    return &b->endpoints[i >= 0 && i < b->endpoint_count ? i : 0];
}

const kelp_broker_endpoint *kelp_broker_request_endpoint(const kelp_broker *b, const kelp_request *req)
{
    return kelp_broker_endpoint_of(b, req->slot ? kelp_conn_slot_conn(req->slot) : NULL);
}

static kelp_txn_limits txn_limits(const kelp_config *cfg)
{
    return (kelp_txn_limits){.max_timeout_ms = cfg->transaction_max_timeout_ms,
                             .check_interval_ms = cfg->transaction_check_interval_ms};
}

static kelp_group_limits group_limits(const kelp_config *cfg)
{
    return (kelp_group_limits){.min_session_timeout_ms = cfg->group_min_session_timeout_ms,
                               .max_session_timeout_ms = cfg->group_max_session_timeout_ms,
                               .initial_rebalance_delay_ms = cfg->group_initial_rebalance_delay_ms,
                               .max_size = cfg->group_max_size};
}

int kelp_broker_init(kelp_broker *b, kelp_loop *loop, kelp_storage *storage, const kelp_config *cfg,
                     const kelp_broker_endpoint *bound, int nbound, char *err, size_t errlen)
{
    memset(b, 0, sizeof(*b));
    apis_resolve_versions();
    b->loop = loop;
    b->storage = storage;
    b->cfg = *cfg;
    set_endpoints(b, bound, nbound);
    kelp_fs *fs = kelp_storage_fs(storage);
    if (kelp_cluster_id_load(fs, b->cluster_id, sizeof(b->cluster_id), err, errlen) != 0)
        return -1;
    kelp_user_store_init(&b->users);
    if (kelp_user_store_load(&b->users, fs, err, errlen) != 0 ||
        kelp_sasl_apply_config_users(b, true, err, errlen) != 0) {
        kelp_user_store_free(&b->users);
        return -1;
    }
    kelp_acl_store_init(&b->acls);
    if (kelp_acl_store_load(&b->acls, fs, err, errlen) != 0) {
        kelp_user_store_free(&b->users);
        return -1;
    }
    b->writer = kelp_file_writer_start(fs, loop);
    if (!b->writer) {
        snprintf(err, errlen, "cannot start the offsets writer thread");
        return -1;
    }
    b->offsets = kelp_offset_store_open(fs, b->writer, err, errlen);
    if (!b->offsets) {
        kelp_broker_destroy(b);
        return -1;
    }
    kelp_group_limits limits = group_limits(cfg);
    kelp_coordinator_replies replies = {.join = kelp_join_group_reply, .sync = kelp_sync_group_reply};
    b->groups = kelp_coordinator_new(loop, fs, b->writer, b->offsets, &replies, &limits, err, errlen);
    if (!b->groups) {
        kelp_broker_destroy(b);
        return -1;
    }
    kelp_txn_limits tl = txn_limits(cfg);
    b->txns = kelp_txn_coordinator_new(loop, storage, b->writer, b->offsets, &tl, err, errlen);
    if (!b->txns) {
        kelp_broker_destroy(b);
        return -1;
    }
    kelp_log_maintenance_configure(b);
    return 0;
}

void kelp_broker_destroy(kelp_broker *b)
{
    kelp_log_maintenance_stop(b);
    /* The writer's last completions are delivered while their owners still
     * exist; a stopped transaction coordinator only records them. */
    kelp_txn_coordinator_shutdown(b->txns);
    bool had_writer = b->writer != NULL;
    kelp_file_writer_stop(b->writer);
    b->writer = NULL;
    if (had_writer && b->loop)
        kelp_loop_run_posted(b->loop);
    kelp_txn_coordinator_free(b->txns);
    b->txns = NULL;
    kelp_coordinator_free(b->groups);
    b->groups = NULL;
    kelp_offset_store_free(b->offsets);
    b->offsets = NULL;
    kelp_schema_validator_free(b->schemas);
    b->schemas = NULL;
    kelp_user_store_free(&b->users);
    kelp_acl_store_free(&b->acls);
    b->loop = NULL; /* a destroyed broker (or one never started) holds nothing */
}

void kelp_broker_set_config(kelp_broker *b, const kelp_config *cfg, const kelp_broker_endpoint *bound,
                            int nbound)
{
    b->cfg = *cfg;
    set_endpoints(b, bound, nbound);
    kelp_group_limits limits = group_limits(cfg);
    kelp_coordinator_set_limits(b->groups, &limits);
    kelp_txn_limits tl = txn_limits(cfg);
    kelp_txn_coordinator_set_limits(b->txns, &tl);
    kelp_log_maintenance_configure(b);
    char err[256];
    if (kelp_sasl_apply_config_users(b, false, err, sizeof(err)) != 0)
        KELP_ERROR("security", "%s", err);
}

void kelp_broker_on_durable(void *ctx, kelp_partition *p, int64_t high_watermark)
{
    kelp_broker *b = ctx;
    b->durable_progress = true;
}

void kelp_broker_process_durable(kelp_broker *b)
{
    if (!b->durable_progress)
        return;
    b->durable_progress = false;
    kelp_produce_wake(b);
    kelp_txn_coordinator_on_durable(b->txns);
    kelp_fetch_wake(b, false);
}

void kelp_broker_stop(kelp_broker *b)
{
    b->stopping = true;
    kelp_log_maintenance_stop(b);
    kelp_fetch_wake(b, true);
    kelp_coordinator_shutdown(b->groups);
    kelp_txn_coordinator_shutdown(b->txns);
}
