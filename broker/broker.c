/* Broker state, the table of served APIs, and group-commit wake-ups. */
#include "broker/broker.h"

#include <stdio.h>
#include <string.h>

#include "broker/cluster_id.h"
#include "util/log.h"
#include "protocol/generated/kafka_apis.h"

/* The lowest versions match Kafka 4.0 (KIP-896 removed the older ones); the
 * highest are the newest stable versions of the schemas, capped below. */
static kelp_api apis[] = {
    {KAFKA_API_PRODUCE, 3, 0, kelp_handle_produce},
    {KAFKA_API_FETCH, 4, 0, kelp_handle_fetch},
    {KAFKA_API_LIST_OFFSETS, 1, 0, kelp_handle_list_offsets},
    {KAFKA_API_METADATA, 0, 0, kelp_handle_metadata},
    {KAFKA_API_API_VERSIONS, 0, 0, kelp_handle_api_versions},
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

static void set_advertised(kelp_broker *b, const char *bound_host, uint16_t bound_port)
{
    const char *host = b->cfg.advertised_host[0] ? b->cfg.advertised_host : bound_host;
    /* A wildcard address is no use to a client: fall back to loopback. */
    if (strcmp(host, "0.0.0.0") == 0 || strcmp(host, "::") == 0)
        host = strcmp(host, "::") == 0 ? "::1" : "127.0.0.1";
    snprintf(b->advertised_host, sizeof(b->advertised_host), "%s", host);
    b->advertised_port = bound_port;
}

int kelp_broker_init(kelp_broker *b, kelp_loop *loop, kelp_storage *storage, const kelp_config *cfg,
                     const char *bound_host, uint16_t bound_port, char *err, size_t errlen)
{
    memset(b, 0, sizeof(*b));
    apis_resolve_versions();
    b->loop = loop;
    b->storage = storage;
    b->cfg = *cfg;
    set_advertised(b, bound_host, bound_port);
    if (kelp_cluster_id_load(kelp_storage_fs(storage), b->cluster_id, sizeof(b->cluster_id), err, errlen) != 0)
        return -1;
    return 0;
}

void kelp_broker_set_config(kelp_broker *b, const kelp_config *cfg, const char *bound_host,
                            uint16_t bound_port)
{
    b->cfg = *cfg;
    set_advertised(b, bound_host, bound_port);
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
    kelp_fetch_wake(b, false);
}

void kelp_broker_stop(kelp_broker *b)
{
    b->stopping = true;
    kelp_fetch_wake(b, true);
}
