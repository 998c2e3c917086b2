/* Kafka-style UUIDs (topic ids, cluster ids): 16 random bytes shown as 22
 * characters of unpadded base64url, as Kafka's Uuid.toString() does. */
#ifndef KELP_CORE_UUID_H
#define KELP_CORE_UUID_H

#include <stdbool.h>
#include <stdint.h>

#define KELP_UUID_STRING_LEN 22

/* A random version-4 UUID, never all zeros. 0 or -1 when no randomness. */
int kelp_uuid_random(uint8_t out[16]);
void kelp_uuid_to_string(const uint8_t id[16], char out[KELP_UUID_STRING_LEN + 1]);
bool kelp_uuid_parse(const char *s, uint8_t out[16]);
bool kelp_uuid_is_zero(const uint8_t id[16]);

#endif
