/* A JSON document as the text of a state file. */
#ifndef KELP_UTIL_JSON_TEXT_H
#define KELP_UTIL_JSON_TEXT_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "util/buf.h"

/* Appends root printed compactly and a newline to out, then frees root
 * (NULL, as a failed build leaves it, is an error). 0, or -1. */
int kelp_json_text_append(cJSON *root, kelp_buf *out);

/* A whole number in [min, max] under name in the object o: false when it
 * is missing, not a number, fractional or out of range (a cast of such a
 * double would be undefined), and *out is then left alone. */
bool kelp_json_get_int64(const cJSON *o, const char *name, int64_t min, int64_t max, int64_t *out);

#endif
