/* SASL on the Kafka listener: SaslHandshake, SaslAuthenticate, the raw
 * tokens that follow a v0 handshake (KIP-152), the gate that keeps other
 * requests out until a connection is authenticated, and the SCRAM
 * credential administration APIs. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "broker/authorizer.h"
#include "broker/broker.h"
#include "net/frame_pool.h"
#include "protocol/generated/kafka_apis.h"
#include "protocol/generated/kafka_messages.h"
#include "protocol/kafka_errors.h"
#include "security/scram.h"
#include "security/users.h"
#include "util/clock.h"
#include "util/log.h"

#define MECH_PLAIN 3 /* next to the SCRAM mechanism numbers */
#define CONFIG_USER_ITERATIONS 4096
#define NULL_STR ((kw_str){NULL, -1}) /* Kafka leaves messages of successes null */

typedef struct kelp_sasl_conn {
    bool authenticated;
    char principal[KELP_SASL_USER_MAX];
    int64_t expires_ms; /* monotonic; 0 = never */
    int mechanism;      /* chosen by the handshake, 0 = none pending */
    bool raw;           /* v0 handshake: unframed tokens follow */
    kelp_scram_server scram;
} kelp_sasl_conn;

/* SASL is asked for by the listener a connection came in on. */
static bool sasl_enabled(const kelp_broker *b, const kelp_conn *conn)
{
    return KELP_LISTENER_HAS_SASL(kelp_broker_endpoint_of(b, conn)->protocol);
}

static kelp_sasl_conn *conn_state(kelp_conn *conn)
{
    kelp_sasl_conn *sc = kelp_conn_user(conn);
    if (!sc && (sc = calloc(1, sizeof(*sc))))
        kelp_conn_set_user(conn, sc);
    return sc;
}

void kelp_sasl_conn_free(kelp_conn *conn)
{
    kelp_sasl_conn *sc = kelp_conn_user(conn);
    if (!sc)
        return;
    kelp_scram_server_free(&sc->scram);
    free(sc);
    kelp_conn_set_user(conn, NULL);
}

bool kelp_sasl_request_allowed(kelp_broker *b, kelp_conn *conn, int16_t api_key)
{
    if (!sasl_enabled(b, conn) || api_key == KAFKA_API_API_VERSIONS || api_key == KAFKA_API_SASL_HANDSHAKE ||
        api_key == KAFKA_API_SASL_AUTHENTICATE)
        return true;
    kelp_sasl_conn *sc = kelp_conn_user(conn);
    return sc && sc->authenticated && (sc->expires_ms == 0 || kelp_clock_mono_ms() < sc->expires_ms);
}

const char *kelp_request_principal(kelp_request *req)
{
    kelp_conn *conn = kelp_conn_slot_conn(req->slot);
    kelp_sasl_conn *sc = conn ? kelp_conn_user(conn) : NULL;
    if (sc && sc->authenticated)
        return sc->principal;
    const char *subject = conn ? kelp_conn_tls_subject(conn) : NULL;
    return subject ? subject : "ANONYMOUS";
}

bool kelp_sasl_expects_raw(kelp_conn *conn)
{
    kelp_sasl_conn *sc = kelp_conn_user(conn);
    return sc && sc->raw && sc->mechanism;
}

/* A stand-in credential for a user that does not exist, so that an
 * unknown name takes the same steps and time as a wrong password (RFC 5802
 * section 9): its salt is a keyed hash of the name, stable across
 * attempts, and its keys match no password. */
static unsigned char unknown_user_secret[32];
static pthread_once_t unknown_user_secret_once = PTHREAD_ONCE_INIT;

/* Once per process, whichever loop thread asks first. */
static void make_unknown_user_secret(void)
{
    if (RAND_bytes(unknown_user_secret, sizeof(unknown_user_secret)) != 1)
        KELP_ERROR("security", "no random bytes for the stand-in credentials: unknown user names can be told apart");
}

