/* Who may use the HTTP endpoints (admin, schema registry): a request's
 * Authorization header checked against "admin_auth" (its bearer token and
 * its Basic users). Knows nothing of libmicrohttpd. */
#ifndef KELP_ADMIN_HTTP_AUTH_H
#define KELP_ADMIN_HTTP_AUTH_H

#include <stdbool.h>
#include <stddef.h>

#include "module/config.h"

/* Where an endpoint reads the settings for each request: a copy taken
 * under the module's configuration lock, so a change made at run time
 * applies from the next request on. get NULL: the endpoint is open. */
typedef struct kelp_http_auth_source {
    void *ctx;
    void (*get)(void *ctx, kelp_admin_auth_config *out);
} kelp_http_auth_source;

/* Longest Authorization header looked at; longer ones are refused. */
#define KELP_HTTP_AUTH_HEADER_MAX 8192

/* The realm the challenges name. */
#define KELP_HTTP_AUTH_REALM "kelp"

/* True when the settings ask for credentials: a bearer token, or Basic
 * users ("{}" is none). */
bool kelp_http_auth_enabled(const kelp_admin_auth_config *aa);

/* True when authorization (the Authorization header's value, NULL when the
 * request has none) is "Bearer <token>" with the configured token or
 * "Basic <base64 of user:password>" with a configured user's password;
 * always true when kelp_http_auth_enabled is false. Secrets are compared in
 * constant time, against every user, so the answer's timing tells nothing
 * about how much matched or which user exists. */
bool kelp_http_auth_check(const kelp_admin_auth_config *aa, const char *authorization);

/* The WWW-Authenticate values of a 401 (one per configured scheme, at most
 * two, static strings); returns how many. */
size_t kelp_http_auth_challenges(const kelp_admin_auth_config *aa, const char *out[2]);

#endif
