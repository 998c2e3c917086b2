#include "storage/flush_policy.h"

/* Starting estimates, from an idle virtual disk: four files took 1.5 ms
 * one by one and 0.9 ms with one syncfs (so syncfs wins from three files on
 * until measured otherwise). */
#define START_WHOLE_FS_MS 0.9
#define START_PER_FILE_MS 0.375
/* Weight of a new measurement in the moving averages. */
#define NEW_WEIGHT 0.125

void kelp_flush_policy_init(kelp_flush_policy *p)
{
    pthread_mutex_init(&p->lock, NULL);
    p->whole_fs_ms = START_WHOLE_FS_MS;
    p->per_file_ms = START_PER_FILE_MS;
    p->rounds = 0;
}

void kelp_flush_policy_destroy(kelp_flush_policy *p) { pthread_mutex_destroy(&p->lock); }

kelp_flush_method kelp_flush_policy_pick(kelp_flush_policy *p, size_t files)
{
    pthread_mutex_lock(&p->lock);
    double each = (double)files * p->per_file_ms, whole = p->whole_fs_ms;
    kelp_flush_method best = each <= whole ? KELP_FLUSH_EACH_FILE : KELP_FLUSH_WHOLE_FS;
    double loser_ratio = each <= whole ? whole / each : each / whole;
    unsigned interval = loser_ratio > 2 ? KELP_FLUSH_PROBE_EVERY_SLOW : KELP_FLUSH_PROBE_EVERY;
    /* A single file never needs the whole file system, and probing syncfs
     * with it would make one writer wait for every other. */
    if (files <= 1)
        best = KELP_FLUSH_EACH_FILE;
    else if (++p->rounds >= interval) {
        p->rounds = 0;
        best = best == KELP_FLUSH_EACH_FILE ? KELP_FLUSH_WHOLE_FS : KELP_FLUSH_EACH_FILE;
    }
    pthread_mutex_unlock(&p->lock);
    return best;
}

void kelp_flush_policy_record(kelp_flush_policy *p, kelp_flush_method m, size_t files, double ms)
{
    if (files == 0 || ms < 0)
        return;
    pthread_mutex_lock(&p->lock);
    if (m == KELP_FLUSH_WHOLE_FS)
        p->whole_fs_ms += NEW_WEIGHT * (ms - p->whole_fs_ms);
    else if (files > 1) /* a lone file's flush says little about a round's */
        p->per_file_ms += NEW_WEIGHT * (ms / (double)files - p->per_file_ms);
    pthread_mutex_unlock(&p->lock);
}
