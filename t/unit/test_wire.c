/* Wire primitives: varints, strings, arrays, hostile lengths, tagged sections. */
#include <check.h>
#include <stdlib.h>

#include "protocol/wire.h"

static kelp_buf buf;
static kw_writer w;

static void setup(void)
{
    kelp_buf_init(&buf);
    w = (kw_writer){.buf = &buf};
}

static void teardown(void) { kelp_buf_free(&buf); }

static kw_reader reader(void) { return (kw_reader){buf.data, buf.len, 0, 0}; }

START_TEST(varints_round_trip_at_their_edges)
{
    const int32_t ints[] = {0, 1, -1, 63, -64, 64, -65, INT32_MAX, INT32_MIN};
    const int64_t longs[] = {0, -1, 1, INT64_MAX, INT64_MIN, 1LL << 40};
    const uint32_t uints[] = {0, 127, 128, 16383, 16384, UINT32_MAX};
    for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++)
        kw_write_varint(&w, ints[i]);
    for (size_t i = 0; i < sizeof(longs) / sizeof(longs[0]); i++)
        kw_write_varlong(&w, longs[i]);
    for (size_t i = 0; i < sizeof(uints) / sizeof(uints[0]); i++)
        kw_write_uvarint(&w, uints[i]);
    kw_reader r = reader();
    for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++)
        ck_assert_int_eq(kw_read_varint(&r), ints[i]);
    for (size_t i = 0; i < sizeof(longs) / sizeof(longs[0]); i++)
        ck_assert(kw_read_varlong(&r) == longs[i]);
    for (size_t i = 0; i < sizeof(uints) / sizeof(uints[0]); i++)
        ck_assert_uint_eq(kw_read_uvarint(&r), uints[i]);
    ck_assert_int_eq(r.err, 0);
    ck_assert_uint_eq(r.pos, buf.len);
    /* Known encodings: zigzag -1 is 0x01, 300 unsigned is ac 02. */
    kelp_buf_clear(&buf);
    kw_write_varint(&w, -1);
    kw_write_uvarint(&w, 300);
    ck_assert_uint_eq(buf.len, 3);
    ck_assert_int_eq(buf.data[0], 0x01);
    ck_assert_int_eq(buf.data[1], 0xac);
    ck_assert_int_eq(buf.data[2], 0x02);
}
END_TEST

START_TEST(overlong_varint_is_an_error)
{
    const uint8_t bad[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
    kw_reader r = {bad, sizeof(bad), 0, 0};
    kw_read_uvarint(&r);
    ck_assert_int_ne(r.err, 0);
}
END_TEST

START_TEST(strings_classic_compact_and_null)
{
    kw_write_string(&w, kw_str_from_cstr("abc"), false, false);
    kw_write_string(&w, kw_str_from_cstr("abc"), true, false);
    kw_write_string(&w, (kw_str){NULL, -1}, false, true);
    kw_write_string(&w, (kw_str){NULL, -1}, true, true);
    const uint8_t expect[] = {0, 3, 'a', 'b', 'c', 4, 'a', 'b', 'c', 0xff, 0xff, 0};
    ck_assert_uint_eq(buf.len, sizeof(expect));
    ck_assert_int_eq(memcmp(buf.data, expect, sizeof(expect)), 0);
    kw_reader r = reader();
    ck_assert(kw_str_eq(kw_read_string(&r, false, false), "abc"));
    ck_assert(kw_str_eq(kw_read_string(&r, true, false), "abc"));
    ck_assert_int_eq(kw_read_string(&r, false, true).len, -1);
    ck_assert_int_eq(kw_read_string(&r, true, true).len, -1);
    ck_assert_int_eq(r.err, 0);
    /* A null where the field is not nullable is malformed. */
    kw_reader r2 = {expect + 9, 2, 0, 0};
    kw_read_string(&r2, false, false);
    ck_assert_int_ne(r2.err, 0);
}
END_TEST

START_TEST(hostile_lengths_never_read_past_the_end)
{
    const uint8_t huge_string[] = {0x7f, 0xff, 'x'};
    kw_reader r = {huge_string, sizeof(huge_string), 0, 0};
    kw_str s = kw_read_string(&r, false, false);
    ck_assert_int_ne(r.err, 0);
    ck_assert_ptr_null(s.ptr);
    const uint8_t huge_array[] = {0x7f, 0xff, 0xff, 0xff, 0, 0};
    kw_reader r2 = {huge_array, sizeof(huge_array), 0, 0};
    kw_read_array_len(&r2, false, false);
    ck_assert_int_ne(r2.err, 0);
    const uint8_t negative_bytes[] = {0xff, 0xff, 0xff, 0xfe};
    kw_reader r3 = {negative_bytes, sizeof(negative_bytes), 0, 0};
    kw_read_bytes(&r3, false, true);
    ck_assert_int_ne(r3.err, 0);
    /* The error is sticky: later reads return zero. */
    ck_assert_int_eq(kw_read_int32(&r3), 0);
}
END_TEST

START_TEST(tagged_sections_are_skipped_whole)
{
    /* Two fields (tag 0: 2 bytes, tag 300: 1 byte), then an int16 after the section. */
    const uint8_t section[] = {2, 0, 2, 0xaa, 0xbb, 0xac, 0x02, 1, 0xcc, 0x12, 0x34};
    kw_reader r = {section, sizeof(section), 0, 0};
    kw_skip_tagged_fields(&r);
    ck_assert_int_eq(r.err, 0);
    ck_assert_int_eq(kw_read_int16(&r), 0x1234);
    /* Every truncation of the section is an error, never a read past the end. */
    for (size_t cut = 0; cut < 9; cut++) {
        kw_reader t = {section, cut, 0, 0};
        kw_skip_tagged_fields(&t);
        ck_assert_msg(t.err != 0, "section cut at %zu accepted", cut);
    }
    /* A field claiming more bytes than remain. */
    const uint8_t lying[] = {1, 5, 0x7f, 0};
    kw_reader l = {lying, sizeof(lying), 0, 0};
    kw_skip_tagged_fields(&l);
    ck_assert_int_ne(l.err, 0);
    /* An empty section is one zero byte. */
    const uint8_t empty[] = {0};
    kw_reader e = {empty, sizeof(empty), 0, 0};
    kw_skip_tagged_fields(&e);
    ck_assert_int_eq(e.err, 0);
    ck_assert_uint_eq(e.pos, 1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("wire");
    TCase *tc = tcase_create("primitives");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, varints_round_trip_at_their_edges);
    tcase_add_test(tc, overlong_varint_is_an_error);
    tcase_add_test(tc, strings_classic_compact_and_null);
    tcase_add_test(tc, hostile_lengths_never_read_past_the_end);
    tcase_add_test(tc, tagged_sections_are_skipped_whole);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
