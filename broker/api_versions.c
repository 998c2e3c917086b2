/* ApiVersions: the versions of every API this broker serves. */
#include <stdbool.h>
#include <string.h>

#include "broker/broker.h"
#include "protocol/generated/kafka_messages.h"
#include "protocol/kafka_errors.h"

/* Kafka's rule for client software names and versions:
 * [a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])? */
static bool software_field_valid(kw_str s)
{
    if (s.len <= 0)
        return false;
    for (int32_t i = 0; i < s.len; i++) {
        char c = s.ptr[i];
        bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        bool inner = c == '-' || c == '.';
        if (!alnum && !(inner && i > 0 && i < s.len - 1))
            return false;
    }
    return true;
}

static void respond(kelp_request *req, int16_t error_code)
{
    size_t count;
    const kelp_api *apis = kelp_broker_apis(&count);
    kafka_ApiVersionsResponse resp;
    kafka_ApiVersionsResponse_init(&resp);
    resp.error_code = error_code;
    resp.api_keys = kelp_arena_alloc(&req->arena, count * sizeof(*resp.api_keys));
    if (!resp.api_keys)
        count = 0;
    resp.api_keys_count = (int32_t)count;
    for (size_t i = 0; i < count; i++) {
        kafka_ApiVersionsResponse_ApiVersion_init(&resp.api_keys[i]);
        resp.api_keys[i].api_key = apis[i].api_key;
        resp.api_keys[i].min_version = apis[i].min_version;
        resp.api_keys[i].max_version = apis[i].max_version;
    }
    KELP_RESPOND(req, ApiVersionsResponse, &resp);
}

int kelp_handle_api_versions(kelp_broker *b, kelp_request *req)
{
    kafka_ApiVersionsRequest in;
    if (kafka_ApiVersionsRequest_decode(&req->body, &req->arena, req->api_version, &in) != 0)
        return -1;
    int16_t error = KAFKA_ERR_NONE;
    if (req->api_version >= 3 &&
        (!software_field_valid(in.client_software_name) || !software_field_valid(in.client_software_version)))
        error = KAFKA_ERR_INVALID_REQUEST;
    respond(req, error);
    return 0;
}

void kelp_api_versions_unsupported(kelp_broker *b, kelp_request *req)
{
    /* Version 0 layout, so that a client of any version can read the ranges
     * and retry with one the broker knows. */
    req->api_version = 0;
    respond(req, KAFKA_ERR_UNSUPPORTED_VERSION);
}
