/* The registry model and its files (layout in registry.h). One mutex
 * guards everything, file writes included: registrations are rare and
 * small, and a single writer keeps memory and files in step. A change is
 * made in memory only once its file was written. */
#include "schema/registry.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "offsets/offset_path.h"
#include "schema/normalize.h"
#include "schema/references.h"
#include "storage/fs.h"
#include "util/buf.h"
#include "util/log.h"

#define PATH_CAP 512

typedef struct sr_schema {
    int32_t id;
    kelp_schema_type type;
    char *schema; /* the text answered */
    char *key;    /* the text compared */
    char *refs;   /* compact JSON array or NULL */
} sr_schema;

typedef struct sr_version {
    int32_t version;
    int32_t id;
    bool deleted;
} sr_version;

typedef struct sr_subject {
    char *name;
    sr_version *v;
    size_t n, cap;
    bool has_level;
    kelp_schema_level level;
} sr_subject;

struct kelp_schema_registry {
    pthread_mutex_t lock;
    kelp_fs *fs;
    sr_schema *schemas;
    size_t n_schemas, cap_schemas;
    int32_t next_id;
    sr_subject **subjects;
    size_t n_subjects, cap_subjects;
    kelp_schema_level level;
};

static int fail(kelp_sr_error *e, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(kelp_sr_error *e, int code, const char *fmt, ...)
{
    e->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof(e->message), fmt, ap);
    va_end(ap);
    return -1;
}

static int ok(kelp_sr_error *e)
{
    e->code = 0;
    e->message[0] = '\0';
    return 0;
}

/* ---- memory ---- */

static void subject_free(sr_subject *s)
{
    if (!s)
        return;
    free(s->name);
    free(s->v);
    free(s);
}

static void clear(kelp_schema_registry *r)
{
    for (size_t i = 0; i < r->n_schemas; i++) {
        free(r->schemas[i].schema);
        free(r->schemas[i].key);
        free(r->schemas[i].refs);
    }
    free(r->schemas);
    r->schemas = NULL;
    r->n_schemas = r->cap_schemas = 0;
    for (size_t i = 0; i < r->n_subjects; i++)
        subject_free(r->subjects[i]);
    free(r->subjects);
    r->subjects = NULL;
    r->n_subjects = r->cap_subjects = 0;
    r->next_id = 1;
    r->level = KELP_LEVEL_BACKWARD;
}

kelp_schema_registry *kelp_schema_registry_new(void)
{
    kelp_schema_registry *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    pthread_mutex_init(&r->lock, NULL);
    clear(r);
    return r;
}

void kelp_schema_registry_free(kelp_schema_registry *r)
{
    if (!r)
        return;
    clear(r);
    pthread_mutex_destroy(&r->lock);
    free(r);
}

static sr_subject *find_subject(kelp_schema_registry *r, const char *name)
{
    for (size_t i = 0; i < r->n_subjects; i++)
        if (strcmp(r->subjects[i]->name, name) == 0)
            return r->subjects[i];
    return NULL;
}

static sr_subject *add_subject(kelp_schema_registry *r, const char *name)
{
    if (r->n_subjects == r->cap_subjects) {
        size_t cap = r->cap_subjects ? r->cap_subjects * 2 : 16;
        sr_subject **grown = realloc(r->subjects, cap * sizeof(*grown));
        if (!grown)
            return NULL;
        r->subjects = grown;
        r->cap_subjects = cap;
    }
    sr_subject *s = calloc(1, sizeof(*s));
    if (!s || !(s->name = strdup(name))) {
        free(s);
        return NULL;
    }
    r->subjects[r->n_subjects++] = s;
    return s;
}

static void drop_subject(kelp_schema_registry *r, sr_subject *s)
{
    for (size_t i = 0; i < r->n_subjects; i++) {
        if (r->subjects[i] == s) {
            r->subjects[i] = r->subjects[--r->n_subjects];
            subject_free(s);
            return;
        }
    }
}

static bool push_version(sr_subject *s, sr_version v)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 4;
        sr_version *grown = realloc(s->v, cap * sizeof(*grown));
        if (!grown)
            return false;
        s->v = grown;
        s->cap = cap;
    }
    s->v[s->n++] = v;
    return true;
}

static size_t live_count(const sr_subject *s)
{
    size_t n = 0;
    for (size_t i = 0; s && i < s->n; i++)
        n += !s->v[i].deleted;
    return n;
}

static sr_schema *find_schema_id(kelp_schema_registry *r, int32_t id)
{
    for (size_t i = 0; i < r->n_schemas; i++)
        if (r->schemas[i].id == id)
            return &r->schemas[i];
    return NULL;
}

