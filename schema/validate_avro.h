/* Avro validation of record payloads with avro-c. */
#ifndef KELP_SCHEMA_VALIDATE_AVRO_H
#define KELP_SCHEMA_VALIDATE_AVRO_H

#include <stddef.h>
#include <stdint.h>

typedef struct kelp_avro_checker kelp_avro_checker;

/* NULL with a reason when avro-c cannot use the schema. */
kelp_avro_checker *kelp_avro_checker_new(const char *schema, size_t len, char *why, size_t whylen);
/* 0 when payload is exactly one datum of the schema (every byte used). */
int kelp_avro_checker_check(kelp_avro_checker *c, const uint8_t *payload, size_t len, char *why, size_t whylen);
void kelp_avro_checker_free(kelp_avro_checker *c);

#endif
