/* Record batches: CRC-32C, validation of produced batches for every codec,
 * the record iterator and the timestamp lookups. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "records/byte_order.h"
#include "records/compression.h"
#include "records/crc32c.h"
#include "records/record_batch.h"
#include "t/unit/batch_builder.h"

#define MAX_BYTES (1 << 20)

/* The definition, a bit at a time: the oracle for the library's fast
 * paths (which differ by length and alignment). */
static uint32_t crc32c_bitwise(const uint8_t *p, size_t len)
{
    uint32_t crc = 0xffffffffu;
    while (len--) {
        crc ^= *p++;
        for (int k = 0; k < 8; k++)
            crc = (crc & 1) ? (crc >> 1) ^ 0x82f63b78u : crc >> 1;
    }
    return ~crc;
}

START_TEST(crc32c_matches_known_vector_and_the_definition)
{
    ck_assert_uint_eq(kelp_crc32c(0, "123456789", 9), 0xe3069283u);
    ck_assert_uint_eq(kelp_crc32c(0, "", 0), 0);
    uint8_t data[4133];
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (uint8_t)(i * 131 + 7 + i / 253);
    for (size_t n = 0; n < 600; n++)
        ck_assert_uint_eq(kelp_crc32c(0, data + n % 13, n), crc32c_bitwise(data + n % 13, n));
    for (size_t off = 0; off < 9; off++) {
        size_t n = sizeof(data) - off;
        uint32_t whole = kelp_crc32c(0, data + off, n);
        ck_assert_uint_eq(whole, crc32c_bitwise(data + off, n));
        uint32_t split = kelp_crc32c(kelp_crc32c(0, data + off, 100), data + off + 100, n - 100);
        ck_assert_uint_eq(whole, split);
    }
}
END_TEST

START_TEST(valid_batch_reports_counts_and_timestamps)
{
    kelp_buf b;
    kelp_buf_init(&b);
    ck_assert_int_eq(test_batch_simple(&b, 5, 1000), 0);
    ck_assert_int_eq(test_batch_simple(&b, 3, 2000), 0);
    kelp_batches_info info;
    ck_assert_int_eq(kelp_batches_validate(b.data, b.len, MAX_BYTES, &info), KELP_BATCH_OK);
    ck_assert_int_eq(info.batch_count, 2);
    ck_assert_int_eq(info.record_count, 8);
    ck_assert_int_eq(info.first_timestamp, 1000);
    ck_assert_int_eq(info.max_timestamp, 2002);
    kelp_batch_header h;
    ck_assert_int_eq(kelp_batch_header_parse(b.data, b.len, &h), 0);
    ck_assert_int_eq(h.record_count, 5);
    ck_assert_int_eq(h.last_offset_delta, 4);
    ck_assert_int_eq(h.magic, 2);
    kelp_buf_free(&b);
}
END_TEST

START_TEST(bad_crc_truncation_and_magic_are_refused)
{
    kelp_buf b;
    kelp_buf_init(&b);
    ck_assert_int_eq(test_batch_simple(&b, 4, 1000), 0);
    uint8_t *copy = malloc(b.len);
    memcpy(copy, b.data, b.len);

    copy[b.len - 1] ^= 0x40; /* a value byte: CRC no longer matches */
    ck_assert_int_eq(kelp_batches_validate(copy, b.len, MAX_BYTES, NULL), KELP_BATCH_CORRUPT);
    memcpy(copy, b.data, b.len);
    for (size_t cut = 0; cut < b.len; cut++)
        ck_assert_int_ne(kelp_batches_validate(copy, cut, MAX_BYTES, NULL), KELP_BATCH_OK);
    ck_assert_int_eq(kelp_batches_validate(copy, b.len - 1, MAX_BYTES, NULL), KELP_BATCH_CORRUPT);
    copy[KELP_BATCH_OFF_MAGIC] = 1;
    ck_assert_int_eq(kelp_batches_validate(copy, b.len, MAX_BYTES, NULL), KELP_BATCH_UNSUPPORTED_MAGIC);
    ck_assert_int_ne(kelp_batch_header_parse(copy, b.len, &(kelp_batch_header){0}), 0);
    memcpy(copy, b.data, b.len);
    kelp_put_be32(copy + KELP_BATCH_OFF_LENGTH, 10); /* shorter than a header */
    ck_assert_int_eq(kelp_batches_validate(copy, b.len, MAX_BYTES, NULL), KELP_BATCH_CORRUPT);
    ck_assert_int_eq(kelp_batches_validate(b.data, b.len, (int32_t)b.len - 1, NULL), KELP_BATCH_TOO_LARGE);
    ck_assert_int_eq(kelp_batches_validate(b.data, b.len, (int32_t)b.len, NULL), KELP_BATCH_OK);
    ck_assert_int_eq(kelp_batches_validate(b.data, 0, MAX_BYTES, NULL), KELP_BATCH_CORRUPT);
    /* Validation never writes. */
    memcpy(copy, b.data, b.len);
    kelp_batches_validate(copy, b.len, MAX_BYTES, NULL);
    ck_assert_mem_eq(copy, b.data, b.len);
    free(copy);
    kelp_buf_free(&b);
}
END_TEST

