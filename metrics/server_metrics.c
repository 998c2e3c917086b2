#include "metrics/server_metrics.h"

#include <stdlib.h>

kelp_server_metrics *kelp_server_metrics_new(void)
{
    kelp_server_metrics *m = calloc(1, sizeof(*m));
    if (m)
        kelp_strmap_init(&m->topics);
    return m;
}

void kelp_server_metrics_free(kelp_server_metrics *m)
{
    if (!m)
        return;
    size_t pos = 0;
    void *value;
    while (kelp_strmap_next(&m->topics, &pos, NULL, NULL, &value))
        free(value);
    kelp_strmap_free(&m->topics);
    free(m);
}

void kelp_metrics_request_done(kelp_server_metrics *m, int16_t api_key, int16_t api_version, int64_t received_ns,
                               bool failed)
{
    if (!m || api_key < 0 || api_key >= KELP_METRICS_API_KEYS)
        return;
    if (api_version >= 0 && api_version < KELP_METRICS_API_VERSIONS) {
        m->requests[api_key][api_version]++;
        if (failed)
            m->request_errors[api_key][api_version]++;
    }
    int64_t elapsed = kelp_metrics_now_ns() - received_ns;
    kelp_duration_observe(&m->request_duration[api_key], elapsed > 0 ? (double)elapsed / 1e9 : 0.0);
}

kelp_topic_traffic *kelp_metrics_topic(kelp_server_metrics *m, const char *name, size_t len)
{
    if (!m)
        return NULL;
    kelp_topic_traffic *t = kelp_strmap_get(&m->topics, name, len);
    if (t)
        return t;
    t = calloc(1, sizeof(*t));
    if (t && kelp_strmap_put(&m->topics, name, len, t) != 0) {
        free(t);
        t = NULL;
    }
    return t;
}

void kelp_metrics_topic_forget(kelp_server_metrics *m, const char *name, size_t len)
{
    if (m)
        free(kelp_strmap_remove(&m->topics, name, len));
}

