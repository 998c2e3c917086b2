/* DescribeCluster: this one broker, which is also the controller. */
#include "broker/authorizer.h"
#include "broker/group_common.h"
#include "protocol/generated/kafka_messages.h"
#include "protocol/kafka_errors.h"

#define ENDPOINT_BROKERS 1
/* Kafka's AclOperation codes a cluster may allow: ALTER(4) DESCRIBE(8) CLUSTER_ACTION(9)
 * DESCRIBE_CONFIGS(10) ALTER_CONFIGS(11) IDEMPOTENT_WRITE(12) CREATE(7). */
#define CLUSTER_AUTHORIZED_OPERATIONS \
    ((1 << 4) | (1 << 7) | (1 << 8) | (1 << 9) | (1 << 10) | (1 << 11) | (1 << 12))
#define AUTHORIZED_OPERATIONS_OMITTED INT32_MIN

int kelp_handle_describe_cluster(kelp_broker *b, kelp_request *req)
{
    kafka_DescribeClusterRequest in;
    if (kafka_DescribeClusterRequest_decode(&req->body, &req->arena, req->api_version, &in) != 0)
        return -1;
    kafka_DescribeClusterResponse resp;
    kafka_DescribeClusterResponse_init(&resp);
    kafka_DescribeClusterResponse_DescribeClusterBroker broker;
    kafka_DescribeClusterResponse_DescribeClusterBroker_init(&broker);
    resp.endpoint_type = ENDPOINT_BROKERS;
    resp.cluster_id = kelp_kw_or_empty(b->cluster_id);
    resp.controller_id = -1;
    /* As Kafka, anyone may describe the cluster (Metadata shows the same);
     * the authorized operations are those the principal has, none without
     * DESCRIBE. */
    resp.cluster_authorized_operations = AUTHORIZED_OPERATIONS_OMITTED;
    if (in.include_cluster_authorized_operations)
        resp.cluster_authorized_operations =
            kelp_authorized_cluster(b, req, KELP_ACL_OP_DESCRIBE)
                ? kelp_authorized_operations(b, req, KELP_ACL_RESOURCE_CLUSTER, KELP_ACL_CLUSTER_NAME,
                                             strlen(KELP_ACL_CLUSTER_NAME), CLUSTER_AUTHORIZED_OPERATIONS)
                : 0;
    if (req->api_version >= 1 && in.endpoint_type != ENDPOINT_BROKERS) {
        /* Controllers are not exposed: there is no separate controller quorum. */
        resp.error_code = KAFKA_ERR_UNSUPPORTED_ENDPOINT_TYPE;
        resp.error_message = kelp_kw_or_empty("only the broker endpoints can be described");
        KELP_RESPOND(req, DescribeClusterResponse, &resp);
        return 0;
    }
    broker.broker_id = b->cfg.node_id;
    const kelp_broker_endpoint *ep = kelp_broker_request_endpoint(b, req);
    broker.host = kelp_kw_or_empty(ep->host);
    broker.port = ep->port;
    broker.rack = (kw_str){NULL, -1};
    /* v2 (KIP-1073): a running broker is never fenced, so IncludeFencedBrokers
     * changes nothing and IsFenced stays false. */
    broker.is_fenced = false;
    resp.controller_id = b->cfg.node_id;
    resp.brokers = &broker;
    resp.brokers_count = 1;
    KELP_RESPOND(req, DescribeClusterResponse, &resp);
    return 0;
}
