/* "host:port" as Kafka clients and operators write it: an IPv6 host (one
 * with a colon) goes in brackets, "[::1]:9092". */
#ifndef KELP_UTIL_HOST_PORT_H
#define KELP_UTIL_HOST_PORT_H

#include <stddef.h>

/* Writes host and port into out (truncated to cap - 1 bytes, always
 * terminated when cap > 0). */
void kelp_format_host_port(char *out, size_t cap, const char *host, unsigned port);

#endif
