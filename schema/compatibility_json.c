/* JSON Schema compatibility (see compatibility_json.h). Each schema is cut
 * into "parts" the way the validator sees it: a type part (with the
 * keywords of that type), an enum/const part, a not part, combined parts
 * (allOf/anyOf/oneOf) and $ref targets. Several parts on one node form an
 * implicit allOf, and a list of types an implicit anyOf, so that e.g.
 * dropping an enum is "an allOf lost a member" and adding "null" to the
 * types is "an anyOf gained an alternative". The original (writer) and the
 * update (reader) are then walked together. */
#include "schema/compatibility_json.h"

#include <cjson/cJSON.h>
#include <regex.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 256
#define MAX_PARTS 8
#define MAX_SUBS 64
#define PATH_LEN 256

enum kind {
    K_TRUE,    /* accepts anything */
    K_FALSE,   /* accepts nothing */
    K_SCHEMA,  /* a schema node not cut into parts yet */
    K_TYPE,    /* one type and its keywords */
    K_ENUM,    /* enum (node: the array) or const (node: the value) */
    K_NOT,     /* node: the negated schema */
    K_ALL,     /* node: the allOf array */
    K_ANY,     /* node: the anyOf array */
    K_ONE,     /* node: the oneOf array */
    K_TYPESUM, /* node: a schema whose "type" lists several types */
    K_SYNTH    /* several parts of one node, all of which apply */
};

typedef struct part {
    int kind;
    const cJSON *node;
    const cJSON *root; /* the document $refs in node resolve against */
    const char *tname; /* K_TYPE */
    bool typed;        /* K_TYPE: "type" said so rather than the keywords */
    bool is_const;     /* K_ENUM */
    const struct part *subs; /* K_SYNTH */
    int nsubs;
} part;

typedef struct ctx {
    char *why;
    size_t whylen;
    int depth;
    const cJSON *seen_o[MAX_DEPTH], *seen_u[MAX_DEPTH];
    int nseen;
} ctx;

static int compare(ctx *c, part o, part u, const char *path);

static part mk(const cJSON *node, const cJSON *root)
{
    /* An absent subschema (additionalProperties, items, ...) allows anything. */
    if (!node)
        return (part){.kind = K_TRUE};
    return (part){.kind = K_SCHEMA, .node = node, .root = root};
}

static const cJSON *item(const cJSON *obj, const char *key)
{
    return cJSON_IsObject(obj) ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
}

static const cJSON *only_object(const cJSON *x)
{
    return cJSON_IsObject(x) ? x : NULL;
}

static const cJSON *only_array(const cJSON *x)
{
    return cJSON_IsArray(x) ? x : NULL;
}

/* ---- cutting a schema into parts ---- */

static const char *const object_kw[] = {"properties",    "required",      "additionalProperties", "patternProperties",
                                        "minProperties", "maxProperties", "dependencies",         "dependentRequired",
                                        "dependentSchemas", "propertyNames", NULL};
static const char *const array_kw[] = {"items", "additionalItems", "prefixItems", "minItems",
                                       "maxItems", "uniqueItems", "contains", NULL};
static const char *const string_kw[] = {"minLength", "maxLength", "pattern", NULL};
static const char *const number_kw[] = {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
                                        "multipleOf", NULL};
/* Keywords whose effect these rules do not model: refuse rather than guess. */
static const char *const unsupported_kw[] = {"if", "then", "else", "unevaluatedProperties", "unevaluatedItems",
                                             "$dynamicRef", "$recursiveRef", "minContains", "maxContains", NULL};

static bool has_any(const cJSON *node, const char *const *kw)
{
    for (; *kw; kw++)
        if (cJSON_GetObjectItemCaseSensitive(node, *kw))
            return true;
    return false;
}

static bool valid_type(const char *t)
{
    static const char *const names[] = {"null", "boolean", "object", "array", "number", "string", "integer"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(t, names[i]) == 0)
            return true;
    return false;
}