static bool same_refs(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static sr_schema *find_schema(kelp_schema_registry *r, kelp_schema_type type, const char *key, const char *refs)
{
    for (size_t i = 0; i < r->n_schemas; i++) {
        sr_schema *s = &r->schemas[i];
        if (s->type == type && strcmp(s->key, key) == 0 && same_refs(s->refs, refs))
            return s;
    }
    return NULL;
}

/* Takes ownership of the strings (freed on failure). */
static sr_schema *add_schema(kelp_schema_registry *r, int32_t id, kelp_schema_type type, char *schema, char *key,
                             char *refs)
{
    if (r->n_schemas == r->cap_schemas) {
        size_t cap = r->cap_schemas ? r->cap_schemas * 2 : 16;
        sr_schema *grown = realloc(r->schemas, cap * sizeof(*grown));
        if (!grown) {
            free(schema);
            free(key);
            free(refs);
            return NULL;
        }
        r->schemas = grown;
        r->cap_schemas = cap;
    }
    sr_schema *s = &r->schemas[r->n_schemas++];
    *s = (sr_schema){.id = id, .type = type, .schema = schema, .key = key, .refs = refs};
    if (id >= r->next_id)
        r->next_id = id + 1;
    return s;
}

/* ---- files ---- */

static int subject_dir(char *out, size_t cap, const char *subject)
{
    char enc[KELP_GROUP_DIR_MAX + 1];
    if (kelp_group_dir_encode(subject, strlen(subject), enc) != 0)
        return -1;
    int n = snprintf(out, cap, "%s/subjects/%s", KELP_SCHEMAS_ROOT, enc);
    return n > 0 && (size_t)n < cap ? 0 : -1;
}

static int write_json(kelp_fs *fs, const char *dir, const char *path, cJSON *obj)
{
    char *text = obj ? cJSON_PrintUnformatted(obj) : NULL;
    cJSON_Delete(obj);
    if (!text)
        return -ENOMEM;
    int rc = fs->ops->mkdirs(fs, dir);
    if (rc == 0)
        rc = fs->ops->write_file_atomic(fs, path, text, strlen(text));
    free(text);
    return rc;
}

static int save_schema(kelp_schema_registry *r, const sr_schema *s)
{
    cJSON *obj = cJSON_CreateObject();
    if (obj) {
        cJSON_AddStringToObject(obj, "schema", s->schema);
        cJSON_AddStringToObject(obj, "schemaType", kelp_schema_type_name(s->type));
        if (s->refs)
            cJSON_AddItemToObject(obj, "references", cJSON_Parse(s->refs));
    }
    char path[PATH_CAP];
    snprintf(path, sizeof(path), "%s/ids/%" PRId32 ".json", KELP_SCHEMAS_ROOT, s->id);
    return write_json(r->fs, KELP_SCHEMAS_ROOT "/ids", path, obj);
}

/* Writes the subject's file, or removes its folder once nothing is left. */
static int save_subject(kelp_schema_registry *r, const sr_subject *s)
{
    char dir[PATH_CAP], path[PATH_CAP + 16];
    if (subject_dir(dir, sizeof(dir), s->name) != 0)
        return -ENAMETOOLONG;
    if (s->n == 0 && !s->has_level) {
        int rc = r->fs->ops->remove_recursive(r->fs, dir);
        return rc == -ENOENT ? 0 : rc;
    }
    snprintf(path, sizeof(path), "%s/subject.json", dir);
    cJSON *obj = cJSON_CreateObject();
    cJSON *versions = obj ? cJSON_AddArrayToObject(obj, "versions") : NULL;
    if (versions) {
        cJSON_AddStringToObject(obj, "subject", s->name);
        for (size_t i = 0; i < s->n; i++) {
            cJSON *v = cJSON_CreateObject();
            cJSON_AddNumberToObject(v, "version", s->v[i].version);
            cJSON_AddNumberToObject(v, "id", s->v[i].id);
            cJSON_AddBoolToObject(v, "deleted", s->v[i].deleted);
            cJSON_AddItemToArray(versions, v);
        }
        if (s->has_level)
            cJSON_AddStringToObject(obj, "compatibility", kelp_schema_level_name(s->level));
    }
    return write_json(r->fs, dir, path, obj);
}

static int save_config(kelp_schema_registry *r)
{
    cJSON *obj = cJSON_CreateObject();
    if (obj)
        cJSON_AddStringToObject(obj, "compatibility", kelp_schema_level_name(r->level));
    return write_json(r->fs, KELP_SCHEMAS_ROOT, KELP_SCHEMAS_ROOT "/config.json", obj);
}

typedef struct name_list {
    char **names;
    size_t n, cap;
    bool failed;
} name_list;

static int collect_name(void *ctx, const char *name, bool is_dir)
{
    name_list *l = ctx;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 32;
        char **grown = realloc(l->names, cap * sizeof(*grown));
        if (!grown) {
            l->failed = true;
            return 1;
        }
        l->names = grown;
        l->cap = cap;
    }
    if (!(l->names[l->n] = strdup(name))) {
        l->failed = true;
        return 1;
    }
    l->n++;
    return 0;
}

static int read_json(kelp_fs *fs, const char *path, cJSON **out)
{
    kelp_buf b;
    kelp_buf_init(&b);
    int rc = fs->ops->read_file(fs, path, &b);
    if (rc == 0 && !kelp_buf_append(&b, "", 1))
        rc = -ENOMEM;
    *out = rc == 0 ? cJSON_Parse((const char *)b.data) : NULL;
    kelp_buf_free(&b);
    if (rc == 0 && !*out)
        rc = -EINVAL;
    return rc;
}

static int list_dir(kelp_fs *fs, const char *dir, name_list *l)
{
    memset(l, 0, sizeof(*l));
    int rc = fs->ops->list(fs, dir, collect_name, l);
    if (rc == -ENOENT)
        rc = 0;
    if (rc == 0 && l->failed)
        rc = -ENOMEM;
    return rc;
}

static void name_list_free(name_list *l)
{
    kelp_sr_names_free(l->names, l->n);
}

static int load_schema_file(kelp_schema_registry *r, const char *name)
{
    char *end = NULL;
    long id = strtol(name, &end, 10);
    if (id <= 0 || id > INT32_MAX || !end || strcmp(end, ".json") != 0)
        return 0; /* a temporary file or something else: not ours */
    char path[PATH_CAP];
    snprintf(path, sizeof(path), "%s/ids/%s", KELP_SCHEMAS_ROOT, name);
    cJSON *obj;
    int rc = read_json(r->fs, path, &obj);
    if (rc != 0)
        return rc;
    kelp_schema_type type = KELP_SCHEMA_AVRO;
    const char *text = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(obj, "schema"));
    const char *type_name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(obj, "schemaType"));
    const cJSON *refs = cJSON_GetObjectItemCaseSensitive(obj, "references");
    if (!text || (type_name && !kelp_schema_type_parse(type_name, &type))) {
        cJSON_Delete(obj);
        KELP_WARN("schema", "ignoring %s: not a schema file", path);
        return 0;
    }
    char why[256], *key = NULL;
    if (kelp_schema_normalize(type, text, true, &key, why, sizeof(why)) != 0) {
        cJSON_Delete(obj);
        KELP_WARN("schema", "ignoring %s: %s", path, why);
        return 0;
    }
    char *refs_text = cJSON_IsArray(refs) && cJSON_GetArraySize(refs) > 0 ? cJSON_PrintUnformatted(refs) : NULL;
    char *schema = strdup(text);
    cJSON_Delete(obj);
    return add_schema(r, (int32_t)id, type, schema, key, refs_text) ? 0 : -ENOMEM;
}

