/* Small helpers the group and offset handlers share. */
#ifndef KELP_BROKER_GROUP_COMMON_H
#define KELP_BROKER_GROUP_COMMON_H

#include <string.h>

#include "broker/broker.h"
#include "protocol/wire.h"
#include "util/arena.h"

/* A C string as a wire string: "" for NULL (non-nullable fields). */
static inline kw_str kelp_kw_or_empty(const char *s)
{
    return (kw_str){.ptr = s ? s : "", .len = s ? (int32_t)strlen(s) : 0};
}

/* A C string as a wire string: null for NULL (nullable fields). */
static inline kw_str kelp_kw_nullable(const char *s)
{
    return (kw_str){.ptr = s, .len = s ? (int32_t)strlen(s) : -1};
}

/* A NUL-terminated copy in the arena (NULL for a null string or no memory). */
char *kelp_arena_kw_dup(kelp_arena *a, kw_str s);

/* The client's address as Kafka shows it ("/127.0.0.1"), in the arena. */
const char *kelp_request_client_host(kelp_request *req);

/* Whether a topic name may be looked up (valid and not reserved). */
bool kelp_topic_name_usable(kw_str name);

/* Kafka's AclOperation bits a topic allows without an authorizer: READ,
 * WRITE, CREATE, DELETE, ALTER, DESCRIBE, DESCRIBE_CONFIGS, ALTER_CONFIGS. */
#define KELP_TOPIC_AUTHORIZED_OPERATIONS                                                               \
    ((1 << 3) | (1 << 4) | (1 << 5) | (1 << 6) | (1 << 7) | (1 << 8) | (1 << 10) | (1 << 11))

#endif
