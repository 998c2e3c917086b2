#include "util/log_line.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static const char *const format_names[] = {"logfmt", "json"};

int kelp_log_format_parse(const char *name)
{
    for (int i = 0; i < 2; i++)
        if (strcmp(name, format_names[i]) == 0)
            return i;
    return -1;
}

const char *kelp_log_format_name(int format)
{
    return format >= 0 && format < 2 ? format_names[format] : "unknown";
}

/* Output with room kept back for the line's closing characters. */
typedef struct line_out {
    char *buf;
    size_t len;
    size_t limit; /* content stops here; the tail goes after */
    bool full;
} line_out;

static void put(line_out *out, const char *text, size_t len)
{
    if (out->full || len > out->limit - out->len) {
        out->full = true;
        return;
    }
    memcpy(out->buf + out->len, text, len);
    out->len += len;
}

static void puts_out(line_out *out, const char *text)
{
    put(out, text, strlen(text));
}

/* Length of the valid UTF-8 sequence at s (1-4), or 0 when it is not one.
 * Overlong forms, surrogates and code points past U+10FFFF are invalid. */
static size_t utf8_sequence(const unsigned char *s)
{
    if (s[0] < 0x80)
        return 1;
    size_t n;
    unsigned min;
    unsigned cp;
    if ((s[0] & 0xE0) == 0xC0) {
        n = 2, min = 0x80, cp = s[0] & 0x1F;
    } else if ((s[0] & 0xF0) == 0xE0) {
        n = 3, min = 0x800, cp = s[0] & 0x0F;
    } else if ((s[0] & 0xF8) == 0xF0) {
        n = 4, min = 0x10000, cp = s[0] & 0x07;
    } else {
        return 0;
    }
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0; /* also stops at the terminating NUL */
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n;
}

/* Whether a logfmt value must be quoted to read back as one value. */
static bool logfmt_needs_quotes(const char *value)
{
    if (!value[0])
        return true;
    for (const unsigned char *p = (const unsigned char *)value; *p; p++)
        if (*p <= ' ' || *p == '=' || *p == '"' || *p == '\\' || *p >= 0x7F)
            return true;
    return false;
}

/* The escape for c inside a quoted string (shared by JSON and logfmt), or
 * NULL when it stands for itself. */
static const char *short_escape(unsigned char c)
{
    switch (c) {
    case '"': return "\\\"";
    case '\\': return "\\\\";
    case '\n': return "\\n";
    case '\r': return "\\r";
    case '\t': return "\\t";
    default: return NULL;
    }
}

/* The inside of a quoted string: JSON escapes, or logfmt's \xHH for bytes
 * JSON would write as \u. */
static void put_escaped(line_out *out, const char *value, bool json)
{
    const unsigned char *p = (const unsigned char *)value;
    while (*p && !out->full) {
        const char *esc = short_escape(*p);
        size_t n = esc ? 0 : utf8_sequence(p);
        char hex[8];
        if (esc) {
            puts_out(out, esc);
            p++;
        } else if (*p < 0x20 || *p == 0x7F) {
            snprintf(hex, sizeof(hex), json ? "\\u%04x" : "\\x%02x", *p);
            puts_out(out, hex);
            p++;
        } else if (n > 0) {
            put(out, (const char *)p, n);
            p += n;
        } else {
            if (json)
                puts_out(out, "\\ufffd");
            else {
                snprintf(hex, sizeof(hex), "\\x%02x", *p);
                puts_out(out, hex);
            }
            p++;
        }
    }
}

/* Characters of the reserved tail: always fit, also after the content stopped. */
static void put_tail(line_out *out, const char *text)
{
    size_t len = strlen(text);
    memcpy(out->buf + out->len, text, len);
    out->len += len;
}

static void put_logfmt_value(line_out *out, const char *value)
{
    if (logfmt_needs_quotes(value)) {
        put(out, "\"", 1);
        put_escaped(out, value, false);
        put(out, "\"", 1);
    } else {
        puts_out(out, value);
    }
}

static void format_time(char *buf, size_t buflen, int64_t time_ms)
{
    time_t secs = (time_t)(time_ms / 1000);
    int millis = (int)(time_ms % 1000);
    if (millis < 0) {
        secs -= 1;
        millis += 1000;
    }
    struct tm tm;
    if (!gmtime_r(&secs, &tm)) {
        snprintf(buf, buflen, "1970-01-01T00:00:00.000Z");
        return;
    }
    snprintf(buf, buflen, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
             tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
}

size_t kelp_log_line(char *buf, size_t buflen, int format, int64_t time_ms, const char *level,
                     const char *component, const char *message)
{
    char ts[80]; /* the compiler cannot bound tm_year; real dates take 24 */
    format_time(ts, sizeof(ts), time_ms);
    level = level ? level : "info";
    component = component ? component : "-";
    message = message ? message : "";
    bool json = format == KELP_LOG_FORMAT_JSON;
    /* The tail: a closing quote, "}" and "\n", then the NUL. */
    line_out out = {.buf = buf, .len = 0, .limit = buflen - 4, .full = false};
    if (json) {
        puts_out(&out, "{\"ts\":\"");
        puts_out(&out, ts);
        puts_out(&out, "\",\"level\":\"");
        put_escaped(&out, level, true);
        puts_out(&out, "\",\"component\":\"");
        put_escaped(&out, component, true);
        puts_out(&out, "\",\"msg\":\"");
        put_escaped(&out, message, true);
        put_tail(&out, "\"}\n");
    } else {
        puts_out(&out, "level=");
        put_logfmt_value(&out, level);
        puts_out(&out, " component=");
        put_logfmt_value(&out, component);
        puts_out(&out, " ts=");
        puts_out(&out, ts);
        puts_out(&out, " msg=");
        if (logfmt_needs_quotes(message)) {
            puts_out(&out, "\"");
            put_escaped(&out, message, false);
            put_tail(&out, "\"\n");
        } else {
            puts_out(&out, message);
            put_tail(&out, "\n");
        }
    }
    buf[out.len] = '\0';
    return out.len;
}
