/* GET /metrics: the server's counters (connections, requests, topic
 * traffic, sync rounds) and, read from the broker's state at this moment,
 * partition offsets and sizes, groups and their lag. Runs on the loop
 * thread through kelp_server_query. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/broker.h"
#include "groups/coordinator.h"
#include "metrics/registry.h"
#include "metrics/server_metrics.h"
#include "metrics/sync_metrics.h"
#include "metrics/text_format.h"
#include "net/frame_pool.h"
#include "offsets/offset_store.h"
#include "protocol/generated/kafka_apis.h"

#define LABELS(...) ((const char *const[]){__VA_ARGS__, NULL})

static const char *api_name(int16_t key)
{
    const kafka_api_info *info = kafka_api_lookup(key);
    return info ? info->name : NULL;
}

static void add_connections(kelp_metrics_registry *r, const kelp_server_metrics *m)
{
    kelp_metric_family *open_now = kelp_metrics_family(r, "kelp_connections", "Open Kafka client connections.",
                                                   KELP_METRIC_GAUGE, NULL);
    kelp_metrics_add(r, open_now, NULL, (double)(m->connections_accepted - m->connections_closed));
    kelp_metric_family *accepted = kelp_metrics_family(r, "kelp_connections_accepted_total",
                                                       "Kafka client connections accepted.", KELP_METRIC_COUNTER,
                                                       NULL);
    kelp_metrics_add(r, accepted, NULL, (double)m->connections_accepted);
    kelp_metric_family *closed = kelp_metrics_family(r, "kelp_connections_closed_total",
                                                     "Kafka client connections closed.", KELP_METRIC_COUNTER, NULL);
    kelp_metrics_add(r, closed, NULL, (double)m->connections_closed);
    kelp_metric_family *kept = kelp_metrics_family(
        r, "kelp_request_buffers_kept_bytes",
        "Bytes of answered requests' buffers kept to receive the next large requests into.", KELP_METRIC_GAUGE,
        NULL);
    kelp_metrics_add(r, kept, NULL, (double)kelp_frame_pool_bytes());
}

static void add_requests(kelp_metrics_registry *r, const kelp_server_metrics *m)
{
    kelp_metric_family *total = kelp_metrics_family(r, "kelp_requests_total", "Kafka requests by API and version.",
                                                    KELP_METRIC_COUNTER, LABELS("api", "version"));
    kelp_metric_family *errors = kelp_metrics_family(
        r, "kelp_request_errors_total",
        "Kafka requests answered with an error code, or that closed the connection.", KELP_METRIC_COUNTER,
        LABELS("api", "version"));
    for (int16_t key = 0; key < KELP_METRICS_API_KEYS; key++) {
        const char *name = api_name(key);
        for (int16_t v = 0; name && v < KELP_METRICS_API_VERSIONS; v++) {
            if (!m->requests[key][v])
                continue;
            char version[8];
            snprintf(version, sizeof(version), "%d", v);
            kelp_metrics_add(r, total, LABELS(name, version), (double)m->requests[key][v]);
            kelp_metrics_add(r, errors, LABELS(name, version), (double)m->request_errors[key][v]);
        }
    }
    kelp_metric_family *duration = kelp_metrics_histogram_family(
        r, "kelp_request_duration_seconds", "Time from a request's arrival until its response was queued.",
        LABELS("api"), kelp_duration_buckets, KELP_DURATION_BUCKET_COUNT);
    for (int16_t key = 0; key < KELP_METRICS_API_KEYS; key++) {
        const kelp_duration_histogram *h = &m->request_duration[key];
        if (api_name(key) && kelp_duration_count(h) > 0)
            kelp_metrics_add_histogram(r, duration, LABELS(api_name(key)), h->buckets, h->sum);
    }
}

/* Traffic entries of topics no longer in the catalogue (deleted, or of a
 * storage switched away from) are dropped here at the latest. */
