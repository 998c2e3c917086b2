#include "metrics/text_format.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"

static void put(kelp_buf *b, const char *s)
{
    kelp_buf_append(b, s, strlen(s));
}

/* Label values escape backslash, double quote and newline; HELP text only
 * backslash and newline (a quote is literal there). */
static void put_escaped(kelp_buf *b, const char *s, bool quotes)
{
    for (; *s; s++) {
        if (*s == '\\')
            put(b, "\\\\");
        else if (*s == '\n')
            put(b, "\\n");
        else if (*s == '"' && quotes)
            put(b, "\\\"");
        else
            kelp_buf_append(b, s, 1);
    }
}

/* Integers exactly, anything else in the fewest digits that read back
 * as the same double (so 0.0005 stays "0.0005"). */
static void format_number(char *out, size_t cap, double v)
{
    if (isnan(v)) {
        snprintf(out, cap, "NaN");
        return;
    }
    if (isinf(v)) {
        snprintf(out, cap, v > 0 ? "+Inf" : "-Inf");
        return;
    }
    if (v > -9007199254740992.0 && v < 9007199254740992.0 && (double)(int64_t)v == v) {
        snprintf(out, cap, "%lld", (long long)(int64_t)v);
        return;
    }
    for (int precision = 1; precision <= 17; precision++) {
        snprintf(out, cap, "%.*g", precision, v);
        if (strtod(out, NULL) == v)
            return;
    }
}

static void put_number(kelp_buf *b, double v)
{
    char num[40];
    format_number(num, sizeof(num), v);
    put(b, num);
}

/* {name="value",...}, with an optional le label last; nothing when empty. */
static void put_labels(kelp_buf *b, const kelp_metric_family *f, const kelp_metric_series *s, const char *le)
{
    if (f->label_count == 0 && !le)
        return;
    put(b, "{");
    for (size_t i = 0; i < f->label_count; i++) {
        if (i)
            put(b, ",");
        put(b, f->label_names[i]);
        put(b, "=\"");
        put_escaped(b, s->labels[i], true);
        put(b, "\"");
    }
    if (le) {
        put(b, f->label_count ? ",le=\"" : "le=\"");
        put(b, le);
        put(b, "\"");
    }
    put(b, "}");
}

static void put_sample(kelp_buf *b, const kelp_metric_family *f, const char *suffix, const kelp_metric_series *s,
                       const char *le, double value)
{
    put(b, f->name);
    put(b, suffix);
    put_labels(b, f, s, le);
    put(b, " ");
    put_number(b, value);
    put(b, "\n");
}

static void put_histogram(kelp_buf *b, const kelp_metric_family *f, const kelp_metric_series *s)
{
    uint64_t cumulative = 0;
    char le[40];
    for (size_t i = 0; i < f->bound_count; i++) {
        cumulative += s->buckets[i];
        format_number(le, sizeof(le), f->bounds[i]);
        put_sample(b, f, "_bucket", s, le, (double)cumulative);
    }
    cumulative += s->buckets[f->bound_count];
    put_sample(b, f, "_bucket", s, "+Inf", (double)cumulative);
    put_sample(b, f, "_sum", s, NULL, s->sum);
    put_sample(b, f, "_count", s, NULL, (double)cumulative);
}

static const char *type_name(kelp_metric_type t)
{
    switch (t) {
    case KELP_METRIC_COUNTER: return "counter";
    case KELP_METRIC_GAUGE: return "gauge";
    case KELP_METRIC_HISTOGRAM: return "histogram";
    }
    return "untyped";
}

char *kelp_metrics_render(const kelp_metrics_registry *r)
{
    if (r->failed)
        return NULL;
    kelp_buf b;
    kelp_buf_init(&b);
    for (const kelp_metric_family *f = r->first; f; f = f->next) {
        put(&b, "# HELP ");
        put(&b, f->name);
        put(&b, " ");
        put_escaped(&b, f->help, false);
        put(&b, "\n# TYPE ");
        put(&b, f->name);
        put(&b, " ");
        put(&b, type_name(f->type));
        put(&b, "\n");
        for (size_t i = 0; i < f->series_count; i++) {
            if (f->type == KELP_METRIC_HISTOGRAM)
                put_histogram(&b, f, &f->series[i]);
            else
                put_sample(&b, f, "", &f->series[i], NULL, f->series[i].value);
        }
    }
    kelp_buf_append(&b, "", 1);
    if (b.failed) {
        kelp_buf_free(&b);
        return NULL;
    }
    return (char *)b.data;
}
