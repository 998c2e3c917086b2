/* SASL: the SCRAM server exchange against RFC 7677's SCRAM-SHA-256 example,
 * wrong proofs and malformed messages, PLAIN parsing, and credential files. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "security/scram.h"
#include "security/users.h"

#define CLIENT_FIRST "n,,n=user,r=rOprNGfwEbeRWgbNEkqO"
#define SERVER_NONCE "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
#define SERVER_FIRST "r=rOprNGfwEbeRWgbNEkqO" SERVER_NONCE ",s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
#define CLIENT_FINAL_NO_PROOF "c=biws,r=rOprNGfwEbeRWgbNEkqO" SERVER_NONCE
#define CLIENT_FINAL CLIENT_FINAL_NO_PROOF ",p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
#define SERVER_FINAL "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="

static void rfc_cred(kelp_scram_cred *c)
{
    uint8_t salt[32];
    int n = kelp_base64_decode("W22ZaJ0SNY7soEsUEjb6gQ==", 24, salt, sizeof(salt));
    ck_assert_int_eq(n, 16);
    ck_assert_int_eq(kelp_scram_cred_derive(KELP_SCRAM_SHA_256, "pencil", 6, salt, (size_t)n, 4096, c), 0);
}

static int run_exchange(const char *client_first, const char *client_final, kelp_buf *final_out, char *err)
{
    kelp_scram_server s;
    kelp_scram_cred c;
    rfc_cred(&c);
    kelp_scram_server_init(&s, KELP_SCRAM_SHA_256);
    kelp_buf out;
    kelp_buf_init(&out);
    int rc = kelp_scram_server_client_first(&s, (const uint8_t *)client_first, strlen(client_first), err, 256);
    if (rc == 0) {
        ck_assert_str_eq(s.user, "user");
        ck_assert_int_eq(kelp_scram_server_first(&s, &c, SERVER_NONCE, &out), 0);
        ck_assert_int_eq(out.len, strlen(SERVER_FIRST));
        ck_assert(memcmp(out.data, SERVER_FIRST, out.len) == 0);
        rc = kelp_scram_server_client_final(&s, (const uint8_t *)client_final, strlen(client_final), final_out,
                                            err, 256);
    }
    kelp_buf_free(&out);
    kelp_scram_server_free(&s);
    return rc;
}

START_TEST(rfc7677_exchange)
{
    kelp_buf fin;
    kelp_buf_init(&fin);
    char err[256] = "";
    ck_assert_int_eq(run_exchange(CLIENT_FIRST, CLIENT_FINAL, &fin, err), 0);
    ck_assert_int_eq(fin.len, strlen(SERVER_FINAL));
    ck_assert(memcmp(fin.data, SERVER_FINAL, fin.len) == 0);
    kelp_buf_free(&fin);
}
END_TEST

START_TEST(wrong_proof_and_bad_messages_fail)
{
    kelp_buf fin;
    kelp_buf_init(&fin);
    char err[256] = "";
    ck_assert_int_eq(run_exchange(CLIENT_FIRST, CLIENT_FINAL_NO_PROOF ",p=eHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
                                  &fin, err),
                     -1);
    ck_assert_str_eq(err, "invalid credentials");
    /* Another nonce, channel binding asked for, no proof. */
    ck_assert_int_eq(run_exchange(CLIENT_FIRST, "c=biws,r=rOprNGfwEbeRWgbNEkqOX,p=AAAA", &fin, err), -1);
    ck_assert_int_eq(run_exchange("p=tls-unique,,n=user,r=abc", CLIENT_FINAL, &fin, err), -1);
    ck_assert_int_eq(run_exchange(CLIENT_FIRST, CLIENT_FINAL_NO_PROOF, &fin, err), -1);
    ck_assert_int_eq(run_exchange("n,,n=,r=abc", CLIENT_FINAL, &fin, err), -1);
    ck_assert_int_eq(run_exchange("n,a=other,n=user,r=abc", CLIENT_FINAL, &fin, err), -1);
    ck_assert_int_eq(fin.len, 0);
    kelp_buf_free(&fin);
}
END_TEST

START_TEST(saslname_escapes)
{
    kelp_scram_server s;
    char err[256];
    kelp_scram_server_init(&s, KELP_SCRAM_SHA_512);
    const char *m = "n,,n=a=2Cb=3Dc,r=xyz";
    ck_assert_int_eq(kelp_scram_server_client_first(&s, (const uint8_t *)m, strlen(m), err, sizeof(err)), 0);
    ck_assert_str_eq(s.user, "a,b=c");
    kelp_scram_server_free(&s);
    kelp_scram_server_init(&s, KELP_SCRAM_SHA_512);
    m = "n,,n=a=2,r=xyz";
    ck_assert_int_eq(kelp_scram_server_client_first(&s, (const uint8_t *)m, strlen(m), err, sizeof(err)), -1);
    kelp_scram_server_free(&s);
}
END_TEST

START_TEST(plain_messages)
{
    const char *u, *p;
    size_t ul, pl;
    ck_assert_int_eq(kelp_sasl_plain_parse((const uint8_t *)"\0alice\0secret", 13, &u, &ul, &p, &pl), 0);
    ck_assert(ul == 5 && memcmp(u, "alice", 5) == 0 && pl == 6 && memcmp(p, "secret", 6) == 0);
    ck_assert_int_eq(kelp_sasl_plain_parse((const uint8_t *)"alice\0alice\0pw", 14, &u, &ul, &p, &pl), 0);
    ck_assert_int_eq(kelp_sasl_plain_parse((const uint8_t *)"bob\0alice\0pw", 12, &u, &ul, &p, &pl), -1);
    ck_assert_int_eq(kelp_sasl_plain_parse((const uint8_t *)"\0\0pw", 4, &u, &ul, &p, &pl), -1);
    ck_assert_int_eq(kelp_sasl_plain_parse((const uint8_t *)"alice", 5, &u, &ul, &p, &pl), -1);
}
END_TEST

