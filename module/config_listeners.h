/* The "listeners" configuration key (module/config_listeners.c). */
#ifndef KELP_MODULE_CONFIG_LISTENERS_H
#define KELP_MODULE_CONFIG_LISTENERS_H

#include <cjson/cJSON.h>

#include "module/config.h"

/* Replaces cfg's listeners with the array item; on error cfg is unchanged. */
int kelp_config_listeners_apply(kelp_config *cfg, const cJSON *item, char *err, size_t errlen);
/* Rules across keys: unique names and addresses, TLS files for TLS listeners. */
int kelp_config_listeners_check(const kelp_config *cfg, char *err, size_t errlen);
cJSON *kelp_config_listeners_json(const kelp_config *cfg);

#endif
