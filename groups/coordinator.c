/* The classic group protocol, following Kafka's group coordinator: member
 * ids issued on first join (MEMBER_ID_REQUIRED from JoinGroup v4), a join
 * phase bounded by the rebalance timeout (stretched by
 * group.initial.rebalance.delay.ms for a group that was empty), protocol
 * selection by vote, leader election, a sync phase bounded by the rebalance
 * timeout, session expiry, and static members that keep their place across
 * restarts and are fenced when another process takes their instance id. */
#include "groups/coordinator.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "groups/group_store.h"
#include "offsets/offset_path.h"
#include "protocol/kafka_errors.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/strmap.h"
#include "util/uuid.h"

/* Empty groups without offsets are forgotten this often, as Kafka's
 * offsets.retention.check.interval.ms cleanup does. */
#define CLEANUP_INTERVAL_MS (10 * 60 * 1000)

struct kelp_coordinator {
    kelp_loop *loop;
    kelp_fs *fs;
    kelp_file_writer *writer;
    kelp_offset_store *offsets;
    kelp_coordinator_replies replies;
    kelp_group_limits limits;
    kelp_strmap groups;
    kelp_timer *cleanup_timer;
    bool shut_down;
};

static void prepare_rebalance(kelp_group *g, const char *reason);
static void try_complete_join(kelp_group *g);
static void schedule_session(kelp_group_member *m);
static void on_sync_timeout(void *ctx);

static bool kw_eq(const char *s, kw_str k)
{
    return s && k.len >= 0 && strlen(s) == (size_t)k.len && memcmp(s, k.ptr, (size_t)k.len) == 0;
}

static char *kw_dup(kw_str k)
{
    if (k.len < 0)
        return NULL;
    char *s = malloc((size_t)k.len + 1);
    if (s) {
        memcpy(s, k.ptr, (size_t)k.len);
        s[k.len] = '\0';
    }
    return s;
}

static void set_string(char **field, const char *value)
{
    char *copy = value ? strdup(value) : NULL;
    free(*field);
    *field = copy;
}

bool kelp_group_id_valid(kw_str id)
{
    char enc[KELP_GROUP_DIR_MAX + 1];
    return id.len > 0 && !memchr(id.ptr, '\0', (size_t)id.len) &&
           kelp_group_dir_encode(id.ptr, (size_t)id.len, enc) == 0;
}

static int64_t now_ms(void)
{
    return kelp_clock_wall_ms();
}

static void set_state(kelp_group *g, kelp_group_state state)
{
    g->state = state;
    g->state_since_ms = now_ms();
}

static kelp_group *find_group(const kelp_coordinator *c, kw_str id)
{
    if (id.len < 0)
        return NULL;
    return kelp_strmap_get(&c->groups, id.ptr, (size_t)id.len);
}

static kelp_group *create_group(kelp_coordinator *c, const char *id, size_t len)
{
    kelp_group *g = calloc(1, sizeof(*g));
    if (!g)
        return NULL;
    g->id = malloc(len + 1);
    if (!g->id || kelp_strmap_put(&c->groups, id, len, g) != 0) {
        free(g->id);
        free(g);
        return NULL;
    }
    memcpy(g->id, id, len);
    g->id[len] = '\0';
    g->id_len = len;
    g->coord = c;
    set_state(g, KELP_GROUP_EMPTY);
    return g;
}

static int32_t rebalance_timeout(const kelp_group *g)
{
    int32_t t = 0;
    for (kelp_group_member *m = g->members; m; m = m->next)
        if (m->rebalance_timeout_ms > t)
            t = m->rebalance_timeout_ms;
    return t;
}

/* Replies. */

static void reply_join_error(kelp_coordinator *c, void *waiter, int16_t error, const char *member_id)
{
    kelp_join_result r = {.error = error, .generation = -1, .leader_id = "", .member_id = member_id ? member_id : ""};
    c->replies.join(waiter, &r);
}

static void reply_sync_error(kelp_coordinator *c, void *waiter, int16_t error)
{
    kelp_sync_result r = {.error = error};
    c->replies.sync(waiter, &r);
}

static void fail_member_waiters(kelp_group_member *m, int16_t error)
{
    kelp_coordinator *c = m->group->coord;
    if (m->join_waiter) {
        void *w = m->join_waiter;
        m->join_waiter = NULL;
        reply_join_error(c, w, error, m->member_id);
    }
    if (m->sync_waiter) {
        void *w = m->sync_waiter;
        m->sync_waiter = NULL;
        reply_sync_error(c, w, error);
    }
}

/* Sends the join result to every member waiting in JoinGroup. */
static void reply_joins(kelp_group *g)
{
    kelp_coordinator *c = g->coord;
    kelp_join_member *list = calloc((size_t)g->member_count + 1, sizeof(*list));
    int32_t n = 0;
    for (kelp_group_member *m = g->members; m && list; m = m->next) {
        const kelp_group_protocol *p = kelp_member_protocol(m, g->protocol_name);
        list[n++] = (kelp_join_member){.member_id = m->member_id,
                                       .instance_id = m->instance_id,
                                       .metadata = p ? p->metadata : NULL,
                                       .metadata_len = p ? p->metadata_len : 0};
    }
    for (kelp_group_member *m = g->members; m; m = m->next) {
        if (!m->join_waiter)
            continue;
        void *w = m->join_waiter;
        m->join_waiter = NULL;
        m->is_new = false;
        bool leader = kelp_group_is_leader(g, m);
        if (leader && !list) {
            reply_join_error(c, w, KAFKA_ERR_UNKNOWN_SERVER_ERROR, m->member_id);
        } else {
            kelp_join_result r = {.error = KAFKA_ERR_NONE,
                                  .generation = g->generation,
                                  .protocol_type = g->protocol_type,
                                  .protocol_name = g->protocol_name,
                                  .leader_id = g->leader_id ? g->leader_id : "",
                                  .member_id = m->member_id,
                                  .members = leader ? list : NULL,
                                  .member_count = leader ? n : 0};
            c->replies.join(w, &r);
        }
        schedule_session(m);
    }
    free(list);
}

