/* Lower-case hex, for bytes kept in JSON files (which hold only text). */
#ifndef KELP_UTIL_HEX_H
#define KELP_UTIL_HEX_H

#include <stddef.h>

/* A malloc'd NUL-terminated encoding of len bytes; NULL when out of memory. */
char *kelp_hex_encode(const void *data, size_t len);
/* Decodes text into a malloc'd buffer with a NUL after the *len bytes
 * (never NULL on success); NULL for odd lengths, other characters than
 * 0-9a-f, or no memory. */
char *kelp_hex_decode(const char *text, size_t *len);

#endif
