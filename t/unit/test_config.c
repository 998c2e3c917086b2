/* Configuration: defaults, every key, errors that name the key and leave the
 * configuration unchanged, and the JSON round trip. */
#include <check.h>
#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "module/config.h"

/* Field by field: padding bytes are not part of the value. */
static bool configs_equal(const kelp_config *a, const kelp_config *b)
{
    return strcmp(a->listen, b->listen) == 0 && strcmp(a->admin, b->admin) == 0 &&
           strcmp(a->advertised_host, b->advertised_host) == 0 && strcmp(a->data_dir, b->data_dir) == 0 &&
           a->node_id == b->node_id && a->default_partitions == b->default_partitions &&
           a->auto_create_topics == b->auto_create_topics && a->segment_bytes == b->segment_bytes &&
           a->index_interval_bytes == b->index_interval_bytes && a->max_request_bytes == b->max_request_bytes &&
           a->message_max_bytes == b->message_max_bytes && a->max_connections == b->max_connections &&
           a->log_level == b->log_level;
}

START_TEST(defaults_match_the_documentation)
{
    kelp_config cfg;
    kelp_config_defaults(&cfg);
    ck_assert_str_eq(cfg.listen, "127.0.0.1:9092");
    ck_assert_str_eq(cfg.admin, "127.0.0.1:9644");
    ck_assert_str_eq(cfg.advertised_host, "");
    ck_assert_str_eq(cfg.data_dir, "./kelp-data");
    ck_assert_int_eq(cfg.node_id, 0);
    ck_assert_int_eq(cfg.default_partitions, 4);
    ck_assert(cfg.auto_create_topics);
    ck_assert_int_eq(cfg.segment_bytes, 1073741824);
    ck_assert_int_eq(cfg.index_interval_bytes, 4096);
    ck_assert_int_eq(cfg.max_request_bytes, 104857600);
    ck_assert_int_eq(cfg.message_max_bytes, 1048588);
    ck_assert_int_eq(cfg.max_connections, 10000);
    ck_assert_int_eq(cfg.connections_max_idle_ms, 600000);
    ck_assert_int_eq(cfg.log_level, KELP_LOG_INFO);
}
END_TEST

START_TEST(every_key_is_applied)
{
    kelp_config cfg;
    kelp_config_defaults(&cfg);
    char err[256] = "";
    const char *json = "{\"listen\":\"0.0.0.0:19092\",\"admin\":\"\",\"advertised_host\":\"kafka.example\","
                       "\"data\":\"/srv/kelp\",\"node_id\":7,\"default_partitions\":12,"
                       "\"auto_create_topics\":false,\"segment_bytes\":4294967,"
                       "\"index_interval_bytes\":1024,\"max_request_bytes\":2000000,"
                       "\"message_max_bytes\":1000000,\"max_connections\":50,\"log_level\":\"debug\"}";
    ck_assert_int_eq(kelp_config_apply_json(&cfg, json, err, sizeof(err)), 0);
    ck_assert_str_eq(cfg.listen, "0.0.0.0:19092");
    ck_assert_str_eq(cfg.admin, "");
    ck_assert_str_eq(cfg.advertised_host, "kafka.example");
    ck_assert_str_eq(cfg.data_dir, "/srv/kelp");
    ck_assert_int_eq(cfg.node_id, 7);
    ck_assert_int_eq(cfg.default_partitions, 12);
    ck_assert(!cfg.auto_create_topics);
    ck_assert_int_eq(cfg.segment_bytes, 4294967);
    ck_assert_int_eq(cfg.index_interval_bytes, 1024);
    ck_assert_int_eq(cfg.max_request_bytes, 2000000);
    ck_assert_int_eq(cfg.message_max_bytes, 1000000);
    ck_assert_int_eq(cfg.max_connections, 50);
    ck_assert_int_eq(cfg.log_level, KELP_LOG_DEBUG);
}
END_TEST

START_TEST(keys_not_named_keep_their_value)
{
    kelp_config cfg;
    kelp_config_defaults(&cfg);
    char err[256];
    ck_assert_int_eq(kelp_config_apply_json(&cfg, "{\"node_id\":3}", err, sizeof(err)), 0);
    ck_assert_int_eq(kelp_config_apply_json(&cfg, "{\"max_connections\":9}", err, sizeof(err)), 0);
    ck_assert_int_eq(cfg.node_id, 3);
    ck_assert_int_eq(cfg.max_connections, 9);
    ck_assert_str_eq(cfg.listen, "127.0.0.1:9092");
    ck_assert_int_eq(kelp_config_apply_json(&cfg, "{}", err, sizeof(err)), 0);
    ck_assert_int_eq(cfg.node_id, 3);
}
END_TEST

