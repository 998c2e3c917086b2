/* GET/POST /v1/topics, GET/DELETE /v1/topics/<name>: topics with their
 * partitions, offsets, sizes and configs; creation and deletion. GET
 * /v1/topics/<name>/producers: the producers its partitions know. */
#include <string.h>

#include "admin/routes.h"

#define TOPICS_PREFIX "/v1/topics/"
#define PRODUCERS_SUFFIX "/producers"

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

/* Topic names have no '/', so <name>/producers cannot be a topic. */
static void topic_producers(const kelp_admin_request *req, kelp_admin_response *resp, size_t name_len)
{
    char name[256];
    if (name_len >= sizeof(name)) {
        kelp_admin_respond_error(resp, 404, "no such topic");
        return;
    }
    memcpy(name, topic_name(req), name_len);
    name[name_len] = '\0';
    unsigned status = 500;
    char *json = req->cb->topic_producers ? req->cb->topic_producers(req->cb->ctx, name, &status) : NULL;
    answer(resp, json, status);
}

static void describe_topic(const kelp_admin_request *req, kelp_admin_response *resp)
{
    if (!*topic_name(req)) {
        list_topics(req, resp);
        return;
    }
    const char *slash = strchr(topic_name(req), '/');
    if (slash) {
        if (strcmp(slash, PRODUCERS_SUFFIX) == 0)
            topic_producers(req, resp, (size_t)(slash - topic_name(req)));
        else
            kelp_admin_respond_error(resp, 404, "no such endpoint");
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
