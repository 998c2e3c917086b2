/* How the local backend flushes a group commit's files: an fdatasync each,
 * or one syncfs for the whole file system. Which is cheaper depends on the
 * disk and on who else writes there: on an idle virtual disk one syncfs
 * beat four fdatasyncs by 3.5 times, but syncfs also waits for every other
 * writer's dirty data on the file system. So the policy measures both and
 * picks the one it expects to be faster for the round's file count,
 * trying the other now and then so that its estimate follows the disk. */
#ifndef KELP_STORAGE_FLUSH_POLICY_H
#define KELP_STORAGE_FLUSH_POLICY_H

#include <pthread.h>
#include <stddef.h>

typedef enum kelp_flush_method {
    KELP_FLUSH_EACH_FILE, /* fdatasync every file */
    KELP_FLUSH_WHOLE_FS,  /* one syncfs */
} kelp_flush_method;

/* One round in this many takes the method not expected to win; in the
 * slow interval when that method looks more than twice as slow, so that a
 * syncfs held up by other writers rarely stalls a round. */
#define KELP_FLUSH_PROBE_EVERY 32
#define KELP_FLUSH_PROBE_EVERY_SLOW 256

typedef struct kelp_flush_policy {
    pthread_mutex_t lock;
    double whole_fs_ms; /* moving average of one syncfs */
    double per_file_ms; /* moving average of a round of fdatasyncs, per file */
    unsigned rounds;    /* rounds since the last probe */
} kelp_flush_policy;

void kelp_flush_policy_init(kelp_flush_policy *p);
void kelp_flush_policy_destroy(kelp_flush_policy *p);
/* The method for a round of files files (at least one). */
kelp_flush_method kelp_flush_policy_pick(kelp_flush_policy *p, size_t files);
/* What a round of files files took with method m, in milliseconds. */
void kelp_flush_policy_record(kelp_flush_policy *p, kelp_flush_method m, size_t files, double ms);

#endif
