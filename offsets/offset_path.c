#include "offsets/offset_path.h"

#include <stdio.h>
#include <string.h>

static bool safe_byte(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
}

int kelp_group_dir_encode(const char *group, size_t len, char out[KELP_GROUP_DIR_MAX + 1])
{
    static const char hex[] = "0123456789ABCDEF";
    if (len == 0) {
        strcpy(out, "%");
        return 0;
    }
    /* "." and ".." are not names a directory can have. */
    bool dots = (len == 1 && group[0] == '.') || (len == 2 && group[0] == '.' && group[1] == '.');
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)group[i];
        if (safe_byte(c) && !dots) {
            if (n + 1 > KELP_GROUP_DIR_MAX)
                return -1;
            out[n++] = (char)c;
        } else {
            if (n + 3 > KELP_GROUP_DIR_MAX)
                return -1;
            out[n++] = '%';
            out[n++] = hex[c >> 4];
            out[n++] = hex[c & 15];
        }
    }
    out[n] = '\0';
    return 0;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

bool kelp_group_dir_decode(const char *name, char *out, size_t cap, size_t *len)
{
    if (strcmp(name, "%") == 0) {
        if (cap < 1)
            return false;
        out[0] = '\0';
        *len = 0;
        return true;
    }
    size_t n = 0;
    for (const char *p = name; *p; p++) {
        int c = (unsigned char)*p;
        if (c == '%') {
            int hi = hex_value(p[1]), lo = hi < 0 ? -1 : hex_value(p[2]);
            if (hi < 0 || lo < 0)
                return false;
            c = hi << 4 | lo;
            p += 2;
        } else if (!safe_byte((unsigned char)c)) {
            return false;
        }
        if (n + 1 >= cap)
            return false;
        out[n++] = (char)c;
    }
    if (n == 0)
        return false;
    out[n] = '\0';
    *len = n;
    /* Only the canonical encoding is accepted, so one id has one directory. */
    char again[KELP_GROUP_DIR_MAX + 1];
    return kelp_group_dir_encode(out, n, again) == 0 && strcmp(again, name) == 0;
}

static int fits(int n, size_t cap)
{
    return n >= 0 && (size_t)n < cap ? 0 : -1;
}

int kelp_offset_group_dir(char *out, size_t cap, const char *group, size_t glen)
{
    char enc[KELP_GROUP_DIR_MAX + 1];
    if (kelp_group_dir_encode(group, glen, enc) != 0)
        return -1;
    return fits(snprintf(out, cap, "%s/%s", KELP_OFFSETS_ROOT, enc), cap);
}

int kelp_offset_partition_dir(char *out, size_t cap, const char *group, size_t glen, const char *topic,
                              int32_t partition)
{
    char enc[KELP_GROUP_DIR_MAX + 1];
    if (kelp_group_dir_encode(group, glen, enc) != 0)
        return -1;
    return fits(snprintf(out, cap, "%s/%s/%s/%d", KELP_OFFSETS_ROOT, enc, topic, (int)partition), cap);
}

int kelp_offset_file_path(char *out, size_t cap, const char *group, size_t glen, const char *topic,
                          int32_t partition)
{
    char enc[KELP_GROUP_DIR_MAX + 1];
    if (kelp_group_dir_encode(group, glen, enc) != 0)
        return -1;
    return fits(snprintf(out, cap, "%s/%s/%s/%d/%s", KELP_OFFSETS_ROOT, enc, topic, (int)partition,
                         KELP_OFFSET_FILE),
                cap);
}

int kelp_group_metadata_dir(char *out, size_t cap, const char *group, size_t glen)
{
    char enc[KELP_GROUP_DIR_MAX + 1];
    if (kelp_group_dir_encode(group, glen, enc) != 0)
        return -1;
    return fits(snprintf(out, cap, "%s/%s", KELP_GROUPS_ROOT, enc), cap);
}

int kelp_group_metadata_path(char *out, size_t cap, const char *group, size_t glen)
{
    char enc[KELP_GROUP_DIR_MAX + 1];
    if (kelp_group_dir_encode(group, glen, enc) != 0)
        return -1;
    return fits(snprintf(out, cap, "%s/%s/%s", KELP_GROUPS_ROOT, enc, KELP_GROUP_FILE), cap);
}
