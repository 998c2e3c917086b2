/* The SeaweedFS filer backend of the storage file-system table: the same
 * paths as the local backend, kept on a filer through its HTTP API
 * (libcurl). Appends are held in memory and sent as one append per file
 * when the log syncs, so that every group commit is one filer chunk per
 * file and nothing is acknowledged before the filer confirmed it. */
#ifndef KELP_STORAGE_FS_FILER_H
#define KELP_STORAGE_FS_FILER_H

#include <stddef.h>
#include <stdint.h>

#include "storage/fs.h"

typedef struct kelp_filer_options {
    const char *url;          /* http://host:port */
    const char *root;         /* filer path that holds topics/kafka, e.g. "/" */
    const char *jwt;          /* bearer token, NULL or "" for none */
    int max_requests;         /* concurrent requests (connections kept open) */
    int timeout_ms;           /* one request's limit */
    int64_t read_cache_bytes; /* newest bytes of each appended file kept for reads */
    int64_t pending_max_bytes; /* appends waiting for the filer beyond this fail (-ENOSPC) */
} kelp_filer_options;

/* Checks that the filer answers (a listing of the root); NULL with a
 * message in err otherwise. */
kelp_fs *kelp_fs_filer_open(const kelp_filer_options *opt, char *err, size_t errlen);

#endif
