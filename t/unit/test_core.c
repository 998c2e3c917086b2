/* Core utilities: arena, growable buffer, UUID text form. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/arena.h"
#include "util/buf.h"
#include "util/host_port.h"
#include "util/strmap.h"
#include "util/uuid.h"

START_TEST(arena_memory_is_zeroed_aligned_and_survives_large_blocks)
{
    kelp_arena a;
    kelp_arena_init(&a, 64);
    for (int i = 0; i < 100; i++) {
        uint8_t *p = kelp_arena_alloc(&a, (size_t)(i * 7 + 1));
        ck_assert_ptr_nonnull(p);
        ck_assert_int_eq((uintptr_t)p % 16, 0);
        for (int j = 0; j < i * 7 + 1; j++)
            ck_assert_int_eq(p[j], 0);
        memset(p, 0xab, (size_t)(i * 7 + 1));
    }
    void *big = kelp_arena_alloc(&a, 1 << 20);
    ck_assert_ptr_nonnull(big);
    kelp_arena_reset(&a);
    uint8_t *again = kelp_arena_alloc(&a, 32);
    ck_assert_int_eq(again[0], 0);
    ck_assert_ptr_null(kelp_arena_alloc(&a, SIZE_MAX - 3)); /* overflow refused */
    kelp_arena_free(&a);
}
END_TEST

START_TEST(buf_appends_consumes_and_grows)
{
    kelp_buf b;
    kelp_buf_init(&b);
    for (int i = 0; i < 1000; i++)
        ck_assert(kelp_buf_append(&b, "abcd", 4));
    ck_assert_uint_eq(b.len, 4000);
    kelp_buf_consume(&b, 3998);
    ck_assert_uint_eq(b.len, 2);
    ck_assert_int_eq(memcmp(b.data, "cd", 2), 0);
    ck_assert(!kelp_buf_reserve(&b, SIZE_MAX)); /* overflow refused */
    ck_assert(b.failed);
    kelp_buf_free(&b);
}
END_TEST

/* Random inserts and removals against a plain array of the same keys: the
 * backward-shift deletion must never lose an entry that is still present. */
START_TEST(strmap_matches_a_reference_under_random_churn)
{
    enum { KEYS = 500, STEPS = 20000 };
    static int present[KEYS];
    static int values[KEYS];
    memset(present, 0, sizeof(present));
    kelp_strmap m;
    kelp_strmap_init(&m);
    srand(7);
    size_t live = 0;
    for (int step = 0; step < STEPS; step++) {
        int k = rand() % KEYS;
        char key[16];
        int len = snprintf(key, sizeof(key), "k%d", k);
        if (rand() % 3 == 0) {
            void *v = kelp_strmap_remove(&m, key, (size_t)len);
            ck_assert_ptr_eq(v, present[k] ? &values[k] : NULL);
            live -= present[k] ? 1 : 0;
            present[k] = 0;
        } else {
            ck_assert_int_eq(kelp_strmap_put(&m, key, (size_t)len, &values[k]), 0);
            live += present[k] ? 0 : 1;
            present[k] = 1;
        }
        if (step % 997 == 0) {
            for (int i = 0; i < KEYS; i++) {
                int l = snprintf(key, sizeof(key), "k%d", i);
                ck_assert_ptr_eq(kelp_strmap_get(&m, key, (size_t)l), present[i] ? &values[i] : NULL);
            }
        }
    }
    ck_assert_uint_eq(m.count, live);
    size_t pos = 0, walked = 0;
    const char *key;
    size_t len;
    void *value;
    while (kelp_strmap_next(&m, &pos, &key, &len, &value)) {
        int k = atoi(key + 1);
        ck_assert(present[k]);
        ck_assert_ptr_eq(value, &values[k]);
        walked++;
    }
    ck_assert_uint_eq(walked, live);
    /* Keys are byte strings: embedded NULs are part of the key. */
    ck_assert_int_eq(kelp_strmap_put(&m, "a\0b", 3, &values[0]), 0);
    ck_assert_ptr_null(kelp_strmap_get(&m, "a", 1));
    ck_assert_ptr_eq(kelp_strmap_get(&m, "a\0b", 3), &values[0]);
    kelp_strmap_free(&m);
}
END_TEST

START_TEST(host_port_brackets_ipv6_hosts)
{
    char out[64];
    kelp_format_host_port(out, sizeof(out), "127.0.0.1", 9092);
    ck_assert_str_eq(out, "127.0.0.1:9092");
    kelp_format_host_port(out, sizeof(out), "::1", 19092);
    ck_assert_str_eq(out, "[::1]:19092");
    kelp_format_host_port(out, sizeof(out), "broker.example", 0);
    ck_assert_str_eq(out, "broker.example:0");
    kelp_format_host_port(out, 6, "127.0.0.1", 9092); /* truncated, still terminated */
    ck_assert_str_eq(out, "127.0");
}
END_TEST

START_TEST(uuid_round_trips_through_text)
{
    uint8_t id[16], back[16];
    char text[KELP_UUID_STRING_LEN + 1];
    for (int i = 0; i < 200; i++) {
        ck_assert_int_eq(kelp_uuid_random(id), 0);
        ck_assert(!kelp_uuid_is_zero(id));
        ck_assert_int_eq(id[6] >> 4, 4); /* version 4 */
        kelp_uuid_to_string(id, text);
        ck_assert_uint_eq(strlen(text), 22);
        ck_assert(kelp_uuid_parse(text, back));
        ck_assert_int_eq(memcmp(id, back, 16), 0);
    }
    /* Known value: all 0xff bytes is "_____________________w" in base64url. */
    memset(id, 0xff, 16);
    kelp_uuid_to_string(id, text);
    ck_assert_str_eq(text, "_____________________w");
    ck_assert(!kelp_uuid_parse("too-short", back));
    ck_assert(!kelp_uuid_parse("_____________________x", back)); /* stray low bits */
    ck_assert(!kelp_uuid_parse("AAAAAAAAAAAAAAAAAAAA*A", back));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("core");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, arena_memory_is_zeroed_aligned_and_survives_large_blocks);
    tcase_add_test(tc, buf_appends_consumes_and_grows);
    tcase_add_test(tc, host_port_brackets_ipv6_hosts);
    tcase_add_test(tc, strmap_matches_a_reference_under_random_churn);
    tcase_add_test(tc, uuid_round_trips_through_text);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