START_TEST(passwords_check_against_both_mechanisms)
{
    kelp_user u;
    memset(&u, 0, sizeof(u));
    snprintf(u.name, sizeof(u.name), "alice");
    ck_assert_int_eq(kelp_scram_cred_from_password(KELP_SCRAM_SHA_512, "s3cret", 6, 4096, &u.cred[KELP_SCRAM_SHA_512]), 0);
    u.has[KELP_SCRAM_SHA_512] = true;
    ck_assert(kelp_user_check_password(&u, "s3cret", 6));
    ck_assert(!kelp_user_check_password(&u, "s3creT", 6));
    ck_assert(kelp_scram_cred_check_password(KELP_SCRAM_SHA_512, &u.cred[KELP_SCRAM_SHA_512], "s3cret", 6));
    ck_assert(!kelp_scram_cred_check_password(KELP_SCRAM_SHA_256, &u.cred[KELP_SCRAM_SHA_512], "s3cret", 6));
}
END_TEST

START_TEST(credential_files_round_trip_without_passwords)
{
    kelp_user u, back;
    memset(&u, 0, sizeof(u));
    snprintf(u.name, sizeof(u.name), "us/er");
    ck_assert_int_eq(kelp_scram_cred_from_password(KELP_SCRAM_SHA_256, "pencil", 6, 4096, &u.cred[1]), 0);
    ck_assert_int_eq(kelp_scram_cred_from_password(KELP_SCRAM_SHA_512, "pencil", 6, 8192, &u.cred[2]), 0);
    u.has[1] = u.has[2] = true;
    kelp_buf b;
    kelp_buf_init(&b);
    ck_assert_int_eq(kelp_user_to_json(&u, &b), 0);
    ck_assert(memmem(b.data, b.len, "pencil", 6) == NULL);
    ck_assert(memmem(b.data, b.len, "\"SCRAM-SHA-512\"", 15) != NULL);
    ck_assert_int_eq(kelp_user_from_json((const char *)b.data, b.len, &back), 0);
    ck_assert_str_eq(back.name, "us/er");
    ck_assert(back.has[1] && back.has[2]);
    ck_assert_int_eq(back.cred[2].iterations, 8192);
    ck_assert(kelp_user_check_password(&back, "pencil", 6));
    ck_assert(kelp_scram_cred_check_password(1, &back.cred[1], "pencil", 6));
    ck_assert_int_eq(kelp_user_from_json("{\"user\":\"x\",\"credentials\":{\"MD5\":{}}}", 36, &back), -1);
    ck_assert_int_eq(kelp_user_from_json("[]", 2, &back), -1);
    kelp_buf_free(&b);
    char path[512];
    ck_assert_int_eq(kelp_user_file_path(path, sizeof(path), "us/er"), 0);
    ck_assert_str_eq(path, "topics/kafka/.meta/users/us%2Fer.json");
}
END_TEST

START_TEST(store_loads_user_files)
{
    char dir[] = "/tmp/kelp-test-sasl-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char err[256];
    kelp_fs *fs = kelp_fs_local_open(dir, err, sizeof(err));
    ck_assert_ptr_nonnull(fs);
    kelp_user_store st;
    kelp_user_store_init(&st);
    ck_assert_int_eq(kelp_user_store_load(&st, fs, err, sizeof(err)), 0); /* no directory yet */
    ck_assert_int_eq(st.count, 0);
    kelp_user u;
    memset(&u, 0, sizeof(u));
    snprintf(u.name, sizeof(u.name), "bob");
    ck_assert_int_eq(kelp_scram_cred_from_password(1, "pw", 2, 4096, &u.cred[1]), 0);
    u.has[1] = true;
    kelp_buf b;
    kelp_buf_init(&b);
    ck_assert_int_eq(kelp_user_to_json(&u, &b), 0);
    char path[512];
    ck_assert_int_eq(kelp_user_file_path(path, sizeof(path), "bob"), 0);
    ck_assert_int_eq(fs->ops->mkdirs(fs, KELP_USERS_ROOT), 0);
    ck_assert_int_eq(fs->ops->write_file_atomic(fs, path, b.data, b.len), 0);
    ck_assert_int_eq(fs->ops->write_file_atomic(fs, KELP_USERS_ROOT "/junk.json", "nope", 4), 0);
    kelp_buf_free(&b);
    ck_assert_int_eq(kelp_user_store_load(&st, fs, err, sizeof(err)), 0);
    ck_assert_int_eq(st.count, 1);
    ck_assert(kelp_user_check_password(kelp_user_store_find(&st, "bob"), "pw", 2));
    kelp_user_store_remove(&st, "bob");
    ck_assert_ptr_null(kelp_user_store_find(&st, "bob"));
    kelp_user_store_free(&st);
    fs->ops->remove_recursive(fs, KELP_USERS_ROOT);
    fs->ops->destroy(fs);
    rmdir(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sasl");
    TCase *tc = tcase_create("sasl");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, rfc7677_exchange);
    tcase_add_test(tc, wrong_proof_and_bad_messages_fail);
    tcase_add_test(tc, saslname_escapes);
    tcase_add_test(tc, plain_messages);
    tcase_add_test(tc, passwords_check_against_both_mechanisms);
    tcase_add_test(tc, credential_files_round_trip_without_passwords);
    tcase_add_test(tc, store_loads_user_files);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
