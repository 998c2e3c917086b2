/* Topic configs: names, bounds, the text forms Kafka uses, set and unset. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "storage/topic_config.h"

static bool set(kelp_topic_config *c, const char *name, const char *value)
{
    char why[128];
    int key = kelp_topic_config_lookup(name, strlen(name));
    ck_assert_int_ge(key, 0);
    return kelp_topic_config_set(c, (kelp_topic_config_key)key, value, strlen(value), why, sizeof(why));
}

START_TEST(names_defaults_and_bounds)
{
    ck_assert_int_eq(kelp_topic_config_lookup("retention.ms", 12), KELP_TC_RETENTION_MS);
    ck_assert_int_eq(kelp_topic_config_lookup("retention.msx", 13), -1);
    ck_assert_int_eq(kelp_topic_config_lookup("log.retention.ms", 16), -1);
    kelp_topic_config c;
    kelp_topic_config_defaults(&c, 1 << 30, 1048588);
    ck_assert_int_eq(c.value[KELP_TC_RETENTION_MS], 604800000);
    ck_assert_int_eq(c.value[KELP_TC_SEGMENT_BYTES], 1 << 30);
    ck_assert_int_eq(c.value[KELP_TC_MAX_MESSAGE_BYTES], 1048588);
    ck_assert_int_eq(c.set, 0);

    ck_assert(set(&c, "retention.ms", "-1"));
    ck_assert(!set(&c, "retention.ms", "-2"));
    ck_assert(!set(&c, "retention.ms", "12ms"));
    ck_assert(!set(&c, "retention.ms", ""));
    ck_assert(!set(&c, "retention.ms", "99999999999999999999"));
    ck_assert(set(&c, "segment.bytes", "1048576"));
    ck_assert(!set(&c, "segment.bytes", "1048575"));
    ck_assert(!set(&c, "segment.bytes", "2147483648"));
    ck_assert(set(&c, "max.message.bytes", "0"));
    ck_assert(!set(&c, "segment.ms", "0"));
    ck_assert_int_eq(c.value[KELP_TC_RETENTION_MS], -1);
    ck_assert_int_eq(c.set, (1u << KELP_TC_RETENTION_MS) | (1u << KELP_TC_SEGMENT_BYTES) |
                                (1u << KELP_TC_MAX_MESSAGE_BYTES));
}
END_TEST

START_TEST(lists_and_enums_round_trip_through_text)
{
    kelp_topic_config c, d;
    kelp_topic_config_defaults(&c, 1 << 30, 1048588);
    d = c;
    char text[64];
    ck_assert(set(&c, "cleanup.policy", "compact, delete"));
    ck_assert_int_eq(c.value[KELP_TC_CLEANUP_POLICY], KELP_CLEANUP_COMPACT | KELP_CLEANUP_DELETE);
    kelp_topic_config_format(KELP_TC_CLEANUP_POLICY, c.value[KELP_TC_CLEANUP_POLICY], text, sizeof(text));
    ck_assert_str_eq(text, "compact,delete");
    ck_assert(set(&c, "cleanup.policy", "compact"));
    ck_assert(!set(&c, "cleanup.policy", "compact,shred"));
    ck_assert(!set(&c, "cleanup.policy", ""));
    ck_assert(set(&c, "message.timestamp.type", "LogAppendTime"));
    ck_assert(!set(&c, "message.timestamp.type", "logappendtime"));
    kelp_topic_config_format(KELP_TC_MESSAGE_TIMESTAMP_TYPE, c.value[KELP_TC_MESSAGE_TIMESTAMP_TYPE], text,
                             sizeof(text));
    ck_assert_str_eq(text, "LogAppendTime");
    kelp_topic_config_unset(&c, &d, KELP_TC_MESSAGE_TIMESTAMP_TYPE);
    ck_assert_int_eq(c.value[KELP_TC_MESSAGE_TIMESTAMP_TYPE], KELP_TIMESTAMP_CREATE_TIME);
    ck_assert_int_eq(c.set, 1u << KELP_TC_CLEANUP_POLICY);
    for (int k = 0; k < KELP_TC_COUNT; k++) {
        const kelp_topic_config_info *info = kelp_topic_config_info_of((kelp_topic_config_key)k);
        ck_assert_int_eq(kelp_topic_config_lookup(info->name, strlen(info->name)), k);
        ck_assert(info->doc && info->doc[0]);
        /* Every default's text parses back to itself. */
        int64_t back;
        char why[128];
        kelp_topic_config_format((kelp_topic_config_key)k, d.value[k], text, sizeof(text));
        ck_assert_msg(kelp_topic_config_parse((kelp_topic_config_key)k, text, strlen(text), &back, why, sizeof(why)),
                      "%s=%s: %s", info->name, text, why);
        ck_assert_int_eq(back, d.value[k]);
    }
}
END_TEST

START_TEST(schema_validation_configs)
{
    kelp_topic_config c, d;
    kelp_topic_config_defaults(&d, 1 << 20, 1 << 20);
    c = d;
    char why[160], text[128];
    ck_assert_int_eq(d.value[KELP_TC_VALUE_SCHEMA_VALIDATION], 0);
    ck_assert(kelp_topic_config_set(&c, KELP_TC_VALUE_SCHEMA_VALIDATION, "TRUE", 4, why, sizeof(why)));
    ck_assert_int_eq(c.value[KELP_TC_VALUE_SCHEMA_VALIDATION], 1);
    kelp_topic_config_format(KELP_TC_VALUE_SCHEMA_VALIDATION, 1, text, sizeof(text));
    ck_assert_str_eq(text, "true");
    ck_assert(!kelp_topic_config_set(&c, KELP_TC_KEY_SCHEMA_VALIDATION, "yes", 3, why, sizeof(why)));
    ck_assert(!kelp_topic_config_set(&c, KELP_TC_KEY_SCHEMA_VALIDATION, "1", 1, why, sizeof(why)));
    const char *topic_name = "io.confluent.kafka.serializers.subject.TopicNameStrategy";
    ck_assert(kelp_topic_config_set(&c, KELP_TC_VALUE_SUBJECT_NAME_STRATEGY, topic_name, strlen(topic_name), why,
                                    sizeof(why)));
    /* Shown and stored whole: a buffer of the advertised size holds it. */
    char shown[KELP_TOPIC_CONFIG_TEXT_MAX];
    kelp_topic_config_format(KELP_TC_VALUE_SUBJECT_NAME_STRATEGY, c.value[KELP_TC_VALUE_SUBJECT_NAME_STRATEGY], shown,
                             sizeof(shown));
    ck_assert_str_eq(shown, topic_name);
    const char *record_name = "io.confluent.kafka.serializers.subject.RecordNameStrategy";
    ck_assert(!kelp_topic_config_set(&c, KELP_TC_KEY_SUBJECT_NAME_STRATEGY, record_name, strlen(record_name), why,
                                     sizeof(why)));
    ck_assert_ptr_nonnull(strstr(why, "TopicNameStrategy"));
    ck_assert_int_eq(kelp_topic_config_lookup("confluent.key.schema.validation", 31), KELP_TC_KEY_SCHEMA_VALIDATION);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("topic config");
    TCase *tc = tcase_create("topic config");
    tcase_add_test(tc, names_defaults_and_bounds);
    tcase_add_test(tc, lists_and_enums_round_trip_through_text);
    tcase_add_test(tc, schema_validation_configs);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
