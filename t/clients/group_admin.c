/* Consumer-group administration through librdkafka's admin API, against a
 * running server: ListConsumerGroups (with a state filter),
 * DescribeConsumerGroups, AlterConsumerGroupOffsets (OffsetCommit of a
 * simple group), ListConsumerGroupOffsets (OffsetFetch),
 * DeleteConsumerGroupOffsets (OffsetDelete) and DeleteGroups, next to a live
 * consumer group member.
 *
 * usage: group_admin BOOTSTRAP TOPIC run       the whole scenario
 *        group_admin BOOTSTRAP TOPIC restarted what must survive a restart
 * TOPIC must have 6 partitions. Exits 0 when every check passed. */
#define _POSIX_C_SOURCE 200809L

#include <librdkafka/rdkafka.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "t/clients/client_util.h"

const char client_program[] = "group_admin";

#define PARTITIONS 6
#define MESSAGES 60
#define TIMEOUT_MS 20000

static int failures;

static void check(int ok, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(ok ? stdout : stderr, ok ? "ok: " : "FAIL: ");
    vfprintf(ok ? stdout : stderr, fmt, ap);
    fputc('\n', ok ? stdout : stderr);
    va_end(ap);
    if (!ok)
        failures++;
}

static rd_kafka_t *new_client(rd_kafka_type_t type, const char *bootstrap, const char *group)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    conf_set(conf, "bootstrap.servers", bootstrap);
    if (group) {
        conf_set(conf, "group.id", group);
        conf_set(conf, "enable.auto.commit", "false");
        conf_set(conf, "auto.offset.reset", "earliest");
        conf_set(conf, "session.timeout.ms", "10000");
    }
    return client_new(type, conf);
}

static void produce(const char *bootstrap, const char *topic)
{
    rd_kafka_t *p = new_client(RD_KAFKA_PRODUCER, bootstrap, NULL);
    for (int i = 0; i < MESSAGES; i++) {
        char key[16], value[32];
        snprintf(key, sizeof(key), "k%d", i);
        snprintf(value, sizeof(value), "v%d", i);
        rd_kafka_resp_err_t err =
            rd_kafka_producev(p, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(i % PARTITIONS),
                              RD_KAFKA_V_KEY(key, strlen(key)), RD_KAFKA_V_VALUE(value, strlen(value)),
                              RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
        if (err)
            fail("produce: %s", rd_kafka_err2str(err));
    }
    check(rd_kafka_flush(p, TIMEOUT_MS) == RD_KAFKA_RESP_ERR_NO_ERROR, "produced %d messages", MESSAGES);
    rd_kafka_destroy(p);
}

/* A group member that consumed everything and committed. */
static rd_kafka_t *live_member(const char *bootstrap, const char *topic, const char *group)
{
    rd_kafka_t *c = new_client(RD_KAFKA_CONSUMER, bootstrap, group);
    rd_kafka_poll_set_consumer(c);
    rd_kafka_topic_partition_list_t *sub = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(sub, topic, RD_KAFKA_PARTITION_UA);
    if (rd_kafka_subscribe(c, sub))
        fail("subscribe: %s", topic);
    rd_kafka_topic_partition_list_destroy(sub);
    int got = 0;
    for (int spins = 0; got < MESSAGES && spins < 300; spins++) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(c, 100);
        if (!m)
            continue;
        if (!m->err)
            got++;
        rd_kafka_message_destroy(m);
    }
    check(got == MESSAGES, "live member of %s consumed %d of %d messages", group, got, MESSAGES);
    check(rd_kafka_commit(c, NULL, 0) == RD_KAFKA_RESP_ERR_NO_ERROR, "live member committed");
    return c;
}

static rd_kafka_event_t *wait_result(rd_kafka_queue_t *q, rd_kafka_event_type_t type, const char *what)
{
    rd_kafka_event_t *ev = rd_kafka_queue_poll(q, TIMEOUT_MS);
    if (!ev)
        fail("%s: no result in time", what);
    if (rd_kafka_event_type(ev) != type)
        fail("%s: unexpected event type", what);
    if (rd_kafka_event_error(ev))
        fail("%s: %s", what, rd_kafka_event_error_string(ev));
    return ev;
}

