#ifndef KELP_BROKER_CLUSTER_ID_H
#define KELP_BROKER_CLUSTER_ID_H

#include <stddef.h>

#include "storage/fs.h"

/* The cluster id Metadata reports: made once and kept under the filer root
 * at topics/kafka/.meta/cluster_id, so clients see the same cluster after a
 * restart (and on any host that serves the same filer). */
int kelp_cluster_id_load(kelp_fs *fs, char *out, size_t outlen, char *err, size_t errlen);

#endif
