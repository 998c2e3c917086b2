#include "schema/record_validator.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "records/record_batch.h"
#include "schema/validate_avro.h"
#include "schema/validate_json.h"
#include "schema/validate_protobuf.h"
#include "schema/wire_format.h"

#define CACHE_MAX 256 /* parsed schemas kept; past it the cache starts over */
#define MEMO_MAX 16   /* (id, subject) answers remembered within one batch */
#define WHY_CAP 256

/* A parsed schema, or why it cannot be used. */
typedef struct cached_schema {
    int32_t id;
    kelp_schema_type type;
    char *text;
    char *error; /* NULL when usable */
    kelp_avro_checker *avro;
    kelp_json_checker *json;
    kelp_proto_checker *proto;
} cached_schema;

typedef struct memo {
    int32_t id;
    bool key;
    cached_schema *schema; /* NULL: refused, see why */
    char why[WHY_CAP];
} memo;

struct kelp_schema_validator {
    kelp_schema_registry *registry;
    cached_schema **cache;
    size_t n_cache, cap_cache;
};

static void cached_free(cached_schema *c)
{
    kelp_avro_checker_free(c->avro);
    kelp_json_checker_free(c->json);
    kelp_proto_checker_free(c->proto);
    free(c->text);
    free(c->error);
    free(c);
}

static void cache_clear(kelp_schema_validator *v)
{
    for (size_t i = 0; i < v->n_cache; i++)
        cached_free(v->cache[i]);
    v->n_cache = 0;
}

kelp_schema_validator *kelp_schema_validator_new(kelp_schema_registry *registry)
{
    kelp_schema_validator *v = calloc(1, sizeof(*v));
    if (v)
        v->registry = registry;
    return v;
}

void kelp_schema_validator_free(kelp_schema_validator *v)
{
    if (!v)
        return;
    cache_clear(v);
    free(v->cache);
    free(v);
}

/* Parses a schema for the cache; a schema that cannot be used is cached too,
 * with its reason, so it is not parsed again for every batch. */
static cached_schema *build(kelp_schema_registry *r, int32_t id, const kelp_sr_version *ver)
{
    cached_schema *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->id = id;
    c->type = ver->type;
    c->text = strdup(ver->schema);
    char why[WHY_CAP] = "";
    char *text = NULL;
    kelp_schema_deps deps = {0};
    kelp_sr_error e;
    if (ver->references && kelp_sr_resolve(r, ver, &text, &deps, &e) != 0) {
        snprintf(why, sizeof(why), "schema id %d: %.200s", (int)id, e.message);
    } else {
        const char *schema = text ? text : ver->schema;
        size_t len = strlen(schema);
        if (ver->type == KELP_SCHEMA_AVRO)
            c->avro = kelp_avro_checker_new(schema, len, why, sizeof(why));
        else if (ver->type == KELP_SCHEMA_JSON)
            c->json = kelp_json_checker_new(schema, len, why, sizeof(why));
        else
            c->proto = kelp_proto_checker_new_deps(schema, len, &deps, why, sizeof(why));
    }
    free(text);
    kelp_schema_deps_free(&deps);
    if (!c->avro && !c->json && !c->proto)
        c->error = strdup(why[0] ? why : "unusable schema");
    if (!c->text || (!c->avro && !c->json && !c->proto && !c->error)) {
        cached_free(c);
        return NULL;
    }
    return c;
}

static cached_schema *cache_get(kelp_schema_validator *v, int32_t id, const kelp_sr_version *ver)
{
    for (size_t i = 0; i < v->n_cache; i++) {
        cached_schema *c = v->cache[i];
        if (c->id != id)
            continue;
        if (c->type == ver->type && strcmp(c->text, ver->schema) == 0)
            return c;
        /* The id means another schema now (another storage): parse again. */
        cached_free(c);
        v->cache[i] = v->cache[--v->n_cache];
        break;
    }
    if (v->n_cache == v->cap_cache) {
        size_t cap = v->cap_cache ? v->cap_cache * 2 : 16;
        cached_schema **grown = realloc(v->cache, cap * sizeof(*grown));
        if (!grown)
            return NULL;
        v->cache = grown;
        v->cap_cache = cap;
    }
    cached_schema *c = build(v->registry, id, ver);
    if (c)
        v->cache[v->n_cache++] = c;
    return c;
}

static bool id_in_subject(kelp_schema_registry *r, int32_t id, const char *subject)
{
    kelp_sr_usage *u = NULL;
    size_t n = 0;
    kelp_sr_error e;
    if (kelp_sr_id_usages(r, id, false, &u, &n, &e) != 0)
        return false;
    bool found = false;
    for (size_t i = 0; i < n && !found; i++)
        found = strcmp(u[i].subject, subject) == 0;
    kelp_sr_usages_free(u, n);
    return found;
}

