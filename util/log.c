#include "util/log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "util/log_line.h"

static kelp_log_sink log_sink;
static void *log_sink_ctx;
static atomic_int log_level = KELP_LOG_INFO;
static atomic_int log_format = KELP_LOG_FORMAT_LOGFMT;

static const char *const level_names[] = {"error", "warn", "info", "debug"};

void kelp_log_set_sink(kelp_log_sink sink, void *ctx)
{
    log_sink = sink;
    log_sink_ctx = ctx;
}

void kelp_log_set_level(int level)
{
    atomic_store(&log_level, level);
}

int kelp_log_level(void)
{
    return atomic_load(&log_level);
}

void kelp_log_set_format(int format)
{
    atomic_store(&log_format, format);
}

int kelp_log_format(void)
{
    return atomic_load(&log_format);
}

int kelp_log_level_parse(const char *name)
{
    for (int i = 0; i < 4; i++)
        if (strcmp(name, level_names[i]) == 0)
            return i;
    return -1;
}

const char *kelp_log_level_name(int level)
{
    return level >= 0 && level < 4 ? level_names[level] : "unknown";
}

void kelp_log(int level, const char *component, const char *fmt, ...)
{
    if (level > atomic_load(&log_level))
        return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (log_sink) {
        log_sink(log_sink_ctx, level, component, msg);
        return;
    }
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    int64_t now_ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
    char line[KELP_LOG_LINE_MAX];
    size_t len = kelp_log_line(line, sizeof(line), atomic_load(&log_format), now_ms, kelp_log_level_name(level),
                               component, msg);
    /* One write per event keeps lines from different threads whole. */
    fwrite(line, 1, len, stderr);
}
