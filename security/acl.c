#include "security/acl.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/json_text.h"

static const char *const resource_names[] = {"UNKNOWN", "ANY", "TOPIC", "GROUP", "CLUSTER",
                                             "TRANSACTIONAL_ID", "DELEGATION_TOKEN", "USER"};
static const char *const pattern_names[] = {"UNKNOWN", "ANY", "MATCH", "LITERAL", "PREFIXED"};
static const char *const op_names[] = {"UNKNOWN",          "ANY",           "ALL",
                                       "READ",             "WRITE",         "CREATE",
                                       "DELETE",           "ALTER",         "DESCRIBE",
                                       "CLUSTER_ACTION",   "DESCRIBE_CONFIGS", "ALTER_CONFIGS",
                                       "IDEMPOTENT_WRITE", "CREATE_TOKENS", "DESCRIBE_TOKENS"};
static const char *const permission_names[] = {"UNKNOWN", "ANY", "DENY", "ALLOW"};

#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

static const char *code_name(const char *const *names, int n, int8_t code)
{
    return code >= 0 && code < n ? names[code] : "UNKNOWN";
}

const char *kelp_acl_resource_name(int8_t code) { return code_name(resource_names, COUNT(resource_names), code); }
const char *kelp_acl_op_name(int8_t code) { return code_name(op_names, COUNT(op_names), code); }

static int code_parse(const char *const *names, int n, const char *s)
{
    for (int i = 1; i < n; i++)
        if (strcmp(names[i], s) == 0)
            return i;
    return 0;
}

void kelp_acl_store_init(kelp_acl_store *s) { memset(s, 0, sizeof(*s)); }

static void acl_free(kelp_acl *a)
{
    free(a->name);
    free(a->principal);
    free(a->host);
}

void kelp_acl_store_free(kelp_acl_store *s)
{
    for (size_t i = 0; i < s->count; i++)
        acl_free(&s->acls[i]);
    free(s->acls);
    memset(s, 0, sizeof(*s));
}

int16_t kelp_acl_validate(const kelp_acl *a, const char **message)
{
    const char *why = NULL;
    if (a->resource_type < KELP_ACL_RESOURCE_TOPIC || a->resource_type > KELP_ACL_RESOURCE_USER)
        why = "Invalid resourceType";
    else if (a->pattern_type != KELP_ACL_PATTERN_LITERAL && a->pattern_type != KELP_ACL_PATTERN_PREFIXED)
        why = "Invalid patternType";
    else if (a->operation < KELP_ACL_OP_ALL || a->operation > KELP_ACL_OP_DESCRIBE_TOKENS)
        why = "Invalid operation";
    else if (a->permission != KELP_ACL_PERMISSION_DENY && a->permission != KELP_ACL_PERMISSION_ALLOW)
        why = "Invalid permissionType";
    else if (!a->name || !a->name[0])
        why = "Resource name should not be empty";
    else if (a->resource_type == KELP_ACL_RESOURCE_CLUSTER && strcmp(a->name, KELP_ACL_CLUSTER_NAME) != 0)
        why = "The only valid name for the CLUSTER resource is " KELP_ACL_CLUSTER_NAME;
    else if (!a->principal || !strchr(a->principal, ':'))
        why = "Could not parse principal (no colon is present separating the principal type from the principal name)";
    else if (strncmp(a->principal, "User:", 5) != 0 || !a->principal[5])
        why = "Principal must be of the form User:<name>";
    else if (!a->host || !a->host[0])
        why = "Host should not be empty";
    if (message)
        *message = why;
    return why ? 42 /* INVALID_REQUEST */ : 0;
}