static void unknown_user_cred(int mech, const char *user, kelp_scram_cred *out)
{
    pthread_once(&unknown_user_secret_once, make_unknown_user_secret);
    const unsigned char *secret = unknown_user_secret;
    size_t secret_len = sizeof(unknown_user_secret);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    HMAC(EVP_sha256(), secret, (int)secret_len, (const unsigned char *)user, strlen(user), mac, &mac_len);
    memset(out, 0, sizeof(*out));
    out->iterations = CONFIG_USER_ITERATIONS;
    out->salt_len = 16;
    memcpy(out->salt, mac, out->salt_len);
    RAND_bytes(out->stored_key, sizeof(out->stored_key));
    RAND_bytes(out->server_key, sizeof(out->server_key));
    (void)mech;
}

static const char *mech_name(int mech) { return mech == MECH_PLAIN ? "PLAIN" : kelp_scram_mech_name(mech); }

static uint32_t mech_bit(int mech)
{
    return mech == MECH_PLAIN ? KELP_SASL_PLAIN_BIT
           : mech == KELP_SCRAM_SHA_256 ? KELP_SASL_SCRAM_256_BIT
                                        : KELP_SASL_SCRAM_512_BIT;
}

static void finish_exchange(kelp_sasl_conn *sc)
{
    kelp_scram_server_free(&sc->scram);
    sc->mechanism = 0;
    sc->raw = false;
}

/* A successful exchange; re-authentication must keep the principal. */
static int16_t authenticated(kelp_broker *b, kelp_sasl_conn *sc, const char *user, char *msg, size_t msglen)
{
    if (sc->authenticated && strcmp(sc->principal, user) != 0) {
        snprintf(msg, msglen, "Cannot change principals during re-authentication from %.64s to %.64s", sc->principal,
                 user);
        sc->authenticated = false;
        return KAFKA_ERR_SASL_AUTHENTICATION_FAILED;
    }
    snprintf(sc->principal, sizeof(sc->principal), "%s", user);
    sc->authenticated = true;
    int64_t life = b->cfg.security.session_lifetime_ms;
    sc->expires_ms = life > 0 ? kelp_clock_mono_ms() + life : 0;
    return KAFKA_ERR_NONE;
}

