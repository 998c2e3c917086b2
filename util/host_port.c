#include "util/host_port.h"

#include <stdio.h>
#include <string.h>

void kelp_format_host_port(char *out, size_t cap, const char *host, unsigned port)
{
    snprintf(out, cap, strchr(host, ':') ? "[%s]:%u" : "%s:%u", host, port);
}
