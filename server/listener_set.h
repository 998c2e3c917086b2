/* The Kafka listeners beyond "listen" ("listeners" in the configuration):
 * binding them, carrying them over a configuration change (a listener
 * whose address stays keeps its socket), and the index each one gives its
 * connections, which says their protocol and advertised endpoint. */
#ifndef KELP_SERVER_LISTENER_SET_H
#define KELP_SERVER_LISTENER_SET_H

#include <stdbool.h>

#include "module/config.h"
#include "net/listener.h"

typedef struct kelp_listener_entry {
    kelp_listener *l;
    void *owner;   /* the server, for the accept callback */
    int index;     /* 1 + its place in "listeners"; the main listener is 0 */
    int32_t protocol;
    char name[KELP_LISTENER_NAME_MAX];
    char listen[KELP_CONFIG_ADDR_MAX]; /* as configured */
    bool started;
} kelp_listener_entry;

typedef struct kelp_listener_set {
    kelp_listener_entry *entries[KELP_MAX_EXTRA_LISTENERS];
    int count;
} kelp_listener_set;

/* What changing from cur to cfg's listeners takes: next lists cfg's
 * listeners, reusing cur's entries whose address is the same and binding
 * new sockets for the others (not started). moved[i] is the new index of
 * cur's connections of index i (1-based), or -1 where they must be closed
 * (their listener went away or changed protocol). On error (an address
 * that cannot be bound) nothing was changed and next holds nothing. */
int kelp_listener_set_plan(const kelp_listener_set *cur, const kelp_config *cfg, void *owner,
                           kelp_listener_set *next, int moved[KELP_MAX_LISTENERS], char *err, size_t errlen);

/* Undoes a plan that will not be applied: closes what it bound. */
void kelp_listener_set_discard(const kelp_listener_set *cur, kelp_listener_set *next);

/* Applies a plan for cfg on the loop thread: closes cur's entries next does
 * not reuse, renumbers and relabels the kept ones and starts the new ones
 * (their accept context is the entry). cur becomes next. -1 when a socket
 * could not be watched (it stays bound, unwatched). */
int kelp_listener_set_apply(kelp_listener_set *cur, kelp_listener_set *next, const kelp_config *cfg,
                            kelp_loop *loop, kelp_accept_fn on_accept);

/* Starts every entry on loop (after a storage switch kept the sockets). */
int kelp_listener_set_start(kelp_listener_set *set, kelp_loop *loop, kelp_accept_fn on_accept);
/* Forgets the loop (it is gone); the sockets stay open. */
void kelp_listener_set_detach(kelp_listener_set *set);
/* Closes and frees everything. */
void kelp_listener_set_close(kelp_listener_set *set);

#endif