/* One token of the exchange: the answer goes to out, an error code comes back. */
static int16_t sasl_step(kelp_broker *b, kelp_sasl_conn *sc, const uint8_t *tok, size_t len, kelp_buf *out,
                         bool *done, char *msg, size_t msglen)
{
    *done = true;
    if (!sc->mechanism) {
        snprintf(msg, msglen, "SaslAuthenticate without a SaslHandshake first");
        return KAFKA_ERR_ILLEGAL_SASL_STATE;
    }
    int16_t err = KAFKA_ERR_SASL_AUTHENTICATION_FAILED;
    char why[128] = "";
    if (sc->mechanism == MECH_PLAIN) {
        const char *user, *pw;
        size_t ulen, pwlen;
        char name[KELP_SASL_USER_MAX];
        kelp_user *u = NULL;
        if (kelp_sasl_plain_parse(tok, len, &user, &ulen, &pw, &pwlen) == 0 && ulen < sizeof(name)) {
            memcpy(name, user, ulen);
            name[ulen] = '\0';
            u = kelp_user_store_find(&b->users, name);
            if (u && kelp_user_check_password(u, pw, pwlen)) {
                err = authenticated(b, sc, name, msg, msglen);
            } else {
                if (!u) { /* the same PBKDF2 work as a wrong password */
                    kelp_scram_cred fake;
                    unknown_user_cred(KELP_SCRAM_SHA_512, name, &fake);
                    (void)kelp_scram_cred_check_password(KELP_SCRAM_SHA_512, &fake, pw, pwlen);
                }
                snprintf(msg, msglen, "Authentication failed: Invalid username or password");
            }
        } else {
            snprintf(msg, msglen, "Authentication failed: invalid SASL/PLAIN message");
        }
        if (err != KAFKA_ERR_NONE)
            KELP_INFO("security", "PLAIN authentication failed for %s", u ? u->name : "an unknown user");
        finish_exchange(sc);
        return err;
    }
    if (sc->scram.step == 0) {
        if (kelp_scram_server_client_first(&sc->scram, tok, len, why, sizeof(why)) == 0) {
            kelp_user *u = kelp_user_store_find(&b->users, sc->scram.user);
            kelp_scram_cred fake;
            const kelp_scram_cred *cred = u && u->has[sc->mechanism] ? &u->cred[sc->mechanism] : NULL;
            if (!cred) { /* fails at client-final, like a wrong password */
                unknown_user_cred(sc->mechanism, sc->scram.user, &fake);
                cred = &fake;
            }
            if (kelp_scram_server_first(&sc->scram, cred, NULL, out) == 0) {
                *done = false;
                return KAFKA_ERR_NONE;
            }
            snprintf(why, sizeof(why), "invalid credentials");
        }
    } else if (kelp_scram_server_client_final(&sc->scram, tok, len, out, why, sizeof(why)) == 0) {
        char user[KELP_SASL_USER_MAX];
        snprintf(user, sizeof(user), "%s", sc->scram.user);
        err = authenticated(b, sc, user, msg, msglen);
        finish_exchange(sc);
        return err;
    }
    KELP_INFO("security", "%s authentication failed for user \"%s\": %s", mech_name(sc->mechanism),
              sc->scram.user, why);
    snprintf(msg, msglen, "Authentication failed during authentication due to %s with SASL mechanism %s", why,
             mech_name(sc->mechanism));
    out->len = 0;
    finish_exchange(sc);
    sc->authenticated = false;
    return err;
}

int kelp_sasl_raw_token(kelp_broker *b, kelp_conn *conn, uint8_t *frame, size_t len)
{
    kelp_sasl_conn *sc = kelp_conn_user(conn);
    kelp_buf out;
    kelp_buf_init(&out);
    kelp_buf_extend(&out, 4);
    bool done;
    char msg[256];
    int16_t err = sasl_step(b, sc, frame, len, &out, &done, msg, sizeof(msg));
    kelp_frame_free(frame);
    if (err != KAFKA_ERR_NONE || out.failed) {
        /* Unframed tokens carry no error: Kafka closes the connection. */
        KELP_WARN("net", "closing %s: %s", kelp_conn_peer(conn), msg);
        kelp_buf_free(&out);
        return -1;
    }
    kelp_conn_slot *slot = kelp_conn_slot_reserve(conn);
    if (!slot) {
        kelp_buf_free(&out);
        return -1;
    }
    if (!sc->raw)
        kelp_conn_set_short_frames(conn, false); /* the exchange is over: Kafka requests again */
    uint32_t n = (uint32_t)(out.len - 4);
    out.data[0] = (uint8_t)(n >> 24);
    out.data[1] = (uint8_t)(n >> 16);
    out.data[2] = (uint8_t)(n >> 8);
    out.data[3] = (uint8_t)n;
    kelp_conn_slot_complete(slot, &out);
    return 0;
}

