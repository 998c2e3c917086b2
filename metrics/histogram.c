#include "metrics/histogram.h"

#include <time.h>

const double kelp_duration_buckets[KELP_DURATION_BUCKET_COUNT] = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
};

void kelp_duration_observe(kelp_duration_histogram *h, double seconds)
{
    size_t i = 0;
    while (i < KELP_DURATION_BUCKET_COUNT && seconds > kelp_duration_buckets[i])
        i++;
    h->buckets[i]++;
    h->sum += seconds;
}

uint64_t kelp_duration_count(const kelp_duration_histogram *h)
{
    uint64_t n = 0;
    for (size_t i = 0; i <= KELP_DURATION_BUCKET_COUNT; i++)
        n += h->buckets[i];
    return n;
}

int64_t kelp_metrics_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}
