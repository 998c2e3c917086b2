/* The schema registry: subjects, their versions and the global schema ids,
 * in memory and on filer paths through a kelp_fs.
 *
 * Files, relative to the filer root (each replaced atomically):
 *   topics/kafka/.meta/schemas/config.json          {"compatibility": LEVEL}
 *   topics/kafka/.meta/schemas/ids/<id>.json        {"schema", "schemaType", "references"}
 *   topics/kafka/.meta/schemas/subjects/<enc>/subject.json
 *       {"subject": NAME, "versions": [{"version", "id", "deleted"}], "compatibility"?}
 * <enc> is the subject encoded as kelp_group_dir_encode does. An id file is
 * written before the subject file that names it, so a crash between the two
 * leaves only an unused id. Ids are never reused.
 *
 * A schema's references must name live versions when it is registered
 * (version -1 is stored as the latest one then); a version a schema still
 * refers to cannot be deleted (42206).
 *
 * Every function takes the registry's mutex: call from any thread. While no
 * file system is attached every operation fails with 50001. */
#ifndef KELP_SCHEMA_REGISTRY_H
#define KELP_SCHEMA_REGISTRY_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "schema/compatibility.h"
#include "schema/references.h"

#define KELP_SCHEMAS_ROOT "topics/kafka/.meta/schemas"

/* Confluent's error codes; the HTTP status is the first three digits. */
enum {
    KELP_SR_SUBJECT_NOT_FOUND = 40401,
    KELP_SR_VERSION_NOT_FOUND = 40402,
    KELP_SR_SCHEMA_NOT_FOUND = 40403,
    KELP_SR_SUBJECT_SOFT_DELETED = 40404,
    KELP_SR_SUBJECT_NOT_SOFT_DELETED = 40405,
    KELP_SR_VERSION_SOFT_DELETED = 40406,
    KELP_SR_VERSION_NOT_SOFT_DELETED = 40407,
    KELP_SR_SUBJECT_LEVEL_NOT_CONFIGURED = 40408,
    KELP_SR_INVALID_SCHEMA = 42201,
    KELP_SR_INVALID_VERSION = 42202,
    KELP_SR_INVALID_LEVEL = 42203,
    KELP_SR_REFERENCE_EXISTS = 42206,
    KELP_SR_INCOMPATIBLE = 409,
    KELP_SR_STORE_ERROR = 50001
};

/* The outcome of an operation: code 0 or one of the codes above. */
typedef struct kelp_sr_error {
    int code;
    char message[512];
} kelp_sr_error;

/* What a version (or an id) holds; strings malloc'd, see kelp_sr_version_free. */
typedef struct kelp_sr_version {
    char *subject; /* NULL for a look-up by id */
    int32_t version;
    int32_t id;
    kelp_schema_type type;
    char *schema;
    char *references; /* compact JSON array, NULL when there are none */
    bool deleted;
} kelp_sr_version;

/* A schema to register, look up or test: references is a JSON array of
 * {"name", "subject", "version"} or NULL. */
typedef struct kelp_sr_input {
    kelp_schema_type type;
    const char *schema;
    const cJSON *references;
} kelp_sr_input;

/* One (subject, version) pair of an id. */
typedef struct kelp_sr_usage {
    char *subject;
    int32_t version;
} kelp_sr_usage;

typedef struct kelp_schema_registry kelp_schema_registry;
struct kelp_fs;

/* The version argument meaning "the latest". */
#define KELP_SR_LATEST (-1)

kelp_schema_registry *kelp_schema_registry_new(void);
void kelp_schema_registry_free(kelp_schema_registry *r);

/* Forgets everything in memory and loads what fs holds; NULL detaches (the
 * registry answers 50001 until the next attach). fs must stay valid until
 * it is detached or another is attached. -1 with err when the files cannot
 * be read: the registry is detached then. */
int kelp_schema_registry_attach(kelp_schema_registry *r, struct kelp_fs *fs, char *err, size_t errlen);

/* POST /subjects/{s}/versions: the id of the schema in the subject, a new
 * version when it is not a live version there yet. */