int kelp_handle_sasl_handshake(kelp_broker *b, kelp_request *req)
{
    kafka_SaslHandshakeRequest in;
    if (kafka_SaslHandshakeRequest_decode(&req->body, &req->arena, req->api_version, &in) != 0)
        return -1;
    kelp_conn *conn = kelp_conn_slot_conn(req->slot);
    bool enabled = sasl_enabled(b, conn);
    kelp_sasl_conn *sc = conn_state(conn);
    kafka_SaslHandshakeResponse resp;
    kafka_SaslHandshakeResponse_init(&resp);
    kw_str names[3];
    int32_t count = 0;
    static const int order[] = {KELP_SCRAM_SHA_512, KELP_SCRAM_SHA_256, MECH_PLAIN};
    for (int i = 0; enabled && i < 3; i++)
        if ((uint32_t)b->cfg.security.sasl_mechanisms & mech_bit(order[i])) {
            const char *n = mech_name(order[i]);
            names[count++] = (kw_str){.ptr = n, .len = (int32_t)strlen(n)};
        }
    resp.mechanisms = names;
    resp.mechanisms_count = count;
    char name[32] = "";
    if (in.mechanism.len > 0 && (size_t)in.mechanism.len < sizeof(name))
        memcpy(name, in.mechanism.ptr, (size_t)in.mechanism.len);
    int mech = strcmp(name, "PLAIN") == 0 ? MECH_PLAIN : kelp_scram_mech_parse(name);
    if (!sc)
        resp.error_code = KAFKA_ERR_UNKNOWN_SERVER_ERROR;
    else if (!enabled || sc->mechanism || (sc->authenticated && req->api_version == 0))
        resp.error_code = KAFKA_ERR_ILLEGAL_SASL_STATE;
    else if (!mech || !((uint32_t)b->cfg.security.sasl_mechanisms & mech_bit(mech)))
        resp.error_code = KAFKA_ERR_UNSUPPORTED_SASL_MECHANISM;
    else {
        sc->mechanism = mech;
        sc->raw = req->api_version == 0;
        kelp_scram_server_init(&sc->scram, mech == MECH_PLAIN ? 0 : mech);
        /* A bare PLAIN token of a short name and password is under 8 bytes. */
        if (sc->raw)
            kelp_conn_set_short_frames(conn, true);
    }
    bool failed = resp.error_code != KAFKA_ERR_NONE && enabled;
    KELP_RESPOND(req, SaslHandshakeResponse, &resp);
    /* As Kafka's authenticator: a failed exchange is answered, then ends. */
    if (failed)
        kelp_conn_close_when_sent(conn);
    return 0;
}

int kelp_handle_sasl_authenticate(kelp_broker *b, kelp_request *req)
{
    kafka_SaslAuthenticateRequest in;
    if (kafka_SaslAuthenticateRequest_decode(&req->body, &req->arena, req->api_version, &in) != 0)
        return -1;
    kelp_conn *conn = kelp_conn_slot_conn(req->slot);
    bool enabled = sasl_enabled(b, conn);
    kelp_sasl_conn *sc = conn_state(conn);
    kafka_SaslAuthenticateResponse resp;
    kafka_SaslAuthenticateResponse_init(&resp);
    resp.error_message = NULL_STR;
    char msg[256] = "";
    kelp_buf out;
    kelp_buf_init(&out);
    bool done = true;
    if (!sc) {
        resp.error_code = KAFKA_ERR_UNKNOWN_SERVER_ERROR;
    } else if (!enabled || sc->raw) {
        resp.error_code = KAFKA_ERR_ILLEGAL_SASL_STATE;
        snprintf(msg, sizeof(msg), "Unexpected SaslAuthenticate request");
    } else {
        resp.error_code = sasl_step(b, sc, in.auth_bytes.ptr ? in.auth_bytes.ptr : (const uint8_t *)"",
                                    in.auth_bytes.len > 0 ? (size_t)in.auth_bytes.len : 0, &out, &done, msg,
                                    sizeof(msg));
    }
    if (resp.error_code != KAFKA_ERR_NONE) {
        resp.error_message = (kw_str){.ptr = msg, .len = (int32_t)strlen(msg)};
    } else {
        resp.auth_bytes = (kw_bytes){.ptr = out.data, .len = (int32_t)out.len};
        if (done)
            resp.session_lifetime_ms = b->cfg.security.session_lifetime_ms;
    }
    bool failed = resp.error_code != KAFKA_ERR_NONE && enabled;
    KELP_RESPOND(req, SaslAuthenticateResponse, &resp);
    kelp_buf_free(&out);
    if (failed)
        kelp_conn_close_when_sent(conn);
    return 0;
}

