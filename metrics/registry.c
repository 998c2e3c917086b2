#include "metrics/registry.h"

#include <stdlib.h>
#include <string.h>

void kelp_metrics_registry_init(kelp_metrics_registry *r)
{
    r->first = r->last = NULL;
    r->failed = false;
}

static void series_free(const kelp_metric_family *f, kelp_metric_series *s)
{
    for (size_t i = 0; i < f->label_count; i++)
        free(s->labels[i]);
    free(s->buckets);
}

void kelp_metrics_registry_free(kelp_metrics_registry *r)
{
    kelp_metric_family *f = r->first;
    while (f) {
        kelp_metric_family *next = f->next;
        for (size_t i = 0; i < f->series_count; i++)
            series_free(f, &f->series[i]);
        free(f->series);
        for (size_t i = 0; i < f->label_count; i++)
            free(f->label_names[i]);
        free(f->name);
        free(f->help);
        free(f);
        f = next;
    }
    kelp_metrics_registry_init(r);
}

static kelp_metric_family *family_new(kelp_metrics_registry *r, const char *name, const char *help,
                                      kelp_metric_type type, const char *const *label_names)
{
    if (r->failed)
        return NULL;
    kelp_metric_family *f = calloc(1, sizeof(*f));
    if (!f)
        goto fail;
    f->type = type;
    f->name = strdup(name);
    f->help = strdup(help ? help : "");
    bool ok = f->name && f->help;
    for (size_t i = 0; ok && label_names && label_names[i]; i++) {
        if (i == KELP_METRIC_MAX_LABELS)
            ok = false;
        else if (!(f->label_names[f->label_count++] = strdup(label_names[i])))
            ok = false;
    }
    /* Linked first, so that a half-built family is freed with the registry. */
    if (r->last)
        r->last->next = f;
    else
        r->first = f;
    r->last = f;
    if (!ok)
        goto fail;
    return f;
fail:
    r->failed = true;
    return NULL;
}

kelp_metric_family *kelp_metrics_family(kelp_metrics_registry *r, const char *name, const char *help,
                                        kelp_metric_type type, const char *const *label_names)
{
    if (type == KELP_METRIC_HISTOGRAM) {
        r->failed = true; /* a histogram needs its bounds */
        return NULL;
    }
    return family_new(r, name, help, type, label_names);
}

kelp_metric_family *kelp_metrics_histogram_family(kelp_metrics_registry *r, const char *name, const char *help,
                                                  const char *const *label_names, const double *bounds,
                                                  size_t bound_count)
{
    kelp_metric_family *f = family_new(r, name, help, KELP_METRIC_HISTOGRAM, label_names);
    if (f) {
        f->bounds = bounds;
        f->bound_count = bound_count;
    }
    return f;
}

static kelp_metric_series *series_new(kelp_metrics_registry *r, kelp_metric_family *f,
                                      const char *const *label_values)
{
    if (!f || r->failed)
        return NULL;
    if (f->series_count == f->series_cap) {
        size_t cap = f->series_cap ? f->series_cap * 2 : 8;
        kelp_metric_series *n = realloc(f->series, cap * sizeof(*n));
        if (!n)
            goto fail;
        f->series = n;
        f->series_cap = cap;
    }
    kelp_metric_series *s = &f->series[f->series_count];
    memset(s, 0, sizeof(*s));
    for (size_t i = 0; i < f->label_count; i++) {
        s->labels[i] = strdup(label_values && label_values[i] ? label_values[i] : "");
        if (!s->labels[i]) {
            series_free(f, s);
            goto fail;
        }
    }
    f->series_count++;
    return s;
fail:
    r->failed = true;
    return NULL;
}

void kelp_metrics_add(kelp_metrics_registry *r, kelp_metric_family *f, const char *const *label_values,
                      double value)
{
    if (f && f->type == KELP_METRIC_HISTOGRAM) {
        r->failed = true;
        return;
    }
    kelp_metric_series *s = series_new(r, f, label_values);
    if (s)
        s->value = value;
}

void kelp_metrics_add_histogram(kelp_metrics_registry *r, kelp_metric_family *f, const char *const *label_values,
                                const uint64_t *buckets, double sum)
{
    if (f && f->type != KELP_METRIC_HISTOGRAM) {
        r->failed = true;
        return;
    }
    kelp_metric_series *s = series_new(r, f, label_values);
    if (!s)
        return;
    s->buckets = malloc((f->bound_count + 1) * sizeof(*s->buckets));
    if (!s->buckets) {
        f->series_count--;
        series_free(f, s);
        r->failed = true;
        return;
    }
    memcpy(s->buckets, buckets, (f->bound_count + 1) * sizeof(*s->buckets));
    s->sum = sum;
}
