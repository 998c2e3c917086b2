#include "util/arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct kelp_arena_block {
    kelp_arena_block *next;
    size_t size;
    size_t used;
    _Alignas(16) unsigned char data[];
};

void kelp_arena_init(kelp_arena *a, size_t block_size)
{
    a->head = NULL;
    a->block_size = block_size ? block_size : 16384;
}

static kelp_arena_block *block_new(size_t size)
{
    kelp_arena_block *b = malloc(sizeof(*b) + size);
    if (!b)
        return NULL;
    b->next = NULL;
    b->size = size;
    b->used = 0;
    return b;
}

void *kelp_arena_alloc(kelp_arena *a, size_t size)
{
    size_t need = (size + 15u) & ~(size_t)15u;
    if (need < size)
        return NULL;
    kelp_arena_block *b = a->head;
    if (!b || b->size - b->used < need) {
        size_t bsize = need > a->block_size ? need : a->block_size;
        b = block_new(bsize);
        if (!b)
            return NULL;
        b->next = a->head;
        a->head = b;
    }
    void *p = b->data + b->used;
    b->used += need;
    memset(p, 0, size);
    return p;
}

void kelp_arena_reset(kelp_arena *a)
{
    kelp_arena_block *b = a->head;
    if (!b)
        return;
    /* Keep the oldest block (the last in the list): it is the common size. */
    while (b->next) {
        kelp_arena_block *next = b->next;
        free(b);
        b = next;
    }
    b->used = 0;
    a->head = b;
}

void kelp_arena_free(kelp_arena *a)
{
    kelp_arena_block *b = a->head;
    while (b) {
        kelp_arena_block *next = b->next;
        free(b);
        b = next;
    }
    a->head = NULL;
}