static rd_kafka_AdminOptions_t *options(rd_kafka_t *rk, rd_kafka_admin_op_t op)
{
    rd_kafka_AdminOptions_t *o = rd_kafka_AdminOptions_new(rk, op);
    char errstr[256];
    rd_kafka_AdminOptions_set_request_timeout(o, TIMEOUT_MS, errstr, sizeof(errstr));
    return o;
}

/* Lists groups (optionally only those in one state); returns the state of
 * group or -1 when it is not listed. */
static int listed_state(rd_kafka_t *rk, rd_kafka_queue_t *q, const char *group, int only_state)
{
    rd_kafka_AdminOptions_t *o = options(rk, RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPS);
    if (only_state >= 0) {
        rd_kafka_consumer_group_state_t states[1] = {(rd_kafka_consumer_group_state_t)only_state};
        rd_kafka_error_t *e = rd_kafka_AdminOptions_set_match_consumer_group_states(o, states, 1);
        if (e)
            fail("state filter: %s", rd_kafka_error_string(e));
    }
    rd_kafka_ListConsumerGroups(rk, o, q);
    rd_kafka_AdminOptions_destroy(o);
    rd_kafka_event_t *ev = wait_result(q, RD_KAFKA_EVENT_LISTCONSUMERGROUPS_RESULT, "ListConsumerGroups");
    const rd_kafka_ListConsumerGroups_result_t *res = rd_kafka_event_ListConsumerGroups_result(ev);
    size_t nerr, n;
    rd_kafka_ListConsumerGroups_result_errors(res, &nerr);
    check(nerr == 0, "ListConsumerGroups without errors (%zu)", nerr);
    const rd_kafka_ConsumerGroupListing_t **list = rd_kafka_ListConsumerGroups_result_valid(res, &n);
    int state = -1;
    for (size_t i = 0; i < n; i++)
        if (strcmp(rd_kafka_ConsumerGroupListing_group_id(list[i]), group) == 0)
            state = (int)rd_kafka_ConsumerGroupListing_state(list[i]);
    rd_kafka_event_destroy(ev);
    return state;
}

static void describe_live(rd_kafka_t *rk, rd_kafka_queue_t *q, const char *group, const char *simple)
{
    const char *groups[] = {group, simple};
    rd_kafka_AdminOptions_t *o = options(rk, RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS);
    rd_kafka_DescribeConsumerGroups(rk, groups, 2, o, q);
    rd_kafka_AdminOptions_destroy(o);
    rd_kafka_event_t *ev = wait_result(q, RD_KAFKA_EVENT_DESCRIBECONSUMERGROUPS_RESULT, "DescribeConsumerGroups");
    size_t n;
    const rd_kafka_ConsumerGroupDescription_t **d =
        rd_kafka_DescribeConsumerGroups_result_groups(rd_kafka_event_DescribeConsumerGroups_result(ev), &n);
    check(n == 2, "described 2 groups (%zu)", n);
    for (size_t i = 0; i < n; i++) {
        const char *id = rd_kafka_ConsumerGroupDescription_group_id(d[i]);
        const rd_kafka_error_t *e = rd_kafka_ConsumerGroupDescription_error(d[i]);
        check(!e, "describe %s: %s", id, e ? rd_kafka_error_string(e) : "no error");
        rd_kafka_consumer_group_state_t st = rd_kafka_ConsumerGroupDescription_state(d[i]);
        size_t members = rd_kafka_ConsumerGroupDescription_member_count(d[i]);
        if (strcmp(id, group) == 0) {
            check(st == RD_KAFKA_CONSUMER_GROUP_STATE_STABLE, "%s is Stable (%s)", id,
                  rd_kafka_consumer_group_state_name(st));
            check(members == 1, "%s has 1 member (%zu)", id, members);
            check(strcmp(rd_kafka_ConsumerGroupDescription_partition_assignor(d[i]), "range") == 0,
                  "%s uses the range assignor (%s)", id, rd_kafka_ConsumerGroupDescription_partition_assignor(d[i]));
            if (members == 1) {
                const rd_kafka_MemberDescription_t *m = rd_kafka_ConsumerGroupDescription_member(d[i], 0);
                const rd_kafka_topic_partition_list_t *parts =
                    rd_kafka_MemberAssignment_partitions(rd_kafka_MemberDescription_assignment(m));
                check(parts && parts->cnt == PARTITIONS, "the member is assigned %d partitions (%d)", PARTITIONS,
                      parts ? parts->cnt : -1);
                check(strcmp(rd_kafka_MemberDescription_host(m), "/127.0.0.1") == 0, "member host is /127.0.0.1 (%s)",
                      rd_kafka_MemberDescription_host(m));
            }
        } else {
            check(st == RD_KAFKA_CONSUMER_GROUP_STATE_EMPTY, "%s is Empty (%s)", id,
                  rd_kafka_consumer_group_state_name(st));
            check(members == 0, "%s has no member (%zu)", id, members);
        }
    }
    rd_kafka_event_destroy(ev);
}

