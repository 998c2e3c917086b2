#include "protocol/wire.h"

static const uint8_t *take(kw_reader *r, size_t n)
{
    if (r->err || r->len - r->pos < n) {
        r->err = 1;
        return NULL;
    }
    const uint8_t *p = r->p + r->pos;
    r->pos += n;
    return p;
}

static uint64_t read_be(kw_reader *r, size_t n)
{
    const uint8_t *p = take(r, n);
    uint64_t v = 0;
    if (!p)
        return 0;
    for (size_t i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

int8_t kw_read_int8(kw_reader *r) { return (int8_t)read_be(r, 1); }
int16_t kw_read_int16(kw_reader *r) { return (int16_t)read_be(r, 2); }
uint16_t kw_read_uint16(kw_reader *r) { return (uint16_t)read_be(r, 2); }
int32_t kw_read_int32(kw_reader *r) { return (int32_t)read_be(r, 4); }
uint32_t kw_read_uint32(kw_reader *r) { return (uint32_t)read_be(r, 4); }
int64_t kw_read_int64(kw_reader *r) { return (int64_t)read_be(r, 8); }

double kw_read_float64(kw_reader *r)
{
    uint64_t bits = read_be(r, 8);
    double d;
    memcpy(&d, &bits, sizeof(d));
    return d;
}

bool kw_read_bool(kw_reader *r) { return read_be(r, 1) != 0; }

static uint64_t read_uvarint64(kw_reader *r, int max_bytes)
{
    uint64_t v = 0;
    for (int i = 0; i < max_bytes; i++) {
        const uint8_t *p = take(r, 1);
        if (!p)
            return 0;
        v |= (uint64_t)(*p & 0x7f) << (7 * i);
        if (!(*p & 0x80))
            return v;
    }
    r->err = 1; /* too long */
    return 0;
}

uint32_t kw_read_uvarint(kw_reader *r)
{
    uint64_t v = read_uvarint64(r, 5);
    if (v > UINT32_MAX) {
        r->err = 1;
        return 0;
    }
    return (uint32_t)v;
}

int32_t kw_read_varint(kw_reader *r)
{
    uint32_t v = kw_read_uvarint(r);
    return (int32_t)((v >> 1) ^ (uint32_t)-(int32_t)(v & 1));
}

int64_t kw_read_varlong(kw_reader *r)
{
    uint64_t v = read_uvarint64(r, 10);
    return (int64_t)((v >> 1) ^ (uint64_t)-(int64_t)(v & 1));
}

kw_uuid kw_read_uuid(kw_reader *r)
{
    kw_uuid u = {{0}};
    const uint8_t *p = take(r, 16);
    if (p)
        memcpy(u.b, p, 16);
    return u;
}

/* Reads a length for strings/bytes/arrays; -1 means null. */
static int64_t read_len(kw_reader *r, bool compact, int width)
{
    if (compact)
        return (int64_t)kw_read_uvarint(r) - 1;
    return width == 2 ? kw_read_int16(r) : kw_read_int32(r);
}

kw_str kw_read_string(kw_reader *r, bool compact, bool nullable)
{
    int64_t n = read_len(r, compact, 2);
    if (r->err)
        return (kw_str){NULL, 0};
    if (n < 0) {
        if (!nullable || n < -1)
            r->err = 1;
        return (kw_str){NULL, r->err ? 0 : -1};
    }
    const uint8_t *p = take(r, (size_t)n);
    if (!p)
        return (kw_str){NULL, 0};
    return (kw_str){(const char *)p, (int32_t)n};
}

kw_bytes kw_read_bytes(kw_reader *r, bool compact, bool nullable)
{
    int64_t n = read_len(r, compact, 4);
    if (r->err)
        return (kw_bytes){NULL, 0};
    if (n < 0) {
        if (!nullable || n < -1)
            r->err = 1;
        return (kw_bytes){NULL, r->err ? 0 : -1};
    }
    const uint8_t *p = take(r, (size_t)n);
    if (!p)
        return (kw_bytes){NULL, 0};
    return (kw_bytes){p, (int32_t)n};
}

int32_t kw_read_array_len(kw_reader *r, bool compact, bool nullable)
{
    int64_t n = read_len(r, compact, 4);
    if (r->err)
        return 0;
    if (n < 0) {
        if (!nullable || n < -1) {
            r->err = 1;
            return 0;
        }
        return -1;
    }
    if ((uint64_t)n > r->len - r->pos) {
        r->err = 1;
        return 0;
    }
    return (int32_t)n;
}

void *kw_alloc_array(kw_reader *r, kelp_arena *a, int32_t n, size_t elem_size)
{
    if (r->err || n <= 0)
        return NULL;
    void *p = kelp_arena_alloc(a, (size_t)n * elem_size);
    if (!p)
        r->err = 1;
    return p;
}

void kw_skip(kw_reader *r, size_t n) { take(r, n); }

void kw_skip_tagged_fields(kw_reader *r)
{
    uint32_t ntags = kw_read_uvarint(r);
    for (uint32_t t = 0; t < ntags && !r->err; t++) {
        kw_read_uvarint(r); /* tag */
        uint32_t size = kw_read_uvarint(r);
        kw_skip(r, size);
    }
}

/* Writers. */
static void put(kw_writer *w, const void *p, size_t n)
{
    if (w->err)
        return;
    if (!kelp_buf_append(w->buf, p, n))
        w->err = 1;
}

static void write_be(kw_writer *w, uint64_t v, size_t n)
{
    uint8_t b[8];
    for (size_t i = 0; i < n; i++)
        b[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
    put(w, b, n);
}

void kw_write_int8(kw_writer *w, int8_t v) { write_be(w, (uint8_t)v, 1); }
void kw_write_int16(kw_writer *w, int16_t v) { write_be(w, (uint16_t)v, 2); }
void kw_write_uint16(kw_writer *w, uint16_t v) { write_be(w, v, 2); }
void kw_write_int32(kw_writer *w, int32_t v) { write_be(w, (uint32_t)v, 4); }
void kw_write_uint32(kw_writer *w, uint32_t v) { write_be(w, v, 4); }
void kw_write_int64(kw_writer *w, int64_t v) { write_be(w, (uint64_t)v, 8); }

void kw_write_float64(kw_writer *w, double v)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof(bits));
    write_be(w, bits, 8);
}

void kw_write_bool(kw_writer *w, bool v) { write_be(w, v ? 1 : 0, 1); }

static void write_uvarint64(kw_writer *w, uint64_t v)
{
    uint8_t b[10];
    size_t n = 0;
    while (v >= 0x80) {
        b[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    b[n++] = (uint8_t)v;
    put(w, b, n);
}

void kw_write_uvarint(kw_writer *w, uint32_t v) { write_uvarint64(w, v); }
void kw_write_varint(kw_writer *w, int32_t v) { write_uvarint64(w, (uint32_t)(((uint32_t)v << 1) ^ (uint32_t)(v >> 31))); }
void kw_write_varlong(kw_writer *w, int64_t v) { write_uvarint64(w, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63)); }
void kw_write_uuid(kw_writer *w, kw_uuid v) { put(w, v.b, 16); }

size_t kw_uvarint_size(uint32_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

static void write_len(kw_writer *w, int32_t n, bool compact, int width)
{
    if (compact)
        kw_write_uvarint(w, (uint32_t)(n + 1));
    else if (width == 2)
        kw_write_int16(w, (int16_t)n);
    else
        kw_write_int32(w, n);
}

void kw_write_string(kw_writer *w, kw_str s, bool compact, bool nullable)
{
    if (s.len < 0 && !nullable)
        s = (kw_str){"", 0}; /* a null where none is allowed goes out empty */
    if (s.len > INT16_MAX && !compact) {
        w->err = 1;
        return;
    }
    write_len(w, s.len < 0 ? -1 : s.len, compact, 2);
    if (s.len > 0)
        put(w, s.ptr, (size_t)s.len);
}

void kw_write_bytes(kw_writer *w, kw_bytes b, bool compact, bool nullable)
{
    if (b.len < 0 && !nullable)
        b = (kw_bytes){NULL, 0};
    write_len(w, b.len < 0 ? -1 : b.len, compact, 4);
    if (b.len > 0)
        put(w, b.ptr, (size_t)b.len);
}

void kw_write_records(kw_writer *w, kw_bytes b, bool compact, bool nullable)
{
    if (b.len > 0 && w->external && !w->err) {
        write_len(w, b.len, compact, 4);
        if (w->external->claim(w->external->ctx, b.ptr, w->buf->len))
            return;
        put(w, b.ptr, (size_t)b.len);
        return;
    }
    kw_write_bytes(w, b, compact, nullable);
}

void kw_write_array_len(kw_writer *w, int32_t n, bool compact, bool nullable)
{
    if (n < 0 && !nullable)
        n = 0;
    write_len(w, n < 0 ? -1 : n, compact, 4);
}

void kw_write_raw(kw_writer *w, const void *p, size_t n) { put(w, p, n); }
