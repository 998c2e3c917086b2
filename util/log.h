/* Logging: one line per event with a level and a component. The host may
 * install a sink, which gets each event's parts; without one, events go to
 * stderr as lines in the current format (util/log_line.h): timestamp, level,
 * component and message in logfmt (the default) or JSON. */
#ifndef KELP_CORE_LOG_H
#define KELP_CORE_LOG_H

enum kelp_log_level { KELP_LOG_ERROR = 0, KELP_LOG_WARN = 1, KELP_LOG_INFO = 2, KELP_LOG_DEBUG = 3 };

typedef void (*kelp_log_sink)(void *ctx, int level, const char *component, const char *message);

void kelp_log_set_sink(kelp_log_sink sink, void *ctx);
void kelp_log_set_level(int level);
int kelp_log_level(void);
/* KELP_LOG_FORMAT_LOGFMT or KELP_LOG_FORMAT_JSON (util/log_line.h). */
void kelp_log_set_format(int format);
int kelp_log_format(void);
/* "error", "warn", "info", "debug" -> level; -1 when unknown. */
int kelp_log_level_parse(const char *name);
const char *kelp_log_level_name(int level);
void kelp_log(int level, const char *component, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define KELP_ERROR(comp, ...) kelp_log(KELP_LOG_ERROR, comp, __VA_ARGS__)
#define KELP_WARN(comp, ...) kelp_log(KELP_LOG_WARN, comp, __VA_ARGS__)
#define KELP_INFO(comp, ...) kelp_log(KELP_LOG_INFO, comp, __VA_ARGS__)
#define KELP_DEBUG(comp, ...) kelp_log(KELP_LOG_DEBUG, comp, __VA_ARGS__)

#endif