static void alter_offsets(rd_kafka_t *rk, rd_kafka_queue_t *q, const char *group, const char *topic)
{
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(PARTITIONS);
    for (int p = 0; p < PARTITIONS; p++)
        rd_kafka_topic_partition_list_add(parts, topic, p)->offset = p + 1;
    rd_kafka_AlterConsumerGroupOffsets_t *alter = rd_kafka_AlterConsumerGroupOffsets_new(group, parts);
    rd_kafka_topic_partition_list_destroy(parts);
    rd_kafka_AdminOptions_t *o = options(rk, RD_KAFKA_ADMIN_OP_ALTERCONSUMERGROUPOFFSETS);
    rd_kafka_AlterConsumerGroupOffsets(rk, &alter, 1, o, q);
    rd_kafka_AdminOptions_destroy(o);
    rd_kafka_AlterConsumerGroupOffsets_destroy(alter);
    rd_kafka_event_t *ev = wait_result(q, RD_KAFKA_EVENT_ALTERCONSUMERGROUPOFFSETS_RESULT, "AlterConsumerGroupOffsets");
    size_t n;
    const rd_kafka_group_result_t **res =
        rd_kafka_AlterConsumerGroupOffsets_result_groups(rd_kafka_event_AlterConsumerGroupOffsets_result(ev), &n);
    check(n == 1 && !rd_kafka_group_result_error(res[0]), "offsets of %s altered", group);
    const rd_kafka_topic_partition_list_t *out = n == 1 ? rd_kafka_group_result_partitions(res[0]) : NULL;
    for (int i = 0; out && i < out->cnt; i++)
        check(out->elems[i].err == RD_KAFKA_RESP_ERR_NO_ERROR, "altered %s [%d]: %s", topic,
              (int)out->elems[i].partition, rd_kafka_err2str(out->elems[i].err));
    rd_kafka_event_destroy(ev);
}

/* Fetches the committed offsets of all 6 partitions into offsets[]. */
static void list_offsets(rd_kafka_t *rk, rd_kafka_queue_t *q, const char *group, const char *topic,
                         int64_t offsets[PARTITIONS])
{
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(PARTITIONS);
    for (int p = 0; p < PARTITIONS; p++)
        rd_kafka_topic_partition_list_add(parts, topic, p);
    rd_kafka_ListConsumerGroupOffsets_t *req = rd_kafka_ListConsumerGroupOffsets_new(group, parts);
    rd_kafka_topic_partition_list_destroy(parts);
    rd_kafka_AdminOptions_t *o = options(rk, RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS);
    rd_kafka_ListConsumerGroupOffsets(rk, &req, 1, o, q);
    rd_kafka_AdminOptions_destroy(o);
    rd_kafka_ListConsumerGroupOffsets_destroy(req);
    rd_kafka_event_t *ev = wait_result(q, RD_KAFKA_EVENT_LISTCONSUMERGROUPOFFSETS_RESULT, "ListConsumerGroupOffsets");
    size_t n;
    const rd_kafka_group_result_t **res =
        rd_kafka_ListConsumerGroupOffsets_result_groups(rd_kafka_event_ListConsumerGroupOffsets_result(ev), &n);
    for (int p = 0; p < PARTITIONS; p++)
        offsets[p] = -999;
    check(n == 1 && !rd_kafka_group_result_error(res[0]), "offsets of %s listed", group);
    const rd_kafka_topic_partition_list_t *out = n == 1 ? rd_kafka_group_result_partitions(res[0]) : NULL;
    for (int i = 0; out && i < out->cnt; i++)
        if (out->elems[i].partition >= 0 && out->elems[i].partition < PARTITIONS && !out->elems[i].err)
            offsets[out->elems[i].partition] = out->elems[i].offset;
    rd_kafka_event_destroy(ev);
}

