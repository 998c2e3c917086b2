/* A connection's unsent output: encoded response bytes with ranges of files
 * spliced in between them. A fetch's stored batches travel as such ranges
 * and go from the page cache to the socket with sendfile, never through
 * user space. */
#ifndef KELP_NET_OUTPUT_H
#define KELP_NET_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/buf.h"

/* len bytes of the file fd at off, sent where the response's own bytes
 * reach position at (ranges sharing a position go in their order). The
 * descriptor is owned: closed once the range is sent or dropped, so a
 * segment removed meanwhile stays readable. */
typedef struct kelp_file_range {
    size_t at;
    int fd;
    uint64_t off;
    size_t len;
} kelp_file_range;

/* Closes the ranges' descriptors and frees the array. */
void kelp_file_ranges_free(kelp_file_range *ranges, size_t n);

/* Reads each range into bytes at its position (a TLS connection, which
 * must encrypt in user space); closes the descriptors and frees ranges
 * either way. False when a read or an allocation failed. */
bool kelp_file_ranges_inline(kelp_buf *bytes, kelp_file_range *ranges, size_t n);

typedef struct kelp_output {
    kelp_buf mem;
    size_t sent;             /* bytes of mem written */
    kelp_file_range *ranges; /* unsent: ranges[head .. head + count), at relative to mem */
    size_t head, count, cap;
    uint64_t range_bytes;    /* their bytes not yet written */
} kelp_output;

void kelp_output_init(kelp_output *o);
void kelp_output_free(kelp_output *o);
/* Bytes queued and not yet written. */
uint64_t kelp_output_pending(const kelp_output *o);
/* Queues one response: takes over bytes and ranges (positions relative to
 * the response's start). False when out of memory; both are dropped then. */
bool kelp_output_push(kelp_output *o, kelp_buf *bytes, kelp_file_range *ranges, size_t n);

/* Sends memory bytes; flags carries MSG_MORE when a file range follows.
 * Returns what send(2) returns. */
typedef ssize_t (*kelp_output_send_fn)(void *ctx, const void *p, size_t len, int flags);

/* Writes as much as the socket takes: memory through send_fn, file ranges
 * with sendfile to sock. Returns 1 when everything is out, 0 when the socket
 * would block, -1 on failure with errno set (EIO: a file ended before its
 * range did). *progress tells whether any byte went out. */
int kelp_output_flush(kelp_output *o, int sock, kelp_output_send_fn send_fn, void *ctx, bool *progress);

#endif
