/* The Schema Registry REST layer: the daemon, request bodies, routing by
 * path segments and Confluent-shaped JSON answers. Paths are split before
 * percent-decoding, so a subject may hold '/' (sent as %2F). */
#include "schema/registry_http.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "module/config.h"
#include "util/buf.h"
#include "admin/http_listen.h"
#include "util/log.h"

#define CONTENT_TYPE "application/vnd.schemaregistry.v1+json"
#define CONNECTION_LIMIT 128u
#define IDLE_TIMEOUT_SECONDS 30u
#define MAX_SEGMENTS 8

struct kelp_schema_http {
    struct MHD_Daemon *mhd;
    int listen_fd; /* closed by MHD_stop_daemon */
    kelp_schema_registry *reg;
    kelp_http_auth_source auth;
    kelp_http_tls tls; /* the running daemon's, kept until it stopped */
    char bound[KELP_CONFIG_ADDR_MAX + 16];
};

typedef struct pending {
    kelp_buf body;
    bool too_large;
    bool answered;
} pending;

typedef struct response {
    unsigned status;
    char *body;
} response;

/* One request, its path split and decoded. */
typedef struct request {
    kelp_schema_registry *reg;
    struct MHD_Connection *conn;
    const char *method;
    char *seg[MAX_SEGMENTS];
    size_t nseg;
    const char *body;
} request;

/* ---- answers ---- */

static void set_json(response *resp, unsigned status, cJSON *json)
{
    free(resp->body);
    resp->body = json ? cJSON_PrintUnformatted(json) : NULL;
    cJSON_Delete(json);
    resp->status = resp->body ? status : 500;
}

static void set_error(response *resp, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void set_error(response *resp, int code, const char *fmt, ...)
{
    char message[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof(message), fmt, ap);
    va_end(ap);
    cJSON *obj = cJSON_CreateObject();
    if (obj) {
        cJSON_AddNumberToObject(obj, "error_code", code);
        cJSON_AddStringToObject(obj, "message", message);
    }
    set_json(resp, code > 999 ? (unsigned)code / 100 : (unsigned)code, obj);
}

static void set_sr_error(response *resp, const kelp_sr_error *e)
{
    set_error(resp, e->code, "%s", e->message);
}

static void set_text(response *resp, const char *text)
{
    free(resp->body);
    resp->body = strdup(text);
    resp->status = resp->body ? 200 : 500;
}

static bool query_true(const request *rq, const char *key)
{
    const char *v = MHD_lookup_connection_value(rq->conn, MHD_GET_ARGUMENT_KIND, key);
    return v && strcasecmp(v, "true") == 0;
}

/* Adds schemaType (not for AVRO), references (when any) and schema. */
static void add_schema_fields(cJSON *obj, const kelp_sr_version *v)
{
    if (v->type != KELP_SCHEMA_AVRO)
        cJSON_AddStringToObject(obj, "schemaType", kelp_schema_type_name(v->type));
    if (v->references)
        cJSON_AddItemToObject(obj, "references", cJSON_Parse(v->references));
    cJSON_AddStringToObject(obj, "schema", v->schema ? v->schema : "");
}

static cJSON *version_json(const kelp_sr_version *v)
{
    cJSON *obj = cJSON_CreateObject();
    if (!obj)
        return NULL;
    cJSON_AddStringToObject(obj, "subject", v->subject ? v->subject : "");
    cJSON_AddNumberToObject(obj, "version", v->version);
    cJSON_AddNumberToObject(obj, "id", v->id);
    add_schema_fields(obj, v);
    return obj;
}

static cJSON *int_array(const int32_t *v, size_t n)
{
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; arr && i < n; i++)
        cJSON_AddItemToArray(arr, cJSON_CreateNumber(v[i]));
    return arr;
}

/* ---- request parts ---- */

static bool parse_version(const char *text, int32_t *out, response *resp)
{
    if (strcmp(text, "latest") == 0) {
        *out = KELP_SR_LATEST;
        return true;
    }
    char *end = NULL;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (errno == 0 && end != text && *end == '\0' && (v == -1 || (v >= 1 && v <= INT32_MAX))) {
        *out = v == -1 ? KELP_SR_LATEST : (int32_t)v;
        return true;
    }
    set_error(resp, KELP_SR_INVALID_VERSION,
              "The specified version '%s' is not a valid version id. Allowed values are between [1, 2^31-1] "
              "and the string \"latest\"", text);
    return false;
}