/* Credentials are cluster state: DESCRIBE or ALTER on the cluster. */
static bool may_administer(kelp_broker *b, kelp_request *req, int8_t op)
{
    return kelp_authorized_cluster(b, req, op);
}

static char *arena_str(kelp_arena *a, kw_str s)
{
    char *out = kelp_arena_alloc(a, (size_t)(s.len > 0 ? s.len : 0) + 1);
    if (out) {
        if (s.len > 0)
            memcpy(out, s.ptr, (size_t)s.len);
        out[s.len > 0 ? s.len : 0] = '\0';
    }
    return out;
}

static kw_str cstr(const char *s) { return (kw_str){.ptr = s, .len = (int32_t)strlen(s)}; }

int kelp_handle_describe_user_scram_credentials(kelp_broker *b, kelp_request *req)
{
    kafka_DescribeUserScramCredentialsRequest in;
    if (kafka_DescribeUserScramCredentialsRequest_decode(&req->body, &req->arena, req->api_version, &in) != 0)
        return -1;
    kafka_DescribeUserScramCredentialsResponse resp;
    kafka_DescribeUserScramCredentialsResponse_init(&resp);
    resp.error_message = NULL_STR;
    if (!may_administer(b, req, KELP_ACL_OP_DESCRIBE)) {
        resp.error_code = KAFKA_ERR_CLUSTER_AUTHORIZATION_FAILED;
        resp.error_message = cstr("Not authorized to describe user credentials");
        KELP_RESPOND(req, DescribeUserScramCredentialsResponse, &resp);
        return 0;
    }
    bool all = in.users_count <= 0;
    size_t n = all ? b->users.count : (size_t)in.users_count;
    typedef kafka_DescribeUserScramCredentialsResponse_DescribeUserScramCredentialsResult result;
    result *results = kelp_arena_alloc(&req->arena, (n ? n : 1) * sizeof(*results));
    if (!results)
        return -1;
    for (size_t i = 0; i < n; i++) {
        result *r = &results[i];
        kafka_DescribeUserScramCredentialsResponse_DescribeUserScramCredentialsResult_init(r);
        r->error_message = NULL_STR;
        const char *name = all ? b->users.users[i].name : arena_str(&req->arena, in.users[i].name);
        if (!name)
            return -1;
        r->user = cstr(name);
        bool duplicate = false;
        for (size_t j = 0; !all && j < n; j++)
            if (j != i && in.users[j].name.len == in.users[i].name.len &&
                memcmp(in.users[j].name.ptr, in.users[i].name.ptr, (size_t)in.users[i].name.len) == 0)
                duplicate = true;
        kelp_user *u = kelp_user_store_find(&b->users, name);
        if (duplicate) {
            r->error_code = KAFKA_ERR_DUPLICATE_RESOURCE;
            r->error_message = cstr("Cannot describe SCRAM credentials for the same user twice in a single request");
            continue;
        }
        if (!u || !kelp_user_has_credentials(u)) {
            r->error_code = KAFKA_ERR_RESOURCE_NOT_FOUND;
            r->error_message = cstr("Attempt to describe a user credential that does not exist");
            continue;
        }
        r->credential_infos = kelp_arena_alloc(&req->arena, 2 * sizeof(*r->credential_infos));
        if (!r->credential_infos)
            return -1;
        for (int m = 1; m < KELP_SCRAM_MECH_COUNT; m++) {
            if (!u->has[m])
                continue;
            kafka_DescribeUserScramCredentialsResponse_CredentialInfo *ci = &r->credential_infos[r->credential_infos_count++];
            kafka_DescribeUserScramCredentialsResponse_CredentialInfo_init(ci);
            ci->mechanism = (int8_t)m;
            ci->iterations = u->cred[m].iterations;
        }
    }
    resp.results = results;
    resp.results_count = (int32_t)n;
    KELP_RESPOND(req, DescribeUserScramCredentialsResponse, &resp);
    return 0;
}

