/* GET /v1/groups and GET /v1/groups/<id>: consumer groups, their members
 * and assignments, committed offsets and lag. */
#include <string.h>

#include "admin/routes.h"

#define GROUPS_PREFIX "/v1/groups/"

static void answer(const kelp_admin_request *req, kelp_admin_response *resp, const char *group_id)
{
    if (!req->cb->groups_json) {
        kelp_admin_respond_error(resp, 500, "groups are not available");
        return;
    }
    unsigned status = 500;
    char *json = req->cb->groups_json(req->cb->ctx, group_id, &status);
    if (!json) {
        kelp_admin_respond_error(resp, status == 503 ? 503 : 500,
                                 status == 503 ? "the server is not running" : "cannot describe groups");
        return;
    }
    kelp_admin_respond_json(resp, status, json);
}

static void list_groups(const kelp_admin_request *req, kelp_admin_response *resp)
{
    answer(req, resp, NULL);
}

static void describe_group(const kelp_admin_request *req, kelp_admin_response *resp)
{
    const char *id = req->path + strlen(GROUPS_PREFIX);
    if (!*id) {
        answer(req, resp, NULL);
        return;
    }
    answer(req, resp, id);
}

const kelp_admin_route kelp_admin_groups_routes[] = {
    {"GET", "/v1/groups", list_groups},
    {"GET", GROUPS_PREFIX, describe_group},
    {NULL, NULL, NULL},
};