static bool parse_id(const char *text, int32_t *out, response *resp)
{
    char *end = NULL;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (errno == 0 && end != text && *end == '\0' && v >= 0 && v <= INT32_MAX) {
        *out = (int32_t)v;
        return true;
    }
    set_error(resp, 404, "HTTP 404 Not Found");
    return false;
}

/* The JSON object of the body: 400 when it does not parse, 422 otherwise wrong. */
static cJSON *parse_body(const request *rq, response *resp)
{
    cJSON *root = cJSON_ParseWithOpts(rq->body, NULL, true);
    if (!root) {
        set_error(resp, 400, "Unexpected character in the request body: not valid JSON");
        return NULL;
    }
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        set_error(resp, 422, "The request body must be a JSON object");
        return NULL;
    }
    return root;
}

/* {"schema", "schemaType", "references"}; *root owns the strings in *in. */
static bool parse_schema_body(const request *rq, cJSON **root, kelp_sr_input *in, response *resp)
{
    if (!(*root = parse_body(rq, resp)))
        return false;
    const cJSON *schema = cJSON_GetObjectItemCaseSensitive(*root, "schema");
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(*root, "schemaType");
    *in = (kelp_sr_input){.type = KELP_SCHEMA_AVRO, .schema = NULL,
                          .references = cJSON_GetObjectItemCaseSensitive(*root, "references")};
    if (!cJSON_IsString(schema) || !schema->valuestring[0]) {
        set_error(resp, KELP_SR_INVALID_SCHEMA, "Empty schema");
        goto bad;
    }
    in->schema = schema->valuestring;
    if (type && !cJSON_IsNull(type) && !(cJSON_IsString(type) && kelp_schema_type_parse(type->valuestring, &in->type))) {
        set_error(resp, KELP_SR_INVALID_SCHEMA, "Invalid schema type %s",
                  cJSON_IsString(type) ? type->valuestring : "(not a string)");
        goto bad;
    }
    return true;
bad:
    cJSON_Delete(*root);
    *root = NULL;
    return false;
}

/* ---- handlers ---- */

static void get_subjects(request *rq, response *resp)
{
    char **names;
    size_t n;
    kelp_sr_error e;
    if (kelp_sr_subjects(rq->reg, query_true(rq, "deleted"), &names, &n, &e) != 0) {
        set_sr_error(resp, &e);
        return;
    }
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; arr && i < n; i++)
        cJSON_AddItemToArray(arr, cJSON_CreateString(names[i]));
    kelp_sr_names_free(names, n);
    set_json(resp, 200, arr);
}

static void post_lookup(request *rq, response *resp)
{
    cJSON *root;
    kelp_sr_input in;
    if (!parse_schema_body(rq, &root, &in, resp))
        return;
    kelp_sr_version v = {0};
    kelp_sr_error e;
    if (kelp_sr_lookup(rq->reg, rq->seg[1], &in, query_true(rq, "deleted"), &v, &e) != 0)
        set_sr_error(resp, &e);
    else
        set_json(resp, 200, version_json(&v));
    kelp_sr_version_free(&v);
    cJSON_Delete(root);
}

static void delete_subject(request *rq, response *resp)
{
    int32_t *versions;
    size_t n;
    kelp_sr_error e;
    if (kelp_sr_delete_subject(rq->reg, rq->seg[1], query_true(rq, "permanent"), &versions, &n, &e) != 0)
        set_sr_error(resp, &e);
    else
        set_json(resp, 200, int_array(versions, n));
    free(versions);
}

static void get_versions(request *rq, response *resp)
{
    int32_t *versions;
    size_t n;
    kelp_sr_error e;
    if (kelp_sr_versions(rq->reg, rq->seg[1], query_true(rq, "deleted"), &versions, &n, &e) != 0)
        set_sr_error(resp, &e);
    else
        set_json(resp, 200, int_array(versions, n));
    free(versions);
}

static void get_referenced_by(request *rq, response *resp)
{
    int32_t version;
    if (!parse_version(rq->seg[3], &version, resp))
        return;
    int32_t *ids;
    size_t n;
    kelp_sr_error e;
    if (kelp_sr_referenced_by(rq->reg, rq->seg[1], version, &ids, &n, &e) != 0)
        set_sr_error(resp, &e);
    else
        set_json(resp, 200, int_array(ids, n));
    free(ids);
}

