#include "broker/group_common.h"

#include <stdio.h>

#include "storage/topic_name.h"

char *kelp_arena_kw_dup(kelp_arena *a, kw_str s)
{
    if (s.len < 0)
        return NULL;
    char *p = kelp_arena_alloc(a, (size_t)s.len + 1);
    if (p && s.len)
        memcpy(p, s.ptr, (size_t)s.len);
    return p;
}

const char *kelp_request_client_host(kelp_request *req)
{
    const char *peer = kelp_conn_peer(kelp_conn_slot_conn(req->slot));
    /* "host:port" or "[v6]:port": drop the port and the brackets. */
    const char *colon = strrchr(peer, ':');
    size_t n = colon ? (size_t)(colon - peer) : strlen(peer);
    if (n >= 2 && peer[0] == '[' && peer[n - 1] == ']') {
        peer++;
        n -= 2;
    }
    char *out = kelp_arena_alloc(&req->arena, n + 2);
    if (!out)
        return "";
    out[0] = '/';
    memcpy(out + 1, peer, n);
    return out;
}

bool kelp_topic_name_usable(kw_str name)
{
    return name.len > 0 && kelp_topic_name_valid(name.ptr, (size_t)name.len) &&
           !kelp_topic_name_reserved(name.ptr, (size_t)name.len);
}