/* Timers. */

static void cancel(kelp_loop *loop, kelp_timer **t)
{
    if (*t) {
        kelp_timer_cancel(loop, *t);
        *t = NULL;
    }
}

static void remove_member(kelp_group_member *m, const char *reason);

static void on_session_expired(void *ctx)
{
    kelp_group_member *m = ctx;
    m->session_timer = NULL;
    KELP_INFO("groups", "group %s: member %s timed out", m->group->id, m->member_id);
    remove_member(m, "session timeout");
}

/* Members waiting in JoinGroup or SyncGroup are alive by definition: their
 * session clock runs only between requests. */
static void schedule_session(kelp_group_member *m)
{
    kelp_loop *loop = m->group->coord->loop;
    cancel(loop, &m->session_timer);
    if (m->join_waiter || m->sync_waiter)
        return;
    m->session_timer = kelp_timer_add(loop, kelp_clock_mono_ms() + m->session_timeout_ms, on_session_expired, m);
}

static void pause_session(kelp_group_member *m)
{
    cancel(m->group->coord->loop, &m->session_timer);
}

static void pending_free(kelp_pending_member *p)
{
    free(p->member_id);
    free(p);
}

static void unlink_pending(kelp_group *g, kelp_pending_member *p)
{
    for (kelp_pending_member **pp = &g->pending; *pp; pp = &(*pp)->next)
        if (*pp == p) {
            *pp = p->next;
            break;
        }
    cancel(g->coord->loop, &p->timer);
    pending_free(p);
}

static void on_pending_expired(void *ctx)
{
    kelp_pending_member *p = ctx;
    kelp_group *g = p->group;
    p->timer = NULL;
    unlink_pending(g, p);
    try_complete_join(g);
}

/* Member removal. */

static void elect_leader(kelp_group *g)
{
    /* Prefer a member that is waiting in JoinGroup: it can act on the role. */
    kelp_group_member *pick = NULL;
    for (kelp_group_member *m = g->members; m; m = m->next)
        if (m->join_waiter) {
            pick = m;
            break;
        }
    if (!pick)
        pick = g->members;
    set_string(&g->leader_id, pick ? pick->member_id : NULL);
}

static void unlink_member(kelp_group *g, kelp_group_member *m)
{
    for (kelp_group_member **pp = &g->members; *pp; pp = &(*pp)->next)
        if (*pp == m) {
            *pp = m->next;
            break;
        }
    g->member_count--;
    cancel(g->coord->loop, &m->session_timer);
    bool was_leader = kelp_group_is_leader(g, m);
    kelp_member_free(m);
    if (was_leader)
        elect_leader(g);
}

static void remove_member(kelp_group_member *m, const char *reason)
{
    kelp_group *g = m->group;
    fail_member_waiters(m, KAFKA_ERR_UNKNOWN_MEMBER_ID);
    unlink_member(g, m);
    switch (g->state) {
    case KELP_GROUP_STABLE:
    case KELP_GROUP_COMPLETING_REBALANCE:
        prepare_rebalance(g, reason);
        break;
    case KELP_GROUP_PREPARING_REBALANCE:
        try_complete_join(g);
        break;
    default:
        break;
    }
}

/* The join phase. */

static void complete_join(kelp_group *g)
{
    kelp_coordinator *c = g->coord;
    cancel(c->loop, &g->join_timer);
    /* Dynamic members that did not rejoin in time are out; static ones keep
     * their place and get the new generation's assignment when they sync. */
    for (kelp_group_member *m = g->members, *next; m; m = next) {
        next = m->next;
        if (!m->join_waiter && !m->instance_id) {
            KELP_INFO("groups", "group %s: member %s did not rejoin in time", g->id, m->member_id);
            unlink_member(g, m);
        }
    }
    g->generation++;
    for (kelp_group_member *m = g->members; m; m = m->next) {
        m->synced = false;
        free(m->assignment);
        m->assignment = NULL;
        m->assignment_len = 0;
    }
    if (!g->members) {
        set_string(&g->protocol_name, NULL);
        set_string(&g->leader_id, NULL);
        set_state(g, KELP_GROUP_EMPTY);
        kelp_group_store_save(c->writer, g);
        KELP_INFO("groups", "group %s is empty at generation %d", g->id, (int)g->generation);
        return;
    }
    set_string(&g->protocol_name, kelp_group_select_protocol(g));
    kelp_group_member *leader = g->leader_id ? kelp_group_find_member(g, g->leader_id, strlen(g->leader_id)) : NULL;
    if (!leader || !leader->join_waiter)
        elect_leader(g);
    set_state(g, KELP_GROUP_COMPLETING_REBALANCE);
    KELP_INFO("groups", "group %s: generation %d with %d members, protocol %s, leader %s", g->id,
              (int)g->generation, (int)g->member_count, g->protocol_name ? g->protocol_name : "-",
              g->leader_id ? g->leader_id : "-");
    reply_joins(g);
    /* Members that never send SyncGroup are removed after the rebalance timeout. */
    cancel(c->loop, &g->sync_timer);
    g->sync_timer = kelp_timer_add(c->loop, kelp_clock_mono_ms() + rebalance_timeout(g), on_sync_timeout, g);
}

static bool all_joined(const kelp_group *g)
{
    if (g->pending)
        return false;
    for (kelp_group_member *m = g->members; m; m = m->next)
        if (!m->join_waiter)
            return false;
    return true;
}

