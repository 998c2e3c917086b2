/* Compatibility levels and the Avro schema-resolution rules (the reader
 * must be able to decode what the writer wrote). Schemas are walked as
 * JSON: avro-c validated them on registration but keeps neither defaults
 * nor aliases, which these rules need. */
#include "schema/compatibility.h"
#include "schema/compatibility_json.h"
#include "schema/compatibility_protobuf.h"
#include "schema/references.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const type_names[] = {"AVRO", "JSON", "PROTOBUF"};
static const char *const level_names[] = {"NONE",    "BACKWARD",           "BACKWARD_TRANSITIVE", "FORWARD",
                                          "FORWARD_TRANSITIVE", "FULL", "FULL_TRANSITIVE"};

const char *kelp_schema_type_name(kelp_schema_type type)
{
    return (unsigned)type < 3 ? type_names[type] : "AVRO";
}

bool kelp_schema_type_parse(const char *name, kelp_schema_type *out)
{
    for (int i = 0; i < 3; i++) {
        if (name && strcmp(name, type_names[i]) == 0) {
            *out = (kelp_schema_type)i;
            return true;
        }
    }
    return false;
}

const char *kelp_schema_level_name(kelp_schema_level level)
{
    return (unsigned)level < 7 ? level_names[level] : "NONE";
}

bool kelp_schema_level_parse(const char *name, kelp_schema_level *out)
{
    for (int i = 0; i < 7; i++) {
        if (name && strcasecmp(name, level_names[i]) == 0) {
            *out = (kelp_schema_level)i;
            return true;
        }
    }
    return false;
}

/* ---- Avro ---- */

#define MAX_DEPTH 200

/* A named type (record, error, enum, fixed) of one schema, by full name. */
typedef struct named_type {
    char *fullname;
    const cJSON *node;
    char *ns; /* the namespace names inside it are resolved against */
} named_type;

typedef struct avro_doc {
    cJSON *root;
    named_type *names;
    size_t n, cap;
} avro_doc;

/* A type with the namespace its names resolve against. */
typedef struct avro_ref {
    const cJSON *node;
    const char *ns;
} avro_ref;

/* Record pairs being compared: a recursive type meets itself again here. */
typedef struct pair_stack {
    const cJSON *reader[MAX_DEPTH], *writer[MAX_DEPTH];
    int n;
} pair_stack;

static const char *const primitives[] = {"null", "boolean", "int", "long", "float", "double", "bytes", "string"};

static bool is_primitive(const char *s)
{
    for (size_t i = 0; i < sizeof(primitives) / sizeof(primitives[0]); i++)
        if (strcmp(s, primitives[i]) == 0)
            return true;
    return false;
}