/* An AlterUserScramCredentials request waiting for its user files. */
typedef struct alter_state {
    kelp_broker *b;
    kelp_request *req;
    kafka_AlterUserScramCredentialsResponse resp;
    size_t pending;
} alter_state;

typedef struct alter_write {
    alter_state *st;
    int32_t result;
    bool had_prev;  /* the user existed before: prev is what to go back to */
    kelp_user prev; /* on a failed write memory goes back to what is stored */
} alter_write;

static void alter_respond(alter_state *st)
{
    KELP_RESPOND(st->req, AlterUserScramCredentialsResponse, &st->resp);
    free(st);
}

static void alter_written(void *ctx, int status)
{
    alter_write *w = ctx;
    alter_state *st = w->st;
    if (status != 0) {
        KELP_ERROR("security", "cannot write the credentials of %.*s: %s", (int)st->resp.results[w->result].user.len,
                   st->resp.results[w->result].user.ptr, strerror(-status));
        st->resp.results[w->result].error_code = KAFKA_ERR_UNKNOWN_SERVER_ERROR;
        st->resp.results[w->result].error_message = cstr("Cannot store the credential");
        kelp_user *u;
        if (!w->had_prev)
            kelp_user_store_remove(&st->b->users, w->prev.name);
        else if ((u = kelp_user_store_put(&st->b->users, w->prev.name)))
            *u = w->prev;
    }
    memset(&w->prev, 0, sizeof(w->prev));
    free(w);
    if (--st->pending == 0)
        alter_respond(st);
}

/* Queues the user's file (or its removal once no credential is left). */
static int persist_user(kelp_broker *b, const kelp_user *u, kelp_file_writer_done_fn done, void *ctx)
{
    char path[512];
    if (kelp_user_file_path(path, sizeof(path), u->name) != 0)
        return -1;
    if (!kelp_user_has_credentials(u))
        return kelp_file_writer_remove(b->writer, path, done, ctx);
    kelp_buf text;
    kelp_buf_init(&text);
    int rc = kelp_user_to_json(u, &text) == 0 ? kelp_file_writer_put(b->writer, path, text.data, text.len, done, ctx)
                                              : -1;
    kelp_buf_free(&text);
    return rc;
}

static bool same(kw_str a, kw_str c) { return a.len == c.len && (a.len <= 0 || memcmp(a.ptr, c.ptr, (size_t)a.len) == 0); }