/* The initial delay: while new members keep arriving, wait another delay,
 * up to the rebalance timeout. */
static bool initial_delay_running(const kelp_group *g)
{
    return g->join_deadline_ms != 0;
}

static void try_complete_join(kelp_group *g)
{
    if (g->state == KELP_GROUP_PREPARING_REBALANCE && !initial_delay_running(g) && all_joined(g))
        complete_join(g);
}

static void on_join_timeout(void *ctx)
{
    kelp_group *g = ctx;
    kelp_coordinator *c = g->coord;
    g->join_timer = NULL;
    if (initial_delay_running(g)) {
        int64_t now = kelp_clock_mono_ms();
        int64_t remaining = g->join_deadline_ms - now;
        if (g->new_member_added && remaining > 0) {
            g->new_member_added = false;
            int64_t delay = c->limits.initial_rebalance_delay_ms < remaining ? c->limits.initial_rebalance_delay_ms
                                                                             : remaining;
            g->join_timer = kelp_timer_add(c->loop, now + delay, on_join_timeout, g);
            return;
        }
        g->join_deadline_ms = 0;
    }
    complete_join(g);
}

static void prepare_rebalance(kelp_group *g, const char *reason)
{
    kelp_coordinator *c = g->coord;
    if (g->state == KELP_GROUP_COMPLETING_REBALANCE) {
        /* The leader's assignment of this generation will never come. */
        for (kelp_group_member *m = g->members; m; m = m->next) {
            if (m->sync_waiter) {
                void *w = m->sync_waiter;
                m->sync_waiter = NULL;
                reply_sync_error(c, w, KAFKA_ERR_REBALANCE_IN_PROGRESS);
                schedule_session(m);
            }
        }
    }
    cancel(c->loop, &g->sync_timer);
    cancel(c->loop, &g->join_timer);
    int64_t now = kelp_clock_mono_ms();
    int32_t timeout = rebalance_timeout(g);
    if (g->state == KELP_GROUP_EMPTY && c->limits.initial_rebalance_delay_ms > 0) {
        int32_t delay = c->limits.initial_rebalance_delay_ms < timeout ? c->limits.initial_rebalance_delay_ms : timeout;
        g->join_deadline_ms = now + timeout;
        g->new_member_added = false;
        g->join_timer = kelp_timer_add(c->loop, now + delay, on_join_timeout, g);
    } else {
        g->join_deadline_ms = 0;
        g->join_timer = kelp_timer_add(c->loop, now + timeout, on_join_timeout, g);
    }
    set_state(g, KELP_GROUP_PREPARING_REBALANCE);
    KELP_INFO("groups", "group %s: rebalancing at generation %d (%s)", g->id, (int)g->generation, reason);
    /* Everyone may already be waiting (a lone member, or no member left). */
    try_complete_join(g);
}

static void on_sync_timeout(void *ctx)
{
    kelp_group *g = ctx;
    g->sync_timer = NULL;
    if (g->state != KELP_GROUP_COMPLETING_REBALANCE && g->state != KELP_GROUP_STABLE)
        return;
    bool removed = false;
    for (kelp_group_member *m = g->members, *next; m; m = next) {
        next = m->next;
        if (!m->synced) {
            KELP_INFO("groups", "group %s: member %s sent no SyncGroup in time", g->id, m->member_id);
            fail_member_waiters(m, KAFKA_ERR_UNKNOWN_MEMBER_ID);
            unlink_member(g, m);
            removed = true;
        }
    }
    if (removed)
        prepare_rebalance(g, "members missed the sync phase");
}

/* JoinGroup. */

static char *new_member_id(const char *prefix)
{
    uint8_t id[16];
    char text[KELP_UUID_STRING_LEN + 1];
    if (kelp_uuid_random(id) != 0)
        return NULL;
    kelp_uuid_to_string(id, text);
    size_t n = strlen(prefix) + 1 + sizeof(text);
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "%s-%s", prefix, text);
    return s;
}

static bool update_member(kelp_group_member *m, const kelp_join_params *p)
{
    kelp_group_protocol *protocols = kelp_protocols_copy(p->protocols, p->protocol_count);
    char *client_id = strdup(p->client_id ? p->client_id : "");
    char *client_host = strdup(p->client_host ? p->client_host : "");
    if (!protocols || !client_id || !client_host) {
        kelp_protocols_free(protocols, p->protocol_count);
        free(client_id);
        free(client_host);
        return false;
    }
    kelp_protocols_free(m->protocols, m->protocol_count);
    m->protocols = protocols;
    m->protocol_count = p->protocol_count;
    free(m->client_id);
    m->client_id = client_id;
    free(m->client_host);
    m->client_host = client_host;
    m->session_timeout_ms = p->session_timeout_ms;
    m->rebalance_timeout_ms = p->rebalance_timeout_ms;
    return true;
}

/* Adds a member waiting in JoinGroup and starts or continues a rebalance. */
static void add_member_and_rebalance(kelp_group *g, char *member_id, const kelp_join_params *p)
{
    kelp_coordinator *c = g->coord;
    kelp_group_member *m = calloc(1, sizeof(*m));
    if (!m || !update_member(m, p) || (p->instance_id.len >= 0 && !(m->instance_id = kw_dup(p->instance_id)))) {
        kelp_member_free(m);
        reply_join_error(c, p->waiter, KAFKA_ERR_UNKNOWN_SERVER_ERROR, member_id);
        free(member_id);
        return;
    }
    m->member_id = member_id;
    m->group = g;
    m->is_new = true;
    m->join_waiter = p->waiter;
    m->join_version = p->version;
    kelp_group_member **tail = &g->members;
    while (*tail)
        tail = &(*tail)->next;
    *tail = m;
    g->member_count++;
    if (!g->leader_id)
        set_string(&g->leader_id, m->member_id);
    if (!g->protocol_type)
        g->protocol_type = kw_dup(p->protocol_type);
    g->new_member_added = true;
    if (g->state == KELP_GROUP_PREPARING_REBALANCE)
        try_complete_join(g);
    else
        prepare_rebalance(g, "a member joined");
}

