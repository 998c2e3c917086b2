/* What Kelp advertises in ApiVersions against what a Kafka 4.0.0 broker
 * advertises to clients: the same range for every API Kelp serves, and no
 * API a Kafka 4.0 broker does not serve. Clients pick versions from these
 * ranges, so a difference is a client seeing a broker unlike Kafka 4.0. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/broker.h"
#include "protocol/generated/kafka_apis.h"

/* Kafka 4.0.0's broker ApiVersions response, written by hand from the 4.0
 * protocol guide, KIP-896 and the 4.0 message specs: KIP-896 raised the
 * lowest versions, unstable latest versions (the share-group APIs) are not
 * advertised, and Produce keeps 0 as its advertised minimum although v0-2
 * are rejected (KAFKA-18659: librdkafka needs it to enable compression).
 * Only the rows of APIs Kelp serves are compared; the rest list what Kafka
 * 4.0 serves to clients. */
static const struct {
    int16_t key, min, max;
} kafka40[] = {
    {KAFKA_API_PRODUCE, 0, 12},
    {KAFKA_API_FETCH, 4, 17},
    {KAFKA_API_LIST_OFFSETS, 1, 10},
    {KAFKA_API_METADATA, 0, 13},
    {KAFKA_API_OFFSET_COMMIT, 2, 9},
    {KAFKA_API_OFFSET_FETCH, 1, 9},
    {KAFKA_API_FIND_COORDINATOR, 0, 6},
    {KAFKA_API_JOIN_GROUP, 0, 9},
    {KAFKA_API_HEARTBEAT, 0, 4},
    {KAFKA_API_LEAVE_GROUP, 0, 5},
    {KAFKA_API_SYNC_GROUP, 0, 5},
    {KAFKA_API_DESCRIBE_GROUPS, 0, 6},
    {KAFKA_API_LIST_GROUPS, 0, 5},
    {KAFKA_API_SASL_HANDSHAKE, 0, 1},
    {KAFKA_API_API_VERSIONS, 0, 4},
    {KAFKA_API_CREATE_TOPICS, 2, 7},
    {KAFKA_API_DELETE_TOPICS, 1, 6},
    {KAFKA_API_DELETE_RECORDS, 0, 2},
    {KAFKA_API_INIT_PRODUCER_ID, 0, 5},
    {KAFKA_API_OFFSET_FOR_LEADER_EPOCH, 2, 4},
    {KAFKA_API_ADD_PARTITIONS_TO_TXN, 0, 5},
    {KAFKA_API_ADD_OFFSETS_TO_TXN, 0, 4},
    {KAFKA_API_END_TXN, 0, 5},
    {KAFKA_API_WRITE_TXN_MARKERS, 1, 1},
    {KAFKA_API_TXN_OFFSET_COMMIT, 0, 5},
    {KAFKA_API_DESCRIBE_ACLS, 1, 3},
    {KAFKA_API_CREATE_ACLS, 1, 3},
    {KAFKA_API_DELETE_ACLS, 1, 3},
    {KAFKA_API_DESCRIBE_CONFIGS, 1, 4},
    {KAFKA_API_ALTER_CONFIGS, 0, 2},
    {KAFKA_API_ALTER_REPLICA_LOG_DIRS, 1, 2},
    {KAFKA_API_DESCRIBE_LOG_DIRS, 1, 4},
    {KAFKA_API_SASL_AUTHENTICATE, 0, 2},
    {KAFKA_API_CREATE_PARTITIONS, 0, 3},
    {KAFKA_API_CREATE_DELEGATION_TOKEN, 1, 3},
    {KAFKA_API_RENEW_DELEGATION_TOKEN, 1, 2},
    {KAFKA_API_EXPIRE_DELEGATION_TOKEN, 1, 2},
    {KAFKA_API_DESCRIBE_DELEGATION_TOKEN, 1, 3},
    {KAFKA_API_DELETE_GROUPS, 0, 2},
    {KAFKA_API_ELECT_LEADERS, 0, 2},
    {KAFKA_API_INCREMENTAL_ALTER_CONFIGS, 0, 1},
    {KAFKA_API_ALTER_PARTITION_REASSIGNMENTS, 0, 0},
    {KAFKA_API_LIST_PARTITION_REASSIGNMENTS, 0, 0},
    {KAFKA_API_OFFSET_DELETE, 0, 0},
    {KAFKA_API_DESCRIBE_CLIENT_QUOTAS, 0, 1},
    {KAFKA_API_ALTER_CLIENT_QUOTAS, 0, 1},
    {KAFKA_API_DESCRIBE_USER_SCRAM_CREDENTIALS, 0, 0},
    {KAFKA_API_ALTER_USER_SCRAM_CREDENTIALS, 0, 0},
    {KAFKA_API_DESCRIBE_QUORUM, 0, 2},
    {KAFKA_API_UPDATE_FEATURES, 0, 1},
    {KAFKA_API_DESCRIBE_CLUSTER, 0, 2},
    {KAFKA_API_DESCRIBE_PRODUCERS, 0, 0},
    {KAFKA_API_UNREGISTER_BROKER, 0, 0},
    {KAFKA_API_DESCRIBE_TRANSACTIONS, 0, 0},
    {KAFKA_API_LIST_TRANSACTIONS, 0, 1},
    {KAFKA_API_CONSUMER_GROUP_HEARTBEAT, 0, 1},
    {KAFKA_API_CONSUMER_GROUP_DESCRIBE, 0, 1},
    {KAFKA_API_GET_TELEMETRY_SUBSCRIPTIONS, 0, 0},
    {KAFKA_API_PUSH_TELEMETRY, 0, 0},
    {KAFKA_API_LIST_CLIENT_METRICS_RESOURCES, 0, 0},
    {KAFKA_API_DESCRIBE_TOPIC_PARTITIONS, 0, 0},
    {KAFKA_API_ADD_RAFT_VOTER, 0, 0},
    {KAFKA_API_REMOVE_RAFT_VOTER, 0, 0},
};
static const size_t kafka40_count = sizeof(kafka40) / sizeof(kafka40[0]);

