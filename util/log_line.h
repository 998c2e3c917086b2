/* One log event as one text line: timestamp, level, component, message, in
 * logfmt or as a JSON object. Pure functions with no state, so that kelpd
 * (which never links libkelpcore) writes exactly the module's lines. */
#ifndef KELP_CORE_LOG_LINE_H
#define KELP_CORE_LOG_LINE_H

#include <stddef.h>
#include <stdint.h>

enum kelp_log_format { KELP_LOG_FORMAT_LOGFMT = 0, KELP_LOG_FORMAT_JSON = 1 };

/* Big enough for a 1 KiB message escaped at its worst plus the other fields. */
#define KELP_LOG_LINE_MAX 8192

/* "logfmt" or "json" -> format; -1 when unknown. */
int kelp_log_format_parse(const char *name);
const char *kelp_log_format_name(int format);

/* Writes the event, ending in '\n', into buf (NUL-terminated) and returns
 * its length. time_ms is milliseconds since the epoch, printed as RFC 3339
 * UTC (2025-01-31T12:00:00.123Z). logfmt:
 *   level=info component=storage ts=... msg="text with spaces"
 * (level first, so that "^level=error" finds errors), a value quoted when it
 * is empty or holds spaces, '=', '"', '\' or other than printable ASCII and
 * valid UTF-8. JSON: {"ts":...,"level":...,"component":...,"msg":...}.
 * Bytes that are not valid UTF-8 become U+FFFD in JSON and \xHH in logfmt.
 * A line that does not fit loses the end of its message, never its
 * closing quote, brace or newline. buflen must be at least 128. */
size_t kelp_log_line(char *buf, size_t buflen, int format, int64_t time_ms, const char *level,
                     const char *component, const char *message);

#endif
