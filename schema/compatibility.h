/* Schema compatibility: the levels a subject (or the registry) may require,
 * and the check a new version passes before it is stored. AVRO, JSON
 * (compatibility_json.h) and PROTOBUF (compatibility_protobuf.h) are
 * checked; what a check cannot judge is an error, never a pass. */
#ifndef KELP_SCHEMA_COMPATIBILITY_H
#define KELP_SCHEMA_COMPATIBILITY_H

#include <stdbool.h>
#include <stddef.h>

typedef enum kelp_schema_type {
    KELP_SCHEMA_AVRO = 0,
    KELP_SCHEMA_JSON = 1,
    KELP_SCHEMA_PROTOBUF = 2
} kelp_schema_type;

typedef enum kelp_schema_level {
    KELP_LEVEL_NONE = 0,
    KELP_LEVEL_BACKWARD,
    KELP_LEVEL_BACKWARD_TRANSITIVE,
    KELP_LEVEL_FORWARD,
    KELP_LEVEL_FORWARD_TRANSITIVE,
    KELP_LEVEL_FULL,
    KELP_LEVEL_FULL_TRANSITIVE
} kelp_schema_level;

/* "AVRO", "JSON", "PROTOBUF". */
const char *kelp_schema_type_name(kelp_schema_type type);
/* Case-sensitive, as the REST API is; false for anything else. */
bool kelp_schema_type_parse(const char *name, kelp_schema_type *out);

/* "NONE", "BACKWARD", ... */
const char *kelp_schema_level_name(kelp_schema_level level);
/* Case-insensitive; false for an unknown level. */
bool kelp_schema_level_parse(const char *name, kelp_schema_level *out);

/* Whether new_schema may follow previous[0..n) (oldest first, the live
 * versions of the subject) under level. Non-transitive levels look at the
 * last one only. BACKWARD: the new schema reads data written with the old;
 * FORWARD: the old reads the new; FULL: both.
 * Returns 1 (compatible), 0 (incompatible; why says which rule failed) or
 * -1 when the check cannot be made (why says why; the caller answers 42201). */
int kelp_schema_compatible(kelp_schema_type type, kelp_schema_level level, const char *new_schema,
                           const char *const *previous, size_t n, char *why, size_t whylen);

/* The same with references resolved (schema/references.h): AVRO and JSON
 * texts already self-contained, PROTOBUF texts with the files they import
 * (new_deps and previous_deps[i] may be NULL: none). */
struct kelp_schema_deps;
int kelp_schema_compatible_deps(kelp_schema_type type, kelp_schema_level level, const char *new_schema,
                                const struct kelp_schema_deps *new_deps, const char *const *previous,
                                const struct kelp_schema_deps *const *previous_deps, size_t n, char *why,
                                size_t whylen);

#endif
