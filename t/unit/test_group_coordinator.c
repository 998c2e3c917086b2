/* The group coordinator's state machine, driven directly: joins with and
 * without MEMBER_ID_REQUIRED, protocol choice, leader and assignments,
 * heartbeats, leaves, session expiry, static members and fencing, commit
 * checks, deletion, and a reload of a Stable group from its file. A real
 * event loop runs the timers; the replies are recorded by fake waiters. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "groups/coordinator.h"
#include "net/event_loop.h"
#include "offsets/offset_store.h"
#include "protocol/kafka_errors.h"
#include "storage/file_writer.h"
#include "storage/fs.h"
#include "util/clock.h"

/* A request waiting for the coordinator's answer. */
typedef struct waiter {
    bool joined, synced;
    int16_t error;
    int32_t generation;
    char member_id[128];
    char leader_id[128];
    char protocol[32];
    int member_count; /* members listed (the leader's answer) */
    bool skip_assignment;
    char assignment[64];
} waiter;

static void on_join(void *w, const kelp_join_result *r)
{
    waiter *x = w;
    x->joined = true;
    x->error = r->error;
    x->generation = r->generation;
    snprintf(x->member_id, sizeof(x->member_id), "%s", r->member_id ? r->member_id : "");
    snprintf(x->leader_id, sizeof(x->leader_id), "%s", r->leader_id ? r->leader_id : "");
    snprintf(x->protocol, sizeof(x->protocol), "%s", r->protocol_name ? r->protocol_name : "");
    x->member_count = r->member_count;
    x->skip_assignment = r->skip_assignment;
}

static void on_sync(void *w, const kelp_sync_result *r)
{
    waiter *x = w;
    x->synced = true;
    x->error = r->error;
    snprintf(x->assignment, sizeof(x->assignment), "%.*s", (int)r->assignment_len,
             r->assignment ? (const char *)r->assignment : "");
}

static char root[64];
static kelp_loop *loop;
static kelp_fs *fs;
static kelp_file_writer *writer;
static kelp_offset_store *offsets;
static kelp_coordinator *coord;
static kelp_group_limits limits;

static kelp_coordinator *open_coordinator(void)
{
    char err[256] = "";
    kelp_coordinator_replies replies = {.join = on_join, .sync = on_sync};
    offsets = kelp_offset_store_open(fs, writer, err, sizeof(err));
    ck_assert_msg(offsets != NULL, "%s", err);
    kelp_coordinator *c = kelp_coordinator_new(loop, fs, writer, offsets, &replies, &limits, err, sizeof(err));
    ck_assert_msg(c != NULL, "%s", err);
    return c;
}

