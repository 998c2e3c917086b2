#include "schema/avro_binary.h"

#include <stdbool.h>
#include <stdio.h>

#define MAX_DEPTH 128

typedef struct walk {
    const uint8_t *p, *end;
    int64_t empty_items;
    const char *error;
} walk;

static int fail(walk *w, const char *error)
{
    if (!w->error)
        w->error = error;
    return -1;
}

static int read_long(walk *w, int64_t *out)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 70; shift += 7) {
        if (w->p >= w->end)
            return fail(w, "the payload ends inside a number");
        uint8_t b = *w->p++;
        if (shift == 63 && (b & 0x7e))
            return fail(w, "a number longer than 64 bits");
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
            return 0;
        }
    }
    return fail(w, "a number longer than 64 bits");
}

static int skip(walk *w, int64_t n)
{
    if (n < 0 || n > w->end - w->p)
        return fail(w, "a length runs past the end of the payload");
    w->p += n;
    return 0;
}

static int datum(walk *w, avro_schema_t s, int depth);

/* Arrays and maps: blocks of items, a negative count followed by the block's byte size. */
static int blocks(walk *w, avro_schema_t items, bool map, int depth)
{
    for (;;) {
        int64_t count;
        if (read_long(w, &count) != 0)
            return -1;
        if (count == 0)
            return 0;
        if (count < 0) {
            int64_t size;
            if (count == INT64_MIN || read_long(w, &size) != 0 || size < 0)
                return fail(w, "a malformed array or map block");
            count = -count;
        }
        for (int64_t i = 0; i < count; i++) {
            const uint8_t *before = w->p;
            if (map) {
                int64_t klen;
                if (read_long(w, &klen) != 0 || skip(w, klen) != 0)
                    return -1;
            }
            if (datum(w, items, depth + 1) != 0)
                return -1;
            /* Items that take no bytes all take none: count them without walking. */
            if (w->p == before) {
                if (count - i > KELP_AVRO_MAX_EMPTY_ITEMS - w->empty_items)
                    return fail(w, "too many zero-size items");
                w->empty_items += count - i;
                break;
            }
        }
    }
}

static int datum(walk *w, avro_schema_t s, int depth)
{
    if (depth > MAX_DEPTH)
        return fail(w, "the datum nests too deeply");
    int64_t n;
    switch (avro_typeof(s)) {
    case AVRO_NULL:
        return 0;
    case AVRO_BOOLEAN:
        if (w->p >= w->end || *w->p > 1)
            return fail(w, "a boolean is neither 0 nor 1");
        w->p++;
        return 0;
    case AVRO_INT32:
        if (read_long(w, &n) != 0)
            return -1;
        return n < INT32_MIN || n > INT32_MAX ? fail(w, "an int out of range") : 0;
    case AVRO_INT64:
        return read_long(w, &n);
    case AVRO_FLOAT:
        return skip(w, 4);
    case AVRO_DOUBLE:
        return skip(w, 8);
    case AVRO_STRING:
    case AVRO_BYTES:
        return read_long(w, &n) != 0 ? -1 : skip(w, n);
    case AVRO_FIXED:
        return skip(w, avro_schema_fixed_size(s));
    case AVRO_ENUM:
        if (read_long(w, &n) != 0)
            return -1;
        return n < 0 || n >= avro_schema_enum_number_of_symbols(s) ? fail(w, "an enum index out of range") : 0;
    case AVRO_RECORD: {
        size_t fields = avro_schema_record_size(s);
        for (size_t i = 0; i < fields; i++)
            if (datum(w, avro_schema_record_field_get_by_index(s, (int)i), depth + 1) != 0)
                return -1;
        return 0;
    }
    case AVRO_UNION:
        if (read_long(w, &n) != 0)
            return -1;
        if (n < 0 || (uint64_t)n >= avro_schema_union_size(s))
            return fail(w, "a union branch out of range");
        return datum(w, avro_schema_union_branch(s, (int)n), depth + 1);
    case AVRO_ARRAY:
        return blocks(w, avro_schema_array_items(s), false, depth);
    case AVRO_MAP:
        return blocks(w, avro_schema_map_values(s), true, depth);
    case AVRO_LINK:
        return datum(w, avro_schema_link_target(s), depth + 1);
    default:
        return fail(w, "a type the walk does not know");
    }
}

int kelp_avro_binary_check(avro_schema_t schema, const uint8_t *p, size_t len, char *why, size_t whylen)
{
    walk w = {.p = p, .end = p + len};
    if (datum(&w, schema, 0) != 0) {
        snprintf(why, whylen, "the payload does not decode with the Avro schema: %s", w.error);
        return -1;
    }
    if (w.p != w.end) {
        snprintf(why, whylen, "the payload has bytes after the Avro datum");
        return -1;
    }
    return 0;
}