/* Deletes partition 0's offset; returns its per-partition error. */
static rd_kafka_resp_err_t delete_offset(rd_kafka_t *rk, rd_kafka_queue_t *q, const char *group, const char *topic)
{
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(parts, topic, 0);
    rd_kafka_DeleteConsumerGroupOffsets_t *del = rd_kafka_DeleteConsumerGroupOffsets_new(group, parts);
    rd_kafka_topic_partition_list_destroy(parts);
    rd_kafka_AdminOptions_t *o = options(rk, RD_KAFKA_ADMIN_OP_DELETECONSUMERGROUPOFFSETS);
    rd_kafka_DeleteConsumerGroupOffsets(rk, &del, 1, o, q);
    rd_kafka_AdminOptions_destroy(o);
    rd_kafka_DeleteConsumerGroupOffsets_destroy(del);
    rd_kafka_event_t *ev = wait_result(q, RD_KAFKA_EVENT_DELETECONSUMERGROUPOFFSETS_RESULT, "DeleteConsumerGroupOffsets");
    size_t n;
    const rd_kafka_group_result_t **res =
        rd_kafka_DeleteConsumerGroupOffsets_result_groups(rd_kafka_event_DeleteConsumerGroupOffsets_result(ev), &n);
    rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR__FAIL;
    if (n == 1) {
        const rd_kafka_error_t *ge = rd_kafka_group_result_error(res[0]);
        const rd_kafka_topic_partition_list_t *out = rd_kafka_group_result_partitions(res[0]);
        if (ge)
            err = rd_kafka_error_code(ge);
        else if (out && out->cnt == 1)
            err = out->elems[0].err;
    }
    rd_kafka_event_destroy(ev);
    return err;
}

static rd_kafka_resp_err_t delete_group(rd_kafka_t *rk, rd_kafka_queue_t *q, const char *group)
{
    rd_kafka_DeleteGroup_t *del = rd_kafka_DeleteGroup_new(group);
    rd_kafka_AdminOptions_t *o = options(rk, RD_KAFKA_ADMIN_OP_DELETEGROUPS);
    rd_kafka_DeleteGroups(rk, &del, 1, o, q);
    rd_kafka_AdminOptions_destroy(o);
    rd_kafka_DeleteGroup_destroy(del);
    rd_kafka_event_t *ev = wait_result(q, RD_KAFKA_EVENT_DELETEGROUPS_RESULT, "DeleteGroups");
    size_t n;
    const rd_kafka_group_result_t **res = rd_kafka_DeleteGroups_result_groups(rd_kafka_event_DeleteGroups_result(ev), &n);
    rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR__FAIL;
    if (n == 1)
        err = rd_kafka_group_result_error(res[0]) ? rd_kafka_error_code(rd_kafka_group_result_error(res[0]))
                                                  : RD_KAFKA_RESP_ERR_NO_ERROR;
    rd_kafka_event_destroy(ev);
    return err;
}

