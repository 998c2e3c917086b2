/* The Prometheus text exposition format, version 0.0.4: HELP and TYPE
 * lines, then one line per sample; histograms as cumulative _bucket
 * series (with le="+Inf"), _sum and _count. */
#ifndef KELP_METRICS_TEXT_FORMAT_H
#define KELP_METRICS_TEXT_FORMAT_H

#include "metrics/registry.h"

#define KELP_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* The exposition as malloc'd NUL-terminated text; NULL when out of memory
 * or when the registry failed while it was built. */
char *kelp_metrics_render(const kelp_metrics_registry *r);

#endif
