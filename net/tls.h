/* TLS on accepted sockets (OpenSSL): a server context made from the
 * configured certificate, key and client CAs, and one session per
 * connection that reads and writes through non-blocking sockets. */
#ifndef KELP_NET_TLS_H
#define KELP_NET_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

typedef struct kelp_tls_context kelp_tls_context;
typedef struct kelp_tls_session kelp_tls_session;

typedef struct kelp_tls_options {
    const char *certificate; /* PEM file: the server certificate, then its chain */
    const char *key;         /* PEM file: its private key */
    const char *ca;          /* PEM file of CAs client certificates must chain to; "" = none */
    int client_auth;         /* KELP_CLIENT_AUTH_* (module/config.h) */
} kelp_tls_options;

/* Loads and checks the files; NULL with err set when they do not make a
 * usable server context. Reference counted: sessions keep it alive. */
kelp_tls_context *kelp_tls_context_new(const kelp_tls_options *opt, char *err, size_t errlen);
void kelp_tls_context_free(kelp_tls_context *ctx);

kelp_tls_session *kelp_tls_session_new(kelp_tls_context *ctx, int fd);
void kelp_tls_session_free(kelp_tls_session *s);

/* Like recv/send on the plain socket: > 0 bytes moved, 0 when the peer
 * closed the TLS session, -1 with errno EAGAIN when the socket must become
 * readable or writable first (kelp_tls_wants_write tells which), other
 * errno values for failures (kelp_tls_error says why). The handshake runs
 * inside the first calls. */
ssize_t kelp_tls_recv(kelp_tls_session *s, void *buf, size_t len);
ssize_t kelp_tls_send(kelp_tls_session *s, const void *buf, size_t len);
/* The last call is waiting for the socket to take more output. */
bool kelp_tls_wants_write(const kelp_tls_session *s);
/* Decrypted bytes held inside the session that no socket event announces. */
bool kelp_tls_has_pending(const kelp_tls_session *s);
const char *kelp_tls_error(const kelp_tls_session *s);
/* The verified client certificate's subject as an RFC 2253 name
 * ("CN=alice,O=Example"), Kafka's SSL principal; NULL without one or
 * before the handshake finished. */
const char *kelp_tls_peer_subject(kelp_tls_session *s);

#endif
