/* A classic consumer group: its members, generation and chosen protocol,
 * and the state machine Kafka's group coordinator runs:
 *
 *   Empty --join--> PreparingRebalance --all joined / timeout--> CompletingRebalance
 *   CompletingRebalance --leader's SyncGroup--> Stable
 *   Stable / CompletingRebalance --join, leave, expiry--> PreparingRebalance
 *   PreparingRebalance --nobody rejoined--> Empty;  Empty --deleted--> Dead
 *
 * This file holds the data and the pure decisions (protocol choice, member
 * lookup); groups/coordinator.c drives the transitions. */
#ifndef KELP_GROUPS_GROUP_H
#define KELP_GROUPS_GROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/event_loop.h"

typedef enum kelp_group_state {
    KELP_GROUP_EMPTY,
    KELP_GROUP_PREPARING_REBALANCE,
    KELP_GROUP_COMPLETING_REBALANCE,
    KELP_GROUP_STABLE,
    KELP_GROUP_DEAD
} kelp_group_state;

typedef struct kelp_coordinator kelp_coordinator;
typedef struct kelp_group kelp_group;
typedef struct kelp_group_member kelp_group_member;

typedef struct kelp_group_protocol {
    char *name;
    uint8_t *metadata;
    size_t metadata_len;
} kelp_group_protocol;

struct kelp_group_member {
    kelp_group_member *next;
    kelp_group *group;
    char *member_id;
    char *instance_id; /* group.instance.id of a static member, or NULL */
    char *client_id;
    char *client_host;
    int32_t session_timeout_ms;
    int32_t rebalance_timeout_ms;
    kelp_group_protocol *protocols;
    int32_t protocol_count;
    uint8_t *assignment;
    size_t assignment_len;
    void *join_waiter;   /* a JoinGroup waiting for the rebalance to complete */
    int16_t join_version;
    void *sync_waiter;   /* a SyncGroup waiting for the leader's assignment */
    kelp_timer *session_timer;
    bool synced;         /* sent SyncGroup in this generation */
    bool is_new;         /* joined during the rebalance in progress */
};

/* A member id handed out with MEMBER_ID_REQUIRED, not yet used to join. */
typedef struct kelp_pending_member {
    struct kelp_pending_member *next;
    kelp_group *group;
    char *member_id;
    kelp_timer *timer;
} kelp_pending_member;

struct kelp_group {
    kelp_coordinator *coord;
    char *id;
    size_t id_len;
    kelp_group_state state;
    int64_t state_since_ms; /* unix ms of the last transition */
    int32_t generation;
    char *protocol_type; /* NULL until a member joined */
    char *protocol_name; /* NULL outside a generation */
    char *leader_id;     /* NULL when there is no leader */
    kelp_group_member *members;
    int32_t member_count;
    kelp_pending_member *pending;
    kelp_timer *join_timer;     /* ends the join phase */
    int64_t join_deadline_ms;   /* the latest the initial delay may stretch to; 0: no delay running */
    bool new_member_added;      /* a member joined during the current initial delay */
    kelp_timer *sync_timer;     /* removes members that never sent SyncGroup */
};

const char *kelp_group_state_name(kelp_group_state state);
/* Case-insensitive, as Kafka's ListGroups states filter; -1 when unknown. */
int kelp_group_state_parse(const char *name, size_t len);

kelp_group_member *kelp_group_find_member(const kelp_group *g, const char *member_id, size_t len);
kelp_group_member *kelp_group_find_instance(const kelp_group *g, const char *instance_id, size_t len);
kelp_pending_member *kelp_group_find_pending(const kelp_group *g, const char *member_id, size_t len);
bool kelp_group_is_leader(const kelp_group *g, const kelp_group_member *m);

/* Whether every current member supports one of the given protocol names
 * (an empty group supports anything). */
bool kelp_group_supports(const kelp_group *g, const kelp_group_protocol *protocols, int32_t count);
/* The protocol the members vote for, NULL when they share none. */
const char *kelp_group_select_protocol(const kelp_group *g);
/* A member's metadata for the named protocol (NULL, 0 when it has none). */
const kelp_group_protocol *kelp_member_protocol(const kelp_group_member *m, const char *name);
/* Whether two protocol lists are the same names and bytes in the same order. */
bool kelp_protocols_equal(const kelp_group_protocol *a, int32_t na, const kelp_group_protocol *b, int32_t nb);

/* Copies a protocol list; NULL (and *out_count 0) on allocation failure. */
kelp_group_protocol *kelp_protocols_copy(const kelp_group_protocol *src, int32_t count);
void kelp_protocols_free(kelp_group_protocol *p, int32_t count);
void kelp_member_free(kelp_group_member *m);

/* The consumer protocol's view of a member: subscribed topics (from its
 * metadata for the chosen protocol) or assigned partitions. fn is called per
 * topic (and partition for assignments); a malformed payload calls nothing. */
void kelp_member_each_subscribed_topic(const kelp_group_member *m, const char *protocol,
                                       void (*fn)(void *ctx, const char *topic, size_t len), void *ctx);
void kelp_member_each_assigned_partition(const kelp_group_member *m,
                                         void (*fn)(void *ctx, const char *topic, size_t len, int32_t partition),
                                         void *ctx);

#endif