int16_t kelp_acl_filter_validate(const kelp_acl_filter *f, const char **message)
{
    const char *why = NULL;
    if (f->resource_type < KELP_ACL_RESOURCE_ANY || f->resource_type > KELP_ACL_RESOURCE_USER)
        why = "Unknown resource type in the filter";
    else if (f->pattern_type < KELP_ACL_PATTERN_ANY || f->pattern_type > KELP_ACL_PATTERN_PREFIXED)
        why = "Unknown pattern type in the filter";
    else if (f->operation < KELP_ACL_OP_ANY || f->operation > KELP_ACL_OP_DESCRIBE_TOKENS)
        why = "Unknown operation in the filter";
    else if (f->permission < KELP_ACL_PERMISSION_ANY || f->permission > KELP_ACL_PERMISSION_ALLOW)
        why = "Unknown permission type in the filter";
    if (message)
        *message = why;
    return why ? 42 /* INVALID_REQUEST */ : 0;
}

static bool acl_equal(const kelp_acl *a, const kelp_acl *b)
{
    return a->resource_type == b->resource_type && a->pattern_type == b->pattern_type &&
           a->operation == b->operation && a->permission == b->permission && strcmp(a->name, b->name) == 0 &&
           strcmp(a->principal, b->principal) == 0 && strcmp(a->host, b->host) == 0;
}

int kelp_acl_store_add(kelp_acl_store *s, const kelp_acl *a)
{
    for (size_t i = 0; i < s->count; i++)
        if (acl_equal(&s->acls[i], a))
            return 0;
    if (s->count == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 16;
        kelp_acl *n = realloc(s->acls, cap * sizeof(*n));
        if (!n)
            return -1;
        s->acls = n;
        s->cap = cap;
    }
    kelp_acl c = *a;
    c.name = strdup(a->name);
    c.principal = strdup(a->principal);
    c.host = strdup(a->host);
    if (!c.name || !c.principal || !c.host) {
        acl_free(&c);
        return -1;
    }
    s->acls[s->count++] = c;
    return 1;
}

void kelp_acl_store_remove_at(kelp_acl_store *s, size_t i)
{
    if (i >= s->count)
        return;
    acl_free(&s->acls[i]);
    s->acls[i] = s->acls[--s->count];
}

bool kelp_acl_filter_matches(const kelp_acl_filter *f, const kelp_acl *a)
{
    if (f->resource_type != KELP_ACL_RESOURCE_ANY && f->resource_type != a->resource_type)
        return false;
    if (f->pattern_type != KELP_ACL_PATTERN_ANY && f->pattern_type != KELP_ACL_PATTERN_MATCH &&
        f->pattern_type != a->pattern_type)
        return false;
    if (f->name) {
        if (f->pattern_type != KELP_ACL_PATTERN_MATCH) {
            if (strcmp(f->name, a->name) != 0)
                return false;
        } else if (a->pattern_type == KELP_ACL_PATTERN_LITERAL) {
            if (strcmp(f->name, a->name) != 0 && strcmp(a->name, KELP_ACL_WILDCARD) != 0)
                return false;
        } else if (a->pattern_type == KELP_ACL_PATTERN_PREFIXED) {
            if (strncmp(f->name, a->name, strlen(a->name)) != 0)
                return false;
        } else {
            return false;
        }
    }
    if (f->principal && strcmp(f->principal, a->principal) != 0)
        return false;
    if (f->host && strcmp(f->host, a->host) != 0)
        return false;
    if (f->operation != KELP_ACL_OP_ANY && f->operation != a->operation)
        return false;
    return f->permission == KELP_ACL_PERMISSION_ANY || f->permission == a->permission;
}

static bool principal_matches(const kelp_acl *a, const char *principal)
{
    return strcmp(a->principal, principal) == 0 || strcmp(a->principal, "User:*") == 0;
}

static bool host_matches(const kelp_acl *a, const char *host)
{
    return strcmp(a->host, KELP_ACL_WILDCARD) == 0 || strcmp(a->host, host) == 0;
}