START_TEST(inconsistent_record_fields_are_invalid)
{
    kelp_buf b;
    kelp_buf_init(&b);
    ck_assert_int_eq(test_batch_simple(&b, 3, 1000), 0);
    uint8_t *c = malloc(b.len + 16);

    memcpy(c, b.data, b.len);
    kelp_put_be32(c + KELP_BATCH_OFF_LAST_OFFSET_DELTA, 5);
    test_batch_fix_crc(c);
    ck_assert_int_eq(kelp_batches_validate(c, b.len, MAX_BYTES, NULL), KELP_BATCH_INVALID_RECORD);

    memcpy(c, b.data, b.len);
    kelp_put_be32(c + 57, 4); /* record count larger than the records */
    kelp_put_be32(c + KELP_BATCH_OFF_LAST_OFFSET_DELTA, 3);
    test_batch_fix_crc(c);
    ck_assert_int_eq(kelp_batches_validate(c, b.len, MAX_BYTES, NULL), KELP_BATCH_INVALID_RECORD);

    memcpy(c, b.data, b.len);
    kelp_put_be32(c + 57, 2); /* fewer: bytes are left over */
    kelp_put_be32(c + KELP_BATCH_OFF_LAST_OFFSET_DELTA, 1);
    test_batch_fix_crc(c);
    ck_assert_int_eq(kelp_batches_validate(c, b.len, MAX_BYTES, NULL), KELP_BATCH_INVALID_RECORD);

    memcpy(c, b.data, b.len);
    kelp_put_be32(c + 57, 0);
    kelp_put_be32(c + KELP_BATCH_OFF_LAST_OFFSET_DELTA, (uint32_t)-1);
    test_batch_fix_crc(c);
    ck_assert_int_eq(kelp_batches_validate(c, b.len, MAX_BYTES, NULL), KELP_BATCH_INVALID_RECORD);

    /* First record: length, attributes, timestamp delta, then offset delta. */
    memcpy(c, b.data, b.len);
    ck_assert_int_eq(c[KELP_BATCH_HEADER_SIZE + 3], 0);
    c[KELP_BATCH_HEADER_SIZE + 3] = 2; /* zigzag 1 */
    test_batch_fix_crc(c);
    ck_assert_int_eq(kelp_batches_validate(c, b.len, MAX_BYTES, NULL), KELP_BATCH_INVALID_RECORD);

    memcpy(c, b.data, b.len);
    c[KELP_BATCH_HEADER_SIZE] = 0x7f; /* record length beyond the batch */
    test_batch_fix_crc(c);
    ck_assert_int_eq(kelp_batches_validate(c, b.len, MAX_BYTES, NULL), KELP_BATCH_INVALID_RECORD);

    memcpy(c, b.data, b.len);
    kelp_put_be16(c + KELP_BATCH_OFF_ATTRIBUTES, 6); /* no such codec */
    test_batch_fix_crc(c);
    ck_assert_int_eq(kelp_batches_validate(c, b.len, MAX_BYTES, NULL), KELP_BATCH_UNSUPPORTED_COMPRESSION);

    /* Trailing garbage after the last whole batch is a torn batch. */
    memcpy(c, b.data, b.len);
    memset(c + b.len, 0, 16);
    ck_assert_int_eq(kelp_batches_validate(c, b.len + 16, MAX_BYTES, NULL), KELP_BATCH_CORRUPT);
    free(c);
    kelp_buf_free(&b);
}
END_TEST

