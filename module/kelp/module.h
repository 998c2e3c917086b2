/*
 * kelp/module.h - the C ABI between Kelp (kelp.so) and a host process.
 *
 * A host dlopens kelp.so, looks up the one exported symbol
 * KELP_MODULE_ENTRY_SYMBOL ("kelp_module_entry"), calls it, and checks
 * that the descriptor's abi_version equals KELP_MODULE_ABI_VERSION before
 * using anything else in it. A module built for another ABI version must be
 * refused.
 *
 * Life cycle of an instance:
 *   create(host, config_json)  parse and validate the JSON configuration
 *   start(instance)            open storage, bind listeners, start threads;
 *                              returns once the listeners accept
 *   reconfigure(instance, json) validate and apply a new configuration at
 *                              run time; on error nothing changes
 *   stop(instance)             stop accepting, answer in-flight requests,
 *                              sync every file, join threads
 *   destroy(instance)          free everything
 *
 * Every function returning int returns 0 on success and -1 on failure, with
 * a NUL-terminated message in err (at most errlen bytes). All functions are
 * called from one host thread; the module runs its own threads between start
 * and stop.
 */
#ifndef KELP_MODULE_H
#define KELP_MODULE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KELP_MODULE_ABI_VERSION 1u
#define KELP_MODULE_ENTRY_SYMBOL "kelp_module_entry"

enum kelp_module_log_level {
    KELP_MODULE_LOG_ERROR = 0,
    KELP_MODULE_LOG_WARN = 1,
    KELP_MODULE_LOG_INFO = 2,
    KELP_MODULE_LOG_DEBUG = 3
};

/* What the host offers the module. Any member may be NULL. */
typedef struct kelp_host_api {
    uint32_t abi_version; /* the host sets KELP_MODULE_ABI_VERSION */
    void *ctx;
    /* One log line: level, component ("storage", "net", ...), message.
     * Called from any module thread. */
    void (*log)(void *ctx, int level, const char *component, const char *message);
} kelp_host_api;

typedef struct kelp_instance kelp_instance;

/* Which listener kelp_module_descriptor.bound_address reports. Kinds are
 * only ever added; bound_address fails (-1) for a kind the module does not
 * know or a listener that is disabled, so hosts and modules of the same ABI
 * version but different ages work together. */
enum kelp_listener_kind {
    KELP_LISTENER_KAFKA = 0,
    KELP_LISTENER_ADMIN = 1,
    KELP_LISTENER_SCHEMA_REGISTRY = 2 /* the Schema Registry REST API */
};

typedef struct kelp_module_descriptor {
    uint32_t abi_version; /* KELP_MODULE_ABI_VERSION of the module */
    const char *name;     /* "kelp" */
    const char *version;  /* release version string */

    int (*create)(const kelp_host_api *host, const char *config_json, kelp_instance **out,
                  char *err, size_t errlen);
    int (*start)(kelp_instance *inst, char *err, size_t errlen);
    int (*reconfigure)(kelp_instance *inst, const char *config_json, char *err, size_t errlen);
    int (*stop)(kelp_instance *inst, char *err, size_t errlen);
    void (*destroy)(kelp_instance *inst);

    /* After start: the bound "host:port" of a listener (with the port the
     * kernel chose when 0 was configured). */
    int (*bound_address)(kelp_instance *inst, int kind, char *buf, size_t buflen);
} kelp_module_descriptor;

typedef const kelp_module_descriptor *(*kelp_module_entry_fn)(void);

/* Exported by kelp.so. */
const kelp_module_descriptor *kelp_module_entry(void);

#ifdef __cplusplus
}
#endif

#endif
