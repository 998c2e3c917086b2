/* Request frames: the buffers that hold one whole request from its
 * connection until the request is answered. Large ones are recycled,
 * because a fresh page costs a fault on first touch, and on virtual
 * machines that hand freed memory back to their host that fault is paid
 * again every time glibc returns a freed buffer to the system. Kept
 * buffers stay backed, so the next large request is received into memory
 * that is already there.
 *
 * Every frame that connection.c hands to a handler comes from here and is
 * given back with kelp_frame_free (never free). Any thread may call these. */
#ifndef KELP_NET_FRAME_POOL_H
#define KELP_NET_FRAME_POOL_H

#include <stddef.h>
#include <stdint.h>

/* Frames below this size are plain allocations, never kept. */
#define KELP_FRAME_POOL_MIN (64 * 1024)
/* Most bytes of free frames kept for reuse. */
#define KELP_FRAME_POOL_MAX_BYTES (64 * 1024 * 1024)

/* A buffer of at least cap bytes; NULL when out of memory. */
uint8_t *kelp_frame_alloc(size_t cap);
/* Room for at least cap bytes, keeping the first used bytes; the frame is
 * unchanged and NULL is returned when out of memory. */
uint8_t *kelp_frame_grow(uint8_t *frame, size_t used, size_t cap);
/* How many bytes the frame can hold. */
size_t kelp_frame_capacity(const uint8_t *frame);
/* Gives a frame back; NULL is ignored. */
void kelp_frame_free(uint8_t *frame);
/* Bytes of free frames now kept. */
size_t kelp_frame_pool_bytes(void);
/* Releases every kept frame (module unload, tests). */
void kelp_frame_pool_drain(void);

#endif