int kelp_handle_alter_user_scram_credentials(kelp_broker *b, kelp_request *req)
{
    kafka_AlterUserScramCredentialsRequest in;
    if (kafka_AlterUserScramCredentialsRequest_decode(&req->body, &req->arena, req->api_version, &in) != 0)
        return -1;
    typedef kafka_AlterUserScramCredentialsResponse_AlterUserScramCredentialsResult result;
    size_t ops = (size_t)(in.deletions_count > 0 ? in.deletions_count : 0) +
                 (size_t)(in.upsertions_count > 0 ? in.upsertions_count : 0);
    alter_state *st = calloc(1, sizeof(*st));
    result *results = kelp_arena_alloc(&req->arena, (ops ? ops : 1) * sizeof(*results));
    if (!st || !results) {
        free(st);
        return -1;
    }
    st->b = b;
    st->req = req;
    kafka_AlterUserScramCredentialsResponse_init(&st->resp);
    st->resp.results = results;
    bool allowed = may_administer(b, req, KELP_ACL_OP_ALTER);
    /* One result per user named, in the order first named. */
    for (size_t i = 0; i < ops; i++) {
        kw_str name = i < (size_t)in.deletions_count ? in.deletions[i].name
                                                     : in.upsertions[i - (size_t)in.deletions_count].name;
        bool seen = false;
        for (int32_t j = 0; j < st->resp.results_count && !seen; j++)
            seen = same(results[j].user, name);
        if (seen)
            continue;
        result *r = &results[st->resp.results_count++];
        kafka_AlterUserScramCredentialsResponse_AlterUserScramCredentialsResult_init(r);
        r->error_message = NULL_STR;
        r->user = name;
        if (!allowed) {
            r->error_code = KAFKA_ERR_CLUSTER_AUTHORIZATION_FAILED;
            r->error_message = cstr("Not authorized to alter user credentials");
        } else if (name.len <= 0 || name.len >= KELP_SASL_USER_MAX) {
            r->error_code = KAFKA_ERR_UNACCEPTABLE_CREDENTIAL;
            r->error_message = cstr("Username must be 1 to 255 bytes");
        }
    }
    /* Checks every operation before changing anything of that user. */
    for (int32_t k = 0; k < st->resp.results_count; k++) {
        result *r = &results[k];
        if (r->error_code)
            continue;
        char *name = arena_str(&req->arena, r->user);
        if (!name) {
            free(st);
            return -1;
        }
        kelp_user next;
        kelp_user *cur = kelp_user_store_find(&b->users, name);
        if (cur)
            next = *cur;
        else {
            memset(&next, 0, sizeof(next));
            snprintf(next.name, sizeof(next.name), "%s", name);
        }
        bool touched[KELP_SCRAM_MECH_COUNT] = {false};
        for (size_t i = 0; i < ops && !r->error_code; i++) {
            bool del = i < (size_t)in.deletions_count;
            kafka_AlterUserScramCredentialsRequest_ScramCredentialDeletion *d = del ? &in.deletions[i] : NULL;
            kafka_AlterUserScramCredentialsRequest_ScramCredentialUpsertion *u =
                del ? NULL : &in.upsertions[i - (size_t)in.deletions_count];
            if (!same(del ? d->name : u->name, r->user))
                continue;
            int m = del ? d->mechanism : u->mechanism;
            if (m != KELP_SCRAM_SHA_256 && m != KELP_SCRAM_SHA_512) {
                r->error_code = KAFKA_ERR_UNSUPPORTED_SASL_MECHANISM;
                r->error_message = cstr("Unknown SCRAM mechanism");
            } else if (touched[m]) {
                r->error_code = KAFKA_ERR_DUPLICATE_RESOURCE;
                r->error_message = cstr("A user credential cannot be altered twice in the same request");
            } else if (del) {
                if (!next.has[m]) {
                    r->error_code = KAFKA_ERR_RESOURCE_NOT_FOUND;
                    r->error_message = cstr("Attempt to delete a user credential that does not exist");
                }
                next.has[m] = false;
            } else if (u->iterations < KELP_SCRAM_MIN_ITERATIONS || u->iterations > KELP_SCRAM_MAX_ITERATIONS) {
                r->error_code = KAFKA_ERR_UNACCEPTABLE_CREDENTIAL;
                r->error_message = cstr(u->iterations < KELP_SCRAM_MIN_ITERATIONS ? "Too few iterations"
                                                                                 : "Too many iterations");
            } else if (kelp_scram_cred_from_salted(m, u->salted_password.ptr,
                                                   u->salted_password.len > 0 ? (size_t)u->salted_password.len : 0,
                                                   u->salt.ptr, u->salt.len > 0 ? (size_t)u->salt.len : 0,
                                                   u->iterations, &next.cred[m]) != 0) {
                r->error_code = KAFKA_ERR_UNACCEPTABLE_CREDENTIAL;
                r->error_message = cstr("Salt or salted password of the wrong size");
            } else {
                next.has[m] = true;
            }
            if (!r->error_code)
                touched[m] = true;
        }
        if (r->error_code)
            continue;
        alter_write *w = calloc(1, sizeof(*w));
        if (w) {
            w->had_prev = cur != NULL;
            if (cur)
                w->prev = *cur;
            else
                snprintf(w->prev.name, sizeof(w->prev.name), "%s", name);
        }
        kelp_user *slot = w ? kelp_user_store_put(&b->users, name) : NULL;
        if (!slot) {
            free(w);
            r->error_code = KAFKA_ERR_UNKNOWN_SERVER_ERROR;
            continue;
        }
        *slot = next;
        w->st = st;
        w->result = k;
        st->pending++;
        if (persist_user(b, slot, alter_written, w) != 0) {
            st->pending--;
            r->error_code = KAFKA_ERR_UNKNOWN_SERVER_ERROR;
            r->error_message = cstr("Cannot store the credential");
            if (w->had_prev)
                *slot = w->prev; /* nothing was stored: nothing changes */
            else
                slot->has[KELP_SCRAM_SHA_256] = slot->has[KELP_SCRAM_SHA_512] = false;
            memset(&w->prev, 0, sizeof(w->prev));
            free(w);
        }
        if (!kelp_user_has_credentials(slot))
            kelp_user_store_remove(&b->users, name);
        memset(&next, 0, sizeof(next));
    }
    if (st->pending == 0)
        alter_respond(st);
    return 0;
}

