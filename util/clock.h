#ifndef KELP_CORE_CLOCK_H
#define KELP_CORE_CLOCK_H

#include <stdint.h>

/* Monotonic milliseconds, for timeouts. */
int64_t kelp_clock_mono_ms(void);
/* Wall-clock milliseconds since the epoch, for record timestamps. */
int64_t kelp_clock_wall_ms(void);

#endif