static int load_subject_file(kelp_schema_registry *r, const char *dirname)
{
    char path[PATH_CAP];
    snprintf(path, sizeof(path), "%s/subjects/%s/subject.json", KELP_SCHEMAS_ROOT, dirname);
    cJSON *obj;
    int rc = read_json(r->fs, path, &obj);
    if (rc == -ENOENT)
        return 0;
    if (rc != 0)
        return rc;
    const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(obj, "subject"));
    const char *level = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(obj, "compatibility"));
    if (!name || find_subject(r, name)) {
        cJSON_Delete(obj);
        KELP_WARN("schema", "ignoring %s: no subject name, or a duplicate", path);
        return 0;
    }
    sr_subject *s = add_subject(r, name);
    if (!s) {
        cJSON_Delete(obj);
        return -ENOMEM;
    }
    s->has_level = level && kelp_schema_level_parse(level, &s->level);
    const cJSON *v;
    cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(obj, "versions"))
    {
        const cJSON *ver = cJSON_GetObjectItemCaseSensitive(v, "version");
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(v, "id");
        if (!cJSON_IsNumber(ver) || !cJSON_IsNumber(id) || !find_schema_id(r, (int32_t)id->valuedouble)) {
            KELP_WARN("schema", "%s: skipping a version whose schema id is unknown", path);
            continue;
        }
        sr_version sv = {.version = (int32_t)ver->valuedouble,
                         .id = (int32_t)id->valuedouble,
                         .deleted = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(v, "deleted"))};
        if (!push_version(s, sv)) {
            cJSON_Delete(obj);
            return -ENOMEM;
        }
    }
    cJSON_Delete(obj);
    return 0;
}

static int load(kelp_schema_registry *r)
{
    cJSON *cfg;
    int rc = read_json(r->fs, KELP_SCHEMAS_ROOT "/config.json", &cfg);
    if (rc == 0) {
        const char *level = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cfg, "compatibility"));
        if (level && !kelp_schema_level_parse(level, &r->level))
            KELP_WARN("schema", "config.json: unknown compatibility level %s ignored", level);
        cJSON_Delete(cfg);
    } else if (rc != -ENOENT) {
        return rc;
    }
    name_list ids, subjects;
    if ((rc = list_dir(r->fs, KELP_SCHEMAS_ROOT "/ids", &ids)) != 0)
        return rc;
    for (size_t i = 0; i < ids.n && rc == 0; i++)
        rc = load_schema_file(r, ids.names[i]);
    name_list_free(&ids);
    if (rc != 0 || (rc = list_dir(r->fs, KELP_SCHEMAS_ROOT "/subjects", &subjects)) != 0)
        return rc;
    for (size_t i = 0; i < subjects.n && rc == 0; i++)
        rc = load_subject_file(r, subjects.names[i]);
    name_list_free(&subjects);
    return rc;
}

int kelp_schema_registry_attach(kelp_schema_registry *r, kelp_fs *fs, char *err, size_t errlen)
{
    pthread_mutex_lock(&r->lock);
    clear(r);
    r->fs = fs;
    int rc = 0;
    if (fs) {
        rc = load(r);
        if (rc != 0) {
            snprintf(err, errlen, "cannot load the schema registry from %s: %s", KELP_SCHEMAS_ROOT, strerror(-rc));
            clear(r);
            r->fs = NULL;
            rc = -1;
        } else {
            KELP_INFO("schema", "schema registry loaded: %zu schemas, %zu subjects", r->n_schemas, r->n_subjects);
        }
    }
    pthread_mutex_unlock(&r->lock);
    return rc;
}

/* ---- operations (called with the lock held) ---- */

static int store_error(kelp_sr_error *e, int rc)
{
    return fail(e, KELP_SR_STORE_ERROR, "Error in the backend datastore: %s", strerror(rc < 0 ? -rc : rc));
}

static bool attached(kelp_schema_registry *r, kelp_sr_error *e)
{
    if (r->fs)
        return true;
    fail(e, KELP_SR_STORE_ERROR, "Error in the backend datastore: the storage is not available");
    return false;
}

static sr_version *find_version(sr_subject *s, int32_t version, bool deleted)
{
    if (version == KELP_SR_LATEST) {
        for (size_t i = s->n; i-- > 0;)
            if (deleted || !s->v[i].deleted)
                return &s->v[i];
        return NULL;
    }
    for (size_t i = 0; i < s->n; i++)
        if (s->v[i].version == version)
            return deleted || !s->v[i].deleted ? &s->v[i] : NULL;
    return NULL;
}

/* The canonical text of a references array (NULL when empty), each of
 * which must name an existing version. */
static int canonical_refs(kelp_schema_registry *r, const cJSON *refs, char **out, kelp_sr_error *e)
{
    *out = NULL;
    if (!refs || cJSON_IsNull(refs) || (cJSON_IsArray(refs) && cJSON_GetArraySize(refs) == 0))
        return 0;
    if (!cJSON_IsArray(refs))
        return fail(e, KELP_SR_INVALID_SCHEMA, "Invalid schema: references must be an array");
    cJSON *canon = cJSON_CreateArray();
    const cJSON *ref;
    cJSON_ArrayForEach(ref, refs)
    {
        const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ref, "name"));
        const char *subject = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ref, "subject"));
        const cJSON *version = cJSON_GetObjectItemCaseSensitive(ref, "version");
        if (!name || !subject || !cJSON_IsNumber(version) || version->valuedouble != (int32_t)version->valuedouble) {
            cJSON_Delete(canon);
            return fail(e, KELP_SR_INVALID_SCHEMA,
                        "Invalid schema: a reference needs a name, a subject and an integer version");
        }
        sr_subject *s = find_subject(r, subject);
        int32_t v = (int32_t)version->valuedouble;
        /* -1 is the latest version, fixed now as Confluent does. */
        const sr_version *found = s && (v > 0 || v == KELP_SR_LATEST) ? find_version(s, v, false) : NULL;
        if (found)
            v = found->version;
        if (!found) {
            cJSON_Delete(canon);
            return fail(e, KELP_SR_INVALID_SCHEMA, "Invalid schema: reference %s (subject '%s' version %" PRId32
                        ") not found", name, subject, v);
        }
        cJSON *c = cJSON_CreateObject();
        cJSON_AddStringToObject(c, "name", name);
        cJSON_AddStringToObject(c, "subject", subject);
        cJSON_AddNumberToObject(c, "version", v);
        cJSON_AddItemToArray(canon, c);
    }
    *out = cJSON_PrintUnformatted(canon);
    cJSON_Delete(canon);
    return *out ? 0 : fail(e, KELP_SR_STORE_ERROR, "out of memory");
}

#define MAX_REF_DEPTH 64

/* Adds what refs (a canonical references array) reaches to deps,
 * dependencies first; stack holds the ids being resolved (a cycle is an
 * error, not a loop). */
