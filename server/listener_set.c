/* The listeners of "listeners". Binding happens on the thread that changes
 * the configuration, so that an address in use refuses the change before
 * anything changed; starting, renumbering and closing happen on the loop
 * thread, which is the only one reading the entries of a running server. */
#include "server/listener_set.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Port 0 binds an ephemeral port, which several listeners may ask for. */
static bool ephemeral(const char *listen)
{
    size_t n = strlen(listen);
    return n >= 2 && strcmp(listen + n - 2, ":0") == 0;
}

/* The entry to keep for lc: the one configured with the same address (and,
 * for port 0, the same name), so a change of other keys rebinds nothing. */
static kelp_listener_entry *find_kept(const kelp_listener_set *set, const kelp_listener_config *lc)
{
    for (int i = 0; i < set->count; i++)
        if (strcmp(set->entries[i]->listen, lc->listen) == 0 &&
            (!ephemeral(lc->listen) || strcmp(set->entries[i]->name, lc->name) == 0))
            return set->entries[i];
    return NULL;
}

static bool holds(const kelp_listener_set *set, const kelp_listener_entry *e)
{
    for (int i = 0; i < set->count; i++)
        if (set->entries[i] == e)
            return true;
    return false;
}

static kelp_listener_entry *bind_entry(const kelp_listener_config *lc, void *owner, char *err, size_t errlen)
{
    char host[KELP_CONFIG_ADDR_MAX];
    uint16_t port;
    if (kelp_config_split_hostport(lc->listen, host, sizeof(host), &port) != 0) {
        snprintf(err, errlen, "listener %s: \"listen\" must be HOST:PORT", lc->name);
        return NULL;
    }
    kelp_listener_entry *e = calloc(1, sizeof(*e));
    if (!e) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    char why[256];
    e->l = kelp_listener_bind(host, port, why, sizeof(why));
    if (!e->l) {
        snprintf(err, errlen, "listener %s: %s", lc->name, why);
        free(e);
        return NULL;
    }
    e->owner = owner;
    snprintf(e->listen, sizeof(e->listen), "%s", lc->listen);
    return e;
}

static void free_entry(kelp_listener_entry *e)
{
    kelp_listener_close(e->l); /* stops watching too */
    free(e);
}

int kelp_listener_set_plan(const kelp_listener_set *cur, const kelp_config *cfg, void *owner,
                           kelp_listener_set *next, int moved[KELP_MAX_LISTENERS], char *err, size_t errlen)
{
    memset(next, 0, sizeof(*next));
    for (int i = 0; i < KELP_MAX_LISTENERS; i++)
        moved[i] = -1;
    moved[0] = 0;
    for (int i = 0; i < cfg->listener_count; i++) {
        const kelp_listener_config *lc = &cfg->listeners[i];
        kelp_listener_entry *old = find_kept(cur, lc);
        kelp_listener_entry *e = old ? old : bind_entry(lc, owner, err, errlen);
        if (!e) {
            kelp_listener_set_discard(cur, next);
            return -1;
        }
        next->entries[next->count++] = e;
        if (old && old->protocol == lc->protocol)
            moved[old->index] = i + 1;
    }
    return 0;
}

void kelp_listener_set_discard(const kelp_listener_set *cur, kelp_listener_set *next)
{
    for (int i = 0; i < next->count; i++)
        if (!holds(cur, next->entries[i]))
            free_entry(next->entries[i]);
    next->count = 0;
}

int kelp_listener_set_apply(kelp_listener_set *cur, kelp_listener_set *next, const kelp_config *cfg,
                            kelp_loop *loop, kelp_accept_fn on_accept)
{
    for (int i = 0; i < cur->count; i++)
        if (!holds(next, cur->entries[i]))
            free_entry(cur->entries[i]);
    int rc = 0;
    for (int i = 0; i < next->count; i++) {
        kelp_listener_entry *e = next->entries[i];
        e->index = i + 1;
        e->protocol = cfg->listeners[i].protocol;
        snprintf(e->name, sizeof(e->name), "%s", cfg->listeners[i].name);
        if (!e->started && kelp_listener_start(e->l, loop, on_accept, e) == 0)
            e->started = true;
        else if (!e->started)
            rc = -1;
    }
    *cur = *next;
    return rc;
}

int kelp_listener_set_start(kelp_listener_set *set, kelp_loop *loop, kelp_accept_fn on_accept)
{
    for (int i = 0; i < set->count; i++) {
        if (kelp_listener_start(set->entries[i]->l, loop, on_accept, set->entries[i]) != 0)
            return -1;
        set->entries[i]->started = true;
    }
    return 0;
}

void kelp_listener_set_detach(kelp_listener_set *set)
{
    for (int i = 0; i < set->count; i++) {
        kelp_listener_detach(set->entries[i]->l);
        set->entries[i]->started = false;
    }
}

void kelp_listener_set_close(kelp_listener_set *set)
{
    for (int i = 0; i < set->count; i++)
        free_entry(set->entries[i]);
    set->count = 0;
}
