#include "util/buf.h"

#include <stdlib.h>
#include <string.h>

void kelp_buf_init(kelp_buf *b)
{
    memset(b, 0, sizeof(*b));
}

void kelp_buf_free(kelp_buf *b)
{
    free(b->data);
    memset(b, 0, sizeof(*b));
}

bool kelp_buf_reserve(kelp_buf *b, size_t extra)
{
    if (b->failed)
        return false;
    if (extra > SIZE_MAX - b->len) {
        b->failed = true;
        return false;
    }
    size_t need = b->len + extra;
    /* An empty buffer gets storage too: extending it by 0 bytes must give
     * a pointer, not NULL (which means failure) or NULL + 0. */
    if (need <= b->cap && b->data)
        return true;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    uint8_t *p = realloc(b->data, cap);
    if (!p) {
        b->failed = true;
        return false;
    }
    b->data = p;
    b->cap = cap;
    return true;
}

uint8_t *kelp_buf_extend(kelp_buf *b, size_t len)
{
    if (!kelp_buf_reserve(b, len))
        return NULL;
    uint8_t *p = b->data + b->len;
    b->len += len;
    return p;
}

bool kelp_buf_append(kelp_buf *b, const void *data, size_t len)
{
    uint8_t *p = kelp_buf_extend(b, len);
    if (!p)
        return false;
    if (len)
        memcpy(p, data, len);
    return true;
}

void kelp_buf_consume(kelp_buf *b, size_t n)
{
    if (n >= b->len) {
        b->len = 0;
        return;
    }
    memmove(b->data, b->data + n, b->len - n);
    b->len -= n;
}