static void prune_topics(kelp_broker *b, kelp_server_metrics *m)
{
    for (;;) {
        size_t pos = 0;
        const char *name;
        size_t len;
        bool removed = false;
        while (kelp_strmap_next(&m->topics, &pos, &name, &len, NULL)) {
            if (!kelp_storage_find_topic(b->storage, name, len)) {
                /* The key's bytes go with the entry: look it up by a copy. */
                char *copy = strndup(name, len);
                if (!copy)
                    return;
                kelp_metrics_topic_forget(m, copy, len);
                free(copy);
                removed = true;
                break; /* the walk restarts: the map changed */
            }
        }
        if (!removed)
            return;
    }
}

static void add_topics(kelp_metrics_registry *r, kelp_broker *b, kelp_server_metrics *m)
{
    static const struct {
        const char *name, *help;
    } traffic[] = {
        {"kelp_topic_bytes_in_total", "Record batch bytes appended by Produce."},
        {"kelp_topic_records_in_total", "Records appended by Produce."},
        {"kelp_topic_bytes_out_total", "Record bytes served by Fetch."},
        {"kelp_topic_records_out_total", "Records in whole batches served by Fetch."},
    };
    kelp_metric_family *tf[4];
    for (size_t i = 0; i < 4; i++)
        tf[i] = kelp_metrics_family(r, traffic[i].name, traffic[i].help, KELP_METRIC_COUNTER, LABELS("topic"));
    kelp_metric_family *start = kelp_metrics_family(r, "kelp_partition_log_start_offset",
                                                    "First offset still in the log.", KELP_METRIC_GAUGE,
                                                    LABELS("topic", "partition"));
    kelp_metric_family *end = kelp_metrics_family(r, "kelp_partition_log_end_offset",
                                                  "Offset the next appended record gets.", KELP_METRIC_GAUGE,
                                                  LABELS("topic", "partition"));
    kelp_metric_family *hw = kelp_metrics_family(r, "kelp_partition_high_watermark",
                                                 "End of the durable records consumers may read.",
                                                 KELP_METRIC_GAUGE, LABELS("topic", "partition"));
    kelp_metric_family *size = kelp_metrics_family(r, "kelp_partition_size_bytes", "Bytes of the segment files.",
                                                   KELP_METRIC_GAUGE, LABELS("topic", "partition"));
    prune_topics(b, m);
    size_t count = kelp_storage_topic_count(b->storage);
    for (size_t i = 0; i < count; i++) {
        kelp_topic *t = kelp_storage_topic_at(b->storage, i);
        const char *name = kelp_topic_name(t);
        const kelp_topic_traffic *tt = kelp_strmap_get(&m->topics, name, strlen(name));
        kelp_topic_traffic zero = {0};
        if (!tt)
            tt = &zero;
        kelp_metrics_add(r, tf[0], LABELS(name), (double)tt->bytes_in);
        kelp_metrics_add(r, tf[1], LABELS(name), (double)tt->records_in);
        kelp_metrics_add(r, tf[2], LABELS(name), (double)tt->bytes_out);
        kelp_metrics_add(r, tf[3], LABELS(name), (double)tt->records_out);
        for (int32_t p = 0; p < kelp_topic_partition_count(t); p++) {
            kelp_partition *part = kelp_topic_partition(t, p);
            char index[16];
            snprintf(index, sizeof(index), "%d", p);
            kelp_metrics_add(r, start, LABELS(name, index), (double)kelp_partition_log_start_offset(part));
            kelp_metrics_add(r, end, LABELS(name, index), (double)kelp_partition_log_end_offset(part));
            kelp_metrics_add(r, hw, LABELS(name, index), (double)kelp_partition_high_watermark(part));
            kelp_metrics_add(r, size, LABELS(name, index), (double)kelp_partition_size_bytes(part));
        }
    }
}

typedef struct group_walk {
    kelp_metrics_registry *r;
    kelp_broker *b;
    kelp_metric_family *members, *lag;
    uint64_t per_state[KELP_GROUP_DEAD + 1];
} group_walk;

static void on_group(void *ctx, const kelp_group *g)
{
    group_walk *w = ctx;
    if ((int)g->state >= 0 && g->state <= KELP_GROUP_DEAD)
        w->per_state[g->state]++;
    kelp_metrics_add(w->r, w->members, LABELS(g->id), (double)g->member_count);
}