static void post_register(request *rq, response *resp)
{
    cJSON *root;
    kelp_sr_input in;
    if (!parse_schema_body(rq, &root, &in, resp))
        return;
    int32_t id;
    kelp_sr_error e;
    if (kelp_sr_register(rq->reg, rq->seg[1], &in, &id, &e) != 0) {
        set_sr_error(resp, &e);
    } else {
        cJSON *obj = cJSON_CreateObject();
        if (obj)
            cJSON_AddNumberToObject(obj, "id", id);
        set_json(resp, 200, obj);
    }
    cJSON_Delete(root);
}

static void get_version(request *rq, response *resp, bool raw)
{
    int32_t version;
    if (!parse_version(rq->seg[3], &version, resp))
        return;
    kelp_sr_version v = {0};
    kelp_sr_error e;
    if (kelp_sr_get_version(rq->reg, rq->seg[1], version, query_true(rq, "deleted"), &v, &e) != 0)
        set_sr_error(resp, &e);
    else if (raw)
        set_text(resp, v.schema);
    else
        set_json(resp, 200, version_json(&v));
    kelp_sr_version_free(&v);
}

static void delete_version(request *rq, response *resp)
{
    int32_t version, deleted;
    if (!parse_version(rq->seg[3], &version, resp))
        return;
    kelp_sr_error e;
    if (kelp_sr_delete_version(rq->reg, rq->seg[1], version, query_true(rq, "permanent"), &deleted, &e) != 0)
        set_sr_error(resp, &e);
    else
        set_json(resp, 200, cJSON_CreateNumber(deleted));
}

static void get_schema_id(request *rq, response *resp, const char *what)
{
    int32_t id;
    if (!parse_id(rq->seg[2], &id, resp))
        return;
    kelp_sr_error e;
    if (!what || strcmp(what, "schema") == 0) {
        kelp_sr_version v = {0};
        if (kelp_sr_schema_by_id(rq->reg, id, &v, &e) != 0) {
            set_sr_error(resp, &e);
        } else if (what) {
            set_text(resp, v.schema);
        } else {
            cJSON *obj = cJSON_CreateObject();
            if (obj)
                add_schema_fields(obj, &v);
            set_json(resp, 200, obj);
        }
        kelp_sr_version_free(&v);
        return;
    }
    kelp_sr_usage *u;
    size_t n;
    if (kelp_sr_id_usages(rq->reg, id, query_true(rq, "deleted"), &u, &n, &e) != 0) {
        set_sr_error(resp, &e);
        return;
    }
    cJSON *arr = cJSON_CreateArray();
    bool subjects_only = strcmp(what, "subjects") == 0;
    for (size_t i = 0; arr && i < n; i++) {
        bool seen = false;
        for (size_t j = 0; subjects_only && j < i; j++)
            seen = seen || strcmp(u[j].subject, u[i].subject) == 0;
        if (seen)
            continue;
        if (subjects_only) {
            cJSON_AddItemToArray(arr, cJSON_CreateString(u[i].subject));
            continue;
        }
        cJSON *obj = cJSON_CreateObject();
        cJSON_AddStringToObject(obj, "subject", u[i].subject);
        cJSON_AddNumberToObject(obj, "version", u[i].version);
        cJSON_AddItemToArray(arr, obj);
    }
    kelp_sr_usages_free(u, n);
    set_json(resp, 200, arr);
}

static void get_types(request *rq, response *resp)
{
    const char *types[] = {"JSON", "PROTOBUF", "AVRO"};
    set_json(resp, 200, cJSON_CreateStringArray(types, 3));
}

static void level_answer(response *resp, const char *key, kelp_schema_level level)
{
    cJSON *obj = cJSON_CreateObject();
    if (obj)
        cJSON_AddStringToObject(obj, key, kelp_schema_level_name(level));
    set_json(resp, 200, obj);
}

static void get_config(request *rq, response *resp)
{
    const char *subject = rq->nseg > 1 ? rq->seg[1] : NULL;
    kelp_schema_level level;
    kelp_sr_error e;
    if (kelp_sr_get_level(rq->reg, subject, query_true(rq, "defaultToGlobal"), &level, &e) != 0)
        set_sr_error(resp, &e);
    else
        level_answer(resp, "compatibilityLevel", level);
}

