/* Broker-side schema validation (Confluent's confluent.key.schema.validation
 * and confluent.value.schema.validation): every checked key or value of a
 * batch must be in the wire format (schema/wire_format.h), name a schema id
 * registered under the topic's subject (TopicNameStrategy: "<topic>-key",
 * "<topic>-value") and decode with that schema. Null keys and values pass.
 *
 * Used from the event loop thread only. Parsed schemas are cached by id;
 * each batch asks the registry (briefly, under its mutex) for a copy of the
 * schema text and the subjects of the id, so a changed registry (another
 * storage attached) is noticed. */
#ifndef KELP_SCHEMA_RECORD_VALIDATOR_H
#define KELP_SCHEMA_RECORD_VALIDATOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "schema/registry.h"

typedef struct kelp_schema_validator kelp_schema_validator;

/* One refused record: its index in the batch and why. */
typedef struct kelp_record_problem {
    int32_t index;
    char message[256];
} kelp_record_problem;

kelp_schema_validator *kelp_schema_validator_new(kelp_schema_registry *registry);
void kelp_schema_validator_free(kelp_schema_validator *v);

/* Checks one whole batch (compressed batches are decompressed). Returns the
 * number of refused records with *problems malloc'd (free() it; NULL when
 * none), or -1 when the batch cannot be read or memory ran out. */
int kelp_schema_validate_batch(kelp_schema_validator *v, const char *topic, bool check_keys, bool check_values,
                               const uint8_t *batch, size_t len, kelp_record_problem **problems);

#endif
