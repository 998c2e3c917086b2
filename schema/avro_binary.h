/* A bounds-checked walk of one Avro binary datum over an avro-c schema,
 * allocating nothing. It runs before avro-c decodes a record payload:
 * avro-c trusts the lengths and counts it reads (a negative or huge length
 * is handed to realloc, a failed string read leaks, a huge count of
 * zero-size items loops), so only walked payloads reach it. */
#ifndef KELP_SCHEMA_AVRO_BINARY_H
#define KELP_SCHEMA_AVRO_BINARY_H

#include <avro.h>
#include <stddef.h>
#include <stdint.h>

/* Items of a zero-size type (null, empty record) one datum may hold. */
#define KELP_AVRO_MAX_EMPTY_ITEMS 65536

/* 0 when p holds exactly one datum of schema (every byte used); -1 with why. */
int kelp_avro_binary_check(avro_schema_t schema, const uint8_t *p, size_t len, char *why, size_t whylen);

#endif