static void put_config(request *rq, response *resp)
{
    cJSON *root = parse_body(rq, resp);
    if (!root)
        return;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, "compatibility");
    if (!v)
        v = cJSON_GetObjectItemCaseSensitive(root, "compatibilityLevel");
    kelp_schema_level level;
    kelp_sr_error e;
    if (!cJSON_IsString(v) || !kelp_schema_level_parse(v->valuestring, &level))
        set_error(resp, KELP_SR_INVALID_LEVEL,
                  "Invalid compatibility level. Valid values are none, backward, forward, full, "
                  "backward_transitive, forward_transitive, and full_transitive");
    else if (kelp_sr_set_level(rq->reg, rq->nseg > 1 ? rq->seg[1] : NULL, level, &e) != 0)
        set_sr_error(resp, &e);
    else
        level_answer(resp, "compatibility", level);
    cJSON_Delete(root);
}

static void delete_config(request *rq, response *resp)
{
    kelp_schema_level old;
    kelp_sr_error e;
    if (kelp_sr_delete_level(rq->reg, rq->seg[1], &old, &e) != 0)
        set_sr_error(resp, &e);
    else
        level_answer(resp, "compatibilityLevel", old);
}

static void post_compatibility(request *rq, response *resp)
{
    int32_t version = 0; /* every version the level names */
    if (rq->nseg == 5 && !parse_version(rq->seg[4], &version, resp))
        return;
    cJSON *root;
    kelp_sr_input in;
    if (!parse_schema_body(rq, &root, &in, resp))
        return;
    bool compatible;
    char why[480];
    kelp_sr_error e;
    if (kelp_sr_test_compatibility(rq->reg, rq->seg[2], version, &in, &compatible, why, sizeof(why), &e) != 0) {
        set_sr_error(resp, &e);
    } else {
        cJSON *obj = cJSON_CreateObject();
        if (obj) {
            cJSON_AddBoolToObject(obj, "is_compatible", compatible);
            if (query_true(rq, "verbose")) {
                cJSON *messages = cJSON_AddArrayToObject(obj, "messages");
                if (!compatible && why[0])
                    cJSON_AddItemToArray(messages, cJSON_CreateString(why));
            }
        }
        set_json(resp, 200, obj);
    }
    cJSON_Delete(root);
}

static void get_root(request *rq, response *resp)
{
    set_json(resp, 200, cJSON_CreateObject());
}

/* ---- routing ---- */

typedef void (*handler_fn)(request *rq, response *resp);

static void get_version_full(request *rq, response *resp) { get_version(rq, resp, false); }
static void get_version_raw(request *rq, response *resp) { get_version(rq, resp, true); }
static void get_id(request *rq, response *resp) { get_schema_id(rq, resp, NULL); }
static void get_id_schema(request *rq, response *resp) { get_schema_id(rq, resp, "schema"); }
static void get_id_versions(request *rq, response *resp) { get_schema_id(rq, resp, "versions"); }
static void get_id_subjects(request *rq, response *resp) { get_schema_id(rq, resp, "subjects"); }

/* A path shape: literal segments, "*" for a variable one. */
typedef struct route {
    const char *pattern[MAX_SEGMENTS];
    size_t nseg;
    const char *method;
    handler_fn fn;
} route;

static const route routes[] = {
    {{NULL}, 0, "GET", get_root},
    {{"subjects"}, 1, "GET", get_subjects},
    {{"subjects", "*"}, 2, "POST", post_lookup},
    {{"subjects", "*"}, 2, "DELETE", delete_subject},
    {{"subjects", "*", "versions"}, 3, "GET", get_versions},
    {{"subjects", "*", "versions"}, 3, "POST", post_register},
    {{"subjects", "*", "versions", "*"}, 4, "GET", get_version_full},
    {{"subjects", "*", "versions", "*"}, 4, "DELETE", delete_version},
    {{"subjects", "*", "versions", "*", "schema"}, 5, "GET", get_version_raw},
    {{"subjects", "*", "versions", "*", "referencedby"}, 5, "GET", get_referenced_by},
    {{"schemas", "types"}, 2, "GET", get_types},
    {{"schemas", "ids", "*"}, 3, "GET", get_id},
    {{"schemas", "ids", "*", "schema"}, 4, "GET", get_id_schema},
    {{"schemas", "ids", "*", "versions"}, 4, "GET", get_id_versions},
    {{"schemas", "ids", "*", "subjects"}, 4, "GET", get_id_subjects},
    {{"config"}, 1, "GET", get_config},
    {{"config"}, 1, "PUT", put_config},
    {{"config", "*"}, 2, "GET", get_config},
    {{"config", "*"}, 2, "PUT", put_config},
    {{"config", "*"}, 2, "DELETE", delete_config},
    {{"compatibility", "subjects", "*", "versions"}, 4, "POST", post_compatibility},
    {{"compatibility", "subjects", "*", "versions", "*"}, 5, "POST", post_compatibility},
};