static bool name_matches(const kelp_acl *a, const char *name, size_t len)
{
    size_t n = strlen(a->name);
    if (a->pattern_type == KELP_ACL_PATTERN_PREFIXED)
        return n <= len && memcmp(a->name, name, n) == 0;
    return strcmp(a->name, KELP_ACL_WILDCARD) == 0 || (n == len && memcmp(a->name, name, n) == 0);
}

/* Whether the binding speaks of op: DENY only of op itself (or ALL), ALLOW
 * also of the operations that imply it. */
static bool op_matches(const kelp_acl *a, int8_t op)
{
    if (a->operation == KELP_ACL_OP_ALL || a->operation == op)
        return true;
    if (a->permission != KELP_ACL_PERMISSION_ALLOW)
        return false;
    if (op == KELP_ACL_OP_DESCRIBE)
        return a->operation == KELP_ACL_OP_READ || a->operation == KELP_ACL_OP_WRITE ||
               a->operation == KELP_ACL_OP_DELETE || a->operation == KELP_ACL_OP_ALTER;
    if (op == KELP_ACL_OP_DESCRIBE_CONFIGS)
        return a->operation == KELP_ACL_OP_ALTER_CONFIGS;
    return false;
}

bool kelp_acl_authorize(const kelp_acl_store *s, const char *principal, const char *host, int8_t resource_type,
                        const char *name, size_t name_len, int8_t op)
{
    bool allowed = false;
    for (size_t i = 0; i < s->count; i++) {
        const kelp_acl *a = &s->acls[i];
        if (a->resource_type != resource_type || !principal_matches(a, principal) || !host_matches(a, host) ||
            !op_matches(a, op) || !name_matches(a, name, name_len))
            continue;
        if (a->permission == KELP_ACL_PERMISSION_DENY)
            return false;
        allowed = true;
    }
    return allowed;
}

/* Whether a DENY pattern of the principal covers every name that the
 * allowed pattern (name, prefixed or not) stands for. */
static bool denied_by(const kelp_acl_store *s, const char *principal, const char *host, int8_t resource_type,
                      int8_t op, const kelp_acl *allow)
{
    size_t alen = strlen(allow->name);
    for (size_t i = 0; i < s->count; i++) {
        const kelp_acl *d = &s->acls[i];
        if (d->permission != KELP_ACL_PERMISSION_DENY || d->resource_type != resource_type ||
            !principal_matches(d, principal) || !host_matches(d, host) ||
            (d->operation != op && d->operation != KELP_ACL_OP_ALL))
            continue;
        size_t dlen = strlen(d->name);
        if (d->pattern_type == KELP_ACL_PATTERN_PREFIXED) {
            if (dlen <= alen && memcmp(d->name, allow->name, dlen) == 0)
                return true;
        } else if (allow->pattern_type == KELP_ACL_PATTERN_LITERAL && strcmp(d->name, allow->name) == 0) {
            return true;
        }
    }
    return false;
}

bool kelp_acl_authorize_any(const kelp_acl_store *s, const char *principal, const char *host,
                            int8_t resource_type, int8_t op)
{
    for (size_t i = 0; i < s->count; i++) {
        const kelp_acl *d = &s->acls[i];
        if (d->permission == KELP_ACL_PERMISSION_DENY && d->resource_type == resource_type &&
            d->pattern_type == KELP_ACL_PATTERN_LITERAL && strcmp(d->name, KELP_ACL_WILDCARD) == 0 &&
            principal_matches(d, principal) && host_matches(d, host) &&
            (d->operation == op || d->operation == KELP_ACL_OP_ALL))
            return false;
    }
    for (size_t i = 0; i < s->count; i++) {
        const kelp_acl *a = &s->acls[i];
        if (a->permission != KELP_ACL_PERMISSION_ALLOW || a->resource_type != resource_type ||
            !principal_matches(a, principal) || !host_matches(a, host) ||
            (a->operation != op && a->operation != KELP_ACL_OP_ALL))
            continue;
        if (a->pattern_type == KELP_ACL_PATTERN_LITERAL && strcmp(a->name, KELP_ACL_WILDCARD) == 0)
            return true;
        if (!denied_by(s, principal, host, resource_type, op, a))
            return true;
    }
    return false;
}

