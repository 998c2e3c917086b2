/* An epoll event loop with one-shot timers and cross-thread calls.
 * Everything but kelp_loop_post() and kelp_loop_stop() runs on the loop thread. */
#ifndef KELP_NET_EVENT_LOOP_H
#define KELP_NET_EVENT_LOOP_H

#include <stdbool.h>
#include <stdint.h>

typedef struct kelp_loop kelp_loop;
typedef struct kelp_timer kelp_timer;

typedef void (*kelp_io_fn)(void *ctx, uint32_t events);
typedef void (*kelp_task_fn)(void *ctx);

/* A registered descriptor; embed it in the owner so no allocation is needed. */
typedef struct kelp_watch {
    int fd;
    uint32_t events;
    kelp_io_fn fn;
    void *ctx;
} kelp_watch;

kelp_loop *kelp_loop_new(void);
void kelp_loop_free(kelp_loop *loop);
/* After the loop stopped: runs what other threads posted to it, so that
 * owners of completions can see them before they free themselves. */
void kelp_loop_run_posted(kelp_loop *loop);

int kelp_watch_add(kelp_loop *loop, kelp_watch *w, int fd, uint32_t events, kelp_io_fn fn, void *ctx);
int kelp_watch_modify(kelp_loop *loop, kelp_watch *w, uint32_t events);
void kelp_watch_remove(kelp_loop *loop, kelp_watch *w);

/* Calls fn(ctx) once, at or after mono_ms (util/clock.h). */
kelp_timer *kelp_timer_add(kelp_loop *loop, int64_t due_mono_ms, kelp_task_fn fn, void *ctx);
void kelp_timer_cancel(kelp_loop *loop, kelp_timer *t);

/* Thread-safe: runs fn(ctx) on the loop thread soon. */
int kelp_loop_post(kelp_loop *loop, kelp_task_fn fn, void *ctx);

/* Loop thread only: runs fn(ctx) after the current batch of events, when no
 * callback of this batch can still refer to what fn frees. */
int kelp_loop_defer(kelp_loop *loop, kelp_task_fn fn, void *ctx);

/* Runs until kelp_loop_stop() (thread-safe), which it then consumes. */
void kelp_loop_run(kelp_loop *loop);
void kelp_loop_stop(kelp_loop *loop);
bool kelp_loop_stopping(kelp_loop *loop);

#endif
