/* The web console's static files (admin/console/), embedded into kelp.so at
 * build time: admin/console_embed.sh writes admin/console_assets.c into the
 * build directory. */
#ifndef KELP_ADMIN_CONSOLE_ASSETS_H
#define KELP_ADMIN_CONSOLE_ASSETS_H

#include <stddef.h>

typedef struct kelp_console_asset {
    const char *name;          /* base name, e.g. "index.html" */
    const unsigned char *data; /* the file's bytes and a NUL */
    size_t len;                /* without the NUL */
} kelp_console_asset;

/* Ends with a zeroed entry. */
extern const kelp_console_asset kelp_console_assets[];

#endif
