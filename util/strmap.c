/* Open addressing keeps lookups to one cache-friendly array walk; deletion
 * shifts the following run back so no tombstones accumulate. */
#include "util/strmap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct kelp_strmap_slot {
    char *key; /* NULL: empty */
    size_t len;
    uint64_t hash;
    void *value;
};

static uint64_t hash_bytes(const void *key, size_t len)
{
    /* FNV-1a, then a final mix so that the low bits used for the index
     * depend on every input byte. */
    const unsigned char *p = key;
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return h;
}

void kelp_strmap_init(kelp_strmap *m)
{
    memset(m, 0, sizeof(*m));
}

void kelp_strmap_free(kelp_strmap *m)
{
    for (size_t i = 0; i < m->cap; i++)
        free(m->slots[i].key);
    free(m->slots);
    kelp_strmap_init(m);
}

static kelp_strmap_slot *find(const kelp_strmap *m, const void *key, size_t len, uint64_t h)
{
    if (m->cap == 0)
        return NULL;
    size_t mask = m->cap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        kelp_strmap_slot *s = &m->slots[i];
        if (!s->key)
            return NULL;
        if (s->hash == h && s->len == len && memcmp(s->key, key, len) == 0)
            return s;
    }
}

void *kelp_strmap_get(const kelp_strmap *m, const void *key, size_t len)
{
    kelp_strmap_slot *s = find(m, key, len, hash_bytes(key, len));
    return s ? s->value : NULL;
}

static void place(kelp_strmap_slot *slots, size_t cap, kelp_strmap_slot entry)
{
    size_t mask = cap - 1;
    size_t i = entry.hash & mask;
    while (slots[i].key)
        i = (i + 1) & mask;
    slots[i] = entry;
}

static int grow(kelp_strmap *m)
{
    size_t cap = m->cap ? m->cap * 2 : 16;
    kelp_strmap_slot *slots = calloc(cap, sizeof(*slots));
    if (!slots)
        return -1;
    for (size_t i = 0; i < m->cap; i++)
        if (m->slots[i].key)
            place(slots, cap, m->slots[i]);
    free(m->slots);
    m->slots = slots;
    m->cap = cap;
    return 0;
}

int kelp_strmap_put(kelp_strmap *m, const void *key, size_t len, void *value)
{
    uint64_t h = hash_bytes(key, len);
    kelp_strmap_slot *s = find(m, key, len, h);
    if (s) {
        s->value = value;
        return 0;
    }
    /* Keep the load factor under 3/4. */
    if ((m->count + 1) * 4 > m->cap * 3 && grow(m) != 0)
        return -1;
    char *copy = malloc(len + 1);
    if (!copy)
        return -1;
    memcpy(copy, key, len);
    copy[len] = '\0';
    place(m->slots, m->cap, (kelp_strmap_slot){.key = copy, .len = len, .hash = h, .value = value});
    m->count++;
    return 0;
}

void *kelp_strmap_remove(kelp_strmap *m, const void *key, size_t len)
{
    kelp_strmap_slot *s = find(m, key, len, hash_bytes(key, len));
    if (!s)
        return NULL;
    void *value = s->value;
    free(s->key);
    size_t mask = m->cap - 1;
    size_t hole = (size_t)(s - m->slots);
    m->slots[hole].key = NULL;
    m->count--;
    /* Backward-shift: move later entries of the run into the hole when
     * their home slot is at or before it (cyclically). */
    for (size_t i = (hole + 1) & mask; m->slots[i].key; i = (i + 1) & mask) {
        size_t home = m->slots[i].hash & mask;
        bool movable = hole <= i ? (home <= hole || home > i) : (home <= hole && home > i);
        if (movable) {
            m->slots[hole] = m->slots[i];
            m->slots[i].key = NULL;
            hole = i;
        }
    }
    return value;
}

bool kelp_strmap_next(const kelp_strmap *m, size_t *pos, const char **key, size_t *len, void **value)
{
    while (*pos < m->cap) {
        kelp_strmap_slot *s = &m->slots[(*pos)++];
        if (s->key) {
            if (key)
                *key = s->key;
            if (len)
                *len = s->len;
            if (value)
                *value = s->value;
            return true;
        }
    }
    return false;
}