static int collect_deps(kelp_schema_registry *r, const char *refs, kelp_schema_deps *deps, int32_t *stack,
                        size_t depth, kelp_sr_error *e)
{
    if (!refs)
        return 0;
    if (depth >= MAX_REF_DEPTH)
        return fail(e, KELP_SR_INVALID_SCHEMA, "Invalid schema: references nest more than %d deep", MAX_REF_DEPTH);
    cJSON *arr = cJSON_Parse(refs);
    if (!arr)
        return fail(e, KELP_SR_STORE_ERROR, "unreadable references");
    int rc = 0;
    const cJSON *ref;
    cJSON_ArrayForEach(ref, arr)
    {
        const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ref, "name"));
        const char *subject = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ref, "subject"));
        const cJSON *version = cJSON_GetObjectItemCaseSensitive(ref, "version");
        sr_subject *s = subject ? find_subject(r, subject) : NULL;
        const sr_version *v = s && cJSON_IsNumber(version) ? find_version(s, (int32_t)version->valuedouble, true) : NULL;
        sr_schema *sc = v ? find_schema_id(r, v->id) : NULL;
        if (!name || !sc) {
            rc = fail(e, KELP_SR_INVALID_SCHEMA, "Invalid schema: reference %s (subject '%s') not found",
                      name ? name : "?", subject ? subject : "?");
            break;
        }
        if (kelp_schema_deps_has(deps, name))
            continue;
        for (size_t i = 0; i < depth; i++)
            if (stack[i] == sc->id) {
                rc = fail(e, KELP_SR_INVALID_SCHEMA, "Invalid schema: circular reference through %s", name);
                break;
            }
        if (rc != 0)
            break;
        stack[depth] = sc->id;
        if ((rc = collect_deps(r, sc->refs, deps, stack, depth + 1, e)) != 0)
            break;
        if (!kelp_schema_deps_has(deps, name) && !kelp_schema_deps_add(deps, name, sc->type, sc->schema)) {
            rc = fail(e, KELP_SR_STORE_ERROR, "out of memory");
            break;
        }
    }
    cJSON_Delete(arr);
    return rc;
}

static int resolve_deps(kelp_schema_registry *r, const char *refs, kelp_schema_deps *deps, kelp_sr_error *e)
{
    int32_t stack[MAX_REF_DEPTH];
    memset(deps, 0, sizeof(*deps));
    int rc = collect_deps(r, refs, deps, stack, 0, e);
    if (rc != 0)
        kelp_schema_deps_free(deps);
    return rc;
}

/* The self-contained text of a schema (see references.h) and, for
 * PROTOBUF, its dependencies (deps may be NULL otherwise). */
static int resolved_text(kelp_schema_registry *r, kelp_schema_type type, const char *text, const char *refs,
                         char **out, kelp_schema_deps *deps, kelp_sr_error *e)
{
    kelp_schema_deps local;
    kelp_schema_deps *d = deps ? deps : &local;
    *out = NULL;
    if (resolve_deps(r, refs, d, e) != 0)
        return -1;
    char why[400];
    int rc = kelp_schema_resolve(type, text, d, out, why, sizeof(why));
    if (rc != 0)
        fail(e, KELP_SR_INVALID_SCHEMA, "%s", why);
    if (rc != 0 || !deps)
        kelp_schema_deps_free(d);
    return rc;
}

/* The canonical text and references of an input, or 42201. */
static int prepare(kelp_schema_registry *r, const kelp_sr_input *in, char **key, char **refs, kelp_sr_error *e)
{
    *key = *refs = NULL;
    if (canonical_refs(r, in->references, refs, e) != 0)
        return -1;
    char why[400];
    if (kelp_schema_normalize(in->type, in->schema, *refs != NULL, key, why, sizeof(why)) != 0) {
        free(*refs);
        *refs = NULL;
        return fail(e, KELP_SR_INVALID_SCHEMA, "%s", why);
    }
    if (*refs && in->type == KELP_SCHEMA_AVRO) {
        /* Checked as avro-c reads it once the references are expanded. */
        char *expanded = NULL, *canon = NULL;
        int rc = resolved_text(r, in->type, *key, *refs, &expanded, NULL, e);
        if (rc == 0 && kelp_schema_normalize(in->type, expanded, false, &canon, why, sizeof(why)) != 0)
            rc = fail(e, KELP_SR_INVALID_SCHEMA, "%s", why);
        free(expanded);
        free(canon);
        if (rc != 0) {
            free(*key);
            free(*refs);
            *key = *refs = NULL;
            return -1;
        }
    } else if (*refs) {
        kelp_schema_deps deps;
        if (resolve_deps(r, *refs, &deps, e) != 0) {
            free(*key);
            free(*refs);
            *key = *refs = NULL;
            return -1;
        }
        kelp_schema_deps_free(&deps);
    }
    return 0;
}

static sr_version *match_in_subject(kelp_schema_registry *r, sr_subject *s, kelp_schema_type type,
                                    const char *key, const char *refs, bool deleted)
{
    for (size_t i = s ? s->n : 0; i-- > 0;) {
        if (s->v[i].deleted && !deleted)
            continue;
        sr_schema *sc = find_schema_id(r, s->v[i].id);
        if (sc && sc->type == type && strcmp(sc->key, key) == 0 && same_refs(sc->refs, refs))
            return &s->v[i];
    }
    return NULL;
}

static kelp_schema_level level_of(kelp_schema_registry *r, const sr_subject *s)
{
    return s && s->has_level ? s->level : r->level;
}

/* The compatibility check against the chosen versions of s, references
 * resolved on both sides: 1, 0 or -1 as kelp_schema_compatible returns
 * (-1 also when a reference cannot be resolved, with why). */