/* Builds a batch with the codec, validates it, and reads every record back. */
static void check_codec(int codec, bool xerial)
{
    test_record recs[50];
    char keys[50][16], values[50][64];
    for (int i = 0; i < 50; i++) {
        snprintf(keys[i], sizeof(keys[i]), "key-%d", i);
        snprintf(values[i], sizeof(values[i]), "value %d value %d value %d", i, i * 2, i * 3);
        recs[i] = (test_record){.key = i == 7 ? NULL : keys[i], .value = values[i], .timestamp = 5000 + i * 10,
                                .header_key = i % 2 ? "h" : NULL, .header_value = i % 4 == 1 ? NULL : "hv"};
    }
    test_batch_options opt = {.codec = codec, .snappy_xerial = xerial, .producer_id = -1};
    kelp_buf b;
    kelp_buf_init(&b);
    ck_assert_int_eq(test_batch_build(&b, &opt, recs, 50), 0);
    kelp_batches_info info;
    ck_assert_int_eq(kelp_batches_validate(b.data, b.len, MAX_BYTES, &info), KELP_BATCH_OK);
    ck_assert_int_eq(info.record_count, 50);
    ck_assert_int_eq(info.max_timestamp, 5490);

    kelp_buf scratch;
    kelp_buf_init(&scratch);
    kelp_record_iter it;
    ck_assert_int_eq(kelp_record_iter_init(&it, b.data, b.len, &scratch), KELP_BATCH_OK);
    kelp_record r;
    int n = 0;
    while (kelp_record_iter_next(&it, &r) == 1) {
        ck_assert_int_eq(r.offset_delta, n);
        ck_assert_int_eq(kelp_record_timestamp(&it.header, &r), 5000 + n * 10);
        if (n == 7) {
            ck_assert_int_eq(r.key_len, -1);
        } else {
            ck_assert_int_eq(r.key_len, (int32_t)strlen(keys[n]));
            ck_assert_mem_eq(r.key, keys[n], strlen(keys[n]));
        }
        ck_assert_int_eq(r.value_len, (int32_t)strlen(values[n]));
        ck_assert_mem_eq(r.value, values[n], strlen(values[n]));
        ck_assert_int_eq(r.header_count, n % 2);
        if (n % 2) {
            const uint8_t *hp = r.headers;
            kelp_record_header h;
            ck_assert_int_eq(kelp_record_header_next(&hp, r.headers + r.headers_len, &h), 1);
            ck_assert_int_eq(h.key_len, 1);
            ck_assert_int_eq(h.value_len, n % 4 == 1 ? -1 : 2);
            ck_assert_int_eq(kelp_record_header_next(&hp, r.headers + r.headers_len, &h), 0);
        }
        n++;
    }
    ck_assert_int_eq(n, 50);

    int64_t off, ts;
    ck_assert_int_eq(kelp_batch_find_timestamp(b.data, b.len, 5095, 0, &off, &ts), 1);
    ck_assert_int_eq(off, 10);
    ck_assert_int_eq(ts, 5100);
    /* Records below the log start do not count, even when they match. */
    ck_assert_int_eq(kelp_batch_find_timestamp(b.data, b.len, 5095, 20, &off, &ts), 1);
    ck_assert_int_eq(off, 20);
    ck_assert_int_eq(kelp_batch_find_timestamp(b.data, b.len, 9999, 0, &off, &ts), 0);

    if (codec != KELP_COMPRESSION_NONE) {
        /* Damage inside the compressed payload, CRC recomputed: never OK. */
        for (size_t at = KELP_BATCH_HEADER_SIZE; at < b.len; at += 7) {
            uint8_t *c = malloc(b.len);
            memcpy(c, b.data, b.len);
            c[at] ^= 0x5a;
            test_batch_fix_crc(c);
            enum kelp_batch_status st = kelp_batches_validate(c, b.len, MAX_BYTES, NULL);
            ck_assert(st == KELP_BATCH_OK || st == KELP_BATCH_CORRUPT || st == KELP_BATCH_INVALID_RECORD);
            free(c);
        }
        /* A truncated payload (batch length adjusted) is corrupt. */
        uint8_t *c = malloc(b.len);
        memcpy(c, b.data, b.len);
        kelp_put_be32(c + KELP_BATCH_OFF_LENGTH, (uint32_t)(b.len - 10 - KELP_BATCH_LOG_OVERHEAD));
        test_batch_fix_crc(c);
        ck_assert_int_ne(kelp_batches_validate(c, b.len - 10, MAX_BYTES, NULL), KELP_BATCH_OK);
        free(c);
    }
    kelp_buf_free(&scratch);
    kelp_buf_free(&b);
}

