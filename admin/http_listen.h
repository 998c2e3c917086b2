/* Listening sockets of the HTTP endpoints (admin, schema registry). */
#ifndef KELP_ADMIN_HTTP_LISTEN_H
#define KELP_ADMIN_HTTP_LISTEN_H

#include <stddef.h>
#include <sys/socket.h>

/* A listening TCP socket on "HOST:PORT" (port 0: ephemeral), or -1 with a
 * message in err; `what` names the endpoint in that message. */
int kelp_http_listen(const char *what, const char *addr, char *err, size_t errlen);
/* "host:port" or "[v6]:port" of a bound address. */
void kelp_format_sockaddr(const struct sockaddr_storage *ss, char *buf, size_t buflen);
/* A second descriptor of a listening socket, non-blocking, for a daemon
 * that takes over from the one serving it (a new certificate): both may
 * poll it for a moment, so neither must block in accept. -1 with a message. */
int kelp_http_listen_dup(const char *what, int listen_fd, char *err, size_t errlen);

#endif
