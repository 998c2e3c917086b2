/* JSON Schema compatibility, following the rules of Confluent's Schema
 * Registry: the writer's schema is the "original", the reader's the
 * "update"; a change is compatible when every document the original
 * accepts is still accepted by the update (relaxed constraints, extended
 * types, added alternatives, properties added to a closed content model),
 * and incompatible when the update tightens anything. */
#ifndef KELP_SCHEMA_COMPATIBILITY_JSON_H
#define KELP_SCHEMA_COMPATIBILITY_JSON_H

#include <stddef.h>

/* Whether a consumer using reader can read documents valid under writer.
 * Returns 1 (yes), 0 (no; why names the rule and the path) or -1 when the
 * check cannot be made: invalid JSON, a $ref that is not local or does not
 * resolve, or a construct these rules do not cover (if/then/else,
 * unevaluated*, dynamic refs, ...); why says which. */
int kelp_json_schema_can_read(const char *reader, const char *writer, char *why, size_t whylen);

#endif
