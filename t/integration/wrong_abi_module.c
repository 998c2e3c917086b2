/* A module that claims a future ABI version: kelpd must refuse to use it. */
#include "kelp/module.h"

static const kelp_module_descriptor descriptor = {
    .abi_version = KELP_MODULE_ABI_VERSION + 41,
    .name = "wrong-abi",
    .version = "0",
};

__attribute__((visibility("default"))) const kelp_module_descriptor *kelp_module_entry(void)
{
    return &descriptor;
}