/* A static member rejoining without its member id: it takes the place of
 * the old member under a new id, and the old id is fenced. */
static void replace_static_member(kelp_group *g, kelp_group_member *old, const kelp_join_params *p)
{
    kelp_coordinator *c = g->coord;
    char *member_id = new_member_id(old->instance_id);
    if (!member_id) {
        reply_join_error(c, p->waiter, KAFKA_ERR_UNKNOWN_SERVER_ERROR, NULL);
        return;
    }
    fail_member_waiters(old, KAFKA_ERR_FENCED_INSTANCE_ID);
    bool was_leader = kelp_group_is_leader(g, old);
    bool same_protocols = kelp_protocols_equal(old->protocols, old->protocol_count, p->protocols, p->protocol_count);
    if (!update_member(old, p)) {
        free(member_id);
        reply_join_error(c, p->waiter, KAFKA_ERR_UNKNOWN_SERVER_ERROR, NULL);
        return;
    }
    free(old->member_id);
    old->member_id = member_id;
    if (was_leader)
        set_string(&g->leader_id, member_id);
    switch (g->state) {
    case KELP_GROUP_STABLE:
        if (same_protocols) {
            /* Nothing changes for the group: answer with the current
             * generation; a leader must not reassign (skip_assignment). */
            kelp_group_store_save(c->writer, g);
            kelp_join_member *list = NULL;
            int32_t n = 0;
            if (was_leader) {
                list = calloc((size_t)g->member_count + 1, sizeof(*list));
                for (kelp_group_member *m = g->members; m && list; m = m->next) {
                    const kelp_group_protocol *proto = kelp_member_protocol(m, g->protocol_name);
                    list[n++] = (kelp_join_member){m->member_id, m->instance_id, proto ? proto->metadata : NULL,
                                                   proto ? proto->metadata_len : 0};
                }
            }
            kelp_join_result r = {.error = KAFKA_ERR_NONE,
                                  .generation = g->generation,
                                  .protocol_type = g->protocol_type,
                                  .protocol_name = g->protocol_name,
                                  .leader_id = g->leader_id,
                                  .member_id = member_id,
                                  .skip_assignment = was_leader,
                                  .members = list,
                                  .member_count = n};
            c->replies.join(p->waiter, &r);
            free(list);
            schedule_session(old);
            return;
        }
        old->join_waiter = p->waiter;
        old->join_version = p->version;
        pause_session(old);
        prepare_rebalance(g, "a static member rejoined with other protocols");
        return;
    case KELP_GROUP_COMPLETING_REBALANCE:
        old->join_waiter = p->waiter;
        old->join_version = p->version;
        pause_session(old);
        prepare_rebalance(g, "a static member rejoined during the sync phase");
        return;
    default: /* PreparingRebalance: wait for the join phase to end */
        old->join_waiter = p->waiter;
        old->join_version = p->version;
        pause_session(old);
        try_complete_join(g);
        return;
    }
}

static void join_unknown_member(kelp_group *g, const kelp_join_params *p)
{
    kelp_coordinator *c = g->coord;
    if (p->instance_id.len >= 0) {
        kelp_group_member *old = kelp_group_find_instance(g, p->instance_id.ptr, (size_t)p->instance_id.len);
        if (old) {
            replace_static_member(g, old, p);
            return;
        }
    }
    if (c->limits.max_size > 0 && g->member_count >= c->limits.max_size) {
        reply_join_error(c, p->waiter, KAFKA_ERR_GROUP_MAX_SIZE_REACHED, NULL);
        return;
    }
    char prefix[256];
    if (p->instance_id.len >= 0)
        snprintf(prefix, sizeof(prefix), "%.*s", (int)p->instance_id.len, p->instance_id.ptr);
    else
        snprintf(prefix, sizeof(prefix), "%s", p->client_id ? p->client_id : "");
    char *member_id = new_member_id(prefix);
    if (!member_id) {
        reply_join_error(c, p->waiter, KAFKA_ERR_UNKNOWN_SERVER_ERROR, NULL);
        return;
    }
    /* From v4 a dynamic member first learns its id and joins again with it,
     * so that a lost response never leaves an orphan member behind. */
    if (p->instance_id.len < 0 && p->version >= 4) {
        kelp_pending_member *pm = calloc(1, sizeof(*pm));
        if (!pm) {
            free(member_id);
            reply_join_error(c, p->waiter, KAFKA_ERR_UNKNOWN_SERVER_ERROR, NULL);
            return;
        }
        pm->group = g;
        pm->member_id = member_id;
        pm->next = g->pending;
        g->pending = pm;
        pm->timer = kelp_timer_add(c->loop, kelp_clock_mono_ms() + p->session_timeout_ms, on_pending_expired, pm);
        reply_join_error(c, p->waiter, KAFKA_ERR_MEMBER_ID_REQUIRED, member_id);
        return;
    }
    add_member_and_rebalance(g, member_id, p);
}