int kelp_acl_store_to_json(const kelp_acl_store *s, kelp_buf *out)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *list = root ? cJSON_AddArrayToObject(root, "acls") : NULL;
    bool ok = list != NULL;
    for (size_t i = 0; ok && i < s->count; i++) {
        const kelp_acl *a = &s->acls[i];
        cJSON *o = cJSON_CreateObject();
        ok = o && cJSON_AddItemToArray(list, o) &&
             cJSON_AddStringToObject(o, "resource_type", kelp_acl_resource_name(a->resource_type)) &&
             cJSON_AddStringToObject(o, "pattern_type",
                                     code_name(pattern_names, COUNT(pattern_names), a->pattern_type)) &&
             cJSON_AddStringToObject(o, "name", a->name) && cJSON_AddStringToObject(o, "principal", a->principal) &&
             cJSON_AddStringToObject(o, "host", a->host) &&
             cJSON_AddStringToObject(o, "operation", kelp_acl_op_name(a->operation)) &&
             cJSON_AddStringToObject(o, "permission",
                                     code_name(permission_names, COUNT(permission_names), a->permission));
    }
    if (!ok) {
        cJSON_Delete(root);
        return -1;
    }
    return kelp_json_text_append(root, out);
}

static const char *get_str(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int get_code(const cJSON *o, const char *key, const char *const *names, int n)
{
    const char *v = get_str(o, key);
    return v ? code_parse(names, n, v) : 0;
}

int kelp_acl_store_from_json(kelp_acl_store *s, const char *text, size_t len)
{
    cJSON *root = cJSON_ParseWithLength(text, len);
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(root, "acls");
    kelp_acl_store next;
    kelp_acl_store_init(&next);
    int rc = cJSON_IsArray(list) ? 0 : -1;
    for (const cJSON *o = rc == 0 ? list->child : NULL; o && rc == 0; o = o->next) {
        kelp_acl a = {
            .resource_type = (int8_t)get_code(o, "resource_type", resource_names, COUNT(resource_names)),
            .pattern_type = (int8_t)get_code(o, "pattern_type", pattern_names, COUNT(pattern_names)),
            .operation = (int8_t)get_code(o, "operation", op_names, COUNT(op_names)),
            .permission = (int8_t)get_code(o, "permission", permission_names, COUNT(permission_names)),
            .name = (char *)get_str(o, "name"),
            .principal = (char *)get_str(o, "principal"),
            .host = (char *)get_str(o, "host"),
        };
        if (kelp_acl_validate(&a, NULL) != 0 || kelp_acl_store_add(&next, &a) < 0)
            rc = -1;
    }
    cJSON_Delete(root);
    if (rc != 0) {
        kelp_acl_store_free(&next);
        return -1;
    }
    kelp_acl_store_free(s);
    *s = next;
    return 0;
}

int kelp_acl_store_load(kelp_acl_store *s, kelp_fs *fs, char *err, size_t errlen)
{
    kelp_buf buf;
    kelp_buf_init(&buf);
    int rc = fs->ops->read_file(fs, KELP_ACLS_PATH, &buf);
    if (rc == -ENOENT) {
        kelp_buf_free(&buf);
        return 0;
    }
    if (rc != 0)
        snprintf(err, errlen, "cannot read %s: %s", KELP_ACLS_PATH, strerror(-rc));
    else if (kelp_acl_store_from_json(s, (const char *)buf.data, buf.len) != 0) {
        snprintf(err, errlen, "%s is not a valid ACL file", KELP_ACLS_PATH);
        rc = -1;
    }
    kelp_buf_free(&buf);
    return rc == 0 ? 0 : -1;
}
