/* Region allocator: everything decoded from one request lives in one arena
 * and is released at once when the response has been written. */
#ifndef KELP_CORE_ARENA_H
#define KELP_CORE_ARENA_H

#include <stddef.h>

typedef struct kelp_arena_block kelp_arena_block;

typedef struct kelp_arena {
    kelp_arena_block *head;
    size_t block_size;
} kelp_arena;

void kelp_arena_init(kelp_arena *a, size_t block_size);
/* Zero-filled, 16-byte aligned memory; NULL when out of memory. */
void *kelp_arena_alloc(kelp_arena *a, size_t size);
/* Frees every block but the first, which is kept for reuse. */
void kelp_arena_reset(kelp_arena *a);
void kelp_arena_free(kelp_arena *a);

#endif