static void join_known_member(kelp_group *g, const kelp_join_params *p)
{
    kelp_coordinator *c = g->coord;
    kelp_pending_member *pm = kelp_group_find_pending(g, p->member_id.ptr, (size_t)p->member_id.len);
    if (pm) {
        char *member_id = pm->member_id;
        pm->member_id = NULL;
        unlink_pending(g, pm);
        add_member_and_rebalance(g, member_id, p);
        return;
    }
    if (p->instance_id.len >= 0) {
        kelp_group_member *holder = kelp_group_find_instance(g, p->instance_id.ptr, (size_t)p->instance_id.len);
        if (holder && !kw_eq(holder->member_id, p->member_id)) {
            reply_join_error(c, p->waiter, KAFKA_ERR_FENCED_INSTANCE_ID, NULL);
            return;
        }
    }
    kelp_group_member *m = kelp_group_find_member(g, p->member_id.ptr, (size_t)p->member_id.len);
    if (!m || g->state == KELP_GROUP_EMPTY || g->state == KELP_GROUP_DEAD) {
        reply_join_error(c, p->waiter, KAFKA_ERR_UNKNOWN_MEMBER_ID, NULL);
        return;
    }
    bool same_protocols = kelp_protocols_equal(m->protocols, m->protocol_count, p->protocols, p->protocol_count);
    if (m->join_waiter) /* a retried JoinGroup replaces the earlier one */
        reply_join_error(c, m->join_waiter, KAFKA_ERR_REBALANCE_IN_PROGRESS, m->member_id);
    m->join_waiter = NULL;
    switch (g->state) {
    case KELP_GROUP_PREPARING_REBALANCE:
        if (!update_member(m, p)) {
            reply_join_error(c, p->waiter, KAFKA_ERR_UNKNOWN_SERVER_ERROR, m->member_id);
            return;
        }
        m->join_waiter = p->waiter;
        m->join_version = p->version;
        pause_session(m);
        try_complete_join(g);
        return;
    case KELP_GROUP_COMPLETING_REBALANCE:
    case KELP_GROUP_STABLE:
        if (same_protocols && (g->state == KELP_GROUP_COMPLETING_REBALANCE || !kelp_group_is_leader(g, m))) {
            /* The member lost our answer (or a follower re-joins): answer
             * again with the current generation; no rebalance. */
            bool leader = kelp_group_is_leader(g, m);
            m->join_waiter = p->waiter;
            m->join_version = p->version;
            if (leader) {
                reply_joins(g);
            } else {
                m->join_waiter = NULL;
                kelp_join_result r = {.error = KAFKA_ERR_NONE,
                                      .generation = g->generation,
                                      .protocol_type = g->protocol_type,
                                      .protocol_name = g->protocol_name,
                                      .leader_id = g->leader_id ? g->leader_id : "",
                                      .member_id = m->member_id};
                c->replies.join(p->waiter, &r);
                schedule_session(m);
            }
            return;
        }
        if (!update_member(m, p)) {
            reply_join_error(c, p->waiter, KAFKA_ERR_UNKNOWN_SERVER_ERROR, m->member_id);
            return;
        }
        m->join_waiter = p->waiter;
        m->join_version = p->version;
        pause_session(m);
        prepare_rebalance(g, kelp_group_is_leader(g, m) ? "the leader rejoined" : "a member changed its protocols");
        return;
    default:
        reply_join_error(c, p->waiter, KAFKA_ERR_UNKNOWN_MEMBER_ID, NULL);
        return;
    }
}

/* Whether a joining member's protocols fit the group. */
static bool protocols_fit(const kelp_group *g, const kelp_join_params *p)
{
    if (p->protocol_type.len <= 0 || p->protocol_count <= 0)
        return false;
    if (g->state == KELP_GROUP_EMPTY || !g->members)
        return true;
    return kw_eq(g->protocol_type, p->protocol_type) && kelp_group_supports(g, p->protocols, p->protocol_count);
}

void kelp_coordinator_join(kelp_coordinator *c, const kelp_join_params *p)
{
    if (!kelp_group_id_valid(p->group_id)) {
        reply_join_error(c, p->waiter, KAFKA_ERR_INVALID_GROUP_ID, NULL);
        return;
    }
    if (p->session_timeout_ms < c->limits.min_session_timeout_ms ||
        p->session_timeout_ms > c->limits.max_session_timeout_ms) {
        reply_join_error(c, p->waiter, KAFKA_ERR_INVALID_SESSION_TIMEOUT, NULL);
        return;
    }
    if (p->instance_id.len == 0 || (p->instance_id.len > 0 && memchr(p->instance_id.ptr, '\0', (size_t)p->instance_id.len))) {
        reply_join_error(c, p->waiter, KAFKA_ERR_INVALID_REQUEST, NULL);
        return;
    }
    bool unknown = p->member_id.len <= 0;
    kelp_group *g = find_group(c, p->group_id);
    if (!g) {
        if (!unknown) {
            reply_join_error(c, p->waiter, KAFKA_ERR_UNKNOWN_MEMBER_ID, NULL);
            return;
        }
        g = create_group(c, p->group_id.ptr, (size_t)p->group_id.len);
        if (!g) {
            reply_join_error(c, p->waiter, KAFKA_ERR_UNKNOWN_SERVER_ERROR, NULL);
            return;
        }
    }
    if (g->state == KELP_GROUP_DEAD) {
        reply_join_error(c, p->waiter, KAFKA_ERR_COORDINATOR_NOT_AVAILABLE, NULL);
        return;
    }
    if (!protocols_fit(g, p)) {
        reply_join_error(c, p->waiter, KAFKA_ERR_INCONSISTENT_GROUP_PROTOCOL, NULL);
        return;
    }
    if (g->state == KELP_GROUP_EMPTY) {
        /* A new generation of members may bring another protocol type. */
        free(g->protocol_type);
        g->protocol_type = kw_dup(p->protocol_type);
    }
    if (unknown)
        join_unknown_member(g, p);
    else
        join_known_member(g, p);
}

