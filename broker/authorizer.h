/* The authorizer: whether the sender of a request may perform an operation
 * on a resource, by the broker's ACLs (security/acl.h). Super users may do
 * everything; with "authorizer" off everyone may. */
#ifndef KELP_BROKER_AUTHORIZER_H
#define KELP_BROKER_AUTHORIZER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "broker/broker.h"
#include "protocol/wire.h"
#include "security/acl.h"

bool kelp_authorized(kelp_broker *b, kelp_request *req, int8_t resource_type, const char *name, size_t len,
                     int8_t op);
/* The same for a name on the wire (a null one is the empty name). */
bool kelp_authorized_kw(kelp_broker *b, kelp_request *req, int8_t resource_type, kw_str name, int8_t op);
bool kelp_authorized_cluster(kelp_broker *b, kelp_request *req, int8_t op);
/* Whether some resource of the type may be operated on (Kafka's
 * authorizeByResourceType). */
bool kelp_authorized_any(kelp_broker *b, kelp_request *req, int8_t resource_type, int8_t op);
/* Of the operations in bits (1 << op each), those that may be performed
 * on the resource: Metadata's and DescribeGroups' authorized operations. */
int32_t kelp_authorized_operations(kelp_broker *b, kelp_request *req, int8_t resource_type, const char *name,
                                   size_t len, int32_t bits);
/* Describe/Alter(Incremental)Configs: op (DESCRIBE_CONFIGS or ALTER_CONFIGS)
 * on a config resource (2 topic, 4 broker, 8 broker logger); the error
 * to answer, or 0. */
int16_t kelp_config_resource_denied(kelp_broker *b, kelp_request *req, int8_t config_resource_type, kw_str name,
                                    int8_t op);
/* Whether the principal (without "User:") is listed in super_users. */
bool kelp_super_user(const kelp_broker *b, const char *principal);
/* Whether ACLs are enforced at all. */
static inline bool kelp_authorizer_on(const kelp_broker *b) { return b->cfg.security.authorizer; }

#endif
