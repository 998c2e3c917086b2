/* Log lines: logfmt quoting, JSON escaping, truncation, level filtering, the
 * stderr writer, and the log_format/log_level configuration keys. */
#include <check.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "module/config.h"
#include "util/log.h"
#include "util/log_line.h"

/* 2023-11-14T22:13:20.123Z */
#define SOME_TIME_MS 1700000000123LL

static char line[KELP_LOG_LINE_MAX];

static const char *logfmt(const char *component, const char *msg)
{
    kelp_log_line(line, sizeof(line), KELP_LOG_FORMAT_LOGFMT, SOME_TIME_MS, "info", component, msg);
    return line;
}

/* Parses a JSON line, checks it is one line with exactly the four fields,
 * and returns the object. */
static cJSON *parse_json_line(const char *text)
{
    size_t len = strlen(text);
    ck_assert_uint_gt(len, 0);
    ck_assert_int_eq(text[len - 1], '\n');
    ck_assert_ptr_null(memchr(text, '\n', len - 1));
    cJSON *obj = cJSON_Parse(text);
    ck_assert_ptr_nonnull(obj);
    ck_assert_int_eq(cJSON_GetArraySize(obj), 4);
    static const char *const fields[] = {"ts", "level", "component", "msg"};
    for (int i = 0; i < 4; i++)
        ck_assert(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(obj, fields[i])));
    return obj;
}

static const char *field(const cJSON *obj, const char *name)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(obj, name));
}

START_TEST(logfmt_plain_values_stay_bare)
{
    ck_assert_str_eq(logfmt("storage", "opened"),
                     "level=info component=storage ts=2023-11-14T22:13:20.123Z msg=opened\n");
    kelp_log_line(line, sizeof(line), KELP_LOG_FORMAT_LOGFMT, 0, "error", "net", "x");
    ck_assert_str_eq(line, "level=error component=net ts=1970-01-01T00:00:00.000Z msg=x\n");
}
END_TEST

START_TEST(logfmt_quotes_spaces_quotes_equals_and_controls)
{
    ck_assert_str_eq(logfmt("storage", "segment rolled"),
                     "level=info component=storage ts=2023-11-14T22:13:20.123Z msg=\"segment rolled\"\n");
    ck_assert_str_eq(logfmt("net", "topic \"a\""),
                     "level=info component=net ts=2023-11-14T22:13:20.123Z msg=\"topic \\\"a\\\"\"\n");
    ck_assert_str_eq(logfmt("net", "k=v"), "level=info component=net ts=2023-11-14T22:13:20.123Z msg=\"k=v\"\n");
    ck_assert_str_eq(logfmt("net", "a\\b"), "level=info component=net ts=2023-11-14T22:13:20.123Z msg=\"a\\\\b\"\n");
    ck_assert_str_eq(logfmt("net", "one\ntwo\tthree\x01"),
                     "level=info component=net ts=2023-11-14T22:13:20.123Z msg=\"one\\ntwo\\tthree\\x01\"\n");
    ck_assert_str_eq(logfmt("net", ""), "level=info component=net ts=2023-11-14T22:13:20.123Z msg=\"\"\n");
    /* Valid UTF-8 is kept; a stray byte is written as \xHH. */
    ck_assert_str_eq(logfmt("net", "caf\xc3\xa9 \xff"),
                     "level=info component=net ts=2023-11-14T22:13:20.123Z msg=\"caf\xc3\xa9 \\xff\"\n");
    /* Other values are quoted by the same rule. */
    ck_assert_str_eq(logfmt("my comp", "x"), "level=info component=\"my comp\" ts=2023-11-14T22:13:20.123Z msg=x\n");
}
END_TEST