/* SyncGroup, Heartbeat, LeaveGroup. */

/* The member a request names, with Kafka's static-membership checks. */
static int16_t check_member(kelp_group *g, kw_str member_id, kw_str instance_id, kelp_group_member **out)
{
    *out = NULL;
    if (instance_id.len >= 0) {
        kelp_group_member *holder = kelp_group_find_instance(g, instance_id.ptr, (size_t)instance_id.len);
        if (!holder)
            return KAFKA_ERR_UNKNOWN_MEMBER_ID;
        if (!kw_eq(holder->member_id, member_id))
            return KAFKA_ERR_FENCED_INSTANCE_ID;
        *out = holder;
        return KAFKA_ERR_NONE;
    }
    *out = member_id.len > 0 ? kelp_group_find_member(g, member_id.ptr, (size_t)member_id.len) : NULL;
    return *out ? KAFKA_ERR_NONE : KAFKA_ERR_UNKNOWN_MEMBER_ID;
}

static void reply_sync(kelp_group *g, kelp_group_member *m, void *waiter)
{
    kelp_sync_result r = {.error = KAFKA_ERR_NONE,
                          .protocol_type = g->protocol_type,
                          .protocol_name = g->protocol_name,
                          .assignment = m->assignment,
                          .assignment_len = m->assignment_len};
    g->coord->replies.sync(waiter, &r);
}

void kelp_coordinator_sync(kelp_coordinator *c, const kelp_sync_params *p)
{
    kelp_group *g = find_group(c, p->group_id);
    if (!g) {
        reply_sync_error(c, p->waiter, KAFKA_ERR_UNKNOWN_MEMBER_ID);
        return;
    }
    if (g->state == KELP_GROUP_DEAD) {
        reply_sync_error(c, p->waiter, KAFKA_ERR_COORDINATOR_NOT_AVAILABLE);
        return;
    }
    kelp_group_member *m;
    int16_t err = check_member(g, p->member_id, p->instance_id, &m);
    if (err == KAFKA_ERR_NONE && p->generation != g->generation)
        err = KAFKA_ERR_ILLEGAL_GENERATION;
    if (err == KAFKA_ERR_NONE && ((p->protocol_type.len >= 0 && !kw_eq(g->protocol_type, p->protocol_type)) ||
                                  (p->protocol_name.len >= 0 && !kw_eq(g->protocol_name, p->protocol_name))))
        err = KAFKA_ERR_INCONSISTENT_GROUP_PROTOCOL;
    if (err != KAFKA_ERR_NONE) {
        reply_sync_error(c, p->waiter, err);
        return;
    }
    switch (g->state) {
    case KELP_GROUP_EMPTY:
        reply_sync_error(c, p->waiter, KAFKA_ERR_UNKNOWN_MEMBER_ID);
        return;
    case KELP_GROUP_PREPARING_REBALANCE:
        reply_sync_error(c, p->waiter, KAFKA_ERR_REBALANCE_IN_PROGRESS);
        return;
    case KELP_GROUP_COMPLETING_REBALANCE:
        if (m->sync_waiter)
            reply_sync_error(c, m->sync_waiter, KAFKA_ERR_REBALANCE_IN_PROGRESS);
        m->sync_waiter = p->waiter;
        m->synced = true;
        pause_session(m);
        if (!kelp_group_is_leader(g, m))
            return;
        /* The leader's assignment completes the generation. */
        for (int32_t i = 0; i < p->assignment_count; i++) {
            const kelp_sync_assignment *a = &p->assignments[i];
            kelp_group_member *target = a->member_id.len > 0 ? kelp_group_find_member(g, a->member_id.ptr, (size_t)a->member_id.len) : NULL;
            if (!target || a->assignment.len < 0)
                continue;
            uint8_t *copy = malloc((size_t)a->assignment.len + 1);
            if (!copy)
                continue;
            memcpy(copy, a->assignment.ptr, (size_t)a->assignment.len);
            free(target->assignment);
            target->assignment = copy;
            target->assignment_len = (size_t)a->assignment.len;
        }
        set_state(g, KELP_GROUP_STABLE);
        kelp_group_store_save(c->writer, g);
        for (kelp_group_member *x = g->members; x; x = x->next) {
            if (!x->sync_waiter)
                continue;
            void *w = x->sync_waiter;
            x->sync_waiter = NULL;
            reply_sync(g, x, w);
            schedule_session(x);
        }
        return;
    case KELP_GROUP_STABLE:
        m->synced = true;
        reply_sync(g, m, p->waiter);
        schedule_session(m);
        return;
    default:
        reply_sync_error(c, p->waiter, KAFKA_ERR_COORDINATOR_NOT_AVAILABLE);
        return;
    }
}

int16_t kelp_coordinator_heartbeat(kelp_coordinator *c, kw_str group_id, int32_t generation, kw_str member_id,
                                   kw_str instance_id)
{
    kelp_group *g = find_group(c, group_id);
    if (!g)
        return KAFKA_ERR_UNKNOWN_MEMBER_ID;
    if (g->state == KELP_GROUP_DEAD)
        return KAFKA_ERR_COORDINATOR_NOT_AVAILABLE;
    kelp_group_member *m;
    int16_t err = check_member(g, member_id, instance_id, &m);
    if (err != KAFKA_ERR_NONE)
        return err;
    if (generation != g->generation)
        return KAFKA_ERR_ILLEGAL_GENERATION;
    switch (g->state) {
    case KELP_GROUP_EMPTY:
        return KAFKA_ERR_UNKNOWN_MEMBER_ID;
    case KELP_GROUP_PREPARING_REBALANCE:
        schedule_session(m);
        return KAFKA_ERR_REBALANCE_IN_PROGRESS;
    default:
        schedule_session(m);
        return KAFKA_ERR_NONE;
    }
}

