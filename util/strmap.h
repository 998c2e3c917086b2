/* A hash map from byte-string keys to pointers (open addressing, linear
 * probing). Keys are copied; values belong to the caller. */
#ifndef KELP_UTIL_STRMAP_H
#define KELP_UTIL_STRMAP_H

#include <stdbool.h>
#include <stddef.h>

typedef struct kelp_strmap_slot kelp_strmap_slot;

typedef struct kelp_strmap {
    kelp_strmap_slot *slots;
    size_t cap;   /* a power of two, or 0 */
    size_t count;
} kelp_strmap;

void kelp_strmap_init(kelp_strmap *m);
/* Frees the keys and the table, not the values. */
void kelp_strmap_free(kelp_strmap *m);
void *kelp_strmap_get(const kelp_strmap *m, const void *key, size_t len);
/* Inserts or replaces; -1 when out of memory (the map is unchanged). */
int kelp_strmap_put(kelp_strmap *m, const void *key, size_t len, void *value);
/* Removes the key and returns its value (NULL when absent). */
void *kelp_strmap_remove(kelp_strmap *m, const void *key, size_t len);

/* Iteration: start with *pos = 0; false at the end. The map must not change
 * during a walk (remove after it, or restart). */
bool kelp_strmap_next(const kelp_strmap *m, size_t *pos, const char **key, size_t *len, void **value);

#endif
