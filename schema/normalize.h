/* Validation and the canonical text of a schema, which is what decides
 * whether two registrations are "the same schema". */
#ifndef KELP_SCHEMA_NORMALIZE_H
#define KELP_SCHEMA_NORMALIZE_H

#include <stdbool.h>
#include <stddef.h>

#include "schema/compatibility.h"

/* AVRO and JSON: parsed and printed again as compact JSON (key order kept);
 * AVRO must also be a schema avro-c accepts, unless it has references
 * (named types from other subjects that a standalone parse cannot see).
 * JSON must be an object or a boolean. PROTOBUF: runs of white space
 * become one space, ends trimmed; it must not be empty.
 * Returns 0 with *out malloc'd, or -1 with a message in why. */
int kelp_schema_normalize(kelp_schema_type type, const char *text, bool has_references, char **out, char *why,
                          size_t whylen);

#endif
