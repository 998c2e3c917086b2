/* Kafka wire primitives: bounds-checked readers and writers for the types
 * the generated message codecs use. Readers keep a sticky error flag: after
 * the first failure every read returns zero values. */
#ifndef KELP_PROTOCOL_WIRE_H
#define KELP_PROTOCOL_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "util/arena.h"
#include "util/buf.h"

typedef struct { const char *ptr; int32_t len; } kw_str;      /* len -1: null */
typedef struct { const uint8_t *ptr; int32_t len; } kw_bytes; /* len -1: null */
typedef struct { uint8_t b[16]; } kw_uuid;

typedef struct {
    const uint8_t *p;
    size_t len;
    size_t pos;
    int err;
} kw_reader;

/* Record bytes that are not in memory (ranges of segment files a fetch
 * sends with sendfile): the writer asks `claim` whether a records field's
 * pointer names such bytes; if so it writes only their length prefix and
 * the claimer notes where the bytes belong (the buffer's length then). */
typedef struct kw_external {
    bool (*claim)(void *ctx, const uint8_t *ptr, size_t at);
    void *ctx;
} kw_external;

typedef struct {
    kelp_buf *buf;
    int err;
    const kw_external *external; /* NULL: every records field is in memory */
} kw_writer;

static inline kw_str kw_str_from_cstr(const char *s)
{
    return (kw_str){.ptr = s, .len = s ? (int32_t)strlen(s) : -1};
}

static inline bool kw_str_eq(kw_str a, const char *s)
{
    if (!s)
        return a.len < 0;
    size_t n = strlen(s);
    return a.len >= 0 && (size_t)a.len == n && memcmp(a.ptr, s, n) == 0;
}

static inline size_t kw_remaining(const kw_reader *r) { return r->err ? 0 : r->len - r->pos; }

int8_t kw_read_int8(kw_reader *r);
int16_t kw_read_int16(kw_reader *r);
uint16_t kw_read_uint16(kw_reader *r);
int32_t kw_read_int32(kw_reader *r);
uint32_t kw_read_uint32(kw_reader *r);
int64_t kw_read_int64(kw_reader *r);
double kw_read_float64(kw_reader *r);
bool kw_read_bool(kw_reader *r);
uint32_t kw_read_uvarint(kw_reader *r);
int32_t kw_read_varint(kw_reader *r);
int64_t kw_read_varlong(kw_reader *r);
kw_uuid kw_read_uuid(kw_reader *r);
/* compact: uvarint length+1 (0 = null); otherwise int16 (strings) or int32 (bytes). */
kw_str kw_read_string(kw_reader *r, bool compact, bool nullable);
kw_bytes kw_read_bytes(kw_reader *r, bool compact, bool nullable);
/* An array count: -1 for null (only when nullable); never more than the
 * bytes left, so a hostile count cannot make us allocate. */
int32_t kw_read_array_len(kw_reader *r, bool compact, bool nullable);
/* Arena memory for n elements, or NULL with r->err set. */
void *kw_alloc_array(kw_reader *r, kelp_arena *a, int32_t n, size_t elem_size);
/* Skips n bytes (a tagged field's data). */
void kw_skip(kw_reader *r, size_t n);
/* Reads a whole tagged-field section (count, then tag/size/data each) and
 * ignores every field: for structs that know no tagged fields. */
void kw_skip_tagged_fields(kw_reader *r);

void kw_write_int8(kw_writer *w, int8_t v);
void kw_write_int16(kw_writer *w, int16_t v);
void kw_write_uint16(kw_writer *w, uint16_t v);
void kw_write_int32(kw_writer *w, int32_t v);
void kw_write_uint32(kw_writer *w, uint32_t v);
void kw_write_int64(kw_writer *w, int64_t v);
void kw_write_float64(kw_writer *w, double v);
void kw_write_bool(kw_writer *w, bool v);
void kw_write_uvarint(kw_writer *w, uint32_t v);
void kw_write_varint(kw_writer *w, int32_t v);
void kw_write_varlong(kw_writer *w, int64_t v);
void kw_write_uuid(kw_writer *w, kw_uuid v);
void kw_write_string(kw_writer *w, kw_str s, bool compact, bool nullable);
void kw_write_bytes(kw_writer *w, kw_bytes b, bool compact, bool nullable);
/* A records field: as kw_write_bytes, unless w->external claims it. */
void kw_write_records(kw_writer *w, kw_bytes b, bool compact, bool nullable);
void kw_write_array_len(kw_writer *w, int32_t n, bool compact, bool nullable);
void kw_write_raw(kw_writer *w, const void *p, size_t n);
/* Bytes a uvarint takes. */
size_t kw_uvarint_size(uint32_t v);

#endif
