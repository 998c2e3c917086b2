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

/* KIP-584 features (tagged fields of v3+): transaction.version 2 is
 * finalized, as on Kafka 4.0, so that clients use transactions v2 (Produce
 * v12, TxnOffsetCommit v5, EndTxn v5; KIP-890). A supported range from 0
 * is left out before v4, which older clients refuse (KAFKA-17011). */
#define TXN_VERSION_FEATURE "transaction.version"
#define TXN_VERSION_LEVEL 2
#define FINALIZED_FEATURES_EPOCH 1 /* never changes: clients act on any epoch >= 0 */

static void add_features(kelp_request *req, kafka_ApiVersionsResponse *resp)
{
    if (req->api_version < 3)
        return;
    kw_str name = {.ptr = TXN_VERSION_FEATURE, .len = (int32_t)strlen(TXN_VERSION_FEATURE)};
    kafka_ApiVersionsResponse_FinalizedFeatureKey *fin = kelp_arena_alloc(&req->arena, sizeof(*fin));
    kafka_ApiVersionsResponse_SupportedFeatureKey *sup = kelp_arena_alloc(&req->arena, sizeof(*sup));
    if (!fin || !sup)
        return;
    kafka_ApiVersionsResponse_FinalizedFeatureKey_init(fin);
    fin->name = name;
    fin->min_version_level = TXN_VERSION_LEVEL;
    fin->max_version_level = TXN_VERSION_LEVEL;
    resp->finalized_features = fin;
    resp->finalized_features_count = 1;
    resp->finalized_features_epoch = FINALIZED_FEATURES_EPOCH;
    if (req->api_version >= 4) {
        kafka_ApiVersionsResponse_SupportedFeatureKey_init(sup);
        sup->name = name;
        sup->min_version = 0;
        sup->max_version = TXN_VERSION_LEVEL;
        resp->supported_features = sup;
        resp->supported_features_count = 1;
    }
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
    add_features(req, &resp);
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