static int hex(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/* A local JSON pointer ("#", "#/definitions/x", "#/$defs/x", ...). */
static const cJSON *resolve_ref(const cJSON *root, const char *ref)
{
    if (ref[0] != '#')
        return NULL;
    const char *p = ref + 1;
    const cJSON *cur = root;
    if (*p == '\0')
        return root;
    if (*p != '/')
        return NULL; /* "#anchor" */
    while (*p == '/' && cur) {
        p++;
        char tok[256];
        size_t n = 0;
        while (*p && *p != '/' && n + 1 < sizeof(tok)) {
            if (p[0] == '~' && p[1] == '1') {
                tok[n++] = '/';
                p += 2;
            } else if (p[0] == '~' && p[1] == '0') {
                tok[n++] = '~';
                p += 2;
            } else if (p[0] == '%' && hex(p[1]) >= 0 && hex(p[2]) >= 0) {
                /* The pointer sits in a URI fragment: %25 is '%'. */
                tok[n++] = (char)(hex(p[1]) * 16 + hex(p[2]));
                p += 3;
            } else {
                tok[n++] = *p++;
            }
        }
        tok[n] = '\0';
        if (cJSON_IsArray(cur)) {
            char *end;
            long idx = strtol(tok, &end, 10);
            cur = (*end == '\0' && idx >= 0) ? cJSON_GetArrayItem(cur, (int)idx) : NULL;
        } else {
            cur = item(cur, tok);
        }
    }
    return *p == '\0' ? cur : NULL;
}

static int decompose(ctx *c, part in, part *out, int *n, const char *path)
{
    const cJSON *node = in.node;
    *n = 0;
    if (cJSON_IsTrue(node)) {
        out[(*n)++] = (part){.kind = K_TRUE};
        return 0;
    }
    if (cJSON_IsFalse(node)) {
        out[(*n)++] = (part){.kind = K_FALSE};
        return 0;
    }
    if (!cJSON_IsObject(node)) {
        snprintf(c->why, c->whylen, "at %s: a schema is neither an object nor a boolean", path);
        return -1;
    }
    for (const char *const *kw = unsupported_kw; *kw; kw++) {
        if (cJSON_GetObjectItemCaseSensitive(node, *kw)) {
            snprintf(c->why, c->whylen, "at %s: \"%s\" is not covered by the JSON Schema compatibility rules", path,
                     *kw);
            return -1;
        }
    }
    const cJSON *ref = item(node, "$ref");
    if (ref) {
        const cJSON *target = cJSON_IsString(ref) ? resolve_ref(in.root, ref->valuestring) : NULL;
        if (!target) {
            snprintf(c->why, c->whylen,
                     "at %s: cannot resolve $ref %s (only local references such as #/definitions/... and "
                     "#/$defs/... are checked)",
                     path, cJSON_IsString(ref) ? ref->valuestring : "(not a string)");
            return -1;
        }
        out[(*n)++] = mk(target, in.root);
    }
    const cJSON *type = item(node, "type");
    if (type) {
        if (cJSON_IsString(type) || (cJSON_IsArray(type) && cJSON_GetArraySize(type) == 1)) {
            const cJSON *t = cJSON_IsString(type) ? type : cJSON_GetArrayItem(type, 0);
            if (!cJSON_IsString(t) || !valid_type(t->valuestring)) {
                snprintf(c->why, c->whylen, "at %s: unknown type", path);
                return -1;
            }
            out[(*n)++] = (part){.kind = K_TYPE, .node = node, .root = in.root, .tname = t->valuestring, .typed = true};
        } else if (cJSON_IsArray(type) && cJSON_GetArraySize(type) > 1) {
            const cJSON *t;
            cJSON_ArrayForEach(t, type)
            {
                if (!cJSON_IsString(t) || !valid_type(t->valuestring)) {
                    snprintf(c->why, c->whylen, "at %s: unknown type", path);
                    return -1;
                }
            }
            out[(*n)++] = (part){.kind = K_TYPESUM, .node = node, .root = in.root};
        } else {
            snprintf(c->why, c->whylen, "at %s: \"type\" is neither a name nor a list of names", path);
            return -1;
        }
    } else {
        /* No "type": the keywords say which type they constrain (and other
         * types pass unconstrained, which "typed" = false records). */
        const char *cat = NULL;
        int ncat = 0;
        if (has_any(node, object_kw))
            cat = "object", ncat++;
        if (has_any(node, array_kw))
            cat = "array", ncat++;
        if (has_any(node, string_kw))
            cat = "string", ncat++;
        if (has_any(node, number_kw))
            cat = "number", ncat++;
        if (ncat > 1) {
            snprintf(c->why, c->whylen, "at %s: a schema without \"type\" mixes keywords of several types", path);
            return -1;
        }
        if (cat)
            out[(*n)++] = (part){.kind = K_TYPE, .node = node, .root = in.root, .tname = cat, .typed = false};
    }
    const cJSON *e = item(node, "enum");
    if (e) {
        if (!cJSON_IsArray(e)) {
            snprintf(c->why, c->whylen, "at %s: \"enum\" is not an array", path);
            return -1;
        }
        out[(*n)++] = (part){.kind = K_ENUM, .node = e, .root = in.root};
    }
    if ((e = item(node, "const")))
        out[(*n)++] = (part){.kind = K_ENUM, .node = e, .root = in.root, .is_const = true};
    if ((e = item(node, "not")))
        out[(*n)++] = (part){.kind = K_NOT, .node = e, .root = in.root};
    static const char *const comb[] = {"allOf", "anyOf", "oneOf"};
    for (int i = 0; i < 3; i++) {
        if (!(e = item(node, comb[i])))
            continue;
        if (!cJSON_IsArray(e) || cJSON_GetArraySize(e) == 0 || cJSON_GetArraySize(e) > MAX_SUBS) {
            snprintf(c->why, c->whylen, "at %s: \"%s\" must list 1 to %d schemas", path, comb[i], MAX_SUBS);
            return -1;
        }
        out[(*n)++] = (part){.kind = K_ALL + i, .node = e, .root = in.root};
    }
    return 0;
}

static part normalize(const part *parts, int n)
{
    if (n == 0)
        return (part){.kind = K_TRUE}; /* only annotations: anything goes */
    if (n == 1)
        return parts[0];
    return (part){.kind = K_SYNTH, .subs = parts, .nsubs = n};
}

/* ---- helpers for messages ---- */

static void join(char *out, const char *path, const char *a, const char *b)
{
    snprintf(out, PATH_LEN, "%s/%s%s%s", path, a, b ? "/" : "", b ? b : "");
}

static const char *kind_name(part p)
{
    switch (p.kind) {
    case K_TYPE:
        return p.tname;
    case K_ENUM:
        return p.is_const ? "const" : "enum";
    case K_NOT:
        return "not";
    default:
        return "schema";
    }
}

/* ---- constraints ---- */

/* A bound that the update may raise or drop (maxLength, maximum, ...). */
static int upper(ctx *c, const cJSON *o, const cJSON *u, const char *key, const char *path)
{
    const cJSON *ov = item(o, key), *uv = item(u, key);
    if (!cJSON_IsNumber(uv))
        return 1;
    if (!cJSON_IsNumber(ov)) {
        snprintf(c->why, c->whylen, "at %s: %s %g was added", path, key, uv->valuedouble);
        return 0;
    }
    if (uv->valuedouble < ov->valuedouble) {
        snprintf(c->why, c->whylen, "at %s: %s decreased from %g to %g", path, key, ov->valuedouble, uv->valuedouble);
        return 0;
    }
    return 1;
}

/* A bound that the update may lower or drop (minLength, minimum, ...). */
static int lower(ctx *c, const cJSON *o, const cJSON *u, const char *key, const char *path)
{
    const cJSON *ov = item(o, key), *uv = item(u, key);
    if (!cJSON_IsNumber(uv))
        return 1;
    if (!cJSON_IsNumber(ov)) {
        snprintf(c->why, c->whylen, "at %s: %s %g was added", path, key, uv->valuedouble);
        return 0;
    }
    if (uv->valuedouble > ov->valuedouble) {
        snprintf(c->why, c->whylen, "at %s: %s increased from %g to %g", path, key, ov->valuedouble, uv->valuedouble);
        return 0;
    }
    return 1;
}

/* draft-04 boolean exclusiveMinimum/exclusiveMaximum: turning it on tightens. */
static int flag_added(ctx *c, const cJSON *o, const cJSON *u, const char *key, const char *path)
{
    if (cJSON_IsTrue(item(u, key)) && !cJSON_IsTrue(item(o, key))) {
        snprintf(c->why, c->whylen, "at %s: %s was added", path, key);
        return 0;
    }
    return 1;
}

static int number_rules(ctx *c, const cJSON *o, const cJSON *u, const char *path)
{
    int rc;
    if ((rc = upper(c, o, u, "maximum", path)) != 1 || (rc = lower(c, o, u, "minimum", path)) != 1)
        return rc;
    static const char *const ex[] = {"exclusiveMaximum", "exclusiveMinimum"};
    for (int i = 0; i < 2; i++) {
        const cJSON *ov = item(o, ex[i]), *uv = item(u, ex[i]);
        if (cJSON_IsBool(ov) || cJSON_IsBool(uv))
            rc = flag_added(c, o, u, ex[i], path);
        else
            rc = i == 0 ? upper(c, o, u, ex[i], path) : lower(c, o, u, ex[i], path);
        if (rc != 1)
            return rc;
    }
    /* multipleOf may only become a divisor of the old one (10 -> 2). */
    const cJSON *ov = item(o, "multipleOf"), *uv = item(u, "multipleOf");
    if (!cJSON_IsNumber(uv))
        return 1;
    if (!cJSON_IsNumber(ov)) {
        snprintf(c->why, c->whylen, "at %s: multipleOf %g was added", path, uv->valuedouble);
        return 0;
    }
    double ratio = uv->valuedouble != 0 ? ov->valuedouble / uv->valuedouble : 0.5;
    double frac = ratio - (double)(long long)(ratio + 0.5);
    if (ratio < 1 - 1e-9 || frac > 1e-9 || frac < -1e-9) {
        snprintf(c->why, c->whylen, "at %s: multipleOf changed from %g to %g, which does not divide it", path,
                 ov->valuedouble, uv->valuedouble);
        return 0;
    }
    return 1;
}

static int string_rules(ctx *c, const cJSON *o, const cJSON *u, const char *path)
{
    int rc;
    if ((rc = upper(c, o, u, "maxLength", path)) != 1 || (rc = lower(c, o, u, "minLength", path)) != 1)
        return rc;
    const cJSON *op = item(o, "pattern"), *up = item(u, "pattern");
    if (!up || cJSON_Compare(op, up, true))
        return 1; /* unchanged or removed */
    snprintf(c->why, c->whylen, "at %s: pattern was %s", path, op ? "changed" : "added");
    return 0;
}

static bool in_array(const cJSON *arr, const cJSON *v)
{
    const cJSON *x;
    cJSON_ArrayForEach(x, arr) if (cJSON_Compare(x, v, true)) return true;
    return false;
}

static bool has_name(const cJSON *arr, const char *name)
{
    const cJSON *x;
    cJSON_ArrayForEach(x, arr) if (cJSON_IsString(x) && strcmp(x->valuestring, name) == 0) return true;
    return false;
}

/* What the schema says about a property it does not list: the first
 * patternProperties that matches the name, else additionalProperties. */
static int cover(ctx *c, const cJSON *obj, const cJSON *root, const char *name, part *out, const char *path)
{
    const cJSON *pp = item(obj, "patternProperties"), *p;
    cJSON_ArrayForEach(p, only_object(pp))
    {
        /* POSIX EREs stand in for ECMA regexes; escapes such as \d or \w
         * mean something else there, so refuse rather than mismatch. */
        bool ecma_only = false;
        for (const char *q = p->string; *q && !ecma_only; q++)
            if (q[0] == '\\' && q[1] && ((q[1] >= 'a' && q[1] <= 'z') || (q[1] >= 'A' && q[1] <= 'Z') ||
                                           (q[1] >= '0' && q[1] <= '9')))
                ecma_only = true;
        regex_t re;
        if (ecma_only || regcomp(&re, p->string, REG_EXTENDED | REG_NOSUB) != 0) {
            snprintf(c->why, c->whylen, "at %s: patternProperties regex \"%s\" cannot be evaluated", path, p->string);
            return -1;
        }
        int m = regexec(&re, name, 0, NULL, 0);
        regfree(&re);
        if (m == 0) {
            *out = mk(p, root);
            return 0;
        }
    }
    *out = mk(item(obj, "additionalProperties"), root);
    return 0;
}

static bool is_open(part p)
{
    return p.kind == K_TRUE || cJSON_IsTrue(p.node) || (cJSON_IsObject(p.node) && p.node->child == NULL);
}

static int dependency_rules(ctx *c, part o, part u, const char *key, const char *path)
{
    const cJSON *od = item(o.node, key), *ud = item(u.node, key), *d;
    cJSON_ArrayForEach(d, only_object(ud))
    {
        char sub[PATH_LEN];
        join(sub, path, key, d->string);
        const cJSON *prev = item(od, d->string);
        if (!prev) {
            snprintf(c->why, c->whylen, "at %s: a dependency was added", sub);
            return 0;
        }
        if (cJSON_IsArray(d) && cJSON_IsArray(prev)) {
            /* The update may only demand fewer companions. */
            const cJSON *x;
            cJSON_ArrayForEach(x, d)
            {
                if (!in_array(prev, x)) {
                    snprintf(c->why, c->whylen, "at %s: the dependency now also requires %s", sub,
                             cJSON_IsString(x) ? x->valuestring : "another property");
                    return 0;
                }
            }
        } else if (!cJSON_IsArray(d) && !cJSON_IsArray(prev)) {
            int rc = compare(c, mk(prev, o.root), mk(d, u.root), sub);
            if (rc != 1)
                return rc;
        } else {
            snprintf(c->why, c->whylen, "at %s: the dependency changed between a list and a schema", sub);
            return 0;
        }
    }
    return 1;
}

static int object_rules(ctx *c, part o, part u, const char *path)
{
    const cJSON *on = o.node, *un = u.node;
    int rc;
    if ((rc = upper(c, on, un, "maxProperties", path)) != 1 || (rc = lower(c, on, un, "minProperties", path)) != 1)
        return rc;
    const cJSON *oprops = item(on, "properties"), *uprops = item(un, "properties"), *p;
    /* A newly required property is fine only if the reader has a default. */
    const cJSON *oreq = item(on, "required"), *r;
    cJSON_ArrayForEach(r, only_array(item(un, "required")))
    {
        /* As Confluent does, only names the update declares count. */
        if (!cJSON_IsString(r) || has_name(oreq, r->valuestring) || !item(uprops, r->valuestring))
            continue;
        if (!item(item(uprops, r->valuestring), "default")) {
            snprintf(c->why, c->whylen, "at %s: property %s became required (and has no default)", path,
                     r->valuestring);
            return 0;
        }
    }
    static const char *const deps[] = {"dependencies", "dependentRequired", "dependentSchemas"};
    for (int i = 0; i < 3; i++)
        if ((rc = dependency_rules(c, o, u, deps[i], path)) != 1)
            return rc;
    char sub[PATH_LEN];
    if (item(on, "propertyNames") || item(un, "propertyNames")) {
        join(sub, path, "propertyNames", NULL);
        if ((rc = compare(c, mk(item(on, "propertyNames"), o.root), mk(item(un, "propertyNames"), u.root), sub)) != 1)
            return rc;
    }
    cJSON_ArrayForEach(p, only_object(uprops))
    {
        join(sub, path, "properties", p->string);
        const cJSON *prev = item(oprops, p->string);
        if (prev) {
            if ((rc = compare(c, mk(prev, o.root), mk(p, u.root), sub)) != 1)
                return rc;
            continue;
        }
        /* Added: old documents may already hold this name, with whatever
         * value the old content model allowed for unlisted properties. */
        part cov;
        if (cover(c, on, o.root, p->string, &cov, sub) != 0)
            return -1;
        rc = compare(c, cov, mk(p, u.root), sub);
        if (rc == 0 && is_open(cov))
            snprintf(c->why, c->whylen,
                     "at %s: property added to an open content model (old documents may hold any value under "
                     "that name)",
                     sub);
        if (rc != 1)
            return rc;
    }
    cJSON_ArrayForEach(p, only_object(oprops))
    {
        if (item(uprops, p->string))
            continue;
        /* Removed: the update now treats it as an unlisted property. */
        join(sub, path, "properties", p->string);
        part cov;
        if (cover(c, un, u.root, p->string, &cov, sub) != 0)
            return -1;
        rc = compare(c, mk(p, o.root), cov, sub);
        if (rc == 0 && cJSON_IsFalse(cov.node))
            snprintf(c->why, c->whylen, "at %s: property removed from a closed content model", sub);
        if (rc != 1)
            return rc;
    }
    const cJSON *opp = item(on, "patternProperties"), *upp = item(un, "patternProperties");
    cJSON_ArrayForEach(p, only_object(upp))
    {
        join(sub, path, "patternProperties", p->string);
        const cJSON *prev = item(opp, p->string);
        part from = prev ? mk(prev, o.root) : mk(item(on, "additionalProperties"), o.root);
        if ((rc = compare(c, from, mk(p, u.root), sub)) != 1)
            return rc;
    }
    cJSON_ArrayForEach(p, only_object(opp))
    {
        if (item(upp, p->string))
            continue;
        join(sub, path, "patternProperties", p->string);
        if ((rc = compare(c, mk(p, o.root), mk(item(un, "additionalProperties"), u.root), sub)) != 1)
            return rc;
    }
    join(sub, path, "additionalProperties", NULL);
    rc = compare(c, mk(item(on, "additionalProperties"), o.root), mk(item(un, "additionalProperties"), u.root), sub);
    if (rc == 0 && cJSON_IsFalse(item(un, "additionalProperties")))
        snprintf(c->why, c->whylen, "at %s: the content model was closed (additionalProperties: false)", sub);
    return rc;
}

/* Positional items and what applies past them, across drafts. */
static void tuple(const cJSON *n, const cJSON **list, int *len, const cJSON **rest)
{
    const cJSON *prefix = item(n, "prefixItems"), *items = item(n, "items");
    if (cJSON_IsArray(prefix)) {
        *list = prefix;
        *rest = items;
    } else if (cJSON_IsArray(items)) {
        *list = items;
        *rest = item(n, "additionalItems");
    } else {
        *list = NULL;
        *rest = items; /* additionalItems means nothing without a list */
    }
    *len = *list ? cJSON_GetArraySize(*list) : 0;
}

static int array_rules(ctx *c, part o, part u, const char *path)
{
    const cJSON *on = o.node, *un = u.node;
    int rc;
    if ((rc = upper(c, on, un, "maxItems", path)) != 1 || (rc = lower(c, on, un, "minItems", path)) != 1)
        return rc;
    if (cJSON_IsTrue(item(un, "uniqueItems")) && !cJSON_IsTrue(item(on, "uniqueItems"))) {
        snprintf(c->why, c->whylen, "at %s: uniqueItems was added", path);
        return 0;
    }
    char sub[PATH_LEN];
    if (item(un, "contains")) {
        join(sub, path, "contains", NULL);
        if (!item(on, "contains")) {
            snprintf(c->why, c->whylen, "at %s: contains was added", sub);
            return 0;
        }
        if ((rc = compare(c, mk(item(on, "contains"), o.root), mk(item(un, "contains"), u.root), sub)) != 1)
            return rc;
    }
    const cJSON *ol, *orest, *ul, *urest;
    int olen, ulen;
    tuple(on, &ol, &olen, &orest);
    tuple(un, &ul, &ulen, &urest);
    int n = olen > ulen ? olen : ulen;
    for (int i = 0; i < n; i++) {
        char idx[16];
        snprintf(idx, sizeof(idx), "%d", i);
        join(sub, path, "items", idx);
        part op = i < olen ? mk(cJSON_GetArrayItem(ol, i), o.root) : mk(orest, o.root);
        part up = i < ulen ? mk(cJSON_GetArrayItem(ul, i), u.root) : mk(urest, u.root);
        if ((rc = compare(c, op, up, sub)) != 1)
            return rc;
    }
    join(sub, path, ulen ? "additionalItems" : "items", NULL);
    if ((rc = compare(c, mk(orest, o.root), mk(urest, u.root), sub)) != 1 || olen || ulen)
        return rc;
    /* Without positional items additionalItems has no effect, but Confluent
     * still compares it; do the same (it can only make the check stricter). */
    join(sub, path, "additionalItems", NULL);
    return compare(c, mk(item(on, "additionalItems"), o.root), mk(item(un, "additionalItems"), u.root), sub);
}

static int typed_rules(ctx *c, part o, part u, const char *path)
{
    const char *ot = o.tname, *ut = u.tname;
    if (strcmp(ot, ut) != 0) {
        /* integer -> number widens; anything else changes the type. */
        if (!(strcmp(ot, "integer") == 0 && strcmp(ut, "number") == 0)) {
            snprintf(c->why, c->whylen, "at %s: type %s from %s to %s", path,
                     strcmp(ot, "number") == 0 && strcmp(ut, "integer") == 0 ? "narrowed" : "changed", ot, ut);
            return 0;
        }
    }
    if (!o.typed && u.typed) {
        snprintf(c->why, c->whylen, "at %s: the update requires type %s where the original accepted any type", path,
                 ut);
        return 0;
    }
    if (strcmp(ut, "string") == 0)
        return string_rules(c, o.node, u.node, path);
    if (strcmp(ut, "number") == 0 || strcmp(ut, "integer") == 0)
        return number_rules(c, o.node, u.node, path);
    if (strcmp(ut, "object") == 0)
        return object_rules(c, o, u, path);
    if (strcmp(ut, "array") == 0)
        return array_rules(c, o, u, path);
    return 1; /* null, boolean */
}

static int enum_rules(ctx *c, part o, part u, const char *path)
{
    /* Every value the original allowed must still be allowed. */
    const cJSON *single;
    const cJSON *ovals = o.is_const ? NULL : o.node;
    for (int pass = 0; pass < (o.is_const ? 1 : cJSON_GetArraySize(ovals)); pass++) {
        single = o.is_const ? o.node : cJSON_GetArrayItem(ovals, pass);
        bool ok = u.is_const ? cJSON_Compare(single, u.node, true) : in_array(u.node, single);
        if (!ok) {
            char *txt = cJSON_PrintUnformatted(single);
            snprintf(c->why, c->whylen, "at %s/%s: value %.80s is no longer allowed", path,
                     u.is_const ? "const" : "enum", txt ? txt : "?");
            free(txt);
            return 0;
        }
    }
    return 1;
}

/* ---- combined schemas ---- */

static int children(part p, part *out, int *n, int *crit)
{
    *n = 0;
    if (p.kind == K_ALL || p.kind == K_ANY || p.kind == K_ONE) {
        *crit = p.kind;
        const cJSON *s;
        cJSON_ArrayForEach(s, p.node)
        {
            /* Duplicates say nothing more (allOf [A, A] is A). */
            bool dup = false;
            for (int i = 0; i < *n && !dup; i++)
                dup = cJSON_Compare(out[i].node, s, true);
            if (!dup && *n < MAX_SUBS)
                out[(*n)++] = mk(s, p.root);
        }
    } else if (p.kind == K_TYPESUM) {
        *crit = K_ANY;
        const cJSON *t;
        cJSON_ArrayForEach(t, item(p.node, "type"))
        {
            if (*n < MAX_SUBS)
                out[(*n)++] =
                    (part){.kind = K_TYPE, .node = p.node, .root = p.root, .tname = t->valuestring, .typed = true};
        }
    } else if (p.kind == K_SYNTH) {
        *crit = K_ALL;
        for (int i = 0; i < p.nsubs; i++)
            out[(*n)++] = p.subs[i];
    } else {
        *crit = K_ALL;
        out[(*n)++] = p;
    }
    return 0;
}

static const char *crit_name(int crit)
{
    return crit == K_ALL ? "allOf" : crit == K_ANY ? "anyOf" : "oneOf";
}

static bool augment(const signed char *ok, int nu, int i, bool *visited, int *match_u)
{
    for (int j = 0; j < nu; j++) {
        if (!ok[i * MAX_SUBS + j] || visited[j])
            continue;
        visited[j] = true;
        if (match_u[j] < 0 || augment(ok, nu, match_u[j], visited, match_u)) {
            match_u[j] = i;
            return true;
        }
    }
    return false;
}

static int combined(ctx *c, part o, part u, const char *path)
{
    part *co = malloc(2 * MAX_SUBS * sizeof(part));
    signed char *ok = malloc(MAX_SUBS * MAX_SUBS);
    if (!co || !ok) {
        free(co);
        free(ok);
        snprintf(c->why, c->whylen, "out of memory");
        return -1;
    }
    part *cu = co + MAX_SUBS;
    int no, nu, crit_o, crit_u, rc = 1;
    children(o, co, &no, &crit_o);
    children(u, cu, &nu, &crit_u);
    /* A single member means the same under any criterion. */
    int eo = no == 1 ? K_ALL : crit_o, eu = nu == 1 ? K_ANY : crit_u;
    if (eo != eu && eo != K_ALL && eu != K_ANY) {
        snprintf(c->why, c->whylen, "at %s: %s changed to %s", path, crit_name(eo), crit_name(eu));
        rc = 0;
    } else if (nu > no && eu == K_ALL) {
        snprintf(c->why, c->whylen, "at %s: allOf gained subschemas", path);
        rc = 0;
    } else if (nu < no && eo != K_ALL) {
        snprintf(c->why, c->whylen, "at %s: %s lost alternatives", path, crit_name(eo));
        rc = 0;
    }
    for (int i = 0; rc == 1 && i < no; i++) {
        for (int j = 0; j < nu; j++) {
            int r = compare(c, co[i], cu[j], path);
            if (r < 0) {
                rc = -1;
                break;
            }
            ok[i * MAX_SUBS + j] = (signed char)r;
        }
    }
    if (rc == 1) {
        /* Each member must pair with its own compatible counterpart. */
        int match_u[MAX_SUBS], matched = 0;
        bool visited[MAX_SUBS];
        for (int j = 0; j < nu; j++)
            match_u[j] = -1;
        for (int i = 0; i < no; i++) {
            memset(visited, 0, sizeof(visited));
            if (augment(ok, nu, i, visited, match_u))
                matched++;
        }
        /* Pairing failed, but data valid under every member of an allOf is
         * valid under any one of them: one member read whole by the update
         * is enough (e.g. dropping an enum next to a list of types). */
        for (int i = 0; matched < (no < nu ? no : nu) && eo == K_ALL && no > 1 && i < no; i++) {
            char saved[512];
            snprintf(saved, sizeof(saved), "%s", c->why);
            int r = compare(c, co[i], u, path);
            if (r < 0) {
                rc = -1;
                break;
            }
            if (r == 1)
                matched = no < nu ? no : nu;
            else
                snprintf(c->why, c->whylen, "%s", saved);
        }
        if (rc == 1 && matched < (no < nu ? no : nu)) {
            if (no == 1 && nu == 1)
                ; /* keep the reason the single pair gave */
            else if (no == 1)
                snprintf(c->why, c->whylen, "at %s: no alternative of the update accepts the original %s", path,
                         kind_name(co[0]));
            else
                snprintf(c->why, c->whylen, "at %s: the subschemas of the combined schema changed incompatibly",
                         path);
            rc = 0;
        }
    }
    free(co);
    free(ok);
    return rc;
}

/* ---- the walk ---- */

static bool is_combined(part p)
{
    return p.kind == K_ALL || p.kind == K_ANY || p.kind == K_ONE || p.kind == K_TYPESUM || p.kind == K_SYNTH;
}

static int compare_norm(ctx *c, part o, part u, const char *path)
{
    if (o.kind == K_FALSE || u.kind == K_TRUE)
        return 1; /* nothing was written, or anything is read */
    if (u.kind == K_FALSE) {
        snprintf(c->why, c->whylen, "at %s: the update accepts nothing", path);
        return 0;
    }
    if (o.kind == K_TRUE) {
        snprintf(c->why, c->whylen, "at %s: a constraint was added where the original accepted anything", path);
        return 0;
    }
    if (is_combined(o) || is_combined(u))
        return combined(c, o, u, path);
    if (o.kind != u.kind) {
        snprintf(c->why, c->whylen, "at %s: changed from %s to %s", path, kind_name(o), kind_name(u));
        return 0;
    }
    if (o.kind == K_TYPE)
        return typed_rules(c, o, u, path);
    if (o.kind == K_ENUM)
        return enum_rules(c, o, u, path);
    /* not: the update may only negate less (its negated schema must be
     * readable with the original's). */
    char sub[PATH_LEN];
    join(sub, path, "not", NULL);
    int rc = compare(c, mk(u.node, u.root), mk(o.node, o.root), sub);
    if (rc == 0)
        snprintf(c->why, c->whylen, "at %s: the negated schema was extended", sub);
    return rc;
}

static bool has_ref(const cJSON *n)
{
    for (const cJSON *x = n ? n->child : NULL; x; x = x->next)
        if ((x->string && strcmp(x->string, "$ref") == 0) || has_ref(x))
            return true;
    return false;
}

static int compare(ctx *c, part o, part u, const char *path)
{
    if (c->depth >= MAX_DEPTH) {
        snprintf(c->why, c->whylen, "at %s: schemas nested or referenced too deeply", path);
        return -1;
    }
    c->depth++;
    int rc;
    if (o.kind == K_SCHEMA || u.kind == K_SCHEMA) {
        bool pushed = false;
        rc = 2;
        if (o.kind == K_SCHEMA && u.kind == K_SCHEMA) {
            /* Identical subtrees agree, unless a $ref in them could resolve
             * to different definitions in the two documents. */
            if (!has_ref(o.node) && cJSON_Compare(o.node, u.node, true))
                rc = 1;
            /* A pair met again further up (recursive $ref) holds if the rest does. */
            for (int i = 0; rc == 2 && i < c->nseen; i++)
                if (c->seen_o[i] == o.node && c->seen_u[i] == u.node)
                    rc = 1;
            if (rc == 2 && c->nseen < MAX_DEPTH) {
                c->seen_o[c->nseen] = o.node;
                c->seen_u[c->nseen] = u.node;
                c->nseen++;
                pushed = true;
            }
        }
        if (rc == 2) {
            part ob[MAX_PARTS], ub[MAX_PARTS];
            int on = 0, un = 0;
            rc = 0;
            if (o.kind == K_SCHEMA && decompose(c, o, ob, &on, path) != 0)
                rc = -1;
            else if (u.kind == K_SCHEMA && decompose(c, u, ub, &un, path) != 0)
                rc = -1;
            if (rc == 0)
                rc = compare(c, o.kind == K_SCHEMA ? normalize(ob, on) : o, u.kind == K_SCHEMA ? normalize(ub, un) : u,
                             path);
        }
        if (pushed)
            c->nseen--;
    } else {
        rc = compare_norm(c, o, u, path);
    }
    c->depth--;
    return rc;
}

int kelp_json_schema_can_read(const char *reader, const char *writer, char *why, size_t whylen)
{
    if (whylen > 0)
        why[0] = '\0';
    cJSON *r = cJSON_Parse(reader), *w = cJSON_Parse(writer);
    ctx *c = calloc(1, sizeof(*c));
    int rc = -1;
    if (!r || !w)
        snprintf(why, whylen, "a schema is not valid JSON");
    else if (!c)
        snprintf(why, whylen, "out of memory");
    else {
        c->why = why;
        c->whylen = whylen;
        rc = compare(c, mk(w, w), mk(r, r), "#");
    }
    free(c);
    cJSON_Delete(r);
    cJSON_Delete(w);
    return rc;
}