/* The usable schema of id under subject, or NULL with why. */
static cached_schema *resolve(kelp_schema_validator *v, int32_t id, const char *subject, char *why, size_t whylen)
{
    kelp_sr_version ver;
    memset(&ver, 0, sizeof(ver));
    kelp_sr_error e;
    if (kelp_sr_schema_by_id(v->registry, id, &ver, &e) != 0) {
        if (e.code == KELP_SR_SCHEMA_NOT_FOUND)
            snprintf(why, whylen, "schema id %d is not registered", (int)id);
        else
            snprintf(why, whylen, "schema id %d cannot be looked up: %.160s", (int)id, e.message);
        return NULL;
    }
    cached_schema *c = NULL;
    if (!id_in_subject(v->registry, id, subject))
        snprintf(why, whylen, "schema id %d is not registered under subject %s", (int)id, subject);
    else if (!(c = cache_get(v, id, &ver)))
        snprintf(why, whylen, "out of memory");
    else if (c->error) {
        snprintf(why, whylen, "%s", c->error);
        c = NULL;
    }
    kelp_sr_version_free(&ver);
    return c;
}

static cached_schema *lookup(kelp_schema_validator *v, memo *memos, size_t *n_memos, int32_t id, bool key,
                             const char *subject, char *why, size_t whylen)
{
    for (size_t i = 0; i < *n_memos; i++)
        if (memos[i].id == id && memos[i].key == key) {
            if (!memos[i].schema)
                snprintf(why, whylen, "%s", memos[i].why);
            return memos[i].schema;
        }
    cached_schema *c = resolve(v, id, subject, why, whylen);
    if (*n_memos < MEMO_MAX) {
        memo *m = &memos[(*n_memos)++];
        m->id = id;
        m->key = key;
        m->schema = c;
        snprintf(m->why, sizeof(m->why), "%s", c ? "" : why);
    }
    return c;
}

/* 0 when data (a key or a value) passes, -1 with why. */
static int check_one(kelp_schema_validator *v, memo *memos, size_t *n_memos, const uint8_t *data, int32_t len,
                     bool key, const char *subject, char *why, size_t whylen)
{
    if (len < 0)
        return 0; /* null: a tombstone value or a keyless record */
    kelp_wire_frame f;
    if (kelp_wire_frame_header(data, (size_t)len, &f, why, whylen) != 0)
        return -1;
    cached_schema *c = lookup(v, memos, n_memos, f.id, key, subject, why, whylen);
    if (!c)
        return -1;
    if (c->avro)
        return kelp_avro_checker_check(c->avro, f.payload, f.payload_len, why, whylen);
    if (c->json)
        return kelp_json_checker_check(c->json, f.payload, f.payload_len, why, whylen);
    if (kelp_wire_frame_indexes(&f, why, whylen) != 0)
        return -1;
    return kelp_proto_checker_check(c->proto, f.indexes, f.n_indexes, f.payload, f.payload_len, why, whylen);
}

static bool add_problem(kelp_record_problem **out, size_t *n, size_t *cap, int32_t index, bool key, const char *why)
{
    if (*n == *cap) {
        size_t grown_cap = *cap ? *cap * 2 : 8;
        kelp_record_problem *grown = realloc(*out, grown_cap * sizeof(*grown));
        if (!grown)
            return false;
        *out = grown;
        *cap = grown_cap;
    }
    kelp_record_problem *p = &(*out)[(*n)++];
    p->index = index;
    snprintf(p->message, sizeof(p->message), "%s: %s", key ? "key" : "value", why);
    return true;
}

int kelp_schema_validate_batch(kelp_schema_validator *v, const char *topic, bool check_keys, bool check_values,
                               const uint8_t *batch, size_t len, kelp_record_problem **problems)
{
    *problems = NULL;
    if (v->n_cache >= CACHE_MAX)
        cache_clear(v);
    size_t topic_len = strlen(topic);
    char key_subject[300], value_subject[300];
    if (topic_len > 255)
        return -1;
    snprintf(key_subject, sizeof(key_subject), "%s-key", topic);
    snprintf(value_subject, sizeof(value_subject), "%s-value", topic);

    kelp_buf scratch;
    kelp_buf_init(&scratch);
    kelp_record_iter it;
    int rc = -1;
    size_t n = 0, cap = 0;
    memo memos[MEMO_MAX];
    size_t n_memos = 0;
    if (kelp_record_iter_init(&it, batch, len, &scratch) != KELP_BATCH_OK)
        goto out;
    kelp_record r;
    int got;
    for (int32_t index = 0; (got = kelp_record_iter_next(&it, &r)) == 1; index++) {
        char why[WHY_CAP];
        if (check_keys &&
            check_one(v, memos, &n_memos, r.key, r.key_len, true, key_subject, why, sizeof(why)) != 0) {
            if (!add_problem(problems, &n, &cap, index, true, why))
                goto out;
            continue; /* one message per record */
        }
        if (check_values &&
            check_one(v, memos, &n_memos, r.value, r.value_len, false, value_subject, why, sizeof(why)) != 0 &&
            !add_problem(problems, &n, &cap, index, false, why))
            goto out;
    }
    if (got == 0)
        rc = (int)n;
out:
    kelp_buf_free(&scratch);
    if (rc < 0) {
        free(*problems);
        *problems = NULL;
    }
    return rc;
}
