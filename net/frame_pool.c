/* Size classes of powers of two from KELP_FRAME_POOL_MIN up, each a LIFO
 * list, so the buffer given out is the one most recently used and still
 * in the cache. A frame growing within its class costs nothing, which is
 * what a request arriving in pieces mostly does. */
#include "net/frame_pool.h"

#include <pthread.h>
#include <stdalign.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Kept frames are poisoned under AddressSanitizer, so a use after
 * kelp_frame_free is still reported. */
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define KEPT(h) ASAN_POISON_MEMORY_REGION(frame_of(h), (h)->capacity)
#define REUSED(h) ASAN_UNPOISON_MEMORY_REGION(frame_of(h), (h)->capacity)
#else
#define KEPT(h) ((void)(h))
#define REUSED(h) ((void)(h))
#endif

/* Classes up to 2^(MIN_SHIFT + CLASS_COUNT - 1) bytes: 64 KiB to 2 GiB. */
#define MIN_SHIFT 16
#define CLASS_COUNT 16
#define SMALL_CLASS (-1)

/* In front of every frame. Its size keeps the frame aligned for any type. */
typedef struct frame_header {
    alignas(max_align_t) size_t capacity;
    int size_class; /* SMALL_CLASS: a plain allocation of capacity bytes */
    struct frame_header *next; /* while kept */
} frame_header;

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static frame_header *pool_free[CLASS_COUNT];
static size_t pool_bytes;

static frame_header *header_of(const uint8_t *frame) { return (frame_header *)(void *)(frame - sizeof(frame_header)); }
static uint8_t *frame_of(frame_header *h) { return (uint8_t *)h + sizeof(frame_header); }

/* The class holding cap bytes, or SMALL_CLASS below the pool's floor or
 * above its largest class. */
static int class_for(size_t cap)
{
    if (cap < KELP_FRAME_POOL_MIN)
        return SMALL_CLASS;
    for (int k = 0; k < CLASS_COUNT; k++)
        if (cap <= (size_t)1 << (MIN_SHIFT + k))
            return k;
    return SMALL_CLASS;
}

static frame_header *take_kept(int k)
{
    pthread_mutex_lock(&pool_lock);
    frame_header *h = pool_free[k];
    if (h) {
        pool_free[k] = h->next;
        pool_bytes -= h->capacity;
        REUSED(h);
    }
    pthread_mutex_unlock(&pool_lock);
    return h;
}

uint8_t *kelp_frame_alloc(size_t cap)
{
    int k = class_for(cap);
    frame_header *h = k == SMALL_CLASS ? NULL : take_kept(k);
    if (!h) {
        size_t capacity = k == SMALL_CLASS ? cap : (size_t)1 << (MIN_SHIFT + k);
        if (capacity > SIZE_MAX - sizeof(frame_header))
            return NULL;
        h = malloc(sizeof(frame_header) + capacity);
        if (!h)
            return NULL;
        h->capacity = capacity;
        h->size_class = k;
    }
    h->next = NULL;
    return frame_of(h);
}

size_t kelp_frame_capacity(const uint8_t *frame) { return header_of(frame)->capacity; }

uint8_t *kelp_frame_grow(uint8_t *frame, size_t used, size_t cap)
{
    if (!frame)
        return kelp_frame_alloc(cap);
    frame_header *h = header_of(frame);
    if (cap <= h->capacity)
        return frame;
    uint8_t *grown = kelp_frame_alloc(cap);
    if (!grown)
        return NULL;
    memcpy(grown, frame, used < h->capacity ? used : h->capacity);
    kelp_frame_free(frame);
    return grown;
}

void kelp_frame_free(uint8_t *frame)
{
    if (!frame)
        return;
    frame_header *h = header_of(frame);
    if (h->size_class != SMALL_CLASS) {
        pthread_mutex_lock(&pool_lock);
        bool keep = pool_bytes + h->capacity <= KELP_FRAME_POOL_MAX_BYTES;
        if (keep) {
            h->next = pool_free[h->size_class];
            pool_free[h->size_class] = h;
            pool_bytes += h->capacity;
            KEPT(h);
        }
        pthread_mutex_unlock(&pool_lock);
        if (keep)
            return;
    }
    free(h);
}

size_t kelp_frame_pool_bytes(void)
{
    pthread_mutex_lock(&pool_lock);
    size_t n = pool_bytes;
    pthread_mutex_unlock(&pool_lock);
    return n;
}

void kelp_frame_pool_drain(void)
{
    pthread_mutex_lock(&pool_lock);
    for (int k = 0; k < CLASS_COUNT; k++) {
        while (pool_free[k]) {
            frame_header *h = pool_free[k];
            pool_free[k] = h->next;
            REUSED(h);
            free(h);
        }
    }
    pool_bytes = 0;
    pthread_mutex_unlock(&pool_lock);
}
