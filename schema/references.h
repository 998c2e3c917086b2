/* Schema references: the schemas a registered schema names through its
 * "references" ({name, subject, version}), resolved transitively by the
 * registry (kelp_sr_resolve_references), and what each schema type makes of
 * them:
 *   AVRO      the first use of each named type a referenced schema defines
 *             is replaced by its definition, giving one self-contained
 *             schema avro-c and the compatibility rules read;
 *   JSON      the referenced documents are embedded under
 *             "x-kelp-references" and every "$ref" equal to a reference
 *             name (plus an optional "#" fragment) becomes a local pointer
 *             into them, so local-$ref resolvers (compatibility_json, the
 *             valijson validator) follow them;
 *   PROTOBUF  `import "<name>";` names the referenced file: the
 *             dependencies are built into the DescriptorPool first (in the
 *             order given, dependencies before their users). */
#ifndef KELP_SCHEMA_REFERENCES_H
#define KELP_SCHEMA_REFERENCES_H

#include <stdbool.h>
#include <stddef.h>

#include "schema/compatibility.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One referenced schema, under the name its user gave it. */
typedef struct kelp_schema_dep {
    char *name;
    kelp_schema_type type;
    char *schema;
} kelp_schema_dep;

/* Every schema reachable through references, each once (by name, the first
 * met wins), dependencies before their users. */
typedef struct kelp_schema_deps {
    kelp_schema_dep *v;
    size_t n, cap;
} kelp_schema_deps;

/* Appends copies of the strings; false when out of memory. */
bool kelp_schema_deps_add(kelp_schema_deps *d, const char *name, kelp_schema_type type, const char *schema);
bool kelp_schema_deps_has(const kelp_schema_deps *d, const char *name);
void kelp_schema_deps_free(kelp_schema_deps *d);

/* The self-contained text of schema (malloc'd in *out): AVRO expanded and
 * JSON bundled as above; PROTOBUF, or no dependencies, a plain copy. -1
 * with why when the schema is not JSON of the kind expected. */
int kelp_schema_resolve(kelp_schema_type type, const char *schema, const kelp_schema_deps *deps, char **out,
                        char *why, size_t whylen);

#ifdef __cplusplus
}
#endif

#endif
