/* The Kafka server core: storage, the listener and the event loop thread.
 * Owned by a module instance; all functions are called from the host thread
 * except where noted. */
#ifndef KELP_SERVER_SERVER_H
#define KELP_SERVER_SERVER_H

#include <stddef.h>

#include "module/config.h"

typedef struct kelp_broker kelp_broker;
/* A read-only look at broker state, run on the loop thread: returns
 * malloc'd JSON and sets an HTTP status. */
typedef char *(*kelp_broker_query_fn)(kelp_broker *b, const char *arg, unsigned *status);

typedef struct kelp_server kelp_server;

int kelp_server_create(const kelp_config *cfg, kelp_server **out, char *err, size_t errlen);
/* Opens storage (with recovery), binds the listener, starts the loop thread. */
int kelp_server_start(kelp_server *srv, char *err, size_t errlen);
/* Applies a new configuration (thread-safe: the admin thread calls it too).
 * Rebinds the listener when "listen" changed. On error nothing changes. */
int kelp_server_reconfigure(kelp_server *srv, const kelp_config *cfg, char *err, size_t errlen);
/* Stops accepting, answers in-flight requests, syncs storage, joins. */
int kelp_server_stop(kelp_server *srv, char *err, size_t errlen);
/* Restarts the running server on the storage cfg names (cfg.storage), on
 * the same Kafka listener socket; on failure it goes back to the previous
 * storage and returns -1. */
int kelp_server_switch_storage(kelp_server *srv, const kelp_config *cfg, char *err, size_t errlen);
void kelp_server_destroy(kelp_server *srv);
/* Runs fn on the loop thread and waits for it (thread-safe); 503 and NULL
 * when the server is not running. */
char *kelp_server_query(kelp_server *srv, kelp_broker_query_fn fn, const char *arg, unsigned *status);
/* The admin drain: action > 0 starts it (new connections are refused, open
 * ones end once their pending answers are written), < 0 ends it, 0 only
 * reports. Thread-safe. Returns malloc'd JSON {"draining", "connections"}
 * (the connections still open) and sets an HTTP status; 503 and NULL when
 * the server is not running. */
char *kelp_server_drain(kelp_server *srv, int action, unsigned *status);
/* {"listeners": [{"name", "listen", "bound", "protocol", "advertised",
 * "connections"}]}: the main listener ("MAIN") and those of "listeners".
 * Thread-safe; 503 and NULL when the server is not running. */
char *kelp_server_listeners_json(kelp_server *srv, unsigned *status);
/* The file system of the running storage, NULL when not running. Valid
 * until the next stop or storage switch; its operations are thread-safe. */
struct kelp_fs;
struct kelp_fs *kelp_server_fs(kelp_server *srv);
/* The schema registry that Produce checks validated topics against
 * (confluent.*.schema.validation). Call before kelp_server_start; r must
 * outlive the server. */
struct kelp_schema_registry;
void kelp_server_set_schema_registry(kelp_server *srv, struct kelp_schema_registry *r);
/* "host:port" actually bound by the Kafka listener. */
int kelp_server_bound_address(kelp_server *srv, char *buf, size_t buflen);

#endif