START_TEST(codec_none) { check_codec(KELP_COMPRESSION_NONE, false); }
END_TEST
START_TEST(codec_gzip) { check_codec(KELP_COMPRESSION_GZIP, false); }
END_TEST
START_TEST(codec_snappy_raw) { check_codec(KELP_COMPRESSION_SNAPPY, false); }
END_TEST
START_TEST(codec_snappy_xerial) { check_codec(KELP_COMPRESSION_SNAPPY, true); }
END_TEST
START_TEST(codec_lz4) { check_codec(KELP_COMPRESSION_LZ4, false); }
END_TEST
START_TEST(codec_zstd) { check_codec(KELP_COMPRESSION_ZSTD, false); }
END_TEST

START_TEST(decompression_is_bounded)
{
    static uint8_t zeros[100000];
    size_t bound = ZSTD_compressBound(sizeof(zeros));
    uint8_t *z = malloc(bound);
    size_t n = ZSTD_compress(z, bound, zeros, sizeof(zeros), 1);
    kelp_buf out;
    kelp_buf_init(&out);
    ck_assert_int_eq(kelp_decompress(KELP_COMPRESSION_ZSTD, z, n, 1000, &out), KELP_DECOMPRESS_CORRUPT);
    kelp_buf_clear(&out);
    ck_assert_int_eq(kelp_decompress(KELP_COMPRESSION_ZSTD, z, n, sizeof(zeros), &out), KELP_DECOMPRESS_OK);
    ck_assert_uint_eq(out.len, sizeof(zeros));
    ck_assert_int_eq(kelp_decompress(9, z, n, sizeof(zeros), &out), KELP_DECOMPRESS_UNSUPPORTED);
    kelp_buf_free(&out);
    free(z);
}
END_TEST

START_TEST(timestamp_lookups_with_unordered_and_log_append_times)
{
    test_record recs[4] = {{.value = "a", .timestamp = 300}, {.value = "b", .timestamp = 100},
                           {.value = "c", .timestamp = 700}, {.value = "d", .timestamp = 700}};
    test_batch_options opt = {.codec = KELP_COMPRESSION_LZ4, .producer_id = -1, .base_offset = 40};
    kelp_buf b;
    kelp_buf_init(&b);
    ck_assert_int_eq(test_batch_build(&b, &opt, recs, 4), 0);
    int64_t off, ts;
    ck_assert_int_eq(kelp_batch_find_timestamp(b.data, b.len, 200, 0, &off, &ts), 1);
    ck_assert_int_eq(off, 40);
    ck_assert_int_eq(ts, 300);
    ck_assert_int_eq(kelp_batch_find_timestamp(b.data, b.len, 301, 0, &off, &ts), 1);
    ck_assert_int_eq(off, 42);
    ck_assert_int_eq(kelp_batch_max_timestamp_offset(b.data, b.len, &off, &ts), 1);
    ck_assert_int_eq(off, 42);
    ck_assert_int_eq(ts, 700);
    ck_assert_int_eq(kelp_batch_find_timestamp(b.data, b.len - 1, 200, 0, &off, &ts), -1);

    kelp_buf_clear(&b);
    opt = (test_batch_options){.codec = KELP_COMPRESSION_NONE, .producer_id = -1, .log_append_time = true};
    ck_assert_int_eq(test_batch_build(&b, &opt, recs, 4), 0);
    ck_assert_int_eq(kelp_batch_find_timestamp(b.data, b.len, 650, 0, &off, &ts), 1);
    ck_assert_int_eq(off, 0);
    ck_assert_int_eq(ts, 700);
    kelp_buf_free(&b);
}
END_TEST