/* Each bad input must fail, name the key (or the problem) in the message
 * and leave every field as it was. */
static const struct bad_case {
    const char *json;
    const char *expected;
} bad_cases[] = {
    {"{\"colour\":1}", "unknown configuration key \"colour\""},
    {"{\"node_id\":1,\"Listen\":\"a:1\"}", "unknown configuration key \"Listen\""},
    {"{\"listen\":9092}", "configuration key \"listen\" must be a string"},
    {"{\"admin\":null}", "configuration key \"admin\" must be a string"},
    {"{\"data\":[\"x\"]}", "configuration key \"data\" must be a string"},
    {"{\"node_id\":\"1\"}", "configuration key \"node_id\" must be an integer"},
    {"{\"auto_create_topics\":1}", "configuration key \"auto_create_topics\" must be a boolean"},
    {"{\"log_level\":2}", "configuration key \"log_level\" must be a string"},
    {"{\"log_level\":\"loud\"}", "configuration key \"log_level\" must be one of"},
    {"{\"listen\":\"localhost\"}", "configuration key \"listen\" must be HOST:PORT"},
    {"{\"listen\":\"localhost:65536\"}", "configuration key \"listen\" must be HOST:PORT"},
    {"{\"listen\":\":9092\"}", "configuration key \"listen\" must be HOST:PORT"},
    {"{\"listen\":\"::1:9092\"}", "configuration key \"listen\" must be HOST:PORT"},
    {"{\"listen\":\"\"}", "configuration key \"listen\" must be HOST:PORT"},
    {"{\"admin\":\"1.2.3.4:x\"}", "configuration key \"admin\" must be HOST:PORT"},
    {"{\"data\":\"\"}", "configuration key \"data\" must not be empty"},
    {"{\"default_partitions\":0}", "configuration key \"default_partitions\" must be between 1 and"},
    {"{\"node_id\":-1}", "configuration key \"node_id\" must be between 0 and"},
    {"{\"node_id\":1.5}", "configuration key \"node_id\" must be an integer"},
    {"{\"node_id\":1e300}", "configuration key \"node_id\" must be between"},
    {"{\"segment_bytes\":1000}", "configuration key \"segment_bytes\" must be between 1048576 and"},
    {"{\"segment_bytes\":4294967296}", "configuration key \"segment_bytes\" must be between"},
    {"{\"index_interval_bytes\":0}", "configuration key \"index_interval_bytes\" must be between"},
    {"{\"max_request_bytes\":10}", "configuration key \"max_request_bytes\" must be between"},
    {"{\"message_max_bytes\":0}", "configuration key \"message_max_bytes\" must be between"},
    {"{\"max_connections\":0}", "configuration key \"max_connections\" must be between"},
    {"{\"connections_max_idle_ms\":999}", "configuration key \"connections_max_idle_ms\" must be between 1000 and"},
    {"{\"message_max_bytes\":200000000}", "configuration key \"message_max_bytes\""},
    {"{\"node_id\":5,\"max_connections\":-5}", "configuration key \"max_connections\""},
    {"[1,2]", "configuration must be a JSON object"},
    {"\"listen\"", "configuration must be a JSON object"},
    {"{\"listen\":", "not valid JSON"},
    {"{} trailing", "not valid JSON"},
    {"", "not valid JSON"},
};

START_TEST(bad_input_names_the_key_and_changes_nothing)
{
    const struct bad_case *bc = &bad_cases[_i];
    kelp_config cfg, before;
    kelp_config_defaults(&cfg);
    ck_assert_int_eq(kelp_config_apply_json(&cfg, "{\"node_id\":42,\"listen\":\"10.0.0.1:1\"}", (char[64]){0}, 64),
                     0);
    before = cfg;
    char err[256] = "";
    ck_assert_int_eq(kelp_config_apply_json(&cfg, bc->json, err, sizeof(err)), -1);
    ck_assert_msg(strstr(err, bc->expected) != NULL, "input %s: got \"%s\", expected \"%s\"", bc->json, err,
                  bc->expected);
    ck_assert(configs_equal(&cfg, &before));
}
END_TEST