static int check(kelp_schema_registry *r, sr_subject *s, const sr_version *only, kelp_schema_level level,
                 kelp_schema_type type, const char *key, const char *refs, char *why, size_t whylen)
{
    size_t n = 0, cap = s && s->n ? s->n : 1;
    char **prev = calloc(cap, sizeof(*prev));
    kelp_schema_deps *prev_deps = calloc(cap, sizeof(*prev_deps));
    const kelp_schema_deps **deps_ptrs = calloc(cap, sizeof(*deps_ptrs));
    char *resolved = NULL;
    kelp_schema_deps new_deps = {0};
    kelp_sr_error e;
    int rc = -1;
    if (!prev || !prev_deps || !deps_ptrs) {
        snprintf(why, whylen, "out of memory");
        goto out;
    }
    for (size_t i = 0; s && i < s->n; i++) {
        if (s->v[i].deleted || (only && &s->v[i] != only))
            continue;
        sr_schema *sc = find_schema_id(r, s->v[i].id);
        if (!sc)
            continue;
        if (sc->type != type && level != KELP_LEVEL_NONE) {
            snprintf(why, whylen, "version %" PRId32 " is a %s schema, the new one is %s", s->v[i].version,
                     kelp_schema_type_name(sc->type), kelp_schema_type_name(type));
            rc = 0;
            goto out;
        }
        if (level == KELP_LEVEL_NONE)
            continue;
        if (resolved_text(r, sc->type, sc->schema, sc->refs, &prev[n], &prev_deps[n], &e) != 0) {
            snprintf(why, whylen, "version %" PRId32 ": %s", s->v[i].version, e.message);
            goto out;
        }
        deps_ptrs[n] = &prev_deps[n];
        n++;
    }
    if (n > 0 && resolved_text(r, type, key, refs, &resolved, &new_deps, &e) != 0) {
        snprintf(why, whylen, "%s", e.message);
        goto out;
    }
    rc = kelp_schema_compatible_deps(type, level, resolved ? resolved : key, &new_deps, (const char *const *)prev,
                                     deps_ptrs, n, why, whylen);
out:
    for (size_t i = 0; i < n; i++) {
        free(prev[i]);
        kelp_schema_deps_free(&prev_deps[i]);
    }
    free(prev);
    free(prev_deps);
    free(deps_ptrs);
    free(resolved);
    kelp_schema_deps_free(&new_deps);
    return rc;
}

static int do_register(kelp_schema_registry *r, const char *subject, const kelp_sr_input *in, int32_t *id,
                       kelp_sr_error *e)
{
    char *key, *refs;
    if (prepare(r, in, &key, &refs, e) != 0)
        return -1;
    sr_subject *s = find_subject(r, subject);
    sr_version *existing = match_in_subject(r, s, in->type, key, refs, false);
    if (existing) {
        *id = existing->id;
        free(key);
        free(refs);
        return ok(e);
    }
    char why[480];
    int compat = check(r, s, NULL, level_of(r, s), in->type, key, refs, why, sizeof(why));
    if (compat != 1) {
        free(key);
        free(refs);
        if (compat == 0)
            return fail(e, KELP_SR_INCOMPATIBLE,
                        "Schema being registered is incompatible with an earlier schema for subject \"%s\", "
                        "details: %s", subject, why);
        return fail(e, KELP_SR_INVALID_SCHEMA, "%s", why);
    }
    sr_schema *sc = find_schema(r, in->type, key, refs);
    if (!sc) {
        /* The answered text: canonical JSON, or the Protobuf text as given. */
        char *text = in->type == KELP_SCHEMA_PROTOBUF ? strdup(in->schema) : strdup(key);
        sr_schema tmp = {.id = r->next_id, .type = in->type, .schema = text, .key = key, .refs = refs};
        int rc = text ? save_schema(r, &tmp) : -ENOMEM;
        if (rc != 0) {
            free(text);
            free(key);
            free(refs);
            return store_error(e, rc);
        }
        sc = add_schema(r, tmp.id, in->type, text, key, refs);
        if (!sc)
            return store_error(e, -ENOMEM);
    } else {
        free(key);
        free(refs);
    }
    bool created = false;
    if (!s) {
        if (!(s = add_subject(r, subject)))
            return store_error(e, -ENOMEM);
        created = true;
    }
    int32_t next = 1;
    for (size_t i = 0; i < s->n; i++)
        if (s->v[i].version >= next)
            next = s->v[i].version + 1;
    if (!push_version(s, (sr_version){.version = next, .id = sc->id, .deleted = false})) {
        if (created)
            drop_subject(r, s);
        return store_error(e, -ENOMEM);
    }
    int rc = save_subject(r, s);
    if (rc != 0) {
        s->n--;
        if (created)
            drop_subject(r, s);
        return store_error(e, rc);
    }
    *id = sc->id;
    return ok(e);
}

static void fill_version(kelp_schema_registry *r, const char *subject, const sr_version *v, kelp_sr_version *out)
{
    sr_schema *sc = find_schema_id(r, v->id);
    *out = (kelp_sr_version){.subject = subject ? strdup(subject) : NULL,
                             .version = v->version,
                             .id = v->id,
                             .type = sc ? sc->type : KELP_SCHEMA_AVRO,
                             .schema = strdup(sc ? sc->schema : ""),
                             .references = sc && sc->refs ? strdup(sc->refs) : NULL,
                             .deleted = v->deleted};
}

