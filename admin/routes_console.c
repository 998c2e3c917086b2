/* GET /, /console, /console/ and /console/<file>: the web console, static
 * files embedded at build time (admin/console_assets.h). They obey the same
 * admin_auth as every other route; the page then calls the JSON routes and
 * GET /metrics from the browser with the same credentials. */
#include <stdlib.h>
#include <string.h>

#include "admin/console_assets.h"
#include "admin/routes.h"

#define CONSOLE_PREFIX "/console/"

static const char *content_type(const char *name)
{
    static const struct {
        const char *ext;
        const char *type;
    } types[] = {
        {".html", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".svg", "image/svg+xml"},
        {".json", "application/json"},
    };
    const char *dot = strrchr(name, '.');
    for (size_t i = 0; dot && i < sizeof(types) / sizeof(types[0]); i++)
        if (strcmp(dot, types[i].ext) == 0)
            return types[i].type;
    return "text/plain; charset=utf-8";
}

static void serve(const char *name, kelp_admin_response *resp)
{
    for (const kelp_console_asset *a = kelp_console_assets; a->name; a++) {
        if (strcmp(a->name, name) != 0)
            continue;
        /* Responses own a malloc'd body; the files are small. */
        char *body = malloc(a->len + 1);
        if (!body) {
            kelp_admin_respond_error(resp, 500, "out of memory");
            return;
        }
        memcpy(body, a->data, a->len + 1);
        resp->status = 200;
        resp->body = body;
        resp->content_type = content_type(name);
        return;
    }
    kelp_admin_respond_error(resp, 404, "no such console file");
}

static void get_index(const kelp_admin_request *req, kelp_admin_response *resp)
{
    serve("index.html", resp);
}

static void get_file(const kelp_admin_request *req, kelp_admin_response *resp)
{
    const char *name = req->path + strlen(CONSOLE_PREFIX);
    serve(*name ? name : "index.html", resp);
}

const kelp_admin_route kelp_admin_console_routes[] = {
    {"GET", "/", get_index},
    {"GET", "/console", get_index},
    {"GET", CONSOLE_PREFIX, get_file},
    {NULL, NULL, NULL},
};