START_TEST(too_long_strings_are_refused)
{
    kelp_config cfg, before;
    kelp_config_defaults(&cfg);
    before = cfg;
    size_t n = KELP_CONFIG_ADDR_MAX + 10;
    char *json = malloc(n + 64);
    char *host = malloc(n + 1);
    memset(host, 'h', n);
    host[n] = '\0';
    snprintf(json, n + 64, "{\"advertised_host\":\"%s\"}", host);
    char err[256] = "";
    ck_assert_int_eq(kelp_config_apply_json(&cfg, json, err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "\"advertised_host\" is too long"));
    ck_assert(configs_equal(&cfg, &before));
    free(json);
    free(host);
}
END_TEST

START_TEST(bounds_are_inclusive)
{
    kelp_config cfg;
    kelp_config_defaults(&cfg);
    char err[256] = "";
    ck_assert_int_eq(kelp_config_apply_json(&cfg,
                                            "{\"segment_bytes\":1048576,\"default_partitions\":1,"
                                            "\"max_request_bytes\":65536,\"message_max_bytes\":1024,"
                                            "\"listen\":\"[::1]:0\",\"admin\":\"localhost:65535\"}",
                                            err, sizeof(err)),
                     0);
    ck_assert_int_eq(cfg.segment_bytes, 1048576);
    ck_assert_str_eq(cfg.listen, "[::1]:0");
    ck_assert_int_eq(kelp_config_apply_json(&cfg, "{\"segment_bytes\":2147483647}", err, sizeof(err)), 0);
    ck_assert_int_eq(cfg.segment_bytes, 2147483647);
}
END_TEST

START_TEST(group_session_bounds_must_be_ordered)
{
    kelp_config cfg, before;
    kelp_config_defaults(&cfg);
    before = cfg;
    char err[256] = "";
    ck_assert_int_eq(kelp_config_apply_json(&cfg, "{\"group_min_session_timeout_ms\":2000000}", err, sizeof(err)),
                     -1);
    ck_assert_ptr_nonnull(strstr(err, "group_min_session_timeout_ms"));
    ck_assert(configs_equal(&cfg, &before));
    ck_assert_int_eq(kelp_config_apply_json(&cfg,
                                            "{\"group_min_session_timeout_ms\":1000,"
                                            "\"group_max_session_timeout_ms\":1000}",
                                            err, sizeof(err)),
                     0);
    ck_assert_int_eq(cfg.group_min_session_timeout_ms, 1000);
    ck_assert_int_eq(kelp_config_apply_json(&cfg, "{\"group_max_size\":0}", err, sizeof(err)), -1);
}
END_TEST

