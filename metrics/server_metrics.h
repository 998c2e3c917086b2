/* The counters a running server keeps between scrapes: connections,
 * requests by API key and version, request durations by API, and traffic
 * per topic. Everything else the exposition shows (offsets, sizes, groups)
 * is read from the broker's state when scraped. Loop thread only; the
 * request path indexes fixed arrays and never allocates. */
#ifndef KELP_METRICS_SERVER_METRICS_H
#define KELP_METRICS_SERVER_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "metrics/histogram.h"
#include "util/strmap.h"

/* API keys 0..87 and versions 0..31 cover every request Kafka defines;
 * anything outside is counted in the duration histogram of its key only
 * when the key fits. */
#define KELP_METRICS_API_KEYS 88
#define KELP_METRICS_API_VERSIONS 32

typedef struct kelp_topic_traffic {
    uint64_t bytes_in, records_in;   /* appended by Produce */
    uint64_t bytes_out, records_out; /* served by Fetch */
} kelp_topic_traffic;

typedef struct kelp_server_metrics {
    uint64_t connections_accepted, connections_closed;
    uint64_t requests[KELP_METRICS_API_KEYS][KELP_METRICS_API_VERSIONS];
    uint64_t request_errors[KELP_METRICS_API_KEYS][KELP_METRICS_API_VERSIONS];
    kelp_duration_histogram request_duration[KELP_METRICS_API_KEYS];
    kelp_strmap topics; /* topic name -> kelp_topic_traffic */
} kelp_server_metrics;

kelp_server_metrics *kelp_server_metrics_new(void);
void kelp_server_metrics_free(kelp_server_metrics *m);

/* One request answered (or dropped): counted, and its time since
 * received_ns observed. m may be NULL. */
void kelp_metrics_request_done(kelp_server_metrics *m, int16_t api_key, int16_t api_version, int64_t received_ns,
                               bool failed);

/* A topic's traffic counters, created on first use; NULL when m is NULL
 * or out of memory. Only call it for topics that exist, so the table
 * stays bounded by the catalogue. */
kelp_topic_traffic *kelp_metrics_topic(kelp_server_metrics *m, const char *name, size_t len);
/* A deleted topic's series go with it (a topic created again under the
 * same name starts from zero). */
void kelp_metrics_topic_forget(kelp_server_metrics *m, const char *name, size_t len);

#endif