static const char *str_item(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static char *join_name(const char *ns, const char *name)
{
    size_t len = (ns ? strlen(ns) + 1 : 0) + strlen(name) + 1;
    char *s = malloc(len);
    if (s)
        snprintf(s, len, "%s%s%s", ns && ns[0] ? ns : "", ns && ns[0] ? "." : "", name);
    return s;
}

/* The full name of a definition and the namespace it sets. */
static char *definition_name(const cJSON *node, const char *enclosing, char **ns_out)
{
    const char *name = str_item(node, "name");
    *ns_out = NULL;
    if (!name)
        return NULL;
    const char *dot = strrchr(name, '.');
    if (dot) {
        *ns_out = strndup(name, (size_t)(dot - name));
        return strdup(name);
    }
    const char *ns = cJSON_GetObjectItemCaseSensitive(node, "namespace") ? str_item(node, "namespace") : enclosing;
    *ns_out = strdup(ns ? ns : "");
    return join_name(ns, name);
}

static int collect(avro_doc *d, const cJSON *node, const char *ns, int depth)
{
    if (depth > MAX_DEPTH)
        return -1;
    if (cJSON_IsArray(node)) {
        const cJSON *b;
        cJSON_ArrayForEach(b, node) if (collect(d, b, ns, depth + 1) != 0) return -1;
        return 0;
    }
    if (!cJSON_IsObject(node))
        return 0;
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(node, "type");
    if (!cJSON_IsString(type))
        return type ? collect(d, type, ns, depth + 1) : 0;
    const char *t = type->valuestring;
    if (strcmp(t, "array") == 0)
        return collect(d, cJSON_GetObjectItemCaseSensitive(node, "items"), ns, depth + 1);
    if (strcmp(t, "map") == 0)
        return collect(d, cJSON_GetObjectItemCaseSensitive(node, "values"), ns, depth + 1);
    if (strcmp(t, "record") != 0 && strcmp(t, "error") != 0 && strcmp(t, "enum") != 0 && strcmp(t, "fixed") != 0)
        return 0;
    char *inner_ns = NULL;
    char *full = definition_name(node, ns, &inner_ns);
    if (!full || !inner_ns) {
        free(full);
        free(inner_ns);
        return -1;
    }
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 8;
        named_type *grown = realloc(d->names, cap * sizeof(*grown));
        if (!grown) {
            free(full);
            free(inner_ns);
            return -1;
        }
        d->names = grown;
        d->cap = cap;
    }
    d->names[d->n++] = (named_type){.fullname = full, .node = node, .ns = inner_ns};
    if (strcmp(t, "record") == 0 || strcmp(t, "error") == 0) {
        const cJSON *fields = cJSON_GetObjectItemCaseSensitive(node, "fields"), *f;
        cJSON_ArrayForEach(f, fields)
        {
            if (collect(d, cJSON_GetObjectItemCaseSensitive(f, "type"), inner_ns, depth + 1) != 0)
                return -1;
        }
    }
    return 0;
}

static void doc_free(avro_doc *d)
{
    for (size_t i = 0; i < d->n; i++) {
        free(d->names[i].fullname);
        free(d->names[i].ns);
    }
    free(d->names);
    cJSON_Delete(d->root);
}

static int doc_parse(avro_doc *d, const char *text, char *why, size_t whylen)
{
    memset(d, 0, sizeof(*d));
    d->root = cJSON_Parse(text);
    if (!d->root) {
        snprintf(why, whylen, "the schema is not valid JSON");
        return -1;
    }
    if (collect(d, d->root, "", 0) != 0) {
        snprintf(why, whylen, "the schema is nested too deeply or a named type has no name");
        doc_free(d);
        return -1;
    }
    return 0;
}

static const named_type *lookup(const avro_doc *d, const char *name, const char *ns)
{
    char *full = strchr(name, '.') ? strdup(name) : join_name(ns, name);
    const named_type *found = NULL;
    for (size_t i = 0; full && i < d->n && !found; i++)
        if (strcmp(d->names[i].fullname, full) == 0)
            found = &d->names[i];
    for (size_t i = 0; !found && i < d->n; i++) /* a name in the null namespace */
        if (strcmp(d->names[i].fullname, name) == 0)
            found = &d->names[i];
    free(full);
    return found;
}

/* Follows name references and {"type": X} wrappers to the type itself; its
 * kind goes to *kind ("int", "record", "union", ...). */
static int resolve(const avro_doc *d, avro_ref in, avro_ref *out, const char **kind, char *why, size_t whylen)
{
    for (int hops = 0; hops < MAX_DEPTH; hops++) {
        if (cJSON_IsArray(in.node)) {
            *out = in;
            *kind = "union";
            return 0;
        }
        if (cJSON_IsString(in.node)) {
            const char *s = in.node->valuestring;
            if (is_primitive(s)) {
                *out = in;
                *kind = s;
                return 0;
            }
            const named_type *t = lookup(d, s, in.ns);
            if (!t) {
                snprintf(why, whylen, "unknown named type \"%s\" (references to other subjects are not checked)",
                         s);
                return -1;
            }
            in = (avro_ref){t->node, t->ns};
            continue;
        }
        if (!cJSON_IsObject(in.node)) {
            snprintf(why, whylen, "a type is neither a name, an object nor a union");
            return -1;
        }
        const cJSON *type = cJSON_GetObjectItemCaseSensitive(in.node, "type");
        if (cJSON_IsString(type)) {
            const char *t = type->valuestring;
            if (is_primitive(t)) {
                *out = in;
                *kind = t;
                return 0;
            }
            if (strcmp(t, "record") == 0 || strcmp(t, "error") == 0 || strcmp(t, "enum") == 0 ||
                strcmp(t, "fixed") == 0 || strcmp(t, "array") == 0 || strcmp(t, "map") == 0) {
                *out = in;
                *kind = strcmp(t, "error") == 0 ? "record" : t;
                /* A definition resolves names inside it against its own namespace. */
                for (size_t i = 0; i < d->n; i++)
                    if (d->names[i].node == in.node)
                        out->ns = d->names[i].ns;
                return 0;
            }
        }
        if (!type) {
            snprintf(why, whylen, "a type object has no \"type\"");
            return -1;
        }
        in.node = type;
    }
    snprintf(why, whylen, "type references loop");
    return -1;
}

