/* A non-blocking TCP listener on the event loop. */
#ifndef KELP_NET_LISTENER_H
#define KELP_NET_LISTENER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/event_loop.h"

typedef struct kelp_listener kelp_listener;
/* A new connection: the socket is non-blocking with TCP_NODELAY; the callee owns it. */
typedef void (*kelp_accept_fn)(void *ctx, int fd);

/* Binds host:port (port 0: the kernel picks). Does not watch yet. */
kelp_listener *kelp_listener_bind(const char *host, uint16_t port, char *err, size_t errlen);
int kelp_listener_start(kelp_listener *l, kelp_loop *loop, kelp_accept_fn fn, void *ctx);
/* The bound host and port. */
const char *kelp_listener_host(const kelp_listener *l);
uint16_t kelp_listener_port(const kelp_listener *l);
/* Accepting waits out a lack of descriptors (EMFILE and the like). */
bool kelp_listener_paused(const kelp_listener *l);
/* Stops watching (when started) and closes the socket. */
void kelp_listener_close(kelp_listener *l);
/* Forgets the loop it was watched by (that loop is gone); the socket stays
 * open, to be started on another loop. */
void kelp_listener_detach(kelp_listener *l);

#endif
