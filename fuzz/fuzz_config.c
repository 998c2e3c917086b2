/* Fuzz target: kelp_config_apply_json (kelpd's --config file and the admin
 * endpoint's PUT /v1/config) on the defaults; an accepted configuration is
 * printed and the print applied again, as a reload would. */
#include <stdlib.h>

#include "fuzz/fuzz_util.h"
#include "module/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *json = fuzz_cstr(data, size);
    if (!json)
        return 0;
    kelp_config cfg;
    char err[512];
    kelp_config_defaults(&cfg);
    if (kelp_config_apply_json(&cfg, json, err, sizeof(err)) == 0) {
        char *text = kelp_config_to_json(&cfg);
        if (text) {
            kelp_config again;
            kelp_config_defaults(&again);
            /* What the server prints back must be accepted. */
            if (kelp_config_apply_json(&again, text, err, sizeof(err)) != 0)
                abort();
            free(text);
        }
    }
    free(json);
    return 0;
}