START_TEST(storage_object_is_validated_key_by_key)
{
    kelp_config cfg;
    kelp_config_defaults(&cfg);
    ck_assert_str_eq(cfg.storage.filer, "");
    ck_assert_str_eq(cfg.storage.root, "/");
    ck_assert_int_eq(cfg.storage.max_requests, 8);
    ck_assert_int_eq(cfg.storage.timeout_ms, 10000);
    char err[256] = "";
    ck_assert_int_eq(kelp_config_apply_json(&cfg,
                                            "{\"storage\":{\"filer\":\"http://filer:8888\",\"root\":\"/buckets/k\","
                                            "\"max_requests\":3,\"jwt\":\"t0k\"}}",
                                            err, sizeof(err)),
                     0);
    ck_assert_str_eq(cfg.storage.filer, "http://filer:8888");
    ck_assert_str_eq(cfg.storage.root, "/buckets/k");
    ck_assert_str_eq(cfg.storage.jwt, "t0k");
    ck_assert_int_eq(cfg.storage.max_requests, 3);
    ck_assert_int_eq(cfg.storage.timeout_ms, 10000); /* not named: kept */
    kelp_config before = cfg;
    static const char *const bad[][2] = {
        {"{\"storage\":{\"filer\":\"ftp://x:1\"}}", "storage.filer"},
        {"{\"storage\":{\"filer\":\"http://x:1/path\"}}", "storage.filer"},
        {"{\"storage\":{\"root\":\"relative\"}}", "storage.root"},
        {"{\"storage\":{\"root\":\"/a/../b\"}}", "storage.root"},
        {"{\"storage\":{\"max_requests\":0}}", "storage.max_requests"},
        {"{\"storage\":{\"timeout_ms\":\"fast\"}}", "storage.timeout_ms"},
        {"{\"storage\":{\"colour\":1}}", "storage.colour"},
        {"{\"storage\":\"http://x:1\"}", "storage"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        ck_assert_int_eq(kelp_config_apply_json(&cfg, bad[i][0], err, sizeof(err)), -1);
        ck_assert_msg(strstr(err, bad[i][1]) != NULL, "%s: %s", bad[i][0], err);
        ck_assert_mem_eq(&cfg.storage, &before.storage, sizeof(cfg.storage));
    }
    /* The JSON form round-trips the object. */
    char *json = kelp_config_to_json(&cfg);
    kelp_config back;
    kelp_config_defaults(&back);
    ck_assert_int_eq(kelp_config_apply_json(&back, json, err, sizeof(err)), 0);
    ck_assert_mem_eq(&back.storage, &cfg.storage, sizeof(cfg.storage));
    free(json);
}
END_TEST

START_TEST(later_duplicate_key_wins)
{
    kelp_config cfg;
    kelp_config_defaults(&cfg);
    char err[256];
    ck_assert_int_eq(kelp_config_apply_json(&cfg, "{\"node_id\":1,\"node_id\":2}", err, sizeof(err)), 0);
    ck_assert_int_eq(cfg.node_id, 2);
}
END_TEST

START_TEST(split_hostport_handles_ipv4_names_and_ipv6)
{
    char host[64];
    uint16_t port = 1;
    ck_assert_int_eq(kelp_config_split_hostport("127.0.0.1:9092", host, sizeof(host), &port), 0);
    ck_assert_str_eq(host, "127.0.0.1");
    ck_assert_uint_eq(port, 9092);
    ck_assert_int_eq(kelp_config_split_hostport("[::1]:0", host, sizeof(host), &port), 0);
    ck_assert_str_eq(host, "::1");
    ck_assert_uint_eq(port, 0);
    ck_assert_int_eq(kelp_config_split_hostport("broker.local:65535", host, sizeof(host), &port), 0);
    ck_assert_str_eq(host, "broker.local");
    ck_assert_uint_eq(port, 65535);
    ck_assert_int_eq(kelp_config_split_hostport("[::1]9092", host, sizeof(host), &port), -1);
    ck_assert_int_eq(kelp_config_split_hostport("[::1", host, sizeof(host), &port), -1);
    ck_assert_int_eq(kelp_config_split_hostport("host:-1", host, sizeof(host), &port), -1);
    ck_assert_int_eq(kelp_config_split_hostport("host:123456", host, sizeof(host), &port), -1);
    ck_assert_int_eq(kelp_config_split_hostport("host:", host, sizeof(host), &port), -1);
    ck_assert_int_eq(kelp_config_split_hostport("a very long host name:1", host, 5, &port), -1);
}
END_TEST

START_TEST(to_json_lists_every_key_and_round_trips)
{
    kelp_config cfg, back;
    kelp_config_defaults(&cfg);
    char err[256] = "";
    ck_assert_int_eq(kelp_config_apply_json(&cfg,
                                            "{\"listen\":\"[::]:0\",\"admin\":\"\",\"advertised_host\":\"a\\\"b\","
                                            "\"data\":\"/tmp/x y\",\"node_id\":2147483647,"
                                            "\"segment_bytes\":2000000000,\"log_level\":\"warn\","
                                            "\"auto_create_topics\":false,\"group_initial_rebalance_delay_ms\":0,"
                                            "\"group_max_size\":5}",
                                            err, sizeof(err)),
                     0);
    char *json = kelp_config_to_json(&cfg);
    ck_assert_ptr_nonnull(json);

    cJSON *root = cJSON_Parse(json);
    ck_assert_ptr_nonnull(root);
    static const char *const keys[] = {"listen", "admin", "advertised_host", "data", "node_id",
                                       "default_partitions", "auto_create_topics", "segment_bytes",
                                       "index_interval_bytes", "max_request_bytes", "message_max_bytes",
                                       "max_connections", "connections_max_idle_ms", "log_level",
                                       "log_format", "group_initial_rebalance_delay_ms",
                                       "group_min_session_timeout_ms", "group_max_session_timeout_ms",
                                       "group_max_size", "log_retention_ms", "log_retention_bytes", "log_segment_ms",
                                       "log_retention_check_interval_ms", "transaction_max_timeout_ms",
                                       "transaction_check_interval_ms", "producer_id_expiration_ms", "storage",
                                       "schema_registry", "security", "admin_auth", "listeners"};
    ck_assert_int_eq(cJSON_GetArraySize(root), (int)(sizeof(keys) / sizeof(keys[0])));
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        ck_assert_msg(cJSON_GetObjectItemCaseSensitive(root, keys[i]) != NULL, "missing %s", keys[i]);
    ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(root, "log_level")->valuestring, "warn");
    cJSON_Delete(root);

    kelp_config_defaults(&back);
    ck_assert_int_eq(kelp_config_apply_json(&back, json, err, sizeof(err)), 0);
    ck_assert(configs_equal(&cfg, &back));
    free(json);
}
END_TEST