static int do_lookup(kelp_schema_registry *r, const char *subject, const kelp_sr_input *in, bool deleted,
                     kelp_sr_version *out, kelp_sr_error *e)
{
    sr_subject *s = find_subject(r, subject);
    if (!s || s->n == 0 || (!deleted && live_count(s) == 0))
        return fail(e, KELP_SR_SUBJECT_NOT_FOUND, "Subject '%s' not found.", subject);
    char *key, *refs;
    if (prepare(r, in, &key, &refs, e) != 0)
        return -1;
    sr_version *v = match_in_subject(r, s, in->type, key, refs, deleted);
    free(key);
    free(refs);
    if (!v)
        return fail(e, KELP_SR_SCHEMA_NOT_FOUND, "Schema not found");
    fill_version(r, subject, v, out);
    return ok(e);
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int do_subjects(kelp_schema_registry *r, bool deleted, char ***names, size_t *n, kelp_sr_error *e)
{
    *names = calloc(r->n_subjects + 1, sizeof(**names));
    *n = 0;
    if (!*names)
        return store_error(e, -ENOMEM);
    for (size_t i = 0; i < r->n_subjects; i++) {
        sr_subject *s = r->subjects[i];
        if (s->n == 0 || (!deleted && live_count(s) == 0))
            continue;
        if (!((*names)[*n] = strdup(s->name))) {
            kelp_sr_names_free(*names, *n);
            *names = NULL;
            *n = 0;
            return store_error(e, -ENOMEM);
        }
        (*n)++;
    }
    qsort(*names, *n, sizeof(**names), cmp_names);
    return ok(e);
}

static int do_versions(kelp_schema_registry *r, const char *subject, bool deleted, int32_t **versions,
                       size_t *n, kelp_sr_error *e)
{
    sr_subject *s = find_subject(r, subject);
    *versions = NULL;
    *n = 0;
    if (!s || s->n == 0 || (!deleted && live_count(s) == 0))
        return fail(e, KELP_SR_SUBJECT_NOT_FOUND, "Subject '%s' not found.", subject);
    if (!(*versions = calloc(s->n, sizeof(**versions))))
        return store_error(e, -ENOMEM);
    for (size_t i = 0; i < s->n; i++)
        if (deleted || !s->v[i].deleted)
            (*versions)[(*n)++] = s->v[i].version;
    return ok(e);
}

static int do_get_version(kelp_schema_registry *r, const char *subject, int32_t version, bool deleted,
                          kelp_sr_version *out, kelp_sr_error *e)
{
    sr_subject *s = find_subject(r, subject);
    if (!s || s->n == 0 || (!deleted && live_count(s) == 0))
        return fail(e, KELP_SR_SUBJECT_NOT_FOUND, "Subject '%s' not found.", subject);
    sr_version *v = find_version(s, version, deleted);
    if (!v)
        return fail(e, KELP_SR_VERSION_NOT_FOUND, "Version %" PRId32 " not found.", version);
    fill_version(r, subject, v, out);
    return ok(e);
}

static bool id_used(kelp_schema_registry *r, int32_t id);

/* Whether the references text refs names (subject, version). */
static bool refs_name(const char *refs, const char *subject, int32_t version)
{
    if (!refs)
        return false;
    cJSON *arr = cJSON_Parse(refs);
    bool found = false;
    const cJSON *ref;
    cJSON_ArrayForEach(ref, arr)
    {
        const char *sub = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ref, "subject"));
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(ref, "version");
        if (sub && strcmp(sub, subject) == 0 && cJSON_IsNumber(v) && (int32_t)v->valuedouble == version) {
            found = true;
            break;
        }
    }
    cJSON_Delete(arr);
    return found;
}

/* The ids of the schemas some version (live or soft-deleted) still uses
 * whose references name (subject, version), ascending; malloc'd. */
static int referencing_ids(kelp_schema_registry *r, const char *subject, int32_t version, int32_t **ids, size_t *n)
{
    *ids = NULL;
    *n = 0;
    for (size_t i = 0; i < r->n_schemas; i++) {
        sr_schema *sc = &r->schemas[i];
        if (!refs_name(sc->refs, subject, version) || !id_used(r, sc->id))
            continue;
        int32_t *grown = realloc(*ids, (*n + 1) * sizeof(**ids));
        if (!grown) {
            free(*ids);
            *ids = NULL;
            *n = 0;
            return -ENOMEM;
        }
        *ids = grown;
        size_t at = (*n)++;
        while (at > 0 && (*ids)[at - 1] > sc->id) {
            (*ids)[at] = (*ids)[at - 1];
            at--;
        }
        (*ids)[at] = sc->id;
    }
    return 0;
}

/* 42206 when a schema still refers to (subject, version). */
static int refuse_if_referenced(kelp_schema_registry *r, const char *subject, int32_t version, kelp_sr_error *e)
{
    int32_t *ids;
    size_t n;
    if (referencing_ids(r, subject, version, &ids, &n) != 0)
        return store_error(e, -ENOMEM);
    free(ids);
    if (n > 0)
        return fail(e, KELP_SR_REFERENCE_EXISTS,
                    "One or more references exist to the schema {magic=1,keytype=SCHEMA,subject=%s,version=%" PRId32
                    "}.",
                    subject, version);
    return 0;
}

static int do_referenced_by(kelp_schema_registry *r, const char *subject, int32_t version, int32_t **ids,
                            size_t *n, kelp_sr_error *e)
{
    sr_subject *s = find_subject(r, subject);
    if (!s || s->n == 0 || live_count(s) == 0)
        return fail(e, KELP_SR_SUBJECT_NOT_FOUND, "Subject '%s' not found.", subject);
    sr_version *v = find_version(s, version, false);
    if (!v)
        return fail(e, KELP_SR_VERSION_NOT_FOUND, "Version %" PRId32 " not found.", version);
    if (referencing_ids(r, subject, v->version, ids, n) != 0)
        return store_error(e, -ENOMEM);
    return ok(e);
}

static int do_resolve(kelp_schema_registry *r, const kelp_sr_version *v, char **text, kelp_schema_deps *deps,
                      kelp_sr_error *e)
{
    if (resolved_text(r, v->type, v->schema, v->references, text, deps, e) != 0)
        return -1;
    return ok(e);
}

static int do_delete_subject(kelp_schema_registry *r, const char *subject, bool permanent, int32_t **versions,
                             size_t *n, kelp_sr_error *e)
{
    sr_subject *s = find_subject(r, subject);
    *versions = NULL;
    *n = 0;
    if (!s || s->n == 0)
        return fail(e, KELP_SR_SUBJECT_NOT_FOUND, "Subject '%s' not found.", subject);
    size_t live = live_count(s);
    if (!permanent && live == 0)
        return fail(e, KELP_SR_SUBJECT_SOFT_DELETED,
                    "Subject '%s' was soft deleted. Set permanent=true to delete permanently", subject);
    if (permanent && live > 0)
        return fail(e, KELP_SR_SUBJECT_NOT_SOFT_DELETED,
                    "Subject '%s' was not deleted first before being permanently deleted", subject);
    for (size_t i = 0; i < s->n; i++)
        if ((permanent || !s->v[i].deleted) && refuse_if_referenced(r, subject, s->v[i].version, e) != 0)
            return -1;
    if (!(*versions = calloc(s->n, sizeof(**versions))))
        return store_error(e, -ENOMEM);
    sr_subject after = *s;
    after.v = calloc(s->n, sizeof(*after.v));
    if (!after.v) {
        free(*versions);
        *versions = NULL;
        return store_error(e, -ENOMEM);
    }
    memcpy(after.v, s->v, s->n * sizeof(*s->v));
    for (size_t i = 0; i < s->n; i++) {
        if (permanent || !after.v[i].deleted)
            (*versions)[(*n)++] = after.v[i].version;
        after.v[i].deleted = true;
    }
    if (permanent) {
        after.n = 0;
        after.has_level = false;
    }
    int rc = save_subject(r, &after);
    if (rc != 0) {
        free(after.v);
        free(*versions);
        *versions = NULL;
        *n = 0;
        return store_error(e, rc);
    }
    if (permanent) {
        free(after.v);
        drop_subject(r, s);
    } else {
        free(s->v);
        s->v = after.v;
        s->cap = s->n;
    }
    return ok(e);
}