static const char *short_name(const cJSON *node)
{
    const char *name = str_item(node, "name");
    if (!name)
        return "";
    const char *dot = strrchr(name, '.');
    return dot ? dot + 1 : name;
}

static bool has_alias(const cJSON *node, const char *name, const char *full)
{
    const cJSON *aliases = cJSON_GetObjectItemCaseSensitive(node, "aliases"), *a;
    cJSON_ArrayForEach(a, aliases)
    {
        if (!cJSON_IsString(a))
            continue;
        const char *dot = strrchr(a->valuestring, '.');
        if (strcmp(a->valuestring, full) == 0 || strcmp(dot ? dot + 1 : a->valuestring, name) == 0)
            return true;
    }
    return false;
}

/* Named types match by unqualified name, or by an alias of the reader's. */
static bool names_match(const avro_doc *wd, avro_ref r, avro_ref w)
{
    const char *rn = short_name(r.node), *wn = short_name(w.node);
    if (strcmp(rn, wn) == 0)
        return true;
    const char *wfull = wn;
    for (size_t i = 0; i < wd->n; i++)
        if (wd->names[i].node == w.node)
            wfull = wd->names[i].fullname;
    return has_alias(r.node, wn, wfull);
}

static bool promotes(const char *writer, const char *reader)
{
    static const char *const rules[][2] = {{"int", "long"},   {"int", "float"},     {"int", "double"},
                                           {"long", "float"}, {"long", "double"},   {"float", "double"},
                                           {"string", "bytes"}, {"bytes", "string"}};
    for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
        if (strcmp(writer, rules[i][0]) == 0 && strcmp(reader, rules[i][1]) == 0)
            return true;
    return false;
}

typedef struct checker {
    const avro_doc *rd, *wd;
    pair_stack stack;
    char *why;
    size_t whylen;
    int depth;
} checker;

static int can_read(checker *c, avro_ref r_in, avro_ref w_in, const char *path);

static int check_record(checker *c, avro_ref r, avro_ref w, const char *path)
{
    for (int i = 0; i < c->stack.n; i++)
        if (c->stack.reader[i] == r.node && c->stack.writer[i] == w.node)
            return 1; /* already being compared further up: recursion */
    if (c->stack.n >= MAX_DEPTH) {
        snprintf(c->why, c->whylen, "records nested too deeply at %s", path);
        return -1;
    }
    c->stack.reader[c->stack.n] = r.node;
    c->stack.writer[c->stack.n] = w.node;
    c->stack.n++;
    int rc = 1;
    const cJSON *rfields = cJSON_GetObjectItemCaseSensitive(r.node, "fields"), *rf;
    const cJSON *wfields = cJSON_GetObjectItemCaseSensitive(w.node, "fields");
    cJSON_ArrayForEach(rf, rfields)
    {
        const char *name = str_item(rf, "name");
        if (!name)
            continue;
        const cJSON *wf, *match = NULL;
        cJSON_ArrayForEach(wf, wfields)
        {
            const char *wname = str_item(wf, "name");
            if (wname && (strcmp(wname, name) == 0 || has_alias(rf, wname, wname))) {
                match = wf;
                break;
            }
        }
        char sub[512];
        snprintf(sub, sizeof(sub), "%s/%s", path, name);
        if (!match) {
            if (!cJSON_GetObjectItemCaseSensitive(rf, "default")) {
                snprintf(c->why, c->whylen, "reader field %s has no default and the writer lacks it", sub);
                rc = 0;
                break;
            }
            continue;
        }
        rc = can_read(c, (avro_ref){cJSON_GetObjectItemCaseSensitive(rf, "type"), r.ns},
                      (avro_ref){cJSON_GetObjectItemCaseSensitive(match, "type"), w.ns}, sub);
        if (rc != 1)
            break;
    }
    c->stack.n--;
    return rc;
}