static void setup(void)
{
    snprintf(root, sizeof(root), "/tmp/kelp-groups-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(root));
    char err[256];
    fs = kelp_fs_local_open(root, err, sizeof(err));
    ck_assert_ptr_nonnull(fs);
    loop = kelp_loop_new();
    writer = kelp_file_writer_start(fs, loop);
    limits = (kelp_group_limits){.min_session_timeout_ms = 10,
                                 .max_session_timeout_ms = 600000,
                                 .initial_rebalance_delay_ms = 0,
                                 .max_size = 1000};
    coord = open_coordinator();
}

static void close_all(void)
{
    kelp_coordinator_free(coord);
    coord = NULL;
    kelp_file_writer_stop(writer);
    kelp_offset_store_free(offsets);
}

static void teardown(void)
{
    if (coord)
        close_all();
    kelp_loop_free(loop);
    fs->ops->destroy(fs);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
    ck_assert_int_eq(system(cmd), 0);
}

/* Runs the loop until cond holds (checked every few ms) or max_ms passed. */
typedef bool (*condition)(void);
static condition run_cond;
static int64_t run_deadline;

static void check_cond(void *ctx)
{
    (void)ctx;
    if ((run_cond && run_cond()) || kelp_clock_mono_ms() >= run_deadline) {
        kelp_loop_stop(loop);
        return;
    }
    kelp_timer_add(loop, kelp_clock_mono_ms() + 2, check_cond, NULL);
}

static void run_until(condition cond, int max_ms)
{
    run_cond = cond;
    run_deadline = kelp_clock_mono_ms() + max_ms;
    kelp_timer_add(loop, kelp_clock_mono_ms(), check_cond, NULL);
    kelp_loop_run(loop);
}

static kw_str S(const char *s)
{
    return kw_str_from_cstr(s);
}

static const kw_str NONE_STR = {NULL, -1};

static kelp_group_protocol range_rr[] = {{"range", (uint8_t *)"R", 1}, {"roundrobin", (uint8_t *)"O", 1}};
static kelp_group_protocol rr_range[] = {{"roundrobin", (uint8_t *)"o", 1}, {"range", (uint8_t *)"r", 1}};
static kelp_group_protocol rr_only[] = {{"roundrobin", (uint8_t *)"x", 1}};
static kelp_group_protocol sticky_only[] = {{"sticky", (uint8_t *)"s", 1}};

static void join(waiter *w, const char *group, const char *member, const char *instance, int16_t version,
                 const kelp_group_protocol *protocols, int32_t count, int32_t session_ms)
{
    memset(w, 0, sizeof(*w));
    kelp_join_params p = {.group_id = S(group),
                          .member_id = S(member),
                          .instance_id = instance ? S(instance) : NONE_STR,
                          .protocol_type = S("consumer"),
                          .client_id = "test",
                          .client_host = "/127.0.0.1",
                          .session_timeout_ms = session_ms,
                          .rebalance_timeout_ms = 5000,
                          .protocols = protocols,
                          .protocol_count = count,
                          .version = version,
                          .waiter = w};
    kelp_coordinator_join(coord, &p);
}

static void sync_group(waiter *w, const char *group, int32_t generation, const char *member,
                       const kelp_sync_assignment *assignments, int32_t count)
{
    memset(w, 0, sizeof(*w));
    kelp_sync_params p = {.group_id = S(group),
                          .generation = generation,
                          .member_id = S(member),
                          .instance_id = NONE_STR,
                          .protocol_type = NONE_STR,
                          .protocol_name = NONE_STR,
                          .assignments = assignments,
                          .assignment_count = count,
                          .waiter = w};
    kelp_coordinator_sync(coord, &p);
}

static const kelp_group *group(const char *id)
{
    return kelp_coordinator_find(coord, id, strlen(id));
}

static waiter w1, w2, w3, s1, s2, s3;

static bool all_three_joined(void)
{
    return w1.joined && w2.joined && w3.joined;
}

/* Three members (v3: no MEMBER_ID_REQUIRED) in one generation: the initial
 * delay lets the later two join before the first generation forms. */
static void three_member_group(void)
{
    limits.initial_rebalance_delay_ms = 30;
    kelp_coordinator_set_limits(coord, &limits);
    join(&w1, "g", "", NULL, 3, range_rr, 2, 10000);
    join(&w2, "g", "", NULL, 3, rr_range, 2, 10000);
    join(&w3, "g", "", NULL, 3, rr_only, 1, 10000);
    run_until(all_three_joined, 2000);
    ck_assert(all_three_joined());
}

START_TEST(dynamic_member_needs_a_member_id_from_v4)
{
    join(&w1, "g", "", NULL, 4, range_rr, 2, 10000);
    ck_assert(w1.joined);
    ck_assert_int_eq(w1.error, KAFKA_ERR_MEMBER_ID_REQUIRED);
    ck_assert(strncmp(w1.member_id, "test-", 5) == 0);
    char id[128];
    snprintf(id, sizeof(id), "%s", w1.member_id);
    join(&w1, "g", id, NULL, 4, range_rr, 2, 10000);
    /* A lone member completes the join phase at once. */
    ck_assert(w1.joined);
    ck_assert_int_eq(w1.error, KAFKA_ERR_NONE);
    ck_assert_int_eq(w1.generation, 1);
    ck_assert_str_eq(w1.leader_id, id);
    ck_assert_str_eq(w1.protocol, "range");
    ck_assert_int_eq(w1.member_count, 1);
    ck_assert_int_eq(group("g")->state, KELP_GROUP_COMPLETING_REBALANCE);
    /* An unknown member id is refused. */
    join(&w2, "g", "nobody", NULL, 4, range_rr, 2, 10000);
    ck_assert_int_eq(w2.error, KAFKA_ERR_UNKNOWN_MEMBER_ID);
}
END_TEST

START_TEST(three_members_vote_leader_lists_and_assignments_reach_everyone)
{
    three_member_group();
    ck_assert_int_eq(w1.generation, 1);
    ck_assert_int_eq(w2.generation, 1);
    ck_assert_int_eq(w3.generation, 1);
    /* Only roundrobin is supported by all three. */
    ck_assert_str_eq(w1.protocol, "roundrobin");
    waiter *ws[] = {&w1, &w2, &w3};
    int leaders = 0;
    waiter *leader = NULL;
    for (int i = 0; i < 3; i++) {
        ck_assert_str_eq(ws[i]->leader_id, w1.leader_id);
        if (strcmp(ws[i]->member_id, ws[i]->leader_id) == 0) {
            leaders++;
            leader = ws[i];
            ck_assert_int_eq(ws[i]->member_count, 3);
        } else {
            ck_assert_int_eq(ws[i]->member_count, 0);
        }
    }
    ck_assert_int_eq(leaders, 1);

    /* Followers wait for the leader's assignment. */
    waiter *followers[2];
    int nf = 0;
    for (int i = 0; i < 3; i++)
        if (ws[i] != leader)
            followers[nf++] = ws[i];
    sync_group(&s1, "g", 1, followers[0]->member_id, NULL, 0);
    ck_assert(!s1.synced);
    sync_group(&s2, "g", 2, followers[1]->member_id, NULL, 0);
    ck_assert_int_eq(s2.error, KAFKA_ERR_ILLEGAL_GENERATION);
    sync_group(&s2, "g", 1, "stranger", NULL, 0);
    ck_assert_int_eq(s2.error, KAFKA_ERR_UNKNOWN_MEMBER_ID);
    kelp_sync_assignment a[3] = {
        {S(followers[0]->member_id), {(const uint8_t *)"first", 5}},
        {S(followers[1]->member_id), {(const uint8_t *)"second", 6}},
        {S(leader->member_id), {(const uint8_t *)"lead", 4}},
    };
    sync_group(&s3, "g", 1, leader->member_id, a, 3);
    ck_assert(s1.synced && s3.synced);
    ck_assert_str_eq(s1.assignment, "first");
    ck_assert_str_eq(s3.assignment, "lead");
    ck_assert_int_eq(group("g")->state, KELP_GROUP_STABLE);
    /* A late follower gets its part at once. */
    sync_group(&s2, "g", 1, followers[1]->member_id, NULL, 0);
    ck_assert(s2.synced);
    ck_assert_str_eq(s2.assignment, "second");
}
END_TEST

static void stabilize(void)
{
    three_member_group();
    waiter *ws[] = {&w1, &w2, &w3};
    waiter *ss[] = {&s1, &s2, &s3};
    for (int i = 0; i < 3; i++)
        if (strcmp(ws[i]->member_id, ws[i]->leader_id) != 0)
            sync_group(ss[i], "g", 1, ws[i]->member_id, NULL, 0);
    for (int i = 0; i < 3; i++)
        if (strcmp(ws[i]->member_id, ws[i]->leader_id) == 0)
            sync_group(ss[i], "g", 1, ws[i]->member_id, NULL, 0);
    ck_assert_int_eq(group("g")->state, KELP_GROUP_STABLE);
}

START_TEST(heartbeats_report_generation_and_rebalances)
{
    stabilize();
    ck_assert_int_eq(kelp_coordinator_heartbeat(coord, S("g"), 1, S(w1.member_id), NONE_STR), KAFKA_ERR_NONE);
    ck_assert_int_eq(kelp_coordinator_heartbeat(coord, S("g"), 0, S(w1.member_id), NONE_STR),
                     KAFKA_ERR_ILLEGAL_GENERATION);
    ck_assert_int_eq(kelp_coordinator_heartbeat(coord, S("g"), 1, S("who"), NONE_STR), KAFKA_ERR_UNKNOWN_MEMBER_ID);
    ck_assert_int_eq(kelp_coordinator_heartbeat(coord, S("nope"), 1, S("who"), NONE_STR),
                     KAFKA_ERR_UNKNOWN_MEMBER_ID);
    static waiter w4; /* answered at teardown, after this function returned */
    join(&w4, "g", "", NULL, 3, rr_only, 1, 10000);
    ck_assert(!w4.joined);
    ck_assert_int_eq(group("g")->state, KELP_GROUP_PREPARING_REBALANCE);
    ck_assert_int_eq(kelp_coordinator_heartbeat(coord, S("g"), 1, S(w1.member_id), NONE_STR),
                     KAFKA_ERR_REBALANCE_IN_PROGRESS);
    /* Commits are still accepted while the group prepares a rebalance. */
    ck_assert_int_eq(kelp_coordinator_validate_commit(coord, S("g"), 1, S(w1.member_id), NONE_STR, 8), KAFKA_ERR_NONE);
}
END_TEST

START_TEST(leaves_rebalance_and_the_last_one_empties_the_group)
{
    stabilize();
    char ids[3][128];
    snprintf(ids[0], 128, "%s", w1.member_id);
    snprintf(ids[1], 128, "%s", w2.member_id);
    snprintf(ids[2], 128, "%s", w3.member_id);
    ck_assert_int_eq(kelp_coordinator_leave(coord, S("g"), S(ids[2]), NONE_STR), KAFKA_ERR_NONE);
    ck_assert_int_eq(group("g")->state, KELP_GROUP_PREPARING_REBALANCE);
    ck_assert_int_eq(kelp_coordinator_leave(coord, S("g"), S(ids[2]), NONE_STR), KAFKA_ERR_UNKNOWN_MEMBER_ID);
    join(&w1, "g", ids[0], NULL, 3, range_rr, 2, 10000);
    ck_assert(!w1.joined);
    join(&w2, "g", ids[1], NULL, 3, rr_range, 2, 10000);
    ck_assert(w1.joined && w2.joined);
    ck_assert_int_eq(w1.generation, 2);
    ck_assert_int_eq(group("g")->member_count, 2);
    /* Without the roundrobin-only member, the vote is a tie broken by the first member's preference. */
    ck_assert_str_eq(w1.protocol, "range");
    ck_assert_int_eq(kelp_coordinator_leave(coord, S("g"), S(ids[0]), NONE_STR), KAFKA_ERR_NONE);
    ck_assert_int_eq(kelp_coordinator_leave(coord, S("g"), S(ids[1]), NONE_STR), KAFKA_ERR_NONE);
    ck_assert_int_eq(group("g")->state, KELP_GROUP_EMPTY);
    ck_assert_int_eq(group("g")->generation, 3);
}
END_TEST

static bool group_lost_a_member(void)
{
    return group("g") && group("g")->member_count < 3;
}

START_TEST(a_silent_member_expires_and_the_rest_rebalance)
{
    limits.initial_rebalance_delay_ms = 30;
    kelp_coordinator_set_limits(coord, &limits);
    join(&w1, "g", "", NULL, 3, range_rr, 2, 10000);
    join(&w2, "g", "", NULL, 3, range_rr, 2, 10000);
    join(&w3, "g", "", NULL, 3, range_rr, 2, 50); /* this one will go silent */
    run_until(all_three_joined, 2000);
    ck_assert(all_three_joined());
    int64_t start = kelp_clock_mono_ms();
    run_until(group_lost_a_member, 3000);
    ck_assert(group_lost_a_member());
    ck_assert(kelp_clock_mono_ms() - start >= 40);
    ck_assert_ptr_null(kelp_group_find_member(group("g"), w3.member_id, strlen(w3.member_id)));
    ck_assert_int_eq(group("g")->state, KELP_GROUP_PREPARING_REBALANCE);
}
END_TEST

START_TEST(static_members_are_replaced_without_rebalance_and_fenced)
{
    join(&w1, "g", "", "inst-a", 5, range_rr, 2, 10000);
    ck_assert(w1.joined);
    ck_assert_int_eq(w1.error, KAFKA_ERR_NONE); /* static members skip MEMBER_ID_REQUIRED */
    ck_assert(strncmp(w1.member_id, "inst-a-", 7) == 0);
    sync_group(&s1, "g", 1, w1.member_id, NULL, 0);
    ck_assert_int_eq(group("g")->state, KELP_GROUP_STABLE);
    char old_id[128];
    snprintf(old_id, sizeof(old_id), "%s", w1.member_id);
    /* The same instance restarts: new id, same generation, no rebalance. */
    join(&w2, "g", "", "inst-a", 9, range_rr, 2, 10000);
    ck_assert(w2.joined);
    ck_assert_int_eq(w2.error, KAFKA_ERR_NONE);
    ck_assert_int_eq(w2.generation, 1);
    ck_assert_str_ne(w2.member_id, old_id);
    ck_assert(w2.skip_assignment); /* it was the leader */
    ck_assert_int_eq(group("g")->state, KELP_GROUP_STABLE);
    ck_assert_int_eq(kelp_coordinator_heartbeat(coord, S("g"), 1, S(old_id), S("inst-a")), KAFKA_ERR_FENCED_INSTANCE_ID);
    ck_assert_int_eq(kelp_coordinator_heartbeat(coord, S("g"), 1, S(w2.member_id), S("inst-a")), KAFKA_ERR_NONE);
    ck_assert_int_eq(kelp_coordinator_validate_commit(coord, S("g"), 1, S(old_id), S("inst-a"), 8),
                     KAFKA_ERR_FENCED_INSTANCE_ID);
    join(&w3, "g", old_id, "inst-a", 9, range_rr, 2, 10000);
    ck_assert_int_eq(w3.error, KAFKA_ERR_FENCED_INSTANCE_ID);
    /* An admin removes the instance by instance id alone. */
    ck_assert_int_eq(kelp_coordinator_leave(coord, S("g"), S(""), S("inst-a")), KAFKA_ERR_NONE);
    ck_assert_int_eq(group("g")->state, KELP_GROUP_EMPTY);
}
END_TEST

START_TEST(joins_are_checked)
{
    join(&w1, "", "", NULL, 5, range_rr, 2, 10000);
    ck_assert_int_eq(w1.error, KAFKA_ERR_INVALID_GROUP_ID);
    join(&w1, "g", "", NULL, 5, range_rr, 2, 5);
    ck_assert_int_eq(w1.error, KAFKA_ERR_INVALID_SESSION_TIMEOUT);
    join(&w1, "g", "", NULL, 5, range_rr, 0, 10000);
    ck_assert_int_eq(w1.error, KAFKA_ERR_INCONSISTENT_GROUP_PROTOCOL);
    join(&w1, "g", "", NULL, 3, range_rr, 2, 10000);
    ck_assert_int_eq(w1.error, KAFKA_ERR_NONE);
    join(&w2, "g", "", NULL, 3, sticky_only, 1, 10000);
    ck_assert_int_eq(w2.error, KAFKA_ERR_INCONSISTENT_GROUP_PROTOCOL);
    limits.max_size = 1;
    kelp_coordinator_set_limits(coord, &limits);
    join(&w2, "g", "", NULL, 3, range_rr, 2, 10000);
    ck_assert_int_eq(w2.error, KAFKA_ERR_GROUP_MAX_SIZE_REACHED);
}
END_TEST

static bool two_joined(void)
{
    return w1.joined && w2.joined;
}

START_TEST(the_initial_delay_gathers_members_into_one_generation)
{
    limits.initial_rebalance_delay_ms = 100;
    kelp_coordinator_set_limits(coord, &limits);
    join(&w1, "g", "", NULL, 3, range_rr, 2, 10000);
    ck_assert(!w1.joined);
    join(&w2, "g", "", NULL, 3, range_rr, 2, 10000);
    ck_assert(!w2.joined);
    int64_t start = kelp_clock_mono_ms();
    run_until(two_joined, 3000);
    ck_assert(two_joined());
    ck_assert(kelp_clock_mono_ms() - start >= 90);
    ck_assert_int_eq(w1.generation, 1);
    ck_assert_int_eq(w2.generation, 1);
}
END_TEST

START_TEST(commits_are_checked_against_the_group)
{
    ck_assert_int_eq(kelp_coordinator_validate_commit(coord, S("simple"), -1, S(""), NONE_STR, 8), KAFKA_ERR_NONE);
    ck_assert_ptr_nonnull(group("simple"));
    ck_assert_int_eq(group("simple")->state, KELP_GROUP_EMPTY);
    ck_assert_int_eq(kelp_coordinator_validate_commit(coord, S("unknown"), 5, S("m"), NONE_STR, 8),
                     KAFKA_ERR_ILLEGAL_GENERATION);
    ck_assert_int_eq(kelp_coordinator_validate_commit(coord, S("unknown"), 5, S("m"), NONE_STR, 9),
                     KAFKA_ERR_GROUP_ID_NOT_FOUND);
    ck_assert_int_eq(kelp_coordinator_validate_commit(coord, S(""), -1, S(""), NONE_STR, 8),
                     KAFKA_ERR_INVALID_GROUP_ID);
    three_member_group();
    ck_assert_int_eq(kelp_coordinator_validate_commit(coord, S("g"), 1, S(w1.member_id), NONE_STR, 8),
                     KAFKA_ERR_REBALANCE_IN_PROGRESS);
    waiter *ws[] = {&w1, &w2, &w3};
    for (int i = 0; i < 3; i++)
        if (strcmp(ws[i]->member_id, ws[i]->leader_id) == 0)
            sync_group(&s1, "g", 1, ws[i]->member_id, NULL, 0);
    ck_assert_int_eq(kelp_coordinator_validate_commit(coord, S("g"), 1, S(w1.member_id), NONE_STR, 8), KAFKA_ERR_NONE);
    ck_assert_int_eq(kelp_coordinator_validate_commit(coord, S("g"), 0, S(w1.member_id), NONE_STR, 8),
                     KAFKA_ERR_ILLEGAL_GENERATION);
    ck_assert_int_eq(kelp_coordinator_validate_commit(coord, S("g"), -1, S(""), NONE_STR, 8),
                     KAFKA_ERR_UNKNOWN_MEMBER_ID);
}
END_TEST

START_TEST(only_empty_groups_are_deleted)
{
    stabilize();
    ck_assert_int_eq(kelp_coordinator_delete(coord, S("g")), KAFKA_ERR_NON_EMPTY_GROUP);
    ck_assert_int_eq(kelp_coordinator_delete(coord, S("nope")), KAFKA_ERR_GROUP_ID_NOT_FOUND);
    ck_assert_int_eq(kelp_coordinator_validate_commit(coord, S("e"), -1, S(""), NONE_STR, 8), KAFKA_ERR_NONE);
    ck_assert_int_eq(kelp_coordinator_delete(coord, S("e")), KAFKA_ERR_NONE);
    ck_assert_ptr_null(group("e"));
}
END_TEST

START_TEST(a_stable_group_comes_back_after_a_restart)
{
    stabilize();
    char leader[128];
    snprintf(leader, sizeof(leader), "%s", w1.leader_id);
    close_all(); /* the writer finishes the group file */
    writer = kelp_file_writer_start(fs, loop);
    coord = open_coordinator();
    const kelp_group *g = group("g");
    ck_assert_ptr_nonnull(g);
    ck_assert_int_eq(g->state, KELP_GROUP_STABLE);
    ck_assert_int_eq(g->generation, 1);
    ck_assert_int_eq(g->member_count, 3);
    ck_assert_str_eq(g->leader_id, leader);
    ck_assert_str_eq(g->protocol_name, "roundrobin");
    /* Members carry on heartbeating as if nothing happened. */
    ck_assert_int_eq(kelp_coordinator_heartbeat(coord, S("g"), 1, S(w2.member_id), NONE_STR), KAFKA_ERR_NONE);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("group coordinator");
    TCase *tc = tcase_create("coordinator");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, dynamic_member_needs_a_member_id_from_v4);
    tcase_add_test(tc, three_members_vote_leader_lists_and_assignments_reach_everyone);
    tcase_add_test(tc, heartbeats_report_generation_and_rebalances);
    tcase_add_test(tc, leaves_rebalance_and_the_last_one_empties_the_group);
    tcase_add_test(tc, a_silent_member_expires_and_the_rest_rebalance);
    tcase_add_test(tc, static_members_are_replaced_without_rebalance_and_fenced);
    tcase_add_test(tc, joins_are_checked);
    tcase_add_test(tc, the_initial_delay_gathers_members_into_one_generation);
    tcase_add_test(tc, commits_are_checked_against_the_group);
    tcase_add_test(tc, only_empty_groups_are_deleted);
    tcase_add_test(tc, a_stable_group_comes_back_after_a_restart);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