static bool shape_matches(const route *r, const request *rq)
{
    if (r->nseg != rq->nseg)
        return false;
    for (size_t i = 0; i < r->nseg; i++)
        if (strcmp(r->pattern[i], "*") != 0 && strcmp(r->pattern[i], rq->seg[i]) != 0)
            return false;
    return true;
}

static int hex(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decodes %XX in place; false for a bad escape or an encoded NUL. */
static bool percent_decode(char *s)
{
    char *out = s;
    for (char *p = s; *p; p++) {
        if (*p != '%') {
            *out++ = *p;
            continue;
        }
        int hi = hex(p[1]), lo = hi >= 0 ? hex(p[2]) : -1;
        if (lo < 0 || (hi == 0 && lo == 0))
            return false;
        *out++ = (char)(hi << 4 | lo);
        p += 2;
    }
    *out = '\0';
    return true;
}

/* Splits the raw path into decoded segments (a trailing '/' is ignored). */
static bool split_path(char *path, request *rq)
{
    rq->nseg = 0;
    char *p = path;
    while (*p == '/')
        p++;
    if (!*p)
        return true;
    for (;;) {
        char *slash = strchr(p, '/');
        if (slash)
            *slash = '\0';
        if (!*p || rq->nseg == MAX_SEGMENTS || !percent_decode(p))
            return false;
        rq->seg[rq->nseg++] = p;
        if (!slash || !slash[1])
            return true;
        p = slash + 1;
    }
}

static bool body_type_ok(struct MHD_Connection *conn)
{
    static const char *const accepted[] = {"application/vnd.schemaregistry.v1+json",
                                           "application/vnd.schemaregistry+json", "application/json",
                                           "application/octet-stream"};
    const char *ct = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    if (!ct || !ct[0])
        return true;
    for (size_t i = 0; i < sizeof(accepted) / sizeof(accepted[0]); i++) {
        size_t len = strlen(accepted[i]);
        if (strncasecmp(ct, accepted[i], len) == 0 && (ct[len] == '\0' || ct[len] == ';' || ct[len] == ' '))
            return true;
    }
    return false;
}

static void route_request(request *rq, char *path, response *resp)
{
    if (!split_path(path, rq)) {
        set_error(resp, 404, "HTTP 404 Not Found");
        return;
    }
    bool shape_known = false;
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        if (!shape_matches(&routes[i], rq))
            continue;
        shape_known = true;
        if (strcmp(routes[i].method, rq->method) != 0)
            continue;
        bool has_body = strcmp(rq->method, "POST") == 0 || strcmp(rq->method, "PUT") == 0;
        if (has_body && !body_type_ok(rq->conn)) {
            set_error(resp, 415, "HTTP 415 Unsupported Media Type");
            return;
        }
        routes[i].fn(rq, resp);
        return;
    }
    if (shape_known)
        set_error(resp, 405, "HTTP 405 Method Not Allowed");
    else
        set_error(resp, 404, "HTTP 404 Not Found");
}

static enum MHD_Result send_response_with(struct MHD_Connection *conn, response *resp,
                                          const char *const *challenges, size_t nchallenges)
{
    static const char fallback[] = "{\"error_code\":50001,\"message\":\"out of memory\"}";
    struct MHD_Response *r;
    if (resp->body)
        r = MHD_create_response_from_buffer(strlen(resp->body), resp->body, MHD_RESPMEM_MUST_COPY);
    else
        r = MHD_create_response_from_buffer(sizeof(fallback) - 1, (void *)fallback, MHD_RESPMEM_PERSISTENT);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, CONTENT_TYPE);
    for (size_t i = 0; i < nchallenges; i++)
        MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, challenges[i]);
    enum MHD_Result rc = MHD_queue_response(conn, resp->body ? resp->status : 500, r);
    MHD_destroy_response(r);
    return rc;
}

