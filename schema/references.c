/* Resolution of schema references (see references.h). */
#include "schema/references.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 200
#define BUNDLE_KEY "x-kelp-references"

bool kelp_schema_deps_add(kelp_schema_deps *d, const char *name, kelp_schema_type type, const char *schema)
{
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 8;
        kelp_schema_dep *grown = realloc(d->v, cap * sizeof(*grown));
        if (!grown)
            return false;
        d->v = grown;
        d->cap = cap;
    }
    kelp_schema_dep dep = {.name = strdup(name), .type = type, .schema = strdup(schema)};
    if (!dep.name || !dep.schema) {
        free(dep.name);
        free(dep.schema);
        return false;
    }
    d->v[d->n++] = dep;
    return true;
}

bool kelp_schema_deps_has(const kelp_schema_deps *d, const char *name)
{
    for (size_t i = 0; d && i < d->n; i++)
        if (strcmp(d->v[i].name, name) == 0)
            return true;
    return false;
}

void kelp_schema_deps_free(kelp_schema_deps *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->n; i++) {
        free(d->v[i].name);
        free(d->v[i].schema);
    }
    free(d->v);
    d->v = NULL;
    d->n = d->cap = 0;
}

/* ---- Avro ---- */

typedef struct avro_def {
    char *fullname;
    const cJSON *node; /* in one of the parsed referenced schemas */
} avro_def;

typedef struct avro_ctx {
    avro_def *defs; /* named types the referenced schemas define */
    size_t n_defs, cap_defs;
    char **defined; /* full names already defined in the output, in order */
    size_t n_defined, cap_defined;
    bool oom;
} avro_ctx;

static bool is_primitive(const char *s)
{
    static const char *const prims[] = {"null", "boolean", "int", "long", "float", "double", "bytes", "string"};
    for (size_t i = 0; i < sizeof(prims) / sizeof(prims[0]); i++)
        if (strcmp(s, prims[i]) == 0)
            return true;
    return false;
}

static bool is_named_kind(const char *t)
{
    return strcmp(t, "record") == 0 || strcmp(t, "error") == 0 || strcmp(t, "enum") == 0 || strcmp(t, "fixed") == 0;
}

/* The full name of a named-type definition in namespace ns (malloc'd). */
static char *def_fullname(const cJSON *node, const char *ns)
{
    const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(node, "name"));
    if (!name)
        return NULL;
    if (strchr(name, '.'))
        return strdup(name);
    const char *own = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(node, "namespace"));
    const char *space = own ? own : ns;
    if (!space || !space[0])
        return strdup(name);
    size_t len = strlen(space) + 1 + strlen(name) + 1;
    char *full = malloc(len);
    if (full)
        snprintf(full, len, "%s.%s", space, name);
    return full;
}

/* The namespace a full name gives what is inside it (malloc'd, maybe ""). */
static char *namespace_of(const char *fullname)
{
    const char *dot = strrchr(fullname, '.');
    size_t n = dot ? (size_t)(dot - fullname) : 0;
    char *ns = malloc(n + 1);
    if (ns) {
        memcpy(ns, fullname, n);
        ns[n] = '\0';
    }
    return ns;
}

static const cJSON *type_of(const cJSON *node)
{
    return cJSON_GetObjectItemCaseSensitive(node, "type");
}

/* Records every named type under node into the table. */
static void collect_defs(avro_ctx *c, const cJSON *node, const char *ns, int depth)
{
    if (depth > MAX_DEPTH || c->oom)
        return;
    if (cJSON_IsArray(node)) {
        const cJSON *x;
        cJSON_ArrayForEach(x, node) collect_defs(c, x, ns, depth + 1);
        return;
    }
    if (!cJSON_IsObject(node))
        return;
    const cJSON *type = type_of(node);
    const char *t = cJSON_GetStringValue(type);
    if (t && is_named_kind(t)) {
        char *full = def_fullname(node, ns);
        char *inner = full ? namespace_of(full) : NULL;
        if (!full || !inner) {
            free(full);
            free(inner);
            c->oom = true;
            return;
        }
        if (c->n_defs == c->cap_defs) {
            size_t cap = c->cap_defs ? c->cap_defs * 2 : 16;
            avro_def *grown = realloc(c->defs, cap * sizeof(*grown));
            if (!grown) {
                free(full);
                free(inner);
                c->oom = true;
                return;
            }
            c->defs = grown;
            c->cap_defs = cap;
        }
        c->defs[c->n_defs++] = (avro_def){.fullname = full, .node = node};
        const cJSON *fields = cJSON_GetObjectItemCaseSensitive(node, "fields");
        const cJSON *f;
        cJSON_ArrayForEach(f, fields) collect_defs(c, type_of(f), inner, depth + 1);
        free(inner);
        return;
    }
    if (t && strcmp(t, "array") == 0)
        collect_defs(c, cJSON_GetObjectItemCaseSensitive(node, "items"), ns, depth + 1);
    else if (t && strcmp(t, "map") == 0)
        collect_defs(c, cJSON_GetObjectItemCaseSensitive(node, "values"), ns, depth + 1);
    else if (type && !t)
        collect_defs(c, type, ns, depth + 1);
}