int kelp_sr_register(kelp_schema_registry *r, const char *subject, const kelp_sr_input *in, int32_t *id,
                     kelp_sr_error *e);
/* POST /subjects/{s}: the live (or, with deleted, any) version holding the schema. */
int kelp_sr_lookup(kelp_schema_registry *r, const char *subject, const kelp_sr_input *in, bool deleted,
                   kelp_sr_version *out, kelp_sr_error *e);

/* GET /subjects: malloc'd array of malloc'd names, sorted. */
int kelp_sr_subjects(kelp_schema_registry *r, bool deleted, char ***names, size_t *n, kelp_sr_error *e);
/* GET /subjects/{s}/versions: malloc'd array, ascending. */
int kelp_sr_versions(kelp_schema_registry *r, const char *subject, bool deleted, int32_t **versions, size_t *n,
                     kelp_sr_error *e);
/* GET /subjects/{s}/versions/{v}; version may be KELP_SR_LATEST. */
int kelp_sr_get_version(kelp_schema_registry *r, const char *subject, int32_t version, bool deleted,
                        kelp_sr_version *out, kelp_sr_error *e);
/* DELETE /subjects/{s}: the versions deleted. */
int kelp_sr_delete_subject(kelp_schema_registry *r, const char *subject, bool permanent, int32_t **versions,
                           size_t *n, kelp_sr_error *e);
/* DELETE /subjects/{s}/versions/{v}: the version deleted. */
int kelp_sr_delete_version(kelp_schema_registry *r, const char *subject, int32_t version, bool permanent,
                           int32_t *deleted_version, kelp_sr_error *e);

/* GET /schemas/ids/{id}: only ids some version (live or soft-deleted) uses. */
int kelp_sr_schema_by_id(kelp_schema_registry *r, int32_t id, kelp_sr_version *out, kelp_sr_error *e);
/* GET /schemas/ids/{id}/versions: malloc'd array (free with kelp_sr_usages_free). */
int kelp_sr_id_usages(kelp_schema_registry *r, int32_t id, bool deleted, kelp_sr_usage **out, size_t *n,
                      kelp_sr_error *e);

/* GET /subjects/{s}/versions/{v}/referencedby: the ids of the schemas
 * whose references name that version (live or soft-deleted users),
 * ascending, malloc'd; version may be KELP_SR_LATEST. */
int kelp_sr_referenced_by(kelp_schema_registry *r, const char *subject, int32_t version, int32_t **ids, size_t *n,
                          kelp_sr_error *e);
/* The self-contained text of v (malloc'd, see schema/references.h) and the
 * schemas its references reach, transitively (free with
 * kelp_schema_deps_free); 42201 when one no longer resolves. */
int kelp_sr_resolve(kelp_schema_registry *r, const kelp_sr_version *v, char **text, kelp_schema_deps *deps,
                    kelp_sr_error *e);

/* GET /config (subject NULL) and GET /config/{s}; default_to_global answers
 * the global level for a subject without its own. */
int kelp_sr_get_level(kelp_schema_registry *r, const char *subject, bool default_to_global,
                      kelp_schema_level *out, kelp_sr_error *e);
int kelp_sr_set_level(kelp_schema_registry *r, const char *subject, kelp_schema_level level, kelp_sr_error *e);
/* DELETE /config/{s}: the level the subject had (the global one if none). */
int kelp_sr_delete_level(kelp_schema_registry *r, const char *subject, kelp_schema_level *old,
                         kelp_sr_error *e);

/* POST /compatibility/subjects/{s}/versions/{v}: the schema against one
 * version (both ways as the level requires), or against every version the
 * level names when version is 0. */
int kelp_sr_test_compatibility(kelp_schema_registry *r, const char *subject, int32_t version,
                               const kelp_sr_input *in, bool *compatible, char *why, size_t whylen,
                               kelp_sr_error *e);

void kelp_sr_version_free(kelp_sr_version *v);
void kelp_sr_usages_free(kelp_sr_usage *u, size_t n);
void kelp_sr_names_free(char **names, size_t n);

#endif
