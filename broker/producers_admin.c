/* GET /v1/topics/<name>/producers: the idempotent and transactional
 * producers each partition of a topic knows (what DescribeProducers
 * answers), for operators chasing a stuck transaction or a fenced client. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "broker/broker.h"
#include "storage/producer_state.h"
#include "storage/topic_name.h"

static cJSON *producer_json(const kelp_producer *e)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "producer_id", (double)e->producer_id);
    cJSON_AddNumberToObject(o, "producer_epoch", e->epoch);
    cJSON_AddNumberToObject(o, "last_sequence", kelp_producer_last_sequence(e));
    cJSON_AddNumberToObject(o, "last_timestamp", (double)e->last_timestamp);
    cJSON_AddNumberToObject(o, "coordinator_epoch", e->coordinator_epoch);
    cJSON_AddNumberToObject(o, "current_txn_start_offset", (double)e->txn_first_offset);
    return o;
}

char *kelp_broker_topic_producers_json(kelp_broker *b, const char *name, unsigned *status)
{
    kelp_topic *t = kelp_topic_name_valid(name, strlen(name)) ? kelp_storage_find_topic(b->storage, name, strlen(name))
                                                               : NULL;
    cJSON *o = cJSON_CreateObject();
    if (!t) {
        cJSON_AddStringToObject(o, "error", "no such topic");
        *status = 404;
    } else {
        cJSON_AddStringToObject(o, "topic", kelp_topic_name(t));
        cJSON *parts = cJSON_AddArrayToObject(o, "partitions");
        for (int32_t i = 0; i < kelp_topic_partition_count(t); i++) {
            cJSON *po = cJSON_CreateObject();
            cJSON_AddItemToArray(parts, po);
            cJSON_AddNumberToObject(po, "partition", i);
            cJSON *list = cJSON_AddArrayToObject(po, "producers");
            const kelp_producer_state *ps = kelp_partition_producers(kelp_topic_partition(t, i));
            size_t pos = 0;
            const kelp_producer *e;
            while (kelp_producer_state_next(ps, &pos, &e))
                cJSON_AddItemToArray(list, producer_json(e));
        }
        *status = 200;
    }
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (!text)
        *status = 500;
    return text;
}