static enum MHD_Result send_response(struct MHD_Connection *conn, response *resp)
{
    return send_response_with(conn, resp, NULL, 0);
}

static enum MHD_Result send_error(struct MHD_Connection *conn, int code, const char *message)
{
    response resp = {0};
    set_error(&resp, code, "%s", message);
    enum MHD_Result rc = send_response(conn, &resp);
    free(resp.body);
    return rc;
}

/* True when the request may go on; otherwise a 401 is queued in *rc, with
 * Confluent's error code for it. */
static bool authorized(kelp_schema_http *h, struct MHD_Connection *conn, enum MHD_Result *rc)
{
    if (!h->auth.get)
        return true;
    kelp_admin_auth_config aa;
    h->auth.get(h->auth.ctx, &aa);
    bool ok = kelp_http_auth_check(&aa, MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                                   MHD_HTTP_HEADER_AUTHORIZATION));
    if (!ok) {
        const char *challenges[2];
        size_t n = kelp_http_auth_challenges(&aa, challenges);
        response resp = {0};
        set_error(&resp, 40101, "Unauthorized");
        *rc = send_response_with(conn, &resp, challenges, n);
        free(resp.body);
    }
    OPENSSL_cleanse(&aa, sizeof(aa));
    return ok;
}

static enum MHD_Result dispatch(kelp_schema_http *h, struct MHD_Connection *conn, const char *method,
                                const char *url, pending *pr)
{
    char *path = strdup(url);
    if (!path)
        return send_error(conn, 50001, "out of memory");
    request rq = {.reg = h->reg,
                  .conn = conn,
                  .method = method,
                  .body = pr->body.len ? (const char *)pr->body.data : ""};
    response resp = {0};
    route_request(&rq, path, &resp);
    enum MHD_Result rc = send_response(conn, &resp);
    free(resp.body);
    free(path);
    return rc;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    kelp_schema_http *h = cls;
    pending *pr = *con_cls;
    if (!pr) {
        pr = calloc(1, sizeof(*pr));
        if (!pr)
            return MHD_NO;
        kelp_buf_init(&pr->body);
        *con_cls = pr;
        /* Credentials first: a refused request's body is never looked at. */
        enum MHD_Result rc;
        if (!authorized(h, conn, &rc)) {
            pr->answered = true;
            return rc;
        }
        /* Refuse a declared oversized body before reading any of it. */
        const char *length = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (length && strtoull(length, NULL, 10) > KELP_SCHEMA_HTTP_MAX_BODY) {
            pr->too_large = pr->answered = true;
            return send_error(conn, 413, "Request body too large");
        }
        return MHD_YES;
    }
    if (pr->answered) {
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        if (!pr->too_large && pr->body.len + *upload_data_size <= KELP_SCHEMA_HTTP_MAX_BODY) {
            kelp_buf_append(&pr->body, upload_data, *upload_data_size);
        } else {
            pr->too_large = true; /* keep reading, answer once the body is over */
            kelp_buf_free(&pr->body);
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    pr->answered = true;
    if (pr->too_large)
        return send_error(conn, 413, "Request body too large");
    if (pr->body.len > 0 && !kelp_buf_append(&pr->body, "", 1))
        return send_error(conn, 50001, "out of memory");
    if (pr->body.failed)
        return send_error(conn, 50001, "out of memory");
    return dispatch(h, conn, method, url, pr);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode code)
{
    pending *pr = *con_cls;
    if (!pr)
        return;
    kelp_buf_free(&pr->body);
    free(pr);
    *con_cls = NULL;
}

/* Keeps %XX in the path: it is split on '/' first, then decoded. Query
 * values are not decoded either; the only ones read are "true" flags. */
static size_t keep_escaped(void *cls, struct MHD_Connection *conn, char *s)
{
    return strlen(s);
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    char line[512];
    vsnprintf(line, sizeof(line), fmt, ap);
    size_t len = strlen(line);
    while (len > 0 && line[len - 1] == '\n')
        line[--len] = '\0';
    KELP_WARN("schema", "%s", line);
}

int kelp_schema_http_listen(const char *addr, char *err, size_t errlen)
{
    return kelp_http_listen("schema registry", addr, err, errlen);
}

/* A daemon serving h on fd (closed on error) with tls; NULL with a message. */
static struct MHD_Daemon *daemon_start(kelp_schema_http *h, int fd, int family, kelp_http_tls *tls, char *err,
                                       size_t errlen)
{
    unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG;
    if (family == AF_INET6)
        flags |= MHD_USE_IPv6;
    struct MHD_OptionItem tls_options[3];
    flags |= kelp_http_tls_mhd_options(tls, tls_options);
    struct MHD_Daemon *mhd =
        MHD_start_daemon(flags, 0, NULL, NULL, on_request, h, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
                         MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_CONNECTION_LIMIT, CONNECTION_LIMIT,
                         MHD_OPTION_CONNECTION_TIMEOUT, IDLE_TIMEOUT_SECONDS, MHD_OPTION_NOTIFY_COMPLETED,
                         on_completed, NULL, MHD_OPTION_UNESCAPE_CALLBACK, keep_escaped, NULL, MHD_OPTION_ARRAY,
                         tls_options, MHD_OPTION_END);
    if (!mhd) {
        snprintf(err, errlen, "cannot start the schema registry %s server on %s", tls->cert ? "HTTPS" : "HTTP",
                 h->bound);
        close(fd);
    }
    return mhd;
}

static int socket_family(int fd)
{
    struct sockaddr_storage ss;
    socklen_t sslen = sizeof(ss);
    return getsockname(fd, (struct sockaddr *)&ss, &sslen) == 0 ? ss.ss_family : AF_UNSPEC;
}

kelp_schema_http *kelp_schema_http_start_fd(int listen_fd, kelp_schema_registry *reg,
                                            const kelp_http_auth_source *auth, const kelp_http_tls *tls, char *err,
                                            size_t errlen)
{
    kelp_schema_http *h = calloc(1, sizeof(*h));
    struct sockaddr_storage ss;
    socklen_t sslen = sizeof(ss);
    if (!h || getsockname(listen_fd, (struct sockaddr *)&ss, &sslen) != 0 || kelp_http_tls_copy(tls, &h->tls) != 0) {
        snprintf(err, errlen, "cannot start the schema registry: %s", h ? strerror(errno) : "out of memory");
        close(listen_fd);
        free(h);
        return NULL;
    }
    h->reg = reg;
    if (auth)
        h->auth = *auth;
    h->listen_fd = listen_fd;
    kelp_format_sockaddr(&ss, h->bound, sizeof(h->bound));
    h->mhd = daemon_start(h, listen_fd, ss.ss_family, &h->tls, err, errlen);
    if (!h->mhd) {
        kelp_http_tls_free(&h->tls);
        free(h);
        return NULL;
    }
    KELP_INFO("schema", "schema registry on %s%s", h->bound, h->tls.cert ? " (HTTPS)" : "");
    return h;
}

int kelp_schema_http_set_tls(kelp_schema_http *h, const kelp_http_tls *tls, char *err, size_t errlen)
{
    kelp_http_tls next_tls;
    if (kelp_http_tls_copy(tls, &next_tls) != 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int fd = kelp_http_listen_dup("schema registry", h->listen_fd, err, errlen);
    struct MHD_Daemon *next = fd < 0 ? NULL : daemon_start(h, fd, socket_family(fd), &next_tls, err, errlen);
    if (!next) {
        kelp_http_tls_free(&next_tls);
        return -1;
    }
    /* Quiesced, the old daemon leaves the socket alone; its descriptor is ours to close. */
    int old_fd = h->listen_fd;
    MHD_socket quiesced = MHD_quiesce_daemon(h->mhd);
    MHD_stop_daemon(h->mhd);
    if (quiesced != MHD_INVALID_SOCKET)
        close(old_fd);
    kelp_http_tls_free(&h->tls);
    h->mhd = next;
    h->listen_fd = fd;
    h->tls = next_tls;
    KELP_INFO("schema", "schema registry on %s now serves %s", h->bound, h->tls.cert ? "HTTPS" : "HTTP");
    return 0;
}

int kelp_schema_http_bound_address(kelp_schema_http *h, char *buf, size_t buflen)
{
    snprintf(buf, buflen, "%s", h->bound);
    return 0;
}

void kelp_schema_http_stop(kelp_schema_http *h)
{
    if (!h)
        return;
    MHD_stop_daemon(h->mhd); /* closes the listening socket */
    kelp_http_tls_free(&h->tls);
    free(h);
}
