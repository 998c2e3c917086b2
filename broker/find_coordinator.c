/* FindCoordinator: this gateway coordinates every group and every
 * transactional id. */
#include "broker/authorizer.h"
#include "broker/group_common.h"
#include "groups/coordinator.h"
#include "protocol/generated/kafka_messages.h"
#include "protocol/kafka_errors.h"

#define KEY_TYPE_GROUP 0
#define KEY_TYPE_TRANSACTION 1

typedef struct coordinator_answer {
    int16_t error;
    const char *message;
} coordinator_answer;

static coordinator_answer lookup(kelp_broker *b, kelp_request *req, int8_t key_type, kw_str key)
{
    if (key_type == KEY_TYPE_GROUP && !kelp_authorized_kw(b, req, KELP_ACL_RESOURCE_GROUP, key, KELP_ACL_OP_DESCRIBE))
        return (coordinator_answer){KAFKA_ERR_GROUP_AUTHORIZATION_FAILED, NULL};
    if (key_type == KEY_TYPE_TRANSACTION &&
        !kelp_authorized_kw(b, req, KELP_ACL_RESOURCE_TRANSACTIONAL_ID, key, KELP_ACL_OP_DESCRIBE))
        return (coordinator_answer){KAFKA_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED, NULL};
    switch (key_type) {
    case KEY_TYPE_GROUP:
        if (!kelp_group_id_valid(key))
            return (coordinator_answer){KAFKA_ERR_INVALID_REQUEST, "invalid group id"};
        return (coordinator_answer){KAFKA_ERR_NONE, NULL};
    case KEY_TYPE_TRANSACTION:
        if (key.len <= 0)
            return (coordinator_answer){KAFKA_ERR_INVALID_REQUEST, "empty transactional id"};
        if (!kelp_txn_id_valid(key))
            return (coordinator_answer){KAFKA_ERR_INVALID_REQUEST, "transactional id too long"};
        return (coordinator_answer){KAFKA_ERR_NONE, NULL};
    default:
        return (coordinator_answer){KAFKA_ERR_INVALID_REQUEST, "unsupported coordinator key type"};
    }
}

int kelp_handle_find_coordinator(kelp_broker *b, kelp_request *req)
{
    kafka_FindCoordinatorRequest in;
    if (kafka_FindCoordinatorRequest_decode(&req->body, &req->arena, req->api_version, &in) != 0)
        return -1;
    kafka_FindCoordinatorResponse resp;
    kafka_FindCoordinatorResponse_init(&resp);
    const kelp_broker_endpoint *ep = kelp_broker_request_endpoint(b, req);
    kw_str host = kelp_kw_or_empty(ep->host);
    if (req->api_version < 4) {
        coordinator_answer a = lookup(b, req, in.key_type, in.key);
        resp.error_code = a.error;
        resp.error_message = kelp_kw_nullable(a.message);
        resp.node_id = a.error ? -1 : b->cfg.node_id;
        resp.host = a.error ? kelp_kw_or_empty("") : host;
        resp.port = a.error ? -1 : ep->port;
        KELP_RESPOND(req, FindCoordinatorResponse, &resp);
        return 0;
    }
    /* v4+: a batch of keys, answered one by one. */
    if (in.coordinator_keys_count > 0) {
        resp.coordinators =
            kelp_arena_alloc(&req->arena, (size_t)in.coordinator_keys_count * sizeof(*resp.coordinators));
        if (!resp.coordinators)
            return -1;
        resp.coordinators_count = in.coordinator_keys_count;
    }
    for (int32_t i = 0; i < in.coordinator_keys_count; i++) {
        kafka_FindCoordinatorResponse_Coordinator *c = &resp.coordinators[i];
        kafka_FindCoordinatorResponse_Coordinator_init(c);
        coordinator_answer a = lookup(b, req, in.key_type, in.coordinator_keys[i]);
        c->key = in.coordinator_keys[i];
        c->error_code = a.error;
        c->error_message = kelp_kw_nullable(a.message);
        c->node_id = a.error ? -1 : b->cfg.node_id;
        c->host = a.error ? kelp_kw_or_empty("") : host;
        c->port = a.error ? -1 : ep->port;
    }
    KELP_RESPOND(req, FindCoordinatorResponse, &resp);
    return 0;
}
