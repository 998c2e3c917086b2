#include "util/log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

static kelp_log_sink log_sink;
static void *log_sink_ctx;
static atomic_int log_level = KELP_LOG_INFO;

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
    if (log_sink)
        log_sink(log_sink_ctx, level, component, msg);
    else
        fprintf(stderr, "level=%s component=%s %s\n", kelp_log_level_name(level), component, msg);
}
