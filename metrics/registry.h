/* A scrape's worth of metrics: families (name, help, type, label names)
 * each holding series (label values and a value, or histogram buckets).
 * Built from live state for one exposition and then freed, so it copies
 * every string it is given. An allocation failure marks the registry
 * failed; later additions are ignored and rendering refuses it. */
#ifndef KELP_METRICS_REGISTRY_H
#define KELP_METRICS_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KELP_METRIC_MAX_LABELS 4

typedef enum kelp_metric_type {
    KELP_METRIC_COUNTER,
    KELP_METRIC_GAUGE,
    KELP_METRIC_HISTOGRAM,
} kelp_metric_type;

typedef struct kelp_metric_series {
    char *labels[KELP_METRIC_MAX_LABELS]; /* values, as many as the family has names */
    double value;                         /* counters and gauges */
    /* Histograms: per-bucket (not cumulative) counts, one more than bounds
     * for the observations above every bound. */
    uint64_t *buckets;
    double sum;
} kelp_metric_series;

typedef struct kelp_metric_family {
    char *name;
    char *help;
    kelp_metric_type type;
    size_t label_count;
    char *label_names[KELP_METRIC_MAX_LABELS];
    const double *bounds; /* histograms: upper bounds, increasing */
    size_t bound_count;
    kelp_metric_series *series;
    size_t series_count, series_cap;
    struct kelp_metric_family *next;
} kelp_metric_family;

typedef struct kelp_metrics_registry {
    kelp_metric_family *first, *last; /* in the order they were added */
    bool failed;
} kelp_metrics_registry;

void kelp_metrics_registry_init(kelp_metrics_registry *r);
void kelp_metrics_registry_free(kelp_metrics_registry *r);

/* Adds a counter or gauge family; label_names is NULL-terminated (or NULL
 * for none). Returns NULL when out of memory (the registry is failed). */
kelp_metric_family *kelp_metrics_family(kelp_metrics_registry *r, const char *name, const char *help,
                                        kelp_metric_type type, const char *const *label_names);
/* A histogram family; bounds must outlive the registry. */
kelp_metric_family *kelp_metrics_histogram_family(kelp_metrics_registry *r, const char *name, const char *help,
                                                  const char *const *label_names, const double *bounds,
                                                  size_t bound_count);

/* Adds a series; label_values has the family's label count (NULL when it
 * has none). f may be NULL (its creation failed): nothing happens. */
void kelp_metrics_add(kelp_metrics_registry *r, kelp_metric_family *f, const char *const *label_values,
                      double value);
/* buckets: bound_count + 1 per-bucket counts, copied. */
void kelp_metrics_add_histogram(kelp_metrics_registry *r, kelp_metric_family *f, const char *const *label_values,
                                const uint64_t *buckets, double sum);

#endif
