/* SASL mechanisms on the server side: SCRAM-SHA-256/512 (RFC 5802, RFC
 * 7677) with channel binding "n,," only, and PLAIN (RFC 4616) checked
 * against the same salted credentials. All crypto is OpenSSL's. */
#ifndef KELP_SECURITY_SCRAM_H
#define KELP_SECURITY_SCRAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

/* Kafka's ScramMechanism numbers (AlterUserScramCredentials). */
enum { KELP_SCRAM_SHA_256 = 1, KELP_SCRAM_SHA_512 = 2, KELP_SCRAM_MECH_COUNT = 3 };

/* Mechanism bits of kelp_security_config.mechanisms. */
#define KELP_SASL_PLAIN_BIT 1u
#define KELP_SASL_SCRAM_256_BIT 2u
#define KELP_SASL_SCRAM_512_BIT 4u

#define KELP_SCRAM_KEY_MAX 64
#define KELP_SCRAM_SALT_MAX 128
#define KELP_SCRAM_MIN_ITERATIONS 4096
#define KELP_SCRAM_MAX_ITERATIONS 16384 /* Kafka's bound */
#define KELP_SASL_USER_MAX 256

typedef struct kelp_scram_cred {
    int32_t iterations;
    size_t salt_len;
    uint8_t salt[KELP_SCRAM_SALT_MAX];
    uint8_t stored_key[KELP_SCRAM_KEY_MAX];
    uint8_t server_key[KELP_SCRAM_KEY_MAX];
} kelp_scram_cred;

/* "SCRAM-SHA-256" / "SCRAM-SHA-512"; NULL for another number. */
const char *kelp_scram_mech_name(int mech);
/* The mechanism number of a name, 0 when it is not a SCRAM mechanism. */
int kelp_scram_mech_parse(const char *name);
/* Digest length of a mechanism (32 or 64), 0 when unknown. */
size_t kelp_scram_key_len(int mech);

/* Derives stored and server keys from SaltedPassword (what AdminClient
 * sends in AlterUserScramCredentials). */
int kelp_scram_cred_from_salted(int mech, const uint8_t *salted, size_t salted_len, const uint8_t *salt,
                                size_t salt_len, int32_t iterations, kelp_scram_cred *out);
/* Derives a credential from a password and a given salt. */
int kelp_scram_cred_derive(int mech, const char *password, size_t len, const uint8_t *salt, size_t salt_len,
                           int32_t iterations, kelp_scram_cred *out);
/* Derives a credential from a password with a fresh random salt. */
int kelp_scram_cred_from_password(int mech, const char *password, size_t len, int32_t iterations,
                                  kelp_scram_cred *out);
/* Whether the password matches the credential (constant-time compare). */
bool kelp_scram_cred_check_password(int mech, const kelp_scram_cred *cred, const char *password, size_t len);

/* Standard base64 (no line breaks). Returns the output length, or -1. */
int kelp_base64_encode(const uint8_t *in, size_t len, char *out, size_t cap);
int kelp_base64_decode(const char *in, size_t len, uint8_t *out, size_t cap);

/* One SCRAM exchange on the server. */
typedef struct kelp_scram_server {
    int mech;
    int step; /* 0: wants client-first, 1: wants client-final, 2: done */
    char user[KELP_SASL_USER_MAX];
    kelp_scram_cred cred;
    char nonce[256];      /* client nonce + server nonce */
    char *auth_message;   /* client-first-bare "," server-first, malloc'd */
} kelp_scram_server;

void kelp_scram_server_init(kelp_scram_server *s, int mech);
void kelp_scram_server_free(kelp_scram_server *s);
/* Parses client-first-message; the user name is then in s->user. */
int kelp_scram_server_client_first(kelp_scram_server *s, const uint8_t *msg, size_t len, char *err,
                                   size_t errlen);
/* Writes server-first-message for the user's credential; server_nonce NULL
 * draws a random one. */
int kelp_scram_server_first(kelp_scram_server *s, const kelp_scram_cred *cred, const char *server_nonce,
                            kelp_buf *out);
/* Checks client-final-message; 0 with server-final-message in out, -1 with
 * a reason in err. */
int kelp_scram_server_client_final(kelp_scram_server *s, const uint8_t *msg, size_t len, kelp_buf *out,
                                   char *err, size_t errlen);

/* Splits a PLAIN message "authzid\0authcid\0passwd". The authzid must be
 * empty or the authcid. Pointers go into msg. */
int kelp_sasl_plain_parse(const uint8_t *msg, size_t len, const char **user, size_t *user_len,
                          const char **password, size_t *password_len);

#endif
