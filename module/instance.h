/* A running Kelp instance: its configuration, the Kafka server core and the
 * admin endpoint. module.c exposes these functions through the ABI in
 * kelp/module.h; the signatures follow that ABI. */
#ifndef KELP_MODULE_INSTANCE_H
#define KELP_MODULE_INSTANCE_H

#include <stddef.h>

#include "kelp/module.h"
#include "module/config.h"

/* Defaults, then the keys of config_json (a JSON object; NULL or "" keeps
 * the defaults). Installs the host's log callback and the log level. */
int kelp_instance_create(const kelp_host_api *host, const char *config_json, kelp_instance **out, char *err,
                         size_t errlen);
int kelp_instance_start(kelp_instance *inst, char *err, size_t errlen);
/* Applies the keys of a JSON object onto the running configuration (keys
 * not named keep their value). Thread-safe; on error nothing changes. */
int kelp_instance_reconfigure(kelp_instance *inst, const char *config_json, char *err, size_t errlen);
int kelp_instance_stop(kelp_instance *inst, char *err, size_t errlen);
void kelp_instance_destroy(kelp_instance *inst);
int kelp_instance_bound_address(kelp_instance *inst, int kind, char *buf, size_t buflen);
/* The running configuration as a JSON object (malloc'd). */
char *kelp_instance_config_json(kelp_instance *inst);

#endif