int16_t kelp_coordinator_leave_group_error(kelp_coordinator *c, kw_str group_id)
{
    kelp_group *g = find_group(c, group_id);
    if (!g)
        return KAFKA_ERR_UNKNOWN_MEMBER_ID;
    if (g->state == KELP_GROUP_DEAD)
        return KAFKA_ERR_COORDINATOR_NOT_AVAILABLE;
    return KAFKA_ERR_NONE;
}

int16_t kelp_coordinator_leave(kelp_coordinator *c, kw_str group_id, kw_str member_id, kw_str instance_id)
{
    kelp_group *g = find_group(c, group_id);
    int16_t err = kelp_coordinator_leave_group_error(c, group_id);
    if (err != KAFKA_ERR_NONE)
        return err;
    if (instance_id.len >= 0) {
        kelp_group_member *holder = kelp_group_find_instance(g, instance_id.ptr, (size_t)instance_id.len);
        if (!holder)
            return KAFKA_ERR_UNKNOWN_MEMBER_ID;
        /* An empty member id is an admin removing the instance (KIP-345). */
        if (member_id.len > 0 && !kw_eq(holder->member_id, member_id))
            return KAFKA_ERR_FENCED_INSTANCE_ID;
        KELP_INFO("groups", "group %s: static member %s left", g->id, holder->member_id);
        remove_member(holder, "a static member left");
        return KAFKA_ERR_NONE;
    }
    if (member_id.len > 0) {
        kelp_pending_member *pm = kelp_group_find_pending(g, member_id.ptr, (size_t)member_id.len);
        if (pm) {
            unlink_pending(g, pm);
            try_complete_join(g);
            return KAFKA_ERR_NONE;
        }
    }
    kelp_group_member *m = member_id.len > 0 ? kelp_group_find_member(g, member_id.ptr, (size_t)member_id.len) : NULL;
    if (!m)
        return KAFKA_ERR_UNKNOWN_MEMBER_ID;
    KELP_INFO("groups", "group %s: member %s left", g->id, m->member_id);
    remove_member(m, "a member left");
    return KAFKA_ERR_NONE;
}

/* Offsets and administration. */

int16_t kelp_coordinator_validate_commit(kelp_coordinator *c, kw_str group_id, int32_t generation,
                                         kw_str member_id, kw_str instance_id, int16_t version)
{
    if (!kelp_group_id_valid(group_id))
        return KAFKA_ERR_INVALID_GROUP_ID;
    kelp_group *g = find_group(c, group_id);
    if (!g) {
        if (generation >= 0)
            return version >= 9 ? KAFKA_ERR_GROUP_ID_NOT_FOUND : KAFKA_ERR_ILLEGAL_GENERATION;
        return create_group(c, group_id.ptr, (size_t)group_id.len) ? KAFKA_ERR_NONE : KAFKA_ERR_UNKNOWN_SERVER_ERROR;
    }
    if (g->state == KELP_GROUP_DEAD)
        return KAFKA_ERR_COORDINATOR_NOT_AVAILABLE;
    if (generation < 0 && g->state == KELP_GROUP_EMPTY)
        return KAFKA_ERR_NONE;
    if (g->state == KELP_GROUP_COMPLETING_REBALANCE)
        return KAFKA_ERR_REBALANCE_IN_PROGRESS;
    kelp_group_member *m;
    int16_t err = check_member(g, member_id, instance_id, &m);
    if (err != KAFKA_ERR_NONE)
        return err;
    if (generation != g->generation)
        return KAFKA_ERR_ILLEGAL_GENERATION;
    /* A commit proves the member alive, as Kafka counts it. */
    if (!m->join_waiter && !m->sync_waiter)
        schedule_session(m);
    return KAFKA_ERR_NONE;
}

int16_t kelp_coordinator_offset_delete_error(kelp_coordinator *c, kw_str group_id)
{
    if (!kelp_group_id_valid(group_id))
        return KAFKA_ERR_INVALID_GROUP_ID;
    kelp_group *g = find_group(c, group_id);
    if (!g || g->state == KELP_GROUP_DEAD)
        return KAFKA_ERR_GROUP_ID_NOT_FOUND;
    return KAFKA_ERR_NONE;
}

typedef struct subscribed_check {
    const char *topic;
    size_t len;
    bool found;
} subscribed_check;

static void on_subscribed_topic(void *ctx, const char *topic, size_t len)
{
    subscribed_check *s = ctx;
    if (len == s->len && memcmp(topic, s->topic, len) == 0)
        s->found = true;
}

bool kelp_coordinator_subscribed(kelp_coordinator *c, kw_str group_id, const char *topic, size_t len)
{
    kelp_group *g = find_group(c, group_id);
    if (!g || g->state == KELP_GROUP_EMPTY || !g->protocol_type || strcmp(g->protocol_type, "consumer") != 0)
        return false;
    subscribed_check s = {.topic = topic, .len = len};
    for (kelp_group_member *m = g->members; m && !s.found; m = m->next)
        kelp_member_each_subscribed_topic(m, g->protocol_name, on_subscribed_topic, &s);
    return s.found;
}

static void destroy_group(kelp_coordinator *c, kelp_group *g)
{
    cancel(c->loop, &g->join_timer);
    cancel(c->loop, &g->sync_timer);
    for (kelp_group_member *m = g->members; m; m = m->next) {
        fail_member_waiters(m, KAFKA_ERR_NOT_COORDINATOR);
        cancel(c->loop, &m->session_timer);
    }
    for (kelp_pending_member *p = g->pending; p; p = p->next)
        cancel(c->loop, &p->timer);
    kelp_strmap_remove(&c->groups, g->id, g->id_len);
    kelp_group_free(g);
}

