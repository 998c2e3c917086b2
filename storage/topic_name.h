/* Kafka topic name rules. Every storage path is built only from names that
 * pass kelp_topic_name_valid, so a name can never escape its directory. */
#ifndef KELP_STORAGE_TOPIC_NAME_H
#define KELP_STORAGE_TOPIC_NAME_H

#include <stdbool.h>
#include <stddef.h>

#define KELP_TOPIC_NAME_MAX 249

/* [a-zA-Z0-9._-], 1..249 characters, not "." or "..". */
bool kelp_topic_name_valid(const char *name, size_t len);
/* Names the gateway keeps for itself (".meta"): never a user topic. */
bool kelp_topic_name_reserved(const char *name, size_t len);

#endif