static const avro_def *find_def(const avro_ctx *c, const char *fullname)
{
    for (size_t i = 0; i < c->n_defs; i++)
        if (strcmp(c->defs[i].fullname, fullname) == 0)
            return &c->defs[i];
    return NULL;
}

static bool is_defined(const avro_ctx *c, const char *fullname)
{
    for (size_t i = 0; i < c->n_defined; i++)
        if (strcmp(c->defined[i], fullname) == 0)
            return true;
    return false;
}

static void mark_defined(avro_ctx *c, const char *fullname)
{
    if (c->n_defined == c->cap_defined) {
        size_t cap = c->cap_defined ? c->cap_defined * 2 : 16;
        char **grown = realloc(c->defined, cap * sizeof(*grown));
        if (!grown) {
            c->oom = true;
            return;
        }
        c->defined = grown;
        c->cap_defined = cap;
    }
    if (!(c->defined[c->n_defined] = strdup(fullname)))
        c->oom = true;
    else
        c->n_defined++;
}

/* Replaces node (an item of parent) by replacement, keeping its key. */
static bool replace(cJSON *parent, cJSON *node, cJSON *replacement)
{
    if (node->string) {
        replacement->string = strdup(node->string);
        if (!replacement->string)
            return false;
        replacement->type &= ~cJSON_StringIsConst;
    }
    return cJSON_ReplaceItemViaPointer(parent, node, replacement) != 0;
}

/* A copy of a referenced definition with its full name spelled out, so it
 * means the same wherever it lands. */
static cJSON *copy_def(const avro_def *d)
{
    cJSON *copy = cJSON_Duplicate(d->node, true);
    if (!copy)
        return NULL;
    cJSON_DeleteItemFromObjectCaseSensitive(copy, "namespace");
    cJSON_DeleteItemFromObjectCaseSensitive(copy, "name");
    if (strchr(d->fullname, '.')) {
        cJSON_AddStringToObject(copy, "name", d->fullname);
    } else {
        cJSON_AddStringToObject(copy, "name", d->fullname);
        cJSON_AddStringToObject(copy, "namespace", "");
    }
    return copy;
}

static void expand(avro_ctx *c, cJSON *parent, cJSON *node, const char *ns, int depth);

static void expand_name(avro_ctx *c, cJSON *parent, cJSON *node, const char *ns, int depth)
{
    const char *s = node->valuestring;
    if (is_primitive(s))
        return;
    char *full = NULL;
    if (!strchr(s, '.') && ns && ns[0]) {
        size_t len = strlen(ns) + 1 + strlen(s) + 1;
        if ((full = malloc(len)))
            snprintf(full, len, "%s.%s", ns, s);
    } else {
        full = strdup(s);
    }
    if (!full) {
        c->oom = true;
        return;
    }
    const avro_def *d = NULL;
    if (!is_defined(c, full)) {
        d = find_def(c, full);
        /* Not in the namespace: the name as written (the null namespace). */
        if (!d && strcmp(full, s) != 0 && !is_defined(c, s))
            d = find_def(c, s);
    }
    free(full);
    if (!d)
        return; /* defined already or in the schema itself, or unknown: avro-c says which */
    cJSON *copy = copy_def(d);
    if (!copy || !replace(parent, node, copy)) {
        cJSON_Delete(copy);
        c->oom = true;
        return;
    }
    expand(c, parent, copy, ns, depth + 1);
}

/* Walks a schema in avro-c's parse order, defining each referenced named
 * type at its first use. */
