#include "broker/broker_configs.h"

#include <inttypes.h>
#include <stdio.h>

#include "offsets/offset_store.h"

static void put(kelp_broker_config_view *v, const char *name, kelp_config_type type, int64_t value, const char *doc)
{
    v->name = name;
    v->type = type;
    v->doc = doc;
    snprintf(v->value, sizeof(v->value), "%" PRId64, value);
}

static void put_text(kelp_broker_config_view *v, const char *name, const char *value, const char *doc)
{
    v->name = name;
    v->type = KELP_CONFIG_STRING;
    v->doc = doc;
    snprintf(v->value, sizeof(v->value), "%s", value);
}

void kelp_broker_config_views(const kelp_broker *b, kelp_broker_config_view out[KELP_BROKER_CONFIG_COUNT])
{
    const kelp_config *c = &b->cfg;
    int n = 0;
    put(&out[n++], "broker.id", KELP_CONFIG_INT, c->node_id, "This broker's id (Kelp's node_id).");
    put(&out[n++], "num.partitions", KELP_CONFIG_INT, c->default_partitions,
        "Partitions of a topic created without a count (Kelp's default_partitions).");
    put_text(&out[n++], "auto.create.topics.enable", c->auto_create_topics ? "true" : "false",
             "Whether naming an unknown topic in Metadata creates it (Kelp's auto_create_topics).");
    out[n - 1].type = KELP_CONFIG_BOOLEAN;
    put(&out[n++], "default.replication.factor", KELP_CONFIG_SHORT, 1, "Replicas of a new topic: one broker, one replica.");
    put(&out[n++], "log.segment.bytes", KELP_CONFIG_INT, c->segment_bytes,
        "The size at which partitions roll segments unless the topic sets segment.bytes (Kelp's segment_bytes).");
    put(&out[n++], "message.max.bytes", KELP_CONFIG_INT, c->message_max_bytes,
        "The largest record batch unless the topic sets max.message.bytes (Kelp's message_max_bytes).");
    put(&out[n++], "socket.request.max.bytes", KELP_CONFIG_INT, c->max_request_bytes,
        "The largest request frame (Kelp's max_request_bytes).");
    put(&out[n++], "max.connections", KELP_CONFIG_INT, c->max_connections,
        "Connections beyond this are refused (Kelp's max_connections).");
    put(&out[n++], "log.retention.ms", KELP_CONFIG_LONG, c->log_retention_ms,
        "How long segments are kept after their newest record unless the topic sets retention.ms; -1 for ever "
        "(Kelp's log_retention_ms).");
    put(&out[n++], "log.retention.bytes", KELP_CONFIG_LONG, c->log_retention_bytes,
        "The size a partition may grow to unless the topic sets retention.bytes; -1 for no limit "
        "(Kelp's log_retention_bytes).");
    put(&out[n++], "log.roll.ms", KELP_CONFIG_LONG, c->log_segment_ms,
        "The age at which segments roll unless the topic sets segment.ms (Kelp's log_segment_ms).");
    put(&out[n++], "log.retention.check.interval.ms", KELP_CONFIG_LONG, c->log_retention_check_interval_ms,
        "How often retention and compaction run (Kelp's log_retention_check_interval_ms).");
    put_text(&out[n++], "log.cleanup.policy", "delete", "What topics do with old segments unless they set "
             "cleanup.policy.");
    put(&out[n++], "group.initial.rebalance.delay.ms", KELP_CONFIG_INT, c->group_initial_rebalance_delay_ms,
        "How long the first rebalance of an empty group waits for more members.");
    put(&out[n++], "group.min.session.timeout.ms", KELP_CONFIG_INT, c->group_min_session_timeout_ms,
        "The shortest session timeout a group member may ask for.");
    put(&out[n++], "group.max.session.timeout.ms", KELP_CONFIG_INT, c->group_max_session_timeout_ms,
        "The longest session timeout a group member may ask for.");
    put(&out[n++], "group.max.size", KELP_CONFIG_INT, c->group_max_size, "The most members a group may have.");
    put(&out[n++], "offset.metadata.max.bytes", KELP_CONFIG_INT, KELP_OFFSET_METADATA_MAX,
        "The longest metadata string an offset commit may carry.");
    put(&out[n++], "transaction.max.timeout.ms", KELP_CONFIG_INT, c->transaction_max_timeout_ms,
        "The longest transaction.timeout.ms a producer may ask for (Kelp's transaction_max_timeout_ms).");
    put(&out[n++], "transaction.abort.timed.out.transaction.cleanup.interval.ms", KELP_CONFIG_INT,
        c->transaction_check_interval_ms,
        "How often transactions older than their timeout are aborted (Kelp's transaction_check_interval_ms).");
    put(&out[n++], "producer.id.expiration.ms", KELP_CONFIG_INT, c->producer_id_expiration_ms,
        "How long a partition remembers an idle producer's sequences (Kelp's producer_id_expiration_ms).");
}
