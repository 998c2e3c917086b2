/* The metrics layer: the Prometheus text the renderer writes (HELP/TYPE
 * lines, label escaping, number formatting, cumulative histogram buckets
 * with +Inf equal to _count), the duration histogram, and the record
 * count read from fetched batch headers. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/histogram.h"
#include "metrics/registry.h"
#include "metrics/server_metrics.h"
#include "metrics/text_format.h"

#define LABELS(...) ((const char *const[]){__VA_ARGS__, NULL})

static char *render_one_counter(const char *label_value)
{
    kelp_metrics_registry r;
    kelp_metrics_registry_init(&r);
    kelp_metric_family *f = kelp_metrics_family(&r, "t_total", "A test counter.", KELP_METRIC_COUNTER,
                                                LABELS("topic"));
    kelp_metrics_add(&r, f, LABELS(label_value), 3);
    char *text = kelp_metrics_render(&r);
    kelp_metrics_registry_free(&r);
    ck_assert_ptr_nonnull(text);
    return text;
}

START_TEST(counter_has_help_type_and_sample)
{
    char *text = render_one_counter("orders");
    ck_assert_str_eq(text, "# HELP t_total A test counter.\n"
                           "# TYPE t_total counter\n"
                           "t_total{topic=\"orders\"} 3\n");
    free(text);
}
END_TEST

START_TEST(label_values_escape_backslash_quote_and_newline)
{
    char *text = render_one_counter("a\\b\"c\nd");
    ck_assert_ptr_nonnull(strstr(text, "t_total{topic=\"a\\\\b\\\"c\\nd\"} 3\n"));
    /* The raw newline must not reach the output inside the sample line. */
    ck_assert_ptr_null(strstr(text, "c\nd"));
    free(text);
}
END_TEST

START_TEST(help_escapes_backslash_and_newline_only)
{
    kelp_metrics_registry r;
    kelp_metrics_registry_init(&r);
    kelp_metric_family *f = kelp_metrics_family(&r, "g", "say \"hi\"\\ twice\nok", KELP_METRIC_GAUGE, NULL);
    kelp_metrics_add(&r, f, NULL, -2.5);
    char *text = kelp_metrics_render(&r);
    kelp_metrics_registry_free(&r);
    ck_assert_ptr_nonnull(text);
    ck_assert_str_eq(text, "# HELP g say \"hi\"\\\\ twice\\nok\n"
                           "# TYPE g gauge\n"
                           "g -2.5\n");
    free(text);
}
END_TEST

START_TEST(numbers_are_short_and_exact)
{
    kelp_metrics_registry r;
    kelp_metrics_registry_init(&r);
    kelp_metric_family *f = kelp_metrics_family(&r, "n", "numbers", KELP_METRIC_GAUGE, LABELS("k"));
    kelp_metrics_add(&r, f, LABELS("big"), 1234567890123.0);
    kelp_metrics_add(&r, f, LABELS("small"), 0.0005);
    kelp_metrics_add(&r, f, LABELS("zero"), 0);
    char *text = kelp_metrics_render(&r);
    kelp_metrics_registry_free(&r);
    ck_assert_ptr_nonnull(text);
    ck_assert_ptr_nonnull(strstr(text, "n{k=\"big\"} 1234567890123\n"));
    ck_assert_ptr_nonnull(strstr(text, "n{k=\"small\"} 0.0005\n"));
    ck_assert_ptr_nonnull(strstr(text, "n{k=\"zero\"} 0\n"));
    free(text);
}
END_TEST

START_TEST(histogram_buckets_are_cumulative_and_inf_equals_count)
{
    static const double bounds[] = {0.1, 1, 10};
    const uint64_t per_bucket[] = {2, 0, 5, 1}; /* the last: above 10 */
    kelp_metrics_registry r;
    kelp_metrics_registry_init(&r);
    kelp_metric_family *f = kelp_metrics_histogram_family(&r, "d_seconds", "durations", LABELS("api"), bounds, 3);
    kelp_metrics_add_histogram(&r, f, LABELS("Fetch"), per_bucket, 42.25);
    char *text = kelp_metrics_render(&r);
    kelp_metrics_registry_free(&r);
    ck_assert_ptr_nonnull(text);
    ck_assert_str_eq(text, "# HELP d_seconds durations\n"
                           "# TYPE d_seconds histogram\n"
                           "d_seconds_bucket{api=\"Fetch\",le=\"0.1\"} 2\n"
                           "d_seconds_bucket{api=\"Fetch\",le=\"1\"} 2\n"
                           "d_seconds_bucket{api=\"Fetch\",le=\"10\"} 7\n"
                           "d_seconds_bucket{api=\"Fetch\",le=\"+Inf\"} 8\n"
                           "d_seconds_sum{api=\"Fetch\"} 42.25\n"
                           "d_seconds_count{api=\"Fetch\"} 8\n");
    free(text);
}
END_TEST

