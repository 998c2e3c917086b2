/* The admin route table: each route group (a routes_*.c file) exports an
 * array of routes ending with a zeroed entry, and admin_http.c lists the
 * groups. A route matches a method and a path: the path exactly, or any
 * path below it when the route path ends with '/' (and that path itself;
 * "/" alone is exact). */
#ifndef KELP_ADMIN_ROUTES_H
#define KELP_ADMIN_ROUTES_H

#include <stddef.h>

#include "admin/admin_http.h"

typedef struct kelp_admin_request {
    const char *method;
    const char *path;
    const char *body; /* NUL-terminated; "" when the request has none */
    size_t body_len;
    const kelp_admin_callbacks *cb;
} kelp_admin_request;

typedef struct kelp_admin_response {
    unsigned status;
    char *body;               /* malloc'd text: JSON unless content_type says otherwise */
    const char *content_type; /* a static string; NULL: application/json */
} kelp_admin_response;

typedef void (*kelp_admin_handler)(const kelp_admin_request *req, kelp_admin_response *resp);

typedef struct kelp_admin_route {
    const char *method;
    const char *path;
    kelp_admin_handler handler;
} kelp_admin_route;

/* Sets a response to {"error": message}. */
void kelp_admin_respond_error(kelp_admin_response *resp, unsigned status, const char *message);
/* Sets a response to JSON text the caller malloc'd (ownership moves);
 * NULL turns into a 500 error. */
void kelp_admin_respond_json(kelp_admin_response *resp, unsigned status, char *json);

/* Route groups. */
extern const kelp_admin_route kelp_admin_health_routes[];
extern const kelp_admin_route kelp_admin_config_routes[];
extern const kelp_admin_route kelp_admin_groups_routes[];
extern const kelp_admin_route kelp_admin_topics_routes[];
extern const kelp_admin_route kelp_admin_metrics_routes[];
extern const kelp_admin_route kelp_admin_connections_routes[];
extern const kelp_admin_route kelp_admin_console_routes[];

#endif