static int do_delete_version(kelp_schema_registry *r, const char *subject, int32_t version, bool permanent,
                             int32_t *deleted_version, kelp_sr_error *e)
{
    sr_subject *s = find_subject(r, subject);
    if (!s || s->n == 0)
        return fail(e, KELP_SR_SUBJECT_NOT_FOUND, "Subject '%s' not found.", subject);
    sr_version *v = find_version(s, version, permanent);
    if (!v && !permanent && version != KELP_SR_LATEST && find_version(s, version, true))
        return fail(e, KELP_SR_VERSION_SOFT_DELETED,
                    "Subject '%s' Version %" PRId32 " was soft deleted. Set permanent=true to delete permanently",
                    subject, version);
    if (!v)
        return fail(e, KELP_SR_VERSION_NOT_FOUND, "Version %" PRId32 " not found.", version);
    if (permanent && !v->deleted)
        return fail(e, KELP_SR_VERSION_NOT_SOFT_DELETED,
                    "Subject '%s' Version %" PRId32 " was not deleted first before being permanently deleted",
                    subject, v->version);
    if (refuse_if_referenced(r, subject, v->version, e) != 0)
        return -1;
    sr_version saved = *v;
    size_t at = (size_t)(v - s->v);
    if (permanent) {
        memmove(&s->v[at], &s->v[at + 1], (s->n - at - 1) * sizeof(*s->v));
        s->n--;
    } else {
        v->deleted = true;
    }
    int rc = save_subject(r, s);
    if (rc != 0) {
        if (permanent) {
            memmove(&s->v[at + 1], &s->v[at], (s->n - at) * sizeof(*s->v));
            s->n++;
        }
        s->v[at] = saved;
        return store_error(e, rc);
    }
    *deleted_version = saved.version;
    if (s->n == 0 && !s->has_level)
        drop_subject(r, s);
    return ok(e);
}

static bool id_used(kelp_schema_registry *r, int32_t id)
{
    for (size_t i = 0; i < r->n_subjects; i++)
        for (size_t j = 0; j < r->subjects[i]->n; j++)
            if (r->subjects[i]->v[j].id == id)
                return true;
    return false;
}

static int do_schema_by_id(kelp_schema_registry *r, int32_t id, kelp_sr_version *out, kelp_sr_error *e)
{
    sr_schema *sc = find_schema_id(r, id);
    if (!sc || !id_used(r, id))
        return fail(e, KELP_SR_SCHEMA_NOT_FOUND, "Schema %" PRId32 " not found", id);
    sr_version v = {.version = 0, .id = id, .deleted = false};
    fill_version(r, NULL, &v, out);
    return ok(e);
}

static int do_id_usages(kelp_schema_registry *r, int32_t id, bool deleted, kelp_sr_usage **out, size_t *n,
                        kelp_sr_error *e)
{
    *out = NULL;
    *n = 0;
    if (!find_schema_id(r, id) || !id_used(r, id))
        return fail(e, KELP_SR_SCHEMA_NOT_FOUND, "Schema %" PRId32 " not found", id);
    size_t total = 0;
    for (size_t i = 0; i < r->n_subjects; i++)
        total += r->subjects[i]->n;
    if (!(*out = calloc(total + 1, sizeof(**out))))
        return store_error(e, -ENOMEM);
    for (size_t i = 0; i < r->n_subjects; i++) {
        sr_subject *s = r->subjects[i];
        for (size_t j = 0; j < s->n; j++) {
            if (s->v[j].id != id || (s->v[j].deleted && !deleted))
                continue;
            (*out)[*n].subject = strdup(s->name);
            (*out)[(*n)++].version = s->v[j].version;
        }
    }
    return ok(e);
}

static int do_get_level(kelp_schema_registry *r, const char *subject, bool default_to_global,
                        kelp_schema_level *out, kelp_sr_error *e)
{
    if (!subject) {
        *out = r->level;
        return ok(e);
    }
    sr_subject *s = find_subject(r, subject);
    if (s && s->has_level) {
        *out = s->level;
        return ok(e);
    }
    if (default_to_global) {
        *out = r->level;
        return ok(e);
    }
    return fail(e, KELP_SR_SUBJECT_LEVEL_NOT_CONFIGURED,
                "Subject '%s' does not have subject-level compatibility configured", subject);
}

static int do_set_level(kelp_schema_registry *r, const char *subject, kelp_schema_level level, kelp_sr_error *e)
{
    if (!subject) {
        kelp_schema_level old = r->level;
        r->level = level;
        int rc = save_config(r);
        if (rc != 0) {
            r->level = old;
            return store_error(e, rc);
        }
        return ok(e);
    }
    sr_subject *s = find_subject(r, subject);
    bool created = !s;
    if (!s && !(s = add_subject(r, subject)))
        return store_error(e, -ENOMEM);
    sr_subject saved = *s;
    s->has_level = true;
    s->level = level;
    int rc = save_subject(r, s);
    if (rc != 0) {
        if (created) {
            drop_subject(r, s);
        } else {
            s->has_level = saved.has_level;
            s->level = saved.level;
        }
        return store_error(e, rc);
    }
    return ok(e);
}

static int do_delete_level(kelp_schema_registry *r, const char *subject, kelp_schema_level *old,
                           kelp_sr_error *e)
{
    sr_subject *s = find_subject(r, subject);
    if (!s || (!s->has_level && s->n == 0))
        return fail(e, KELP_SR_SUBJECT_NOT_FOUND, "Subject '%s' not found.", subject);
    *old = level_of(r, s);
    bool had = s->has_level;
    s->has_level = false;
    int rc = save_subject(r, s);
    if (rc != 0) {
        s->has_level = had;
        return store_error(e, rc);
    }
    if (s->n == 0)
        drop_subject(r, s);
    return ok(e);
}

static kelp_schema_level one_step(kelp_schema_level level)
{
    switch (level) {
    case KELP_LEVEL_BACKWARD_TRANSITIVE: return KELP_LEVEL_BACKWARD;
    case KELP_LEVEL_FORWARD_TRANSITIVE: return KELP_LEVEL_FORWARD;
    case KELP_LEVEL_FULL_TRANSITIVE: return KELP_LEVEL_FULL;
    default: return level;
    }
}

