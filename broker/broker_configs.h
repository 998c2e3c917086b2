/* This broker's settings under the names Kafka gives them, for
 * DescribeConfigs on a BROKER resource. They come from Kelp's configuration
 * (kelpd's file, the admin endpoint) and are read-only through Kafka's
 * protocol. */
#ifndef KELP_BROKER_BROKER_CONFIGS_H
#define KELP_BROKER_BROKER_CONFIGS_H

#include "broker/broker.h"
#include "storage/topic_config.h"

typedef struct kelp_broker_config_view {
    const char *name;
    char value[64];
    kelp_config_type type;
    const char *doc;
} kelp_broker_config_view;

#define KELP_BROKER_CONFIG_COUNT 21

void kelp_broker_config_views(const kelp_broker *b, kelp_broker_config_view out[KELP_BROKER_CONFIG_COUNT]);

#endif
