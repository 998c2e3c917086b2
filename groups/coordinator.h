/* The group coordinator of the classic group protocol (JoinGroup,
 * SyncGroup, Heartbeat, LeaveGroup) and the group checks offset commits
 * need. Every group lives here; Kafka's one-coordinator-per-group is this
 * gateway for every group. Loop thread only.
 *
 * JoinGroup and SyncGroup may wait: the caller passes an opaque waiter and
 * gets the answer through the reply functions, possibly before the call
 * returns. Strings in results are valid during the reply call only. */
#ifndef KELP_GROUPS_COORDINATOR_H
#define KELP_GROUPS_COORDINATOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "groups/group.h"
#include "net/event_loop.h"
#include "offsets/offset_store.h"
#include "protocol/wire.h"
#include "storage/file_writer.h"
#include "storage/fs.h"

typedef struct kelp_group_limits {
    int32_t min_session_timeout_ms;   /* group.min.session.timeout.ms */
    int32_t max_session_timeout_ms;   /* group.max.session.timeout.ms */
    int32_t initial_rebalance_delay_ms; /* group.initial.rebalance.delay.ms */
    int32_t max_size;                 /* group.max.size */
} kelp_group_limits;

typedef struct kelp_join_member {
    const char *member_id;
    const char *instance_id; /* NULL for a dynamic member */
    const uint8_t *metadata;
    size_t metadata_len;
} kelp_join_member;

typedef struct kelp_join_result {
    int16_t error;
    int32_t generation;
    const char *protocol_type; /* NULL when none */
    const char *protocol_name; /* NULL when none */
    const char *leader_id;
    const char *member_id;
    bool skip_assignment;
    const kelp_join_member *members; /* the leader's copy only */
    int32_t member_count;
} kelp_join_result;

typedef struct kelp_sync_result {
    int16_t error;
    const char *protocol_type;
    const char *protocol_name;
    const uint8_t *assignment;
    size_t assignment_len;
} kelp_sync_result;

typedef struct kelp_coordinator_replies {
    void (*join)(void *waiter, const kelp_join_result *result);
    void (*sync)(void *waiter, const kelp_sync_result *result);
} kelp_coordinator_replies;

typedef struct kelp_join_params {
    kw_str group_id;
    kw_str member_id;
    kw_str instance_id; /* len -1: none */
    kw_str protocol_type;
    const char *client_id;
    const char *client_host;
    int32_t session_timeout_ms;
    int32_t rebalance_timeout_ms;
    const kelp_group_protocol *protocols;
    int32_t protocol_count;
    int16_t version;
    void *waiter;
} kelp_join_params;

typedef struct kelp_sync_assignment {
    kw_str member_id;
    kw_bytes assignment;
} kelp_sync_assignment;

typedef struct kelp_sync_params {
    kw_str group_id;
    int32_t generation;
    kw_str member_id;
    kw_str instance_id;
    kw_str protocol_type; /* len -1: not given (before v5) */
    kw_str protocol_name;
    const kelp_sync_assignment *assignments;
    int32_t assignment_count;
    void *waiter;
} kelp_sync_params;

typedef struct kelp_coordinator kelp_coordinator;

/* Loads the groups saved under the filer root, and one Empty group for
 * every group that only has committed offsets. */
kelp_coordinator *kelp_coordinator_new(kelp_loop *loop, kelp_fs *fs, kelp_file_writer *writer,
                                       kelp_offset_store *offsets, const kelp_coordinator_replies *replies,
                                       const kelp_group_limits *limits, char *err, size_t errlen);
void kelp_coordinator_set_limits(kelp_coordinator *c, const kelp_group_limits *limits);
/* Answers every waiting JoinGroup and SyncGroup with NOT_COORDINATOR (the
 * server is going away) and cancels the timers. */
void kelp_coordinator_shutdown(kelp_coordinator *c);
void kelp_coordinator_free(kelp_coordinator *c);

void kelp_coordinator_join(kelp_coordinator *c, const kelp_join_params *p);
void kelp_coordinator_sync(kelp_coordinator *c, const kelp_sync_params *p);
int16_t kelp_coordinator_heartbeat(kelp_coordinator *c, kw_str group_id, int32_t generation, kw_str member_id,
                                   kw_str instance_id);
/* The group-level error of a LeaveGroup (NONE when members can be looked at). */
int16_t kelp_coordinator_leave_group_error(kelp_coordinator *c, kw_str group_id);
/* One member leaving (instance_id len -1 for a dynamic member). */
int16_t kelp_coordinator_leave(kelp_coordinator *c, kw_str group_id, kw_str member_id, kw_str instance_id);

/* Offset commits: whether this member may commit for the group now. A
 * commit with a negative generation to an unknown or empty group is a
 * "simple" commit (admin tools, manual assignment): the group is created
 * empty. */
int16_t kelp_coordinator_validate_commit(kelp_coordinator *c, kw_str group_id, int32_t generation,
                                         kw_str member_id, kw_str instance_id, int16_t version);
/* OffsetDelete: the group-level error, and whether a member subscribes to a topic. */
int16_t kelp_coordinator_offset_delete_error(kelp_coordinator *c, kw_str group_id);
bool kelp_coordinator_subscribed(kelp_coordinator *c, kw_str group_id, const char *topic, size_t len);

/* DeleteGroups: removes an empty group with its offsets and files. */
int16_t kelp_coordinator_delete(kelp_coordinator *c, kw_str group_id);

const kelp_group *kelp_coordinator_find(const kelp_coordinator *c, const char *id, size_t len);
void kelp_coordinator_each(const kelp_coordinator *c, void (*fn)(void *ctx, const kelp_group *g), void *ctx);

/* A valid group id: non-empty, no NUL, encodable as a directory name. */
bool kelp_group_id_valid(kw_str id);

#endif
