#include "metrics/sync_metrics.h"

#include <pthread.h>

static pthread_mutex_t sync_lock = PTHREAD_MUTEX_INITIALIZER;
static kelp_duration_histogram sync_durations;
static uint64_t sync_failures;

void kelp_sync_metrics_round(double seconds, bool failed)
{
    pthread_mutex_lock(&sync_lock);
    kelp_duration_observe(&sync_durations, seconds);
    if (failed)
        sync_failures++;
    pthread_mutex_unlock(&sync_lock);
}

void kelp_sync_metrics_snapshot(kelp_duration_histogram *durations, uint64_t *failures)
{
    pthread_mutex_lock(&sync_lock);
    *durations = sync_durations;
    *failures = sync_failures;
    pthread_mutex_unlock(&sync_lock);
}
