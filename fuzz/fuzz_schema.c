/* Fuzz target: the schema registry's parsing of schemas and of the record
 * payloads checked against them, called directly (no HTTP, no registry
 * state): normalisation, reference resolution, compatibility of two
 * schemas, the Avro, JSON Schema and Protobuf checkers, and Confluent's
 * wire-format framing.
 *
 * Byte 0 picks the entry point (mod 8), byte 1 the schema type (mod 3) and
 * level (/ 3 mod 7). The rest is split at its first NUL: a schema, then a
 * second schema or a payload. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/fuzz_util.h"
#include "schema/compatibility.h"
#include "schema/compatibility_json.h"
#include "schema/compatibility_protobuf.h"
#include "schema/normalize.h"
#include "schema/references.h"
#include "schema/validate_avro.h"
#include "schema/validate_json.h"
#include "schema/validate_protobuf.h"
#include "schema/wire_format.h"

typedef struct parts {
    const char *a;       /* NUL-terminated */
    const uint8_t *b;    /* after the NUL: NUL-terminated too (copied) */
    size_t a_len, b_len;
} parts;

static void normalize(kelp_schema_type type, bool refs, const parts *p)
{
    char *out = NULL, why[512];
    if (kelp_schema_normalize(type, p->a, refs, &out, why, sizeof(why)) == 0) {
        /* The canonical text is a fixed point. */
        char *again = NULL;
        if (kelp_schema_normalize(type, out, refs, &again, why, sizeof(why)) != 0 || strcmp(out, again) != 0)
            abort();
        free(again);
        free(out);
    }
}

static void compatible(kelp_schema_type type, kelp_schema_level level, const parts *p)
{
    const char *prev[1] = {(const char *)p->b};
    char why[512];
    (void)kelp_schema_compatible(type, level, p->a, prev, 1, why, sizeof(why));
}

static void resolve(kelp_schema_type type, const parts *p)
{
    kelp_schema_deps deps = {0};
    if (!kelp_schema_deps_add(&deps, "dep.proto", type, (const char *)p->b))
        return;
    char *out = NULL, why[512];
    if (kelp_schema_resolve(type, p->a, &deps, &out, why, sizeof(why)) == 0)
        free(out);
    if (type == KELP_SCHEMA_PROTOBUF) {
        kelp_proto_checker *c = kelp_proto_checker_new_deps(p->a, p->a_len, &deps, why, sizeof(why));
        kelp_proto_checker_free(c);
    }
    kelp_schema_deps_free(&deps);
}

static void check_json(const parts *p)
{
    char why[512];
    kelp_json_checker *c = kelp_json_checker_new(p->a, p->a_len, why, sizeof(why));
    if (c) {
        (void)kelp_json_checker_check(c, p->b, p->b_len, why, sizeof(why));
        kelp_json_checker_free(c);
    }
    (void)kelp_json_schema_can_read(p->a, (const char *)p->b, why, sizeof(why));
}

static void check_protobuf(const parts *p)
{
    char why[512];
    kelp_proto_checker *c = kelp_proto_checker_new(p->a, p->a_len, why, sizeof(why));
    if (c) {
        kelp_wire_frame f;
        memset(&f, 0, sizeof(f));
        f.payload = p->b;
        f.payload_len = p->b_len;
        if (kelp_wire_frame_indexes(&f, why, sizeof(why)) == 0)
            (void)kelp_proto_checker_check(c, f.indexes, f.n_indexes, f.payload, f.payload_len, why, sizeof(why));
        kelp_proto_checker_free(c);
    }
    (void)kelp_protobuf_can_read(p->a, (const char *)p->b, why, sizeof(why));
}

static void check_avro(const parts *p)
{
    char why[512];
    kelp_avro_checker *c = kelp_avro_checker_new(p->a, p->a_len, why, sizeof(why));
    if (c) {
        (void)kelp_avro_checker_check(c, p->b, p->b_len, why, sizeof(why));
        kelp_avro_checker_free(c);
    }
}

static void wire(const parts *p)
{
    char why[512];
    kelp_wire_frame f;
    if (kelp_wire_frame_header(p->b, p->b_len, &f, why, sizeof(why)) == 0)
        (void)kelp_wire_frame_indexes(&f, why, sizeof(why));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    unsigned op = data[0] % 8;
    kelp_schema_type type = (kelp_schema_type)(data[1] % 3);
    kelp_schema_level level = (kelp_schema_level)(data[1] / 3 % 7);
    const uint8_t *rest = data + 2;
    size_t len = size - 2;
    const uint8_t *nul = memchr(rest, 0, len);
    size_t a_len = nul ? (size_t)(nul - rest) : len;
    char *a = fuzz_cstr(rest, a_len);
    char *b = nul ? fuzz_cstr(nul + 1, len - a_len - 1) : fuzz_cstr(rest, 0);
    if (!a || !b) {
        free(a);
        free(b);
        return 0;
    }
    parts p = {.a = a, .a_len = a_len, .b = (const uint8_t *)b, .b_len = nul ? len - a_len - 1 : 0};
    switch (op) {
    case 0:
        normalize(type, false, &p);
        break;
    case 1:
        normalize(type, true, &p);
        break;
    case 2:
        compatible(type, level, &p);
        break;
    case 3:
        resolve(type, &p);
        break;
    case 4:
        check_json(&p);
        break;
    case 5:
        check_protobuf(&p);
        break;
    case 6:
        check_avro(&p);
        break;
    default:
        wire(&p);
        break;
    }
    free(a);
    free(b);
    return 0;
}