/* Lag of every group with committed offsets, members or not (a consumer
 * that commits without joining has no group in the coordinator). */
static void on_committed_group(void *ctx, const char *group, size_t glen)
{
    group_walk *w = ctx;
    char *id = strndup(group, glen);
    if (!id) {
        w->r->failed = true;
        return;
    }
    const kelp_committed_offset **list;
    size_t n = kelp_offset_store_list(w->b->offsets, group, glen, &list);
    for (size_t i = 0; i < n; i++) {
        const kelp_committed_offset *c = list[i];
        kelp_topic *t = kelp_storage_find_topic(w->b->storage, c->topic, strlen(c->topic));
        kelp_partition *p = t ? kelp_topic_partition(t, c->partition) : NULL;
        if (!p)
            continue;
        int64_t hw = kelp_partition_high_watermark(p);
        char index[16];
        snprintf(index, sizeof(index), "%d", c->partition);
        kelp_metrics_add(w->r, w->lag, LABELS(id, c->topic, index), (double)(hw > c->offset ? hw - c->offset : 0));
    }
    free(list);
    free(id);
}

static void add_groups(kelp_metrics_registry *r, kelp_broker *b)
{
    kelp_metric_family *groups = kelp_metrics_family(r, "kelp_groups", "Consumer groups by state.",
                                                     KELP_METRIC_GAUGE, LABELS("state"));
    group_walk w = {
        .r = r,
        .b = b,
        .members = kelp_metrics_family(r, "kelp_group_members", "Members of a consumer group.", KELP_METRIC_GAUGE,
                                       LABELS("group")),
        .lag = kelp_metrics_family(r, "kelp_group_lag",
                                   "High watermark minus the group's committed offset, per committed partition.",
                                   KELP_METRIC_GAUGE, LABELS("group", "topic", "partition")),
    };
    kelp_coordinator_each(b->groups, on_group, &w);
    for (int s = 0; s <= KELP_GROUP_DEAD; s++)
        kelp_metrics_add(r, groups, LABELS(kelp_group_state_name((kelp_group_state)s)), (double)w.per_state[s]);
    kelp_offset_store_each_group(b->offsets, on_committed_group, &w);
}

static void add_storage(kelp_metrics_registry *r)
{
    kelp_duration_histogram rounds;
    uint64_t failures;
    kelp_sync_metrics_snapshot(&rounds, &failures);
    kelp_metric_family *duration = kelp_metrics_histogram_family(
        r, "kelp_storage_sync_duration_seconds", "Duration of group-commit sync rounds.", NULL,
        kelp_duration_buckets, KELP_DURATION_BUCKET_COUNT);
    kelp_metrics_add_histogram(r, duration, NULL, rounds.buckets, rounds.sum);
    kelp_metric_family *failed = kelp_metrics_family(r, "kelp_storage_sync_failures_total",
                                                     "Group-commit sync rounds in which a sync failed.",
                                                     KELP_METRIC_COUNTER, NULL);
    kelp_metrics_add(r, failed, NULL, (double)failures);
}

char *kelp_broker_metrics_text(kelp_broker *b, const char *arg, unsigned *status)
{
    (void)arg;
    *status = 500;
    if (!b->metrics)
        return NULL;
    kelp_metrics_registry r;
    kelp_metrics_registry_init(&r);
    kelp_metric_family *info = kelp_metrics_family(&r, "kelp_build_info", "Kelp's version.", KELP_METRIC_GAUGE,
                                                   LABELS("version"));
    kelp_metrics_add(&r, info, LABELS(PACKAGE_VERSION), 1);
    add_connections(&r, b->metrics);
    add_requests(&r, b->metrics);
    add_topics(&r, b, b->metrics);
    add_groups(&r, b);
    add_storage(&r);
    char *text = kelp_metrics_render(&r);
    kelp_metrics_registry_free(&r);
    if (text)
        *status = 200;
    return text;
}
