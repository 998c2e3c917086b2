/* Log maintenance on the loop: retention, compaction and idle producers every
 * log.retention.check.interval.ms (sooner while a pass left work behind,
 * such as a just-rolled segment waiting for its sync). */
#include "broker/log_maintenance.h"

#include "util/clock.h"
#include "broker/topic_configs.h"

/* A pass that had to defer work looks again this soon. */
#define MAINTENANCE_RETRY_MS 200

static void schedule(kelp_broker *b, int64_t delay_ms)
{
    if (b->maintenance_timer)
        kelp_timer_cancel(b->loop, b->maintenance_timer);
    b->maintenance_timer = kelp_timer_add(b->loop, kelp_clock_mono_ms() + delay_ms, kelp_log_maintenance_run, b);
}

void kelp_log_maintenance_run(void *ctx)
{
    kelp_broker *b = ctx;
    b->maintenance_timer = NULL;
    bool more = false;
    int64_t now = kelp_clock_wall_ms();
    kelp_storage_enforce_retention(b->storage, now, &more);
    kelp_storage_compact(b->storage, now);
    kelp_storage_expire_producers(b->storage, now, b->cfg.producer_id_expiration_ms);
    int64_t interval = b->cfg.log_retention_check_interval_ms;
    schedule(b, more && interval > MAINTENANCE_RETRY_MS ? MAINTENANCE_RETRY_MS : interval);
}

void kelp_log_maintenance_configure(kelp_broker *b)
{
    kelp_topic_config defaults;
    kelp_broker_topic_defaults(b, &defaults);
    kelp_storage_set_topic_defaults(b->storage, &defaults);
    if (!b->stopping)
        schedule(b, b->cfg.log_retention_check_interval_ms);
}

void kelp_log_maintenance_stop(kelp_broker *b)
{
    if (b->maintenance_timer)
        kelp_timer_cancel(b->loop, b->maintenance_timer);
    b->maintenance_timer = NULL;
}

void kelp_log_maintenance_soon(kelp_broker *b)
{
    if (!b->stopping)
        schedule(b, 0);
}