START_TEST(unlabelled_histogram_puts_le_alone)
{
    kelp_duration_histogram h = {{0}, 0};
    kelp_duration_observe(&h, 0.0001); /* first bucket */
    kelp_duration_observe(&h, 0.0005); /* on the bound: still the first */
    kelp_duration_observe(&h, 3);      /* le="5" */
    kelp_duration_observe(&h, 60);     /* above every bound */
    ck_assert_uint_eq(kelp_duration_count(&h), 4);
    ck_assert_uint_eq(h.buckets[0], 2);
    ck_assert_uint_eq(h.buckets[12], 1);
    ck_assert_uint_eq(h.buckets[KELP_DURATION_BUCKET_COUNT], 1);
    kelp_metrics_registry r;
    kelp_metrics_registry_init(&r);
    kelp_metric_family *f = kelp_metrics_histogram_family(&r, "s_seconds", "sync", NULL, kelp_duration_buckets,
                                                          KELP_DURATION_BUCKET_COUNT);
    kelp_metrics_add_histogram(&r, f, NULL, h.buckets, h.sum);
    char *text = kelp_metrics_render(&r);
    kelp_metrics_registry_free(&r);
    ck_assert_ptr_nonnull(text);
    ck_assert_ptr_nonnull(strstr(text, "s_seconds_bucket{le=\"0.0005\"} 2\n"));
    ck_assert_ptr_nonnull(strstr(text, "s_seconds_bucket{le=\"2.5\"} 2\n"));
    ck_assert_ptr_nonnull(strstr(text, "s_seconds_bucket{le=\"5\"} 3\n"));
    ck_assert_ptr_nonnull(strstr(text, "s_seconds_bucket{le=\"10\"} 3\n"));
    ck_assert_ptr_nonnull(strstr(text, "s_seconds_bucket{le=\"+Inf\"} 4\n"));
    ck_assert_ptr_nonnull(strstr(text, "s_seconds_count 4\n"));
    free(text);
}
END_TEST

START_TEST(failed_registry_renders_nothing)
{
    kelp_metrics_registry r;
    kelp_metrics_registry_init(&r);
    /* Too many labels is a programming error the registry refuses. */
    kelp_metric_family *f =
        kelp_metrics_family(&r, "x", "x", KELP_METRIC_GAUGE, LABELS("a", "b", "c", "d", "e"));
    ck_assert_ptr_null(f);
    ck_assert_ptr_null(kelp_metrics_render(&r));
    kelp_metrics_registry_free(&r);
}
END_TEST

START_TEST(topic_traffic_is_forgotten)
{
    kelp_server_metrics *m = kelp_server_metrics_new();
    ck_assert_ptr_nonnull(m);
    kelp_topic_traffic *t = kelp_metrics_topic(m, "orders", 6);
    ck_assert_ptr_nonnull(t);
    t->records_in = 5;
    ck_assert_ptr_eq(kelp_metrics_topic(m, "orders", 6), t);
    kelp_metrics_topic_forget(m, "orders", 6);
    ck_assert_uint_eq(m->topics.count, 0);
    ck_assert_uint_eq(kelp_metrics_topic(m, "orders", 6)->records_in, 0);
    kelp_metrics_request_done(m, 0, 9, kelp_metrics_now_ns(), true);
    kelp_metrics_request_done(m, 500, 9, kelp_metrics_now_ns(), true); /* outside the table: ignored */
    ck_assert_uint_eq(m->requests[0][9], 1);
    ck_assert_uint_eq(m->request_errors[0][9], 1);
    ck_assert_uint_eq(kelp_duration_count(&m->request_duration[0]), 1);
    kelp_server_metrics_free(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("metrics");
    TCase *tc = tcase_create("metrics");
    tcase_add_test(tc, counter_has_help_type_and_sample);
    tcase_add_test(tc, label_values_escape_backslash_quote_and_newline);
    tcase_add_test(tc, help_escapes_backslash_and_newline_only);
    tcase_add_test(tc, numbers_are_short_and_exact);
    tcase_add_test(tc, histogram_buckets_are_cumulative_and_inf_equals_count);
    tcase_add_test(tc, unlabelled_histogram_puts_le_alone);
    tcase_add_test(tc, failed_registry_renders_nothing);
    tcase_add_test(tc, topic_traffic_is_forgotten);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