static int do_test(kelp_schema_registry *r, const char *subject, int32_t version, const kelp_sr_input *in,
                   bool *compatible, char *why, size_t whylen, kelp_sr_error *e)
{
    sr_subject *s = find_subject(r, subject);
    bool exists = s && live_count(s) > 0;
    const sr_version *only = NULL;
    if (version > 0 || (version == KELP_SR_LATEST && exists)) {
        if (!exists)
            return fail(e, KELP_SR_SUBJECT_NOT_FOUND, "Subject '%s' not found.", subject);
        if (!(only = find_version(s, version, false)))
            return fail(e, KELP_SR_VERSION_NOT_FOUND, "Version %" PRId32 " not found.", version);
    }
    char *key, *refs;
    if (prepare(r, in, &key, &refs, e) != 0)
        return -1;
    kelp_schema_level level = level_of(r, s);
    int rc = check(r, exists ? s : NULL, only, only ? one_step(level) : level, in->type, key, refs, why, whylen);
    free(key);
    free(refs);
    if (rc < 0)
        return fail(e, KELP_SR_INVALID_SCHEMA, "%s", why);
    *compatible = rc == 1;
    return ok(e);
}

/* ---- locked entry points ---- */

#define LOCKED(r, e, call)                                                                                        \
    do {                                                                                                          \
        pthread_mutex_lock(&(r)->lock);                                                                           \
        int rc_ = attached(r, e) ? (call) : -1;                                                                   \
        pthread_mutex_unlock(&(r)->lock);                                                                         \
        return rc_;                                                                                               \
    } while (0)

int kelp_sr_register(kelp_schema_registry *r, const char *subject, const kelp_sr_input *in, int32_t *id,
                     kelp_sr_error *e)
{
    LOCKED(r, e, do_register(r, subject, in, id, e));
}

int kelp_sr_lookup(kelp_schema_registry *r, const char *subject, const kelp_sr_input *in, bool deleted,
                   kelp_sr_version *out, kelp_sr_error *e)
{
    LOCKED(r, e, do_lookup(r, subject, in, deleted, out, e));
}

int kelp_sr_subjects(kelp_schema_registry *r, bool deleted, char ***names, size_t *n, kelp_sr_error *e)
{
    *names = NULL;
    *n = 0;
    LOCKED(r, e, do_subjects(r, deleted, names, n, e));
}

int kelp_sr_versions(kelp_schema_registry *r, const char *subject, bool deleted, int32_t **versions, size_t *n,
                     kelp_sr_error *e)
{
    *versions = NULL;
    *n = 0;
    LOCKED(r, e, do_versions(r, subject, deleted, versions, n, e));
}

int kelp_sr_get_version(kelp_schema_registry *r, const char *subject, int32_t version, bool deleted,
                        kelp_sr_version *out, kelp_sr_error *e)
{
    LOCKED(r, e, do_get_version(r, subject, version, deleted, out, e));
}

int kelp_sr_delete_subject(kelp_schema_registry *r, const char *subject, bool permanent, int32_t **versions,
                           size_t *n, kelp_sr_error *e)
{
    *versions = NULL;
    *n = 0;
    LOCKED(r, e, do_delete_subject(r, subject, permanent, versions, n, e));
}

int kelp_sr_delete_version(kelp_schema_registry *r, const char *subject, int32_t version, bool permanent,
                           int32_t *deleted_version, kelp_sr_error *e)
{
    LOCKED(r, e, do_delete_version(r, subject, version, permanent, deleted_version, e));
}

int kelp_sr_schema_by_id(kelp_schema_registry *r, int32_t id, kelp_sr_version *out, kelp_sr_error *e)
{
    LOCKED(r, e, do_schema_by_id(r, id, out, e));
}

int kelp_sr_id_usages(kelp_schema_registry *r, int32_t id, bool deleted, kelp_sr_usage **out, size_t *n,
                      kelp_sr_error *e)
{
    *out = NULL;
    *n = 0;
    LOCKED(r, e, do_id_usages(r, id, deleted, out, n, e));
}

int kelp_sr_referenced_by(kelp_schema_registry *r, const char *subject, int32_t version, int32_t **ids, size_t *n,
                          kelp_sr_error *e)
{
    *ids = NULL;
    *n = 0;
    LOCKED(r, e, do_referenced_by(r, subject, version, ids, n, e));
}

int kelp_sr_resolve(kelp_schema_registry *r, const kelp_sr_version *v, char **text, kelp_schema_deps *deps,
                    kelp_sr_error *e)
{
    *text = NULL;
    memset(deps, 0, sizeof(*deps));
    LOCKED(r, e, do_resolve(r, v, text, deps, e));
}

int kelp_sr_get_level(kelp_schema_registry *r, const char *subject, bool default_to_global,
                      kelp_schema_level *out, kelp_sr_error *e)
{
    LOCKED(r, e, do_get_level(r, subject, default_to_global, out, e));
}

int kelp_sr_set_level(kelp_schema_registry *r, const char *subject, kelp_schema_level level, kelp_sr_error *e)
{
    LOCKED(r, e, do_set_level(r, subject, level, e));
}

int kelp_sr_delete_level(kelp_schema_registry *r, const char *subject, kelp_schema_level *old,
                         kelp_sr_error *e)
{
    LOCKED(r, e, do_delete_level(r, subject, old, e));
}

int kelp_sr_test_compatibility(kelp_schema_registry *r, const char *subject, int32_t version,
                               const kelp_sr_input *in, bool *compatible, char *why, size_t whylen,
                               kelp_sr_error *e)
{
    if (whylen > 0)
        why[0] = '\0';
    *compatible = false;
    LOCKED(r, e, do_test(r, subject, version, in, compatible, why, whylen, e));
}

void kelp_sr_version_free(kelp_sr_version *v)
{
    if (!v)
        return;
    free(v->subject);
    free(v->schema);
    free(v->references);
    memset(v, 0, sizeof(*v));
}

void kelp_sr_usages_free(kelp_sr_usage *u, size_t n)
{
    for (size_t i = 0; u && i < n; i++)
        free(u[i].subject);
    free(u);
}

void kelp_sr_names_free(char **names, size_t n)
{
    for (size_t i = 0; names && i < n; i++)
        free(names[i]);
    free(names);
}
