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