/* Users named in the configuration: hashed into the store (and their
 * files) unless the stored credentials already match the password. */
int kelp_sasl_apply_config_users(kelp_broker *b, bool now, char *err, size_t errlen)
{
    cJSON *root = cJSON_Parse(b->cfg.security.users);
    int rc = 0;
    for (const cJSON *it = root ? root->child : NULL; it && rc == 0; it = it->next) {
        if (!cJSON_IsString(it))
            continue;
        const char *pw = it->valuestring;
        size_t pwlen = strlen(pw);
        kelp_user *u = kelp_user_store_find(&b->users, it->string);
        if (u && u->has[KELP_SCRAM_SHA_256] && u->has[KELP_SCRAM_SHA_512] &&
            kelp_scram_cred_check_password(KELP_SCRAM_SHA_256, &u->cred[KELP_SCRAM_SHA_256], pw, pwlen) &&
            kelp_scram_cred_check_password(KELP_SCRAM_SHA_512, &u->cred[KELP_SCRAM_SHA_512], pw, pwlen))
            continue;
        kelp_user next;
        memset(&next, 0, sizeof(next));
        snprintf(next.name, sizeof(next.name), "%s", it->string);
        for (int m = 1; m < KELP_SCRAM_MECH_COUNT && rc == 0; m++) {
            rc = kelp_scram_cred_from_password(m, pw, pwlen, CONFIG_USER_ITERATIONS, &next.cred[m]);
            next.has[m] = rc == 0;
        }
        if (rc != 0 || !(u = kelp_user_store_put(&b->users, it->string))) {
            snprintf(err, errlen, "cannot derive the credentials of user \"%s\"", it->string);
            rc = -1;
            break;
        }
        *u = next;
        memset(&next, 0, sizeof(next));
        if (now) {
            char path[512];
            kelp_buf text;
            kelp_buf_init(&text);
            if (kelp_user_file_path(path, sizeof(path), u->name) != 0 || kelp_user_to_json(u, &text) != 0)
                rc = -ENOMEM;
            kelp_fs *fs = kelp_storage_fs(b->storage);
            if (rc == 0 && (rc = fs->ops->mkdirs(fs, KELP_USERS_ROOT)) == 0)
                rc = fs->ops->write_file_atomic(fs, path, text.data, text.len);
            kelp_buf_free(&text);
            if (rc != 0) {
                snprintf(err, errlen, "cannot write the credentials of user \"%s\": %s", u->name, strerror(-rc));
                rc = -1;
            }
        } else if (persist_user(b, u, NULL, NULL) != 0) {
            KELP_ERROR("security", "cannot queue the credentials of user \"%s\"", u->name);
        }
    }
    cJSON_Delete(root);
    return rc;
}