static void run(const char *bootstrap, const char *topic)
{
    char live[256], simple[256], kept[256];
    snprintf(live, sizeof(live), "%s-live", topic);
    snprintf(simple, sizeof(simple), "%s-simple", topic);
    snprintf(kept, sizeof(kept), "%s-kept", topic);
    produce(bootstrap, topic);
    rd_kafka_t *member = live_member(bootstrap, topic, live);

    rd_kafka_t *admin = new_client(RD_KAFKA_PRODUCER, bootstrap, NULL);
    rd_kafka_queue_t *q = rd_kafka_queue_new(admin);

    alter_offsets(admin, q, simple, topic);
    alter_offsets(admin, q, kept, topic);
    int64_t offsets[PARTITIONS];
    list_offsets(admin, q, simple, topic, offsets);
    for (int p = 0; p < PARTITIONS; p++)
        check(offsets[p] == p + 1, "%s [%d] committed at %d (%lld)", simple, p, p + 1, (long long)offsets[p]);
    list_offsets(admin, q, live, topic, offsets);
    int64_t sum = 0;
    for (int p = 0; p < PARTITIONS; p++)
        sum += offsets[p] > 0 ? offsets[p] : 0;
    check(sum == MESSAGES, "the live member's commits add up to %d (%lld)", MESSAGES, (long long)sum);

    check(listed_state(admin, q, live, -1) == RD_KAFKA_CONSUMER_GROUP_STATE_STABLE, "%s listed as Stable", live);
    check(listed_state(admin, q, simple, -1) == RD_KAFKA_CONSUMER_GROUP_STATE_EMPTY, "%s listed as Empty", simple);
    check(listed_state(admin, q, live, RD_KAFKA_CONSUMER_GROUP_STATE_STABLE) == RD_KAFKA_CONSUMER_GROUP_STATE_STABLE,
          "state filter Stable keeps %s", live);
    check(listed_state(admin, q, simple, RD_KAFKA_CONSUMER_GROUP_STATE_STABLE) == -1,
          "state filter Stable drops %s", simple);
    describe_live(admin, q, live, simple);

    rd_kafka_resp_err_t err = delete_offset(admin, q, live, topic);
    check(err == RD_KAFKA_RESP_ERR_GROUP_SUBSCRIBED_TO_TOPIC, "deleting a subscribed topic's offset is refused (%s)",
          rd_kafka_err2name(err));
    err = delete_offset(admin, q, simple, topic);
    check(err == RD_KAFKA_RESP_ERR_NO_ERROR, "deleting %s [0] offset of %s (%s)", topic, simple, rd_kafka_err2name(err));
    list_offsets(admin, q, simple, topic, offsets);
    check(offsets[0] == RD_KAFKA_OFFSET_INVALID, "%s [0] has no offset any more (%lld)", simple, (long long)offsets[0]);
    check(offsets[1] == 2, "%s [1] still at 2 (%lld)", simple, (long long)offsets[1]);

    err = delete_group(admin, q, live);
    check(err == RD_KAFKA_RESP_ERR_NON_EMPTY_GROUP, "deleting a group with a member is refused (%s)",
          rd_kafka_err2name(err));
    err = delete_group(admin, q, simple);
    check(err == RD_KAFKA_RESP_ERR_NO_ERROR, "deleted %s (%s)", simple, rd_kafka_err2name(err));
    check(listed_state(admin, q, simple, -1) == -1, "%s is no longer listed", simple);
    err = delete_group(admin, q, simple);
    check(err == RD_KAFKA_RESP_ERR_GROUP_ID_NOT_FOUND, "deleting it again: GROUP_ID_NOT_FOUND (%s)",
          rd_kafka_err2name(err));

    /* The member leaves; its group empties and can be deleted. */
    rd_kafka_consumer_close(member);
    rd_kafka_destroy(member);
    check(listed_state(admin, q, live, -1) == RD_KAFKA_CONSUMER_GROUP_STATE_EMPTY, "%s is Empty after the member left",
          live);
    err = delete_group(admin, q, live);
    check(err == RD_KAFKA_RESP_ERR_NO_ERROR, "deleted %s after its member left (%s)", live, rd_kafka_err2name(err));

    rd_kafka_queue_destroy(q);
    rd_kafka_destroy(admin);
}

static void restarted(const char *bootstrap, const char *topic)
{
    char live[256], simple[256], kept[256];
    snprintf(live, sizeof(live), "%s-live", topic);
    snprintf(simple, sizeof(simple), "%s-simple", topic);
    snprintf(kept, sizeof(kept), "%s-kept", topic);
    rd_kafka_t *admin = new_client(RD_KAFKA_PRODUCER, bootstrap, NULL);
    rd_kafka_queue_t *q = rd_kafka_queue_new(admin);
    check(listed_state(admin, q, kept, -1) == RD_KAFKA_CONSUMER_GROUP_STATE_EMPTY, "%s survived the restart", kept);
    check(listed_state(admin, q, live, -1) == -1, "deleted %s stays deleted", live);
    check(listed_state(admin, q, simple, -1) == -1, "deleted %s stays deleted", simple);
    int64_t offsets[PARTITIONS];
    list_offsets(admin, q, kept, topic, offsets);
    for (int p = 0; p < PARTITIONS; p++)
        check(offsets[p] == p + 1, "%s [%d] still committed at %d (%lld)", kept, p, p + 1, (long long)offsets[p]);
    rd_kafka_queue_destroy(q);
    rd_kafka_destroy(admin);
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: group_admin BOOTSTRAP TOPIC run|restarted\n");
        return 2;
    }
    if (strcmp(argv[3], "run") == 0)
        run(argv[1], argv[2]);
    else if (strcmp(argv[3], "restarted") == 0)
        restarted(argv[1], argv[2]);
    else
        fail("unknown step: %s", argv[3]);
    if (failures)
        fprintf(stderr, "%d check(s) failed\n", failures);
    return failures ? 1 : 0;
}