static void expand(avro_ctx *c, cJSON *parent, cJSON *node, const char *ns, int depth)
{
    if (depth > MAX_DEPTH || c->oom || !node)
        return;
    if (cJSON_IsString(node)) {
        expand_name(c, parent, node, ns, depth);
        return;
    }
    if (cJSON_IsArray(node)) {
        for (cJSON *x = node->child; x;) {
            cJSON *next = x->next;
            expand(c, node, x, ns, depth + 1);
            x = next;
        }
        return;
    }
    if (!cJSON_IsObject(node))
        return;
    cJSON *type = cJSON_GetObjectItemCaseSensitive(node, "type");
    const char *t = cJSON_GetStringValue(type);
    if (t && is_named_kind(t)) {
        char *full = def_fullname(node, ns);
        char *inner = full ? namespace_of(full) : NULL;
        if (!full || !inner) {
            free(full);
            free(inner);
            c->oom = true;
            return;
        }
        if (is_defined(c, full) && parent) {
            /* Defined already (a copy brought it along): name it instead. */
            cJSON *name = cJSON_CreateString(full);
            if (!name || !replace(parent, node, name)) {
                cJSON_Delete(name);
                c->oom = true;
            }
            free(full);
            free(inner);
            return;
        }
        mark_defined(c, full);
        free(full);
        cJSON *fields = cJSON_GetObjectItemCaseSensitive(node, "fields");
        cJSON *f;
        cJSON_ArrayForEach(f, fields)
        {
            cJSON *ft = cJSON_GetObjectItemCaseSensitive(f, "type");
            if (ft)
                expand(c, f, ft, inner, depth + 1);
        }
        free(inner);
        return;
    }
    if (t && strcmp(t, "array") == 0)
        expand(c, node, cJSON_GetObjectItemCaseSensitive(node, "items"), ns, depth + 1);
    else if (t && strcmp(t, "map") == 0)
        expand(c, node, cJSON_GetObjectItemCaseSensitive(node, "values"), ns, depth + 1);
    else if (type && (!t || !is_primitive(t)))
        expand(c, node, type, ns, depth + 1);
}

static int resolve_avro(const char *schema, const kelp_schema_deps *deps, char **out, char *why, size_t whylen)
{
    avro_ctx c;
    memset(&c, 0, sizeof(c));
    cJSON **parsed = calloc(deps->n + 1, sizeof(*parsed));
    cJSON *holder = cJSON_CreateArray();
    cJSON *root = cJSON_Parse(schema);
    int rc = -1;
    if (!parsed || !holder) {
        snprintf(why, whylen, "out of memory");
        goto out;
    }
    if (!root) {
        snprintf(why, whylen, "Invalid schema: not valid JSON");
        goto out;
    }
    for (size_t i = 0; i < deps->n; i++) {
        if (deps->v[i].type != KELP_SCHEMA_AVRO)
            continue;
        if (!(parsed[i] = cJSON_Parse(deps->v[i].schema))) {
            snprintf(why, whylen, "Invalid schema: referenced schema %.200s is not valid JSON", deps->v[i].name);
            goto out;
        }
        collect_defs(&c, parsed[i], "", 0);
    }
    /* Wrapped, so that a root that is a bare name can be replaced too. */
    cJSON_AddItemToArray(holder, root);
    root = NULL;
    expand(&c, holder, holder->child, "", 0);
    if (c.oom) {
        snprintf(why, whylen, "out of memory");
        goto out;
    }
    *out = cJSON_PrintUnformatted(holder->child);
    if (!*out)
        snprintf(why, whylen, "out of memory");
    else
        rc = 0;
out:
    for (size_t i = 0; parsed && i < deps->n; i++)
        cJSON_Delete(parsed[i]);
    free(parsed);
    cJSON_Delete(holder);
    cJSON_Delete(root);
    for (size_t i = 0; i < c.n_defs; i++)
        free(c.defs[i].fullname);
    free(c.defs);
    for (size_t i = 0; i < c.n_defined; i++)
        free(c.defined[i]);
    free(c.defined);
    return rc;
}

/* ---- JSON Schema ---- */

