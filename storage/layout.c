#include "storage/layout.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int format(char *out, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int format(char *out, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(out, cap, fmt, ap);
    va_end(ap);
    return n < 0 || (size_t)n >= cap ? -1 : 0;
}

int kelp_layout_topic_dir(char *out, size_t cap, const char *topic)
{
    return format(out, cap, "%s/%s", KELP_LAYOUT_TOPICS_DIR, topic);
}

int kelp_layout_topic_file(char *out, size_t cap, const char *topic)
{
    return format(out, cap, "%s/%s/%s", KELP_LAYOUT_TOPICS_DIR, topic, KELP_LAYOUT_TOPIC_FILE);
}

int kelp_layout_partition_dir(char *out, size_t cap, const char *topic, int32_t partition)
{
    return format(out, cap, "%s/%s/%" PRId32, KELP_LAYOUT_TOPICS_DIR, topic, partition);
}

int kelp_layout_segment_file(char *out, size_t cap, const char *partition_dir, int64_t base, const char *suffix)
{
    return format(out, cap, "%s/%020" PRId64 "%s", partition_dir, base, suffix);
}

int kelp_layout_parse_segment_name(const char *name, int64_t *base)
{
    size_t suffix = strlen(KELP_LAYOUT_LOG_SUFFIX);
    if (strlen(name) != KELP_LAYOUT_BASE_DIGITS + suffix ||
        strcmp(name + KELP_LAYOUT_BASE_DIGITS, KELP_LAYOUT_LOG_SUFFIX) != 0)
        return -1;
    uint64_t v = 0;
    for (int i = 0; i < KELP_LAYOUT_BASE_DIGITS; i++) {
        if (name[i] < '0' || name[i] > '9')
            return -1;
        if (v > (uint64_t)(INT64_MAX - 9) / 10)
            return -1;
        v = v * 10 + (uint64_t)(name[i] - '0');
    }
    *base = (int64_t)v;
    return 0;
}
