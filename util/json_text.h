/* A JSON document as the text of a state file. */
#ifndef KELP_UTIL_JSON_TEXT_H
#define KELP_UTIL_JSON_TEXT_H

#include <cjson/cJSON.h>

#include "util/buf.h"

/* Appends root printed compactly and a newline to out, then frees root
 * (NULL, as a failed build leaves it, is an error). 0, or -1. */
int kelp_json_text_append(cJSON *root, kelp_buf *out);

#endif
