/* GET /healthz: answers as long as the admin thread runs. */
/* First: the generated config.h (angle brackets, so not module/config.h)
 * turns on the POSIX and GNU interfaces that -std=c11 hides. */
#include <config.h>

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
