/* The one symbol kelp.so exports: the module descriptor. */
#include "kelp/module.h"
#include "module/instance.h"

static const kelp_module_descriptor descriptor = {
    .abi_version = KELP_MODULE_ABI_VERSION,
    .name = "kelp",
    .version = PACKAGE_VERSION, /* from config.h, included into every file by the build */
    .create = kelp_instance_create,
    .start = kelp_instance_start,
    .reconfigure = kelp_instance_reconfigure,
    .stop = kelp_instance_stop,
    .destroy = kelp_instance_destroy,
    .bound_address = kelp_instance_bound_address,
};

__attribute__((visibility("default"))) const kelp_module_descriptor *kelp_module_entry(void)
{
    return &descriptor;
}