START_TEST(listeners_are_checked_whole_and_round_trip)
{
    kelp_config cfg;
    kelp_config_defaults(&cfg);
    char err[256] = "";
    ck_assert_int_eq(kelp_config_apply_json(&cfg,
                                            "{\"listeners\":[{\"name\":\"INTERNAL\",\"listen\":\"10.0.0.1:9093\","
                                            "\"protocol\":\"SASL_PLAINTEXT\",\"advertised_host\":\"k.internal\"},"
                                            "{\"name\":\"E_2\",\"listen\":\"[::1]:0\"}]}",
                                            err, sizeof(err)),
                     0);
    ck_assert_int_eq(cfg.listener_count, 2);
    ck_assert_str_eq(cfg.listeners[0].name, "INTERNAL");
    ck_assert_int_eq(cfg.listeners[0].protocol, KELP_LISTENER_SASL_PLAINTEXT);
    ck_assert_str_eq(cfg.listeners[0].advertised_host, "k.internal");
    ck_assert_int_eq(cfg.listeners[1].protocol, KELP_LISTENER_PLAINTEXT);

    /* Each refusal names what to fix and changes nothing. */
    kelp_config before = cfg;
    static const struct {
        const char *json, *says;
    } bad[] = {
        {"{\"listeners\":{}}", "array"},
        {"{\"listeners\":[{\"listen\":\"127.0.0.1:1\"}]}", "listeners[0].name"},
        {"{\"listeners\":[{\"name\":\"a\",\"listen\":\"127.0.0.1:1\"}]}", "upper-case"},
        {"{\"listeners\":[{\"name\":\"MAIN\",\"listen\":\"127.0.0.1:1\"}]}", "MAIN"},
        {"{\"listeners\":[{\"name\":\"A\"}]}", "listeners[0].listen"},
        {"{\"listeners\":[{\"name\":\"A\",\"listen\":\"127.0.0.1:99999\"}]}", "HOST:PORT"},
        {"{\"listeners\":[{\"name\":\"A\",\"listen\":\"127.0.0.1:1\",\"protocol\":\"TLS\"}]}", "protocol"},
        {"{\"listeners\":[{\"name\":\"A\",\"listen\":\"127.0.0.1:1\",\"port\":1}]}", "listeners[0].port"},
        {"{\"listeners\":[{\"name\":\"A\",\"listen\":\"127.0.0.1:1\"},{\"name\":\"A\",\"listen\":\"127.0.0.1:2\"}]}",
         "two listeners"},
        {"{\"listeners\":[{\"name\":\"A\",\"listen\":\"127.0.0.1:1\"},{\"name\":\"B\",\"listen\":\"127.0.0.1:1\"}]}",
         "both listen"},
        {"{\"listeners\":[{\"name\":\"A\",\"listen\":\"127.0.0.1:9092\"}]}", "as \"listen\" does"},
        {"{\"listeners\":[{\"name\":\"A\",\"listen\":\"127.0.0.1:1\",\"protocol\":\"SSL\"}]}",
         "ssl_certificate"},
        {"{\"listeners\":[{\"name\":\"A\",\"listen\":\"1.1.1.1:1\"},{\"name\":\"B\",\"listen\":\"1.1.1.1:2\"},"
         "{\"name\":\"C\",\"listen\":\"1.1.1.1:3\"},{\"name\":\"D\",\"listen\":\"1.1.1.1:4\"},"
         "{\"name\":\"E\",\"listen\":\"1.1.1.1:5\"},{\"name\":\"F\",\"listen\":\"1.1.1.1:6\"},"
         "{\"name\":\"G\",\"listen\":\"1.1.1.1:7\"},{\"name\":\"H\",\"listen\":\"1.1.1.1:8\"},"
         "{\"name\":\"I\",\"listen\":\"1.1.1.1:9\"}]}",
         "at most 8"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        ck_assert_msg(kelp_config_apply_json(&cfg, bad[i].json, err, sizeof(err)) == -1, "accepted %s", bad[i].json);
        ck_assert_msg(strstr(err, bad[i].says) != NULL, "%s: \"%s\" does not say %s", bad[i].json, err, bad[i].says);
        ck_assert(memcmp(&cfg, &before, sizeof(cfg)) == 0);
    }
    /* Two port-0 listeners are fine: each gets its own port. */
    ck_assert_int_eq(kelp_config_apply_json(&cfg,
                                            "{\"listeners\":[{\"name\":\"A\",\"listen\":\"127.0.0.1:0\"},"
                                            "{\"name\":\"B\",\"listen\":\"127.0.0.1:0\"}]}",
                                            err, sizeof(err)),
                     0);
    char *json = kelp_config_to_json(&cfg);
    kelp_config back;
    kelp_config_defaults(&back);
    ck_assert_int_eq(kelp_config_apply_json(&back, json, err, sizeof(err)), 0);
    ck_assert_int_eq(back.listener_count, 2);
    ck_assert_str_eq(back.listeners[1].name, "B");
    free(json);
    /* An empty array removes them all. */
    ck_assert_int_eq(kelp_config_apply_json(&cfg, "{\"listeners\":[]}", err, sizeof(err)), 0);
    ck_assert_int_eq(cfg.listener_count, 0);
}
END_TEST

START_TEST(tls_and_admin_auth_keys_are_checked_together)
{
    kelp_config cfg;
    kelp_config_defaults(&cfg);
    char err[256] = "";
    ck_assert_int_eq(kelp_config_apply_json(&cfg, "{\"security\":{\"listener\":\"SSL\"}}", err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "ssl_certificate"));
    ck_assert_int_eq(kelp_config_apply_json(&cfg, "{\"security\":{\"listener\":\"TLS\"}}", err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "\"SASL_SSL\""));
    ck_assert_int_eq(cfg.security.listener, KELP_LISTENER_PLAINTEXT);
    ck_assert_int_eq(kelp_config_apply_json(&cfg,
                                            "{\"security\":{\"listener\":\"SASL_SSL\",\"ssl_certificate\":\"c.pem\","
                                            "\"ssl_key\":\"k.pem\",\"ssl_client_auth\":\"required\"}}",
                                            err, sizeof(err)),
                     -1);
    ck_assert_ptr_nonnull(strstr(err, "ssl_ca"));
    ck_assert_int_eq(kelp_config_apply_json(&cfg,
                                            "{\"security\":{\"listener\":\"SASL_SSL\",\"ssl_certificate\":\"c.pem\","
                                            "\"ssl_key\":\"k.pem\",\"ssl_ca\":\"ca.pem\",\"ssl_client_auth\":\"required\","
                                            "\"authorizer\":true}}",
                                            err, sizeof(err)),
                     0);
    ck_assert_int_eq(cfg.security.listener, KELP_LISTENER_SASL_SSL);
    ck_assert_int_eq(cfg.security.ssl_client_auth, KELP_CLIENT_AUTH_REQUIRED);
    ck_assert(cfg.security.authorizer);
    ck_assert_int_eq(kelp_config_apply_json(&cfg, "{\"admin_auth\":{\"bearer_token\":\"short\"}}", err, sizeof(err)),
                     -1);
    ck_assert_int_eq(kelp_config_apply_json(&cfg, "{\"admin_auth\":{\"ssl_key\":\"k.pem\"}}", err, sizeof(err)), -1);
    ck_assert_int_eq(kelp_config_apply_json(&cfg,
                                            "{\"admin_auth\":{\"bearer_token\":\"0123456789abcdef-secret\","
                                            "\"basic_users\":{\"ops\":\"pw-ops\"}}}",
                                            err, sizeof(err)),
                     0);
    char *json = kelp_config_to_json(&cfg);
    ck_assert_ptr_null(strstr(json, "secret"));
    ck_assert_ptr_null(strstr(json, "pw-ops"));
    ck_assert_ptr_nonnull(strstr(json, "\"listener\":\"SASL_SSL\""));
    ck_assert_ptr_nonnull(strstr(json, "\"ssl_client_auth\":\"required\""));
    free(json);
}
END_TEST

START_TEST(security_object_is_validated_and_hides_passwords)
{
    kelp_config cfg;
    kelp_config_defaults(&cfg);
    ck_assert_int_eq(cfg.security.listener, KELP_LISTENER_PLAINTEXT);
    ck_assert_int_eq(cfg.security.sasl_mechanisms, 7);
    ck_assert_int_eq(cfg.security.session_lifetime_ms, 0);
    char err[256] = "";
    ck_assert_int_eq(kelp_config_apply_json(&cfg,
                                            "{\"security\":{\"listener\":\"SASL_PLAINTEXT\","
                                            "\"sasl_mechanisms\":[\"SCRAM-SHA-512\",\"PLAIN\"],"
                                            "\"super_users\":[\"admin\",\"ops\"],\"session_lifetime_ms\":60000,"
                                            "\"users\":{\"admin\":\"hunter2\"}}}",
                                            err, sizeof(err)),
                     0);
    ck_assert_int_eq(cfg.security.listener, KELP_LISTENER_SASL_PLAINTEXT);
    ck_assert_int_eq(cfg.security.sasl_mechanisms, 5);
    ck_assert_str_eq(cfg.security.super_users, "admin\nops\n");
    ck_assert_int_eq(cfg.security.session_lifetime_ms, 60000);
    ck_assert_str_eq(cfg.security.users, "{\"admin\":\"hunter2\"}");
    char *json = kelp_config_to_json(&cfg);
    ck_assert_ptr_null(strstr(json, "hunter2"));
    ck_assert_ptr_nonnull(strstr(json, "\"super_users\":[\"admin\",\"ops\"]"));
    ck_assert_ptr_nonnull(strstr(json, "\"sasl_mechanisms\":[\"PLAIN\",\"SCRAM-SHA-512\"]"));
    kelp_config back = cfg;
    ck_assert_int_eq(kelp_config_apply_json(&back, json, err, sizeof(err)), 0);
    ck_assert(memcmp(&back.security, &cfg.security, sizeof(cfg.security)) == 0);
    free(json);
    static const char *const bad[] = {
        "{\"security\":{\"listener\":\"SSL\"}}",
        "{\"security\":{\"sasl_mechanisms\":[]}}",
        "{\"security\":{\"sasl_mechanisms\":[\"GSSAPI\"]}}",
        "{\"security\":{\"sasl_mechanisms\":\"PLAIN\"}}",
        "{\"security\":{\"super_users\":[\"\"]}}",
        "{\"security\":{\"users\":{\"a\":\"\"}}}",
        "{\"security\":{\"users\":{\"a\":1}}}",
        "{\"security\":{\"session_lifetime_ms\":-1}}",
        "{\"security\":{\"tls\":true}}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        kelp_config before = cfg;
        err[0] = '\0';
        ck_assert_int_eq(kelp_config_apply_json(&cfg, bad[i], err, sizeof(err)), -1);
        ck_assert_msg(strstr(err, "security.") != NULL, "%s: %s", bad[i], err);
        ck_assert(memcmp(&before.security, &cfg.security, sizeof(cfg.security)) == 0);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("config");
    TCase *tc = tcase_create("config");
    tcase_add_test(tc, defaults_match_the_documentation);
    tcase_add_test(tc, security_object_is_validated_and_hides_passwords);
    tcase_add_test(tc, tls_and_admin_auth_keys_are_checked_together);
    tcase_add_test(tc, storage_object_is_validated_key_by_key);
    tcase_add_test(tc, every_key_is_applied);
    tcase_add_test(tc, keys_not_named_keep_their_value);
    tcase_add_loop_test(tc, bad_input_names_the_key_and_changes_nothing, 0,
                        (int)(sizeof(bad_cases) / sizeof(bad_cases[0])));
    tcase_add_test(tc, too_long_strings_are_refused);
    tcase_add_test(tc, bounds_are_inclusive);
    tcase_add_test(tc, group_session_bounds_must_be_ordered);
    tcase_add_test(tc, later_duplicate_key_wins);
    tcase_add_test(tc, split_hostport_handles_ipv4_names_and_ipv6);
    tcase_add_test(tc, to_json_lists_every_key_and_round_trips);
    tcase_add_test(tc, listeners_are_checked_whole_and_round_trip);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
