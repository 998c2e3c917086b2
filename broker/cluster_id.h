#ifndef KELP_BROKER_CLUSTER_ID_H
#define KELP_BROKER_CLUSTER_ID_H

#include <stddef.h>

/* The cluster id Metadata reports: made once, kept in the data directory at
 * topics/kafka/.meta/cluster_id so that clients see the same cluster after a restart. */
int kelp_cluster_id_load(const char *data_dir, char *out, size_t outlen, char *err, size_t errlen);

#endif
