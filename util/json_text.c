#include "util/json_text.h"

#include <stdlib.h>
#include <string.h>

int kelp_json_text_append(cJSON *root, kelp_buf *out)
{
    char *text = root ? cJSON_PrintUnformatted(root) : NULL;
    cJSON_Delete(root);
    if (!text)
        return -1;
    bool ok = kelp_buf_append(out, text, strlen(text)) && kelp_buf_append(out, "\n", 1);
    free(text);
    return ok ? 0 : -1;
}

bool kelp_json_get_int64(const cJSON *o, const char *name, int64_t min, int64_t max, int64_t *out)
{
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(o, name);
    /* Compared as doubles first: 2^63 and beyond never reach the cast. */
    if (!cJSON_IsNumber(n) || !(n->valuedouble >= (double)min) || !(n->valuedouble <= (double)max) ||
        n->valuedouble >= 9223372036854775808.0)
        return false;
    int64_t v = (int64_t)n->valuedouble;
    if ((double)v != n->valuedouble)
        return false;
    *out = v;
    return true;
}
