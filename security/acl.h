/* Kafka ACLs: bindings of a resource pattern to a principal, a host, an
 * operation and ALLOW or DENY, matched as Kafka's StandardAuthorizer does,
 * and kept as one JSON file on the filer:
 *   topics/kafka/.meta/acls.json
 *   {"acls":[{"resource_type":"TOPIC","pattern_type":"LITERAL","name":"t",
 *     "principal":"User:alice","host":"*","operation":"WRITE",
 *     "permission":"ALLOW"},...]}
 * The numeric codes are Kafka's wire codes. */
#ifndef KELP_SECURITY_ACL_H
#define KELP_SECURITY_ACL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "storage/fs.h"
#include "util/buf.h"

#define KELP_ACLS_PATH "topics/kafka/.meta/acls.json"
#define KELP_ACL_CLUSTER_NAME "kafka-cluster"
#define KELP_ACL_WILDCARD "*"

/* Resource types; ANY only in filters. */
#define KELP_ACL_RESOURCE_ANY 1
#define KELP_ACL_RESOURCE_TOPIC 2
#define KELP_ACL_RESOURCE_GROUP 3
#define KELP_ACL_RESOURCE_CLUSTER 4
#define KELP_ACL_RESOURCE_TRANSACTIONAL_ID 5
#define KELP_ACL_RESOURCE_DELEGATION_TOKEN 6
#define KELP_ACL_RESOURCE_USER 7

/* Pattern types; ANY and MATCH only in filters. */
#define KELP_ACL_PATTERN_ANY 1
#define KELP_ACL_PATTERN_MATCH 2
#define KELP_ACL_PATTERN_LITERAL 3
#define KELP_ACL_PATTERN_PREFIXED 4

/* Operations; ANY only in filters. */
#define KELP_ACL_OP_ANY 1
#define KELP_ACL_OP_ALL 2
#define KELP_ACL_OP_READ 3
#define KELP_ACL_OP_WRITE 4
#define KELP_ACL_OP_CREATE 5
#define KELP_ACL_OP_DELETE 6
#define KELP_ACL_OP_ALTER 7
#define KELP_ACL_OP_DESCRIBE 8
#define KELP_ACL_OP_CLUSTER_ACTION 9
#define KELP_ACL_OP_DESCRIBE_CONFIGS 10
#define KELP_ACL_OP_ALTER_CONFIGS 11
#define KELP_ACL_OP_IDEMPOTENT_WRITE 12
#define KELP_ACL_OP_CREATE_TOKENS 13
#define KELP_ACL_OP_DESCRIBE_TOKENS 14

/* Permission types; ANY only in filters. */
#define KELP_ACL_PERMISSION_ANY 1
#define KELP_ACL_PERMISSION_DENY 2
#define KELP_ACL_PERMISSION_ALLOW 3

typedef struct kelp_acl {
    int8_t resource_type;
    int8_t pattern_type;
    int8_t operation;
    int8_t permission;
    char *name;      /* resource name; "*" with LITERAL: every resource of the type */
    char *principal; /* "User:alice", "User:*" */
    char *host;      /* an IP address or "*" */
} kelp_acl;

/* A DescribeAcls / DeleteAcls filter; NULL strings match anything. */
typedef struct kelp_acl_filter {
    int8_t resource_type;
    int8_t pattern_type;
    int8_t operation;
    int8_t permission;
    const char *name;
    const char *principal;
    const char *host;
} kelp_acl_filter;

typedef struct kelp_acl_store {
    kelp_acl *acls;
    size_t count, cap;
} kelp_acl_store;

void kelp_acl_store_init(kelp_acl_store *s);
void kelp_acl_store_free(kelp_acl_store *s);

/* CreateAcls' checks: 0, or INVALID_REQUEST with a message. The binding's
 * strings may be NULL (then it is invalid). */
int16_t kelp_acl_validate(const kelp_acl *a, const char **message);
/* DescribeAcls' / DeleteAcls' checks of a filter (unknown codes). */
int16_t kelp_acl_filter_validate(const kelp_acl_filter *f, const char **message);

/* Adds a copy: 1 added, 0 an equal binding was already there, -1 out of memory. */
int kelp_acl_store_add(kelp_acl_store *s, const kelp_acl *a);
/* Removes the binding at index i (the last one moves into its place). */
void kelp_acl_store_remove_at(kelp_acl_store *s, size_t i);

bool kelp_acl_filter_matches(const kelp_acl_filter *f, const kelp_acl *a);

/* Whether principal ("User:name") from host may perform op on the named
 * resource: a matching DENY refuses, else a matching ALLOW allows, else
 * refused. ALL matches every operation; READ, WRITE, DELETE and ALTER
 * allow DESCRIBE; ALTER_CONFIGS allows DESCRIBE_CONFIGS. */
bool kelp_acl_authorize(const kelp_acl_store *s, const char *principal, const char *host, int8_t resource_type,
                        const char *name, size_t name_len, int8_t op);
/* Kafka's authorizeByResourceType: whether some resource of the type may
 * be operated on (an ALLOW for op or ALL not covered by a DENY). */
bool kelp_acl_authorize_any(const kelp_acl_store *s, const char *principal, const char *host,
                            int8_t resource_type, int8_t op);

int kelp_acl_store_to_json(const kelp_acl_store *s, kelp_buf *out);
/* Replaces the store's content; -1 (store unchanged) on a malformed file. */
int kelp_acl_store_from_json(kelp_acl_store *s, const char *text, size_t len);
/* Reads KELP_ACLS_PATH; a missing file is an empty store. */
int kelp_acl_store_load(kelp_acl_store *s, kelp_fs *fs, char *err, size_t errlen);

const char *kelp_acl_resource_name(int8_t code);
const char *kelp_acl_op_name(int8_t code);

#endif
