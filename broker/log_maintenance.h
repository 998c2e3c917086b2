/* Retention (and compaction) runs for the broker's topics. */
#ifndef KELP_BROKER_LOG_MAINTENANCE_H
#define KELP_BROKER_LOG_MAINTENANCE_H

#include "broker/broker.h"

/* Applies the configured topic defaults to the storage and (re)arms the
 * timer; called at start and after every configuration change. */
void kelp_log_maintenance_configure(kelp_broker *b);
/* One pass now (also the timer's callback). */
void kelp_log_maintenance_run(void *ctx);
/* A pass as soon as the loop is free (after DeleteRecords). */
void kelp_log_maintenance_soon(kelp_broker *b);
void kelp_log_maintenance_stop(kelp_broker *b);

#endif
