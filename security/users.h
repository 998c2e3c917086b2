/* SASL users and their salted credentials, one file per user on the filer:
 *   topics/kafka/.meta/users/<encoded user>.json
 * (the name encoded as group ids are, see offsets/offset_path.h) holding
 *   {"user":"alice","credentials":{"SCRAM-SHA-256":{"iterations":4096,
 *    "salt":"<b64>","stored_key":"<b64>","server_key":"<b64>"},...}}
 * Never a password: PLAIN is checked by deriving the SCRAM keys again. */
#ifndef KELP_SECURITY_USERS_H
#define KELP_SECURITY_USERS_H

#include <stdbool.h>
#include <stddef.h>

#include "security/scram.h"
#include "storage/fs.h"
#include "util/buf.h"

#define KELP_USERS_ROOT "topics/kafka/.meta/users"

typedef struct kelp_user {
    char name[KELP_SASL_USER_MAX];
    bool has[KELP_SCRAM_MECH_COUNT]; /* indexed by mechanism number */
    kelp_scram_cred cred[KELP_SCRAM_MECH_COUNT];
} kelp_user;

typedef struct kelp_user_store {
    kelp_user *users;
    size_t count, cap;
} kelp_user_store;

void kelp_user_store_init(kelp_user_store *s);
void kelp_user_store_free(kelp_user_store *s);
kelp_user *kelp_user_store_find(kelp_user_store *s, const char *name);
/* Finds or adds (with no credential); NULL when out of memory. */
kelp_user *kelp_user_store_put(kelp_user_store *s, const char *name);
void kelp_user_store_remove(kelp_user_store *s, const char *name);
/* Reads every user file; a missing directory is an empty store. */
int kelp_user_store_load(kelp_user_store *s, kelp_fs *fs, char *err, size_t errlen);

/* Whether a user has any credential left. */
bool kelp_user_has_credentials(const kelp_user *u);
/* Checks a PLAIN password against the strongest stored credential. */
bool kelp_user_check_password(const kelp_user *u, const char *password, size_t len);

int kelp_user_to_json(const kelp_user *u, kelp_buf *out);
int kelp_user_from_json(const char *text, size_t len, kelp_user *out);
/* The user's file path; -1 when the name cannot be encoded. */
int kelp_user_file_path(char *out, size_t cap, const char *name);

#endif
