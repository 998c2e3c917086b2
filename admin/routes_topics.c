/* GET/POST /v1/topics, GET/DELETE /v1/topics/<name>: topics with their
 * partitions, offsets, sizes and configs; creation and deletion. */
#include <string.h>

#include "admin/routes.h"

#define TOPICS_PREFIX "/v1/topics/"

static void answer(kelp_admin_response *resp, char *json, unsigned status)
{
    if (!json) {
        kelp_admin_respond_error(resp, status == 503 ? 503 : 500,
                                 status == 503 ? "the server is not running" : "cannot answer for topics");
        return;
    }
    kelp_admin_respond_json(resp, status, json);
}

static const char *topic_name(const kelp_admin_request *req)
{
    return req->path + strlen(TOPICS_PREFIX);
}

static void list_topics(const kelp_admin_request *req, kelp_admin_response *resp)
{
    unsigned status = 500;
    char *json = req->cb->topics_json ? req->cb->topics_json(req->cb->ctx, NULL, &status) : NULL;
    answer(resp, json, status);
}

static void create_topic(const kelp_admin_request *req, kelp_admin_response *resp)
{
    unsigned status = 500;
    char *json = req->cb->create_topic ? req->cb->create_topic(req->cb->ctx, req->body, &status) : NULL;
    answer(resp, json, status);
}

static void describe_topic(const kelp_admin_request *req, kelp_admin_response *resp)
{
    if (!*topic_name(req)) {
        list_topics(req, resp);
        return;
    }
    unsigned status = 500;
    char *json = req->cb->topics_json ? req->cb->topics_json(req->cb->ctx, topic_name(req), &status) : NULL;
    answer(resp, json, status);
}

static void delete_topic(const kelp_admin_request *req, kelp_admin_response *resp)
{
    if (!*topic_name(req)) {
        kelp_admin_respond_error(resp, 400, "name the topic: DELETE /v1/topics/<name>");
        return;
    }
    unsigned status = 500;
    char *json = req->cb->delete_topic ? req->cb->delete_topic(req->cb->ctx, topic_name(req), &status) : NULL;
    answer(resp, json, status);
}

const kelp_admin_route kelp_admin_topics_routes[] = {
    {"GET", "/v1/topics", list_topics},
    {"POST", "/v1/topics", create_topic},
    {"GET", TOPICS_PREFIX, describe_topic},
    {"DELETE", TOPICS_PREFIX, delete_topic},
    {NULL, NULL, NULL},
};