static bool has_symbol(const cJSON *symbols, const char *s)
{
    const cJSON *x;
    cJSON_ArrayForEach(x, symbols) if (cJSON_IsString(x) && strcmp(x->valuestring, s) == 0) return true;
    return false;
}

static int check_named(checker *c, const char *kind, avro_ref r, avro_ref w, const char *path)
{
    if (!names_match(c->wd, r, w)) {
        snprintf(c->why, c->whylen, "%s at %s: reader name %s does not match writer name %s", kind, path,
                 short_name(r.node), short_name(w.node));
        return 0;
    }
    if (strcmp(kind, "record") == 0)
        return check_record(c, r, w, path);
    if (strcmp(kind, "fixed") == 0) {
        const cJSON *rs = cJSON_GetObjectItemCaseSensitive(r.node, "size");
        const cJSON *ws = cJSON_GetObjectItemCaseSensitive(w.node, "size");
        if (!cJSON_IsNumber(rs) || !cJSON_IsNumber(ws) || rs->valuedouble != ws->valuedouble) {
            snprintf(c->why, c->whylen, "fixed at %s: sizes differ", path);
            return 0;
        }
        return 1;
    }
    /* enum: every writer symbol must be known, unless the reader has a default. */
    if (cJSON_GetObjectItemCaseSensitive(r.node, "default"))
        return 1;
    const cJSON *rsym = cJSON_GetObjectItemCaseSensitive(r.node, "symbols"), *s;
    cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(w.node, "symbols"))
    {
        if (cJSON_IsString(s) && !has_symbol(rsym, s->valuestring)) {
            snprintf(c->why, c->whylen, "enum at %s: the reader lacks symbol %s", path, s->valuestring);
            return 0;
        }
    }
    return 1;
}

static int can_read(checker *c, avro_ref r_in, avro_ref w_in, const char *path)
{
    avro_ref r, w;
    const char *rk, *wk;
    if (resolve(c->rd, r_in, &r, &rk, c->why, c->whylen) != 0 || resolve(c->wd, w_in, &w, &wk, c->why, c->whylen) != 0)
        return -1;
    if (++c->depth > MAX_DEPTH) {
        c->depth--;
        snprintf(c->why, c->whylen, "types nested too deeply at %s", path);
        return -1;
    }
    int rc;
    if (strcmp(wk, "union") == 0) {
        rc = 1;
        const cJSON *b;
        cJSON_ArrayForEach(b, w.node)
        {
            rc = can_read(c, r, (avro_ref){b, w.ns}, path);
            if (rc != 1)
                break;
        }
    } else if (strcmp(rk, "union") == 0) {
        rc = 0;
        const cJSON *b;
        cJSON_ArrayForEach(b, r.node)
        {
            char saved[512];
            snprintf(saved, sizeof(saved), "%s", c->why);
            rc = can_read(c, (avro_ref){b, r.ns}, w, path);
            if (rc != 0)
                break;
            snprintf(c->why, c->whylen, "%s", saved);
        }
        if (rc == 0)
            snprintf(c->why, c->whylen, "at %s: no branch of the reader's union reads the writer's %s", path, wk);
    } else if (strcmp(rk, wk) != 0) {
        rc = promotes(wk, rk);
        if (!rc)
            snprintf(c->why, c->whylen, "at %s: the reader's %s cannot read the writer's %s", path, rk, wk);
    } else if (strcmp(rk, "array") == 0) {
        rc = can_read(c, (avro_ref){cJSON_GetObjectItemCaseSensitive(r.node, "items"), r.ns},
                      (avro_ref){cJSON_GetObjectItemCaseSensitive(w.node, "items"), w.ns}, path);
    } else if (strcmp(rk, "map") == 0) {
        rc = can_read(c, (avro_ref){cJSON_GetObjectItemCaseSensitive(r.node, "values"), r.ns},
                      (avro_ref){cJSON_GetObjectItemCaseSensitive(w.node, "values"), w.ns}, path);
    } else if (strcmp(rk, "record") == 0 || strcmp(rk, "enum") == 0 || strcmp(rk, "fixed") == 0) {
        rc = check_named(c, rk, r, w, path);
    } else {
        rc = 1; /* the same primitive */
    }
    c->depth--;
    return rc;
}