START_TEST(json_escapes_quotes_newlines_and_control_characters)
{
    const char *msg = "say \"hi\"\\ \n\r\t\b\x01\x1f\x7f caf\xc3\xa9 \xf0\x9f\x90\x9f";
    kelp_log_line(line, sizeof(line), KELP_LOG_FORMAT_JSON, SOME_TIME_MS, "warn", "schema", msg);
    ck_assert_ptr_nonnull(strstr(line, "\\\"hi\\\"\\\\ \\n\\r\\t\\u0008\\u0001\\u001f\\u007f"));
    cJSON *obj = parse_json_line(line);
    ck_assert_str_eq(field(obj, "ts"), "2023-11-14T22:13:20.123Z");
    ck_assert_str_eq(field(obj, "level"), "warn");
    ck_assert_str_eq(field(obj, "component"), "schema");
    ck_assert_str_eq(field(obj, "msg"), msg);
    ck_assert_str_eq(cJSON_GetArrayItem(obj, 0)->string, "ts"); /* the documented order */
    cJSON_Delete(obj);
}
END_TEST

START_TEST(json_replaces_invalid_utf8)
{
    /* A stray continuation byte, a truncated sequence, an overlong '/', a surrogate. */
    kelp_log_line(line, sizeof(line), KELP_LOG_FORMAT_JSON, SOME_TIME_MS, "info", "net",
                  "a\x80" "b\xc3" "c\xc0\xaf" "d\xed\xa0\x80");
    cJSON *obj = parse_json_line(line);
    ck_assert_str_eq(field(obj, "msg"), "a\xef\xbf\xbd" "b\xef\xbf\xbd" "c\xef\xbf\xbd\xef\xbf\xbd"
                                        "d\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
    cJSON_Delete(obj);
}
END_TEST

START_TEST(long_messages_are_cut_but_lines_stay_whole)
{
    char msg[1024];
    memset(msg, '"', sizeof(msg) - 1);
    msg[sizeof(msg) - 1] = '\0';
    char small[200];
    for (size_t cap = 128; cap <= sizeof(small); cap += 7) {
        size_t len = kelp_log_line(small, cap, KELP_LOG_FORMAT_JSON, SOME_TIME_MS, "info", "net", msg);
        ck_assert_uint_lt(len, cap);
        ck_assert_uint_eq(len, strlen(small));
        cJSON_Delete(parse_json_line(small));
        len = kelp_log_line(small, cap, KELP_LOG_FORMAT_LOGFMT, SOME_TIME_MS, "info", "net", msg);
        ck_assert_uint_lt(len, cap);
        ck_assert_str_eq(small + len - 2, "\"\n");
        ck_assert_int_ne(small[len - 3], '\\'); /* no escape cut in half */
    }
    /* The whole worst case fits the full-size buffer. */
    kelp_log_line(line, sizeof(line), KELP_LOG_FORMAT_JSON, SOME_TIME_MS, "info", "net", msg);
    cJSON *obj = parse_json_line(line);
    ck_assert_str_eq(field(obj, "msg"), msg);
    cJSON_Delete(obj);
}
END_TEST

static char captured[16][64];
static int captured_count;

static void capture(void *ctx, int level, const char *component, const char *message)
{
    if (captured_count < 16)
        snprintf(captured[captured_count++], sizeof(captured[0]), "%s %s %s", kelp_log_level_name(level), component,
                 message);
}

START_TEST(events_below_the_level_are_dropped)
{
    captured_count = 0;
    kelp_log_set_sink(capture, NULL);
    kelp_log_set_level(KELP_LOG_WARN);
    KELP_DEBUG("t", "debug 1");
    KELP_INFO("t", "info 1");
    KELP_WARN("t", "warn 1");
    KELP_ERROR("t", "error 1");
    kelp_log_set_level(KELP_LOG_ERROR);
    KELP_WARN("t", "warn 2");
    KELP_ERROR("t", "error 2");
    kelp_log_set_level(KELP_LOG_DEBUG);
    KELP_DEBUG("t", "debug 3");
    kelp_log_set_sink(NULL, NULL);
    ck_assert_int_eq(captured_count, 4);
    ck_assert_str_eq(captured[0], "warn t warn 1");
    ck_assert_str_eq(captured[1], "error t error 1");
    ck_assert_str_eq(captured[2], "error t error 2");
    ck_assert_str_eq(captured[3], "debug t debug 3");
}
END_TEST

/* Runs fn with stderr sent to a file and returns what it wrote. */
static char *stderr_of(void (*fn)(void))
{
    FILE *tmp = tmpfile();
    ck_assert_ptr_nonnull(tmp);
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    ck_assert_int_ge(saved, 0);
    ck_assert_int_ge(dup2(fileno(tmp), STDERR_FILENO), 0);
    fn();
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    static char text[4 * KELP_LOG_LINE_MAX];
    rewind(tmp);
    size_t len = fread(text, 1, sizeof(text) - 1, tmp);
    text[len] = '\0';
    fclose(tmp);
    return text;
}

static void log_two_formats(void)
{
    kelp_log_set_sink(NULL, NULL);
    kelp_log_set_level(KELP_LOG_INFO);
    kelp_log_set_format(KELP_LOG_FORMAT_JSON);
    KELP_WARN("net", "client \"%s\" left", "c1");
    KELP_DEBUG("net", "dropped");
    kelp_log_set_format(KELP_LOG_FORMAT_LOGFMT);
    KELP_ERROR("storage", "disk full");
}

START_TEST(stderr_gets_lines_in_the_current_format)
{
    char *text = stderr_of(log_two_formats);
    char *second = strchr(text, '\n');
    ck_assert_ptr_nonnull(second);
    second++;
    char first[KELP_LOG_LINE_MAX];
    snprintf(first, sizeof(first), "%.*s", (int)(second - text), text);
    cJSON *obj = parse_json_line(first);
    ck_assert_str_eq(field(obj, "level"), "warn");
    ck_assert_str_eq(field(obj, "component"), "net");
    ck_assert_str_eq(field(obj, "msg"), "client \"c1\" left");
    cJSON_Delete(obj);
    ck_assert_msg(strncmp(second, "level=error component=storage ts=", 33) == 0, "logfmt line: %s", second);
    ck_assert_ptr_nonnull(strstr(second, " msg=\"disk full\"\n"));
    ck_assert_ptr_null(strchr(second, '\n')[1] ? second : NULL); /* exactly two lines */
}
END_TEST

START_TEST(log_format_and_log_level_are_validated_configuration_keys)
{
    kelp_config cfg;
    kelp_config_defaults(&cfg);
    ck_assert_int_eq(cfg.log_format, KELP_LOG_FORMAT_LOGFMT);
    char err[256] = "";
    ck_assert_int_eq(kelp_config_apply_json(&cfg, "{\"log_format\":\"json\",\"log_level\":\"debug\"}", err, sizeof(err)),
                     0);
    ck_assert_int_eq(cfg.log_format, KELP_LOG_FORMAT_JSON);
    ck_assert_int_eq(cfg.log_level, KELP_LOG_DEBUG);
    char *json = kelp_config_to_json(&cfg);
    ck_assert_ptr_nonnull(strstr(json, "\"log_format\":\"json\""));
    ck_assert_ptr_nonnull(strstr(json, "\"log_level\":\"debug\""));
    free(json);
    ck_assert_int_eq(kelp_config_apply_json(&cfg, "{\"log_format\":\"xml\"}", err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "log_format"));
    ck_assert_int_eq(kelp_config_apply_json(&cfg, "{\"log_format\":1}", err, sizeof(err)), -1);
    ck_assert_int_eq(kelp_config_apply_json(&cfg, "{\"log_level\":\"verbose\"}", err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "log_level"));
    ck_assert_int_eq(cfg.log_format, KELP_LOG_FORMAT_JSON); /* unchanged by the refusals */
    ck_assert_int_eq(kelp_log_format_parse("logfmt"), KELP_LOG_FORMAT_LOGFMT);
    ck_assert_int_eq(kelp_log_format_parse("JSON"), -1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("log");
    TCase *tc = tcase_create("log");
    tcase_add_test(tc, logfmt_plain_values_stay_bare);
    tcase_add_test(tc, logfmt_quotes_spaces_quotes_equals_and_controls);
    tcase_add_test(tc, json_escapes_quotes_newlines_and_control_characters);
    tcase_add_test(tc, json_replaces_invalid_utf8);
    tcase_add_test(tc, long_messages_are_cut_but_lines_stay_whole);
    tcase_add_test(tc, events_below_the_level_are_dropped);
    tcase_add_test(tc, stderr_gets_lines_in_the_current_format);
    tcase_add_test(tc, log_format_and_log_level_are_validated_configuration_keys);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