START_TEST(random_damage_never_crashes)
{
    kelp_buf b;
    kelp_buf_init(&b);
    ck_assert_int_eq(test_batch_simple(&b, 20, 1), 0);
    uint8_t *c = malloc(b.len);
    unsigned seed = 12345;
    for (int round = 0; round < 3000; round++) {
        memcpy(c, b.data, b.len);
        for (int k = 0; k < 3; k++) {
            seed = seed * 1103515245u + 12345u;
            size_t at = KELP_BATCH_OFF_ATTRIBUTES + (seed >> 8) % (b.len - KELP_BATCH_OFF_ATTRIBUTES);
            c[at] = (uint8_t)(seed >> 3);
        }
        test_batch_fix_crc(c);
        kelp_batches_info info;
        (void)kelp_batches_validate(c, b.len, MAX_BYTES, &info);
        int64_t off, ts;
        (void)kelp_batch_find_timestamp(c, b.len, 5, 0, &off, &ts);
    }
    free(c);
    kelp_buf_free(&b);
}
END_TEST

START_TEST(log_append_time_stamps_the_batch_and_keeps_it_valid)
{
    test_record recs[2] = {{.key = "a", .value = "1", .timestamp = 1000}, {.key = "b", .value = "2", .timestamp = 2000}};
    test_batch_options opt = {.producer_id = -1};
    kelp_buf b;
    kelp_buf_init(&b);
    ck_assert_int_eq(test_batch_build(&b, &opt, recs, 2), 0);
    kelp_batch_set_log_append_time(b.data, b.len, 1700000000123);
    ck_assert_int_eq(kelp_batch_check_crc(b.data, b.len), KELP_BATCH_OK);
    ck_assert_int_eq(kelp_batches_validate(b.data, b.len, 1 << 20, NULL), KELP_BATCH_OK);
    kelp_batch_header h;
    ck_assert_int_eq(kelp_batch_header_parse(b.data, b.len, &h), 0);
    ck_assert(h.attributes & KELP_BATCH_ATTR_LOG_APPEND_TIME);
    ck_assert_int_eq(h.max_timestamp, 1700000000123);
    ck_assert_int_eq(h.base_timestamp, 1000); /* the producer's, as Kafka leaves it */
    kelp_buf_free(&b);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("records");
    TCase *tc = tcase_create("records");
    tcase_add_test(tc, crc32c_matches_known_vector_and_the_definition);
    tcase_add_test(tc, valid_batch_reports_counts_and_timestamps);
    tcase_add_test(tc, bad_crc_truncation_and_magic_are_refused);
    tcase_add_test(tc, inconsistent_record_fields_are_invalid);
    tcase_add_test(tc, codec_none);
    tcase_add_test(tc, codec_gzip);
    tcase_add_test(tc, codec_snappy_raw);
    tcase_add_test(tc, codec_snappy_xerial);
    tcase_add_test(tc, codec_lz4);
    tcase_add_test(tc, codec_zstd);
    tcase_add_test(tc, decompression_is_bounded);
    tcase_add_test(tc, timestamp_lookups_with_unordered_and_log_append_times);
    tcase_add_test(tc, random_damage_never_crashes);
    tcase_add_test(tc, log_append_time_stamps_the_batch_and_keeps_it_valid);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
