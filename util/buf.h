/* Growable byte buffer used for encoding responses and reading frames. */
#ifndef KELP_CORE_BUF_H
#define KELP_CORE_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct kelp_buf {
    uint8_t *data;
    size_t len;
    size_t cap;
    bool failed; /* set once an allocation failed; later appends are no-ops */
} kelp_buf;

void kelp_buf_init(kelp_buf *b);
void kelp_buf_free(kelp_buf *b);
bool kelp_buf_reserve(kelp_buf *b, size_t extra);
bool kelp_buf_append(kelp_buf *b, const void *data, size_t len);
/* Returns a pointer to len fresh bytes at the end, or NULL. */
uint8_t *kelp_buf_extend(kelp_buf *b, size_t len);
/* Drops the first n bytes. */
void kelp_buf_consume(kelp_buf *b, size_t n);
static inline void kelp_buf_clear(kelp_buf *b) { b->len = 0; b->failed = false; }

#endif
