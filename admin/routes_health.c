/* GET /healthz: answers as long as the admin thread runs. */
#include <stdlib.h>
#include <string.h>

#include "admin/routes.h"

static void get_health(const kelp_admin_request *req, kelp_admin_response *resp)
{
    kelp_admin_respond_json(resp, 200, strdup("{\"status\":\"ok\"}"));
}

const kelp_admin_route kelp_admin_health_routes[] = {
    {"GET", "/healthz", get_health},
    {NULL, NULL, NULL},
};
