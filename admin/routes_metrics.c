/* GET /metrics: the Prometheus text exposition (format 0.0.4). */
#include <stdlib.h>

#include "admin/routes.h"
#include "metrics/text_format.h"

static void metrics(const kelp_admin_request *req, kelp_admin_response *resp)
{
    unsigned status = 500;
    char *text = req->cb->metrics_text ? req->cb->metrics_text(req->cb->ctx, &status) : NULL;
    if (!text) {
        kelp_admin_respond_error(resp, status == 503 ? 503 : 500,
                                 status == 503 ? "the server is not running" : "cannot render the metrics");
        return;
    }
    free(resp->body);
    resp->status = 200;
    resp->body = text;
    resp->content_type = KELP_METRICS_CONTENT_TYPE;
}

const kelp_admin_route kelp_admin_metrics_routes[] = {
    {"GET", "/metrics", metrics},
    {NULL, NULL, NULL},
};
