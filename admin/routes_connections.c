/* /v1/drain: before maintenance, an operator sends clients elsewhere.
 * POST starts the drain (202), DELETE ends it, GET shows how many
 * connections are still open. GET /v1/listeners: the Kafka listeners as
 * bound, with their connections. */
#include "admin/routes.h"

static void drain(const kelp_admin_request *req, kelp_admin_response *resp, int action)
{
    unsigned status = 500;
    char *json = req->cb->drain ? req->cb->drain(req->cb->ctx, action, &status) : NULL;
    if (!json) {
        kelp_admin_respond_error(resp, status == 503 ? 503 : 500,
                                 status == 503 ? "the server is not running" : "cannot drain");
        return;
    }
    kelp_admin_respond_json(resp, status, json);
}

static void drain_status(const kelp_admin_request *req, kelp_admin_response *resp) { drain(req, resp, 0); }
static void drain_start(const kelp_admin_request *req, kelp_admin_response *resp) { drain(req, resp, 1); }
static void drain_end(const kelp_admin_request *req, kelp_admin_response *resp) { drain(req, resp, -1); }

static void listeners(const kelp_admin_request *req, kelp_admin_response *resp)
{
    unsigned status = 500;
    char *json = req->cb->listeners_json ? req->cb->listeners_json(req->cb->ctx, &status) : NULL;
    if (!json) {
        kelp_admin_respond_error(resp, status == 503 ? 503 : 500,
                                 status == 503 ? "the server is not running" : "cannot list the listeners");
        return;
    }
    kelp_admin_respond_json(resp, status, json);
}

const kelp_admin_route kelp_admin_connections_routes[] = {
    {"GET", "/v1/listeners", listeners},
    {"GET", "/v1/drain", drain_status},
    {"POST", "/v1/drain", drain_start},
    {"DELETE", "/v1/drain", drain_end},
    {NULL, NULL, NULL},
};