static int avro_can_read(const char *reader, const char *writer, char *why, size_t whylen)
{
    avro_doc rd, wd;
    if (doc_parse(&rd, reader, why, whylen) != 0)
        return -1;
    if (doc_parse(&wd, writer, why, whylen) != 0) {
        doc_free(&rd);
        return -1;
    }
    checker *c = calloc(1, sizeof(*c));
    int rc = -1;
    if (c) {
        *c = (checker){.rd = &rd, .wd = &wd, .why = why, .whylen = whylen};
        rc = can_read(c, (avro_ref){rd.root, ""}, (avro_ref){wd.root, ""}, "");
        free(c);
    } else {
        snprintf(why, whylen, "out of memory");
    }
    doc_free(&rd);
    doc_free(&wd);
    return rc;
}

static int plain_can_read(kelp_schema_type type, const char *reader, const kelp_schema_deps *reader_deps,
                          const char *writer, const kelp_schema_deps *writer_deps, char *why, size_t whylen)
{
    if (type == KELP_SCHEMA_PROTOBUF)
        return kelp_protobuf_can_read_deps(reader, reader_deps, writer, writer_deps, why, whylen);
    return type == KELP_SCHEMA_JSON ? kelp_json_schema_can_read(reader, writer, why, whylen)
                                    : avro_can_read(reader, writer, why, whylen);
}

int kelp_schema_compatible(kelp_schema_type type, kelp_schema_level level, const char *new_schema,
                           const char *const *previous, size_t n, char *why, size_t whylen)
{
    return kelp_schema_compatible_deps(type, level, new_schema, NULL, previous, NULL, n, why, whylen);
}

int kelp_schema_compatible_deps(kelp_schema_type type, kelp_schema_level level, const char *new_schema,
                                const kelp_schema_deps *new_deps, const char *const *previous,
                                const kelp_schema_deps *const *previous_deps, size_t n, char *why,
                                size_t whylen)
{
    if (whylen > 0)
        why[0] = '\0';
    if (level == KELP_LEVEL_NONE || n == 0)
        return 1;
    bool transitive = level == KELP_LEVEL_BACKWARD_TRANSITIVE || level == KELP_LEVEL_FORWARD_TRANSITIVE ||
                      level == KELP_LEVEL_FULL_TRANSITIVE;
    bool backward = level != KELP_LEVEL_FORWARD && level != KELP_LEVEL_FORWARD_TRANSITIVE;
    bool forward = level != KELP_LEVEL_BACKWARD && level != KELP_LEVEL_BACKWARD_TRANSITIVE;
    for (size_t i = transitive ? 0 : n - 1; i < n; i++) {
        char detail[400] = "";
        const kelp_schema_deps *pd = previous_deps ? previous_deps[i] : NULL;
        int rc;
        if (backward) {
            rc = plain_can_read(type, new_schema, new_deps, previous[i], pd, detail, sizeof(detail));
            if (rc != 1) {
                snprintf(why, whylen, "%s%s", rc == 0 ? "the new schema cannot read data written with an earlier one: " : "",
                         detail);
                return rc;
            }
        }
        if (forward) {
            rc = plain_can_read(type, previous[i], pd, new_schema, new_deps, detail, sizeof(detail));
            if (rc != 1) {
                snprintf(why, whylen, "%s%s", rc == 0 ? "an earlier schema cannot read data written with the new one: " : "",
                         detail);
                return rc;
            }
        }
    }
    return 1;
}