static int kafka40_index(int16_t key)
{
    for (size_t i = 0; i < kafka40_count; i++)
        if (kafka40[i].key == key)
            return (int)i;
    return -1;
}

/* The advertised maximum: a table maximum of 0 stands for the schemas'
 * latest stable version, which kelp_broker_init fills in. */
static int16_t advertised_max(const kelp_api *a)
{
    if (a->max_version > 0)
        return a->max_version;
    const kafka_api_info *info = kafka_api_lookup(a->api_key);
    return info ? info->max_version : -1;
}

static const char *api_name(int16_t key)
{
    const kafka_api_info *info = kafka_api_lookup(key);
    return info ? info->name : "?";
}

START_TEST(every_advertised_range_is_kafka_40s)
{
    size_t count;
    const kelp_api *apis = kelp_broker_apis(&count);
    ck_assert_uint_gt(count, 0);
    char report[4096] = "";
    size_t used = 0;
    int mismatches = 0;
    for (size_t i = 0; i < count; i++) {
        int k = kafka40_index(apis[i].api_key);
        if (k < 0)
            continue; /* the next test names it */
        int16_t max = advertised_max(&apis[i]);
        /* The one accepted difference: Kafka 4.0 advertises Produce from 0
         * but rejects v0-2; Kelp advertises the 3 it really serves. */
        int16_t min = apis[i].api_key == KAFKA_API_PRODUCE && apis[i].min_version == 3 ? 0 : apis[i].min_version;
        if (min == kafka40[k].min && max == kafka40[k].max)
            continue;
        mismatches++;
        int n = snprintf(report + used, sizeof(report) - used, "\n  %s(%d): Kelp %d-%d, Kafka 4.0 %d-%d",
                         api_name(apis[i].api_key), apis[i].api_key, apis[i].min_version, max, kafka40[k].min,
                         kafka40[k].max);
        if (n > 0 && (size_t)n < sizeof(report) - used)
            used += (size_t)n;
    }
    ck_assert_msg(mismatches == 0, "%d advertised ranges differ from Kafka 4.0:%s", mismatches, report);
}
END_TEST

START_TEST(nothing_is_advertised_that_kafka_40_does_not_serve)
{
    size_t count;
    const kelp_api *apis = kelp_broker_apis(&count);
    for (size_t i = 0; i < count; i++) {
        ck_assert_msg(kafka40_index(apis[i].api_key) >= 0, "%s(%d) is not served to clients by Kafka 4.0",
                      api_name(apis[i].api_key), apis[i].api_key);
        const kafka_api_info *info = kafka_api_lookup(apis[i].api_key);
        ck_assert_msg(info && info->broker_listener, "%s(%d) is not a client-facing API",
                      api_name(apis[i].api_key), apis[i].api_key);
        for (size_t j = 0; j < i; j++)
            ck_assert_msg(apis[j].api_key != apis[i].api_key, "%s(%d) is listed twice", api_name(apis[i].api_key),
                          apis[i].api_key);
    }
}
END_TEST

/* A range must also be one the generated codec can encode and decode. */
START_TEST(every_advertised_range_is_within_the_codec)
{
    size_t count;
    const kelp_api *apis = kelp_broker_apis(&count);
    for (size_t i = 0; i < count; i++) {
        const kafka_api_info *info = kafka_api_lookup(apis[i].api_key);
        ck_assert_ptr_nonnull(info);
        ck_assert_msg(apis[i].min_version >= info->min_version && advertised_max(&apis[i]) <= info->max_version &&
                          apis[i].min_version <= advertised_max(&apis[i]),
                      "%s(%d): %d-%d outside the codec's %d-%d", info->name, apis[i].api_key, apis[i].min_version,
                      advertised_max(&apis[i]), info->min_version, info->max_version);
    }
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("api_versions_kafka40");
    TCase *tc = tcase_create("ranges");
    tcase_add_test(tc, every_advertised_range_is_kafka_40s);
    tcase_add_test(tc, nothing_is_advertised_that_kafka_40_does_not_serve);
    tcase_add_test(tc, every_advertised_range_is_within_the_codec);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