/* The bundled pointer of ref when it names a reference (malloc'd). */
static char *bundled_ref(const kelp_schema_deps *deps, const char *ref, long self)
{
    if (ref[0] == '#') {
        if (self < 0)
            return NULL; /* local to the root: left alone */
        size_t len = strlen(BUNDLE_KEY) + strlen(ref) + 32;
        char *p = malloc(len);
        if (p)
            snprintf(p, len, "#/%s/%ld%s", BUNDLE_KEY, self, ref[1] == '/' || !ref[1] ? ref + 1 : "");
        return p;
    }
    const char *hash = strchr(ref, '#');
    size_t base = hash ? (size_t)(hash - ref) : strlen(ref);
    for (size_t i = 0; i < deps->n; i++) {
        const kelp_schema_dep *d = &deps->v[i];
        if (d->type != KELP_SCHEMA_JSON || strlen(d->name) != base || strncmp(d->name, ref, base) != 0)
            continue;
        const char *frag = hash ? hash + 1 : "";
        size_t len = strlen(BUNDLE_KEY) + strlen(frag) + 32;
        char *p = malloc(len);
        if (p)
            snprintf(p, len, "#/%s/%zu%s", BUNDLE_KEY, i, frag[0] == '/' ? frag : "");
        return p;
    }
    return NULL;
}

static bool rewrite_refs(const kelp_schema_deps *deps, cJSON *node, long self, int depth)
{
    if (depth > MAX_DEPTH)
        return true;
    for (cJSON *x = node ? node->child : NULL; x; x = x->next) {
        if (x->string && strcmp(x->string, "$ref") == 0 && cJSON_IsString(x) && cJSON_IsObject(node)) {
            char *p = bundled_ref(deps, x->valuestring, self);
            if (p) {
                bool set = cJSON_SetValuestring(x, p) != NULL;
                free(p);
                if (!set)
                    return false;
            }
        } else if ((cJSON_IsObject(x) || cJSON_IsArray(x)) && !rewrite_refs(deps, x, self, depth + 1)) {
            return false;
        }
    }
    return true;
}

static int resolve_json(const char *schema, const kelp_schema_deps *deps, char **out, char *why, size_t whylen)
{
    cJSON *root = cJSON_Parse(schema);
    if (!root) {
        snprintf(why, whylen, "Invalid schema: not valid JSON");
        return -1;
    }
    if (!cJSON_IsObject(root)) {
        *out = cJSON_PrintUnformatted(root);
        cJSON_Delete(root);
        return *out ? 0 : (snprintf(why, whylen, "out of memory"), -1);
    }
    cJSON_DeleteItemFromObjectCaseSensitive(root, BUNDLE_KEY);
    cJSON *bundle = cJSON_AddObjectToObject(root, BUNDLE_KEY);
    bool good = bundle && rewrite_refs(deps, root, -1, 0);
    for (size_t i = 0; good && i < deps->n; i++) {
        if (deps->v[i].type != KELP_SCHEMA_JSON)
            continue;
        cJSON *doc = cJSON_Parse(deps->v[i].schema);
        if (!doc) {
            cJSON_Delete(root);
            snprintf(why, whylen, "Invalid schema: referenced schema %.200s is not valid JSON", deps->v[i].name);
            return -1;
        }
        if (cJSON_IsObject(doc)) {
            /* Its own $id would move the base its local pointers resolve against. */
            cJSON_DeleteItemFromObjectCaseSensitive(doc, "$id");
            cJSON_DeleteItemFromObjectCaseSensitive(doc, "id");
            cJSON_DeleteItemFromObjectCaseSensitive(doc, "$schema");
            cJSON_DeleteItemFromObjectCaseSensitive(doc, BUNDLE_KEY);
            good = rewrite_refs(deps, doc, (long)i, 0);
        }
        char key[32];
        snprintf(key, sizeof(key), "%zu", i);
        good = good && cJSON_AddItemToObject(bundle, key, doc);
        if (!good)
            cJSON_Delete(doc);
    }
    *out = good ? cJSON_PrintUnformatted(root) : NULL;
    cJSON_Delete(root);
    if (!*out) {
        snprintf(why, whylen, "out of memory");
        return -1;
    }
    return 0;
}

int kelp_schema_resolve(kelp_schema_type type, const char *schema, const kelp_schema_deps *deps, char **out,
                        char *why, size_t whylen)
{
    *out = NULL;
    if (type == KELP_SCHEMA_PROTOBUF || !deps || deps->n == 0) {
        *out = strdup(schema);
        if (!*out)
            snprintf(why, whylen, "out of memory");
        return *out ? 0 : -1;
    }
    return type == KELP_SCHEMA_AVRO ? resolve_avro(schema, deps, out, why, whylen)
                                    : resolve_json(schema, deps, out, why, whylen);
}
