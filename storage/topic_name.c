#include "storage/topic_name.h"

#include <string.h>

#include "storage/layout.h"

bool kelp_topic_name_valid(const char *name, size_t len)
{
    if (!name || len == 0 || len > KELP_TOPIC_NAME_MAX)
        return false;
    if ((len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.'))
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                  c == '_' || c == '-';
        if (!ok)
            return false;
    }
    return true;
}

bool kelp_topic_name_reserved(const char *name, size_t len)
{
    return len == strlen(KELP_LAYOUT_META_DIR) && memcmp(name, KELP_LAYOUT_META_DIR, len) == 0;
}