int16_t kelp_coordinator_delete(kelp_coordinator *c, kw_str group_id)
{
    if (!kelp_group_id_valid(group_id))
        return KAFKA_ERR_INVALID_GROUP_ID;
    kelp_group *g = find_group(c, group_id);
    if (!g || g->state == KELP_GROUP_DEAD)
        return KAFKA_ERR_GROUP_ID_NOT_FOUND;
    if (g->state != KELP_GROUP_EMPTY)
        return KAFKA_ERR_NON_EMPTY_GROUP;
    kelp_offset_store_delete_group(c->offsets, g->id, g->id_len);
    kelp_group_store_remove(c->writer, g->id, g->id_len);
    KELP_INFO("groups", "group %s deleted", g->id);
    destroy_group(c, g);
    return KAFKA_ERR_NONE;
}

const kelp_group *kelp_coordinator_find(const kelp_coordinator *c, const char *id, size_t len)
{
    return kelp_strmap_get(&c->groups, id, len);
}

void kelp_coordinator_each(const kelp_coordinator *c, void (*fn)(void *ctx, const kelp_group *g), void *ctx)
{
    size_t pos = 0;
    void *v;
    while (kelp_strmap_next(&c->groups, &pos, NULL, NULL, &v))
        fn(ctx, v);
}

/* Life cycle. */

static void on_cleanup(void *ctx)
{
    kelp_coordinator *c = ctx;
    c->cleanup_timer = NULL;
    /* Collect first: destroying changes the map being walked. */
    size_t pos = 0, n = 0;
    void *v;
    kelp_group **doomed = calloc(c->groups.count + 1, sizeof(*doomed));
    while (doomed && kelp_strmap_next(&c->groups, &pos, NULL, NULL, &v)) {
        kelp_group *g = v;
        if (g->state == KELP_GROUP_EMPTY && !g->members && !g->pending &&
            !kelp_offset_store_has_group(c->offsets, g->id, g->id_len))
            doomed[n++] = g;
    }
    for (size_t i = 0; i < n; i++) {
        kelp_group_store_remove(c->writer, doomed[i]->id, doomed[i]->id_len);
        destroy_group(c, doomed[i]);
    }
    free(doomed);
    c->cleanup_timer = kelp_timer_add(c->loop, kelp_clock_mono_ms() + CLEANUP_INTERVAL_MS, on_cleanup, c);
}

static void adopt_loaded_group(void *ctx, kelp_group *g)
{
    kelp_coordinator *c = ctx;
    if (kelp_strmap_get(&c->groups, g->id, g->id_len) || kelp_strmap_put(&c->groups, g->id, g->id_len, g) != 0) {
        kelp_group_free(g);
        return;
    }
    g->coord = c;
    /* Members get one session timeout from now to show up, as after a
     * coordinator move in Kafka; they are all considered synced. */
    for (kelp_group_member *m = g->members; m; m = m->next) {
        m->group = g;
        m->synced = true;
        schedule_session(m);
    }
}

static void add_offset_group(void *ctx, const char *group, size_t len)
{
    kelp_coordinator *c = ctx;
    if (!kelp_strmap_get(&c->groups, group, len))
        create_group(c, group, len);
}

kelp_coordinator *kelp_coordinator_new(kelp_loop *loop, kelp_fs *fs, kelp_file_writer *writer,
                                       kelp_offset_store *offsets, const kelp_coordinator_replies *replies,
                                       const kelp_group_limits *limits, char *err, size_t errlen)
{
    kelp_coordinator *c = calloc(1, sizeof(*c));
    if (!c) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    c->loop = loop;
    c->fs = fs;
    c->writer = writer;
    c->offsets = offsets;
    c->replies = *replies;
    c->limits = *limits;
    kelp_strmap_init(&c->groups);
    int rc = kelp_group_store_load(fs, adopt_loaded_group, c);
    if (rc != 0) {
        snprintf(err, errlen, "cannot list %s: %s", KELP_GROUPS_ROOT, strerror(-rc));
        kelp_coordinator_free(c);
        return NULL;
    }
    kelp_offset_store_each_group(offsets, add_offset_group, c);
    if (c->groups.count)
        KELP_INFO("groups", "loaded %zu groups", c->groups.count);
    c->cleanup_timer = kelp_timer_add(loop, kelp_clock_mono_ms() + CLEANUP_INTERVAL_MS, on_cleanup, c);
    return c;
}

void kelp_coordinator_set_limits(kelp_coordinator *c, const kelp_group_limits *limits)
{
    c->limits = *limits;
}

void kelp_coordinator_shutdown(kelp_coordinator *c)
{
    if (c->shut_down)
        return;
    c->shut_down = true;
    cancel(c->loop, &c->cleanup_timer);
    size_t pos = 0;
    void *v;
    while (kelp_strmap_next(&c->groups, &pos, NULL, NULL, &v)) {
        kelp_group *g = v;
        cancel(c->loop, &g->join_timer);
        cancel(c->loop, &g->sync_timer);
        for (kelp_group_member *m = g->members; m; m = m->next) {
            fail_member_waiters(m, KAFKA_ERR_NOT_COORDINATOR);
            cancel(c->loop, &m->session_timer);
        }
        for (kelp_pending_member *p = g->pending; p; p = p->next)
            cancel(c->loop, &p->timer);
    }
}

void kelp_coordinator_free(kelp_coordinator *c)
{
    if (!c)
        return;
    kelp_coordinator_shutdown(c);
    size_t pos = 0;
    void *v;
    while (kelp_strmap_next(&c->groups, &pos, NULL, NULL, &v))
        kelp_group_free(v);
    kelp_strmap_free(&c->groups);
    free(c);
}
