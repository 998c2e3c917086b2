/* GET and PUT /v1/config: the running configuration, and run-time changes
 * to it (validated by the module; a refused change changes nothing). */
#include <stdio.h>

#include "admin/routes.h"

static void get_config(const kelp_admin_request *req, kelp_admin_response *resp)
{
    kelp_admin_respond_json(resp, 200, req->cb->get_config ? req->cb->get_config(req->cb->ctx) : NULL);
}

static void put_config(const kelp_admin_request *req, kelp_admin_response *resp)
{
    if (!req->cb->apply_config) {
        kelp_admin_respond_error(resp, 500, "configuration changes are not available");
        return;
    }
    char err[512] = "";
    if (req->cb->apply_config(req->cb->ctx, req->body, err, sizeof(err)) != 0) {
        kelp_admin_respond_error(resp, 400, err[0] ? err : "configuration refused");
        return;
    }
    get_config(req, resp);
}

const kelp_admin_route kelp_admin_config_routes[] = {
    {"GET", "/v1/config", get_config},
    {"PUT", "/v1/config", put_config},
    {NULL, NULL, NULL},
};
