/* Request frames: large ones are kept and handed out again, growth within
 * a size class keeps the buffer, contents survive growth, and what is kept
 * stays under the cap. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/frame_pool.h"

static void setup(void) { kelp_frame_pool_drain(); }

START_TEST(small_frames_are_not_kept)
{
    uint8_t *f = kelp_frame_alloc(100);
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(kelp_frame_capacity(f), 100);
    memset(f, 7, 100);
    kelp_frame_free(f);
    ck_assert_uint_eq(kelp_frame_pool_bytes(), 0);
    kelp_frame_free(NULL);
}
END_TEST

START_TEST(large_frames_are_reused)
{
    uint8_t *f = kelp_frame_alloc(934388);
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(kelp_frame_capacity(f), 1 << 20);
    memset(f, 1, 934388);
    kelp_frame_free(f);
    ck_assert_uint_eq(kelp_frame_pool_bytes(), 1 << 20);
    uint8_t *g = kelp_frame_alloc(999875);
    ck_assert_ptr_eq(g, f); /* the same class: the buffer just freed */
    ck_assert_uint_eq(kelp_frame_pool_bytes(), 0);
    uint8_t *h = kelp_frame_alloc(600000);
    ck_assert_ptr_ne(h, g);
    kelp_frame_free(g);
    kelp_frame_free(h);
    ck_assert_uint_eq(kelp_frame_pool_bytes(), (1 << 20) + (1 << 20));
    kelp_frame_pool_drain();
    ck_assert_uint_eq(kelp_frame_pool_bytes(), 0);
}
END_TEST

START_TEST(growth_keeps_contents)
{
    uint8_t *f = kelp_frame_alloc(1000);
    for (int i = 0; i < 1000; i++)
        f[i] = (uint8_t)i;
    uint8_t *g = kelp_frame_grow(f, 1000, 70000); /* small to pooled */
    ck_assert_ptr_nonnull(g);
    ck_assert_uint_eq(kelp_frame_capacity(g), 128 * 1024);
    for (int i = 0; i < 1000; i++)
        ck_assert_uint_eq(g[i], (uint8_t)i);
    ck_assert_ptr_eq(kelp_frame_grow(g, 1000, 100000), g); /* within its class */
    memset(g + 1000, 9, 100000 - 1000);
    uint8_t *h = kelp_frame_grow(g, 100000, 300000);
    ck_assert_ptr_nonnull(h);
    ck_assert_uint_eq(kelp_frame_capacity(h), 512 * 1024);
    for (int i = 0; i < 1000; i++)
        ck_assert_uint_eq(h[i], (uint8_t)i);
    for (int i = 1000; i < 100000; i++)
        ck_assert_uint_eq(h[i], 9);
    ck_assert_uint_eq(kelp_frame_pool_bytes(), 128 * 1024); /* the outgrown one */
    kelp_frame_free(h);
    uint8_t *none = kelp_frame_grow(NULL, 0, 10);
    ck_assert_ptr_nonnull(none);
    kelp_frame_free(none);
}
END_TEST

START_TEST(kept_bytes_stay_under_the_cap)
{
    enum { N = KELP_FRAME_POOL_MAX_BYTES / (4 << 20) + 4 };
    uint8_t *f[N];
    for (int i = 0; i < N; i++) {
        f[i] = kelp_frame_alloc(4 << 20);
        ck_assert_ptr_nonnull(f[i]);
    }
    for (int i = 0; i < N; i++)
        kelp_frame_free(f[i]);
    ck_assert_uint_eq(kelp_frame_pool_bytes(), KELP_FRAME_POOL_MAX_BYTES);
}
END_TEST

START_TEST(impossible_sizes_fail)
{
    ck_assert_ptr_null(kelp_frame_alloc(SIZE_MAX));
    uint8_t *f = kelp_frame_alloc(10);
    ck_assert_ptr_null(kelp_frame_grow(f, 10, SIZE_MAX - 8));
    kelp_frame_free(f); /* unchanged by the failed growth */
}
END_TEST

int main(void)
{
    Suite *s = suite_create("frame_pool");
    TCase *tc = tcase_create("frames");
    tcase_add_checked_fixture(tc, setup, setup);
    tcase_add_test(tc, small_frames_are_not_kept);
    tcase_add_test(tc, large_frames_are_reused);
    tcase_add_test(tc, growth_keeps_contents);
    tcase_add_test(tc, kept_bytes_stay_under_the_cap);
    tcase_add_test(tc, impossible_sizes_fail);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
