/* The flush policy: picks the method it measured to be faster for the
 * round's file count, probes the other now and then, and never syncs the
 * whole file system for one file. */
#include <check.h>
#include <stdlib.h>

#include "storage/flush_policy.h"

/* Feeds rounds of files files, where syncfs takes whole_ms and each
 * fdatasync per_file_ms, for rounds rounds; counts syncfs rounds. */
static int run_rounds(kelp_flush_policy *p, size_t files, double whole_ms, double per_file_ms, int rounds)
{
    int whole = 0;
    for (int i = 0; i < rounds; i++) {
        kelp_flush_method m = kelp_flush_policy_pick(p, files);
        if (m == KELP_FLUSH_WHOLE_FS)
            whole++;
        kelp_flush_policy_record(p, m, files, m == KELP_FLUSH_WHOLE_FS ? whole_ms : per_file_ms * (double)files);
    }
    return whole;
}

START_TEST(a_fast_syncfs_wins_rounds_of_several_files)
{
    kelp_flush_policy p;
    kelp_flush_policy_init(&p);
    run_rounds(&p, 4, 0.3, 0.3, 200); /* learn */
    int whole = run_rounds(&p, 4, 0.3, 0.3, 320);
    /* All but the probes: one round in KELP_FLUSH_PROBE_EVERY_SLOW (4 x 0.3
     * against 0.3 is a ratio of 4). */
    ck_assert_int_ge(whole, 320 - 320 / KELP_FLUSH_PROBE_EVERY_SLOW - 1);
    ck_assert_int_lt(whole, 320);
    kelp_flush_policy_destroy(&p);
}
END_TEST

START_TEST(a_syncfs_held_up_by_other_writers_loses)
{
    kelp_flush_policy p;
    kelp_flush_policy_init(&p);
    run_rounds(&p, 4, 0.3, 0.3, 100);
    /* Another process starts writing: syncfs now waits 50 ms for it. */
    run_rounds(&p, 4, 50, 0.3, 600);
    int whole = run_rounds(&p, 4, 50, 0.3, 512);
    ck_assert_int_le(whole, 512 / KELP_FLUSH_PROBE_EVERY_SLOW + 1);
    ck_assert_int_ge(whole, 1); /* still probed, so it can win back */
    kelp_flush_policy_destroy(&p);
}
END_TEST

START_TEST(syncfs_wins_back_when_the_other_writer_stops)
{
    kelp_flush_policy p;
    kelp_flush_policy_init(&p);
    run_rounds(&p, 8, 50, 0.3, 600);
    ck_assert_int_le(run_rounds(&p, 8, 50, 0.3, 256), 2);
    /* The other writer is gone; each probe pulls the estimate down. */
    run_rounds(&p, 8, 0.3, 0.3, 256 * 40);
    ck_assert_int_ge(run_rounds(&p, 8, 0.3, 0.3, 256), 250);
    kelp_flush_policy_destroy(&p);
}
END_TEST

START_TEST(one_file_is_always_fdatasynced)
{
    kelp_flush_policy p;
    kelp_flush_policy_init(&p);
    ck_assert_int_eq(run_rounds(&p, 1, 0.001, 100, 1000), 0);
    kelp_flush_policy_destroy(&p);
}
END_TEST

START_TEST(cheap_fdatasyncs_win_and_close_estimates_are_probed_often)
{
    kelp_flush_policy p;
    kelp_flush_policy_init(&p);
    run_rounds(&p, 2, 1.0, 0.3, 200);
    /* 2 x 0.3 against 1.0: within a factor of two, so the quick interval. */
    int whole = run_rounds(&p, 2, 1.0, 0.3, 320);
    ck_assert_int_eq(whole, 320 / KELP_FLUSH_PROBE_EVERY);
    kelp_flush_policy_destroy(&p);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("flush_policy");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, a_fast_syncfs_wins_rounds_of_several_files);
    tcase_add_test(tc, a_syncfs_held_up_by_other_writers_loses);
    tcase_add_test(tc, syncfs_wins_back_when_the_other_writer_stops);
    tcase_add_test(tc, one_file_is_always_fdatasynced);
    tcase_add_test(tc, cheap_fdatasyncs_win_and_close_estimates_are_probed_often);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
