/* Fixed-bucket histograms of durations in seconds. Buckets are counted
 * one by one (not cumulatively) so an observation touches one slot; the
 * renderer makes them cumulative. Not synchronised: the owner decides. */
#ifndef KELP_METRICS_HISTOGRAM_H
#define KELP_METRICS_HISTOGRAM_H

#include <stddef.h>
#include <stdint.h>

/* Upper bounds from 0.5 ms to 10 s, for request and sync durations. */
#define KELP_DURATION_BUCKET_COUNT 14
extern const double kelp_duration_buckets[KELP_DURATION_BUCKET_COUNT];

typedef struct kelp_duration_histogram {
    uint64_t buckets[KELP_DURATION_BUCKET_COUNT + 1]; /* the last one is above every bound (+Inf) */
    double sum;
} kelp_duration_histogram;

void kelp_duration_observe(kelp_duration_histogram *h, double seconds);
/* Observations so far (the +Inf bucket's cumulative value). */
uint64_t kelp_duration_count(const kelp_duration_histogram *h);

/* Monotonic nanoseconds, for measuring durations. */
int64_t kelp_metrics_now_ns(void);

#endif
