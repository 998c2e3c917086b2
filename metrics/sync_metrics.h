/* Group-commit sync rounds, measured on the storage's sync thread and read
 * by scrapes on the loop thread, hence the lock. Process-wide: the sync
 * code has no handle back to the server that owns it. */
#ifndef KELP_METRICS_SYNC_METRICS_H
#define KELP_METRICS_SYNC_METRICS_H

#include <stdbool.h>
#include <stdint.h>

#include "metrics/histogram.h"

/* One round that synced something; failed: some file or directory sync of
 * it failed. */
void kelp_sync_metrics_round(double seconds, bool failed);
/* A consistent copy of the round durations and the failed-round count. */
void kelp_sync_metrics_snapshot(kelp_duration_histogram *durations, uint64_t *failures);

#endif
