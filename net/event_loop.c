#include "net/event_loop.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "util/clock.h"
#include "util/log.h"

struct kelp_timer {
    int64_t due;
    uint64_t seq; /* ties broken by creation order */
    size_t heap_index;
    kelp_task_fn fn;
    void *ctx;
};

typedef struct posted_task {
    struct posted_task *next;
    kelp_task_fn fn;
    void *ctx;
} posted_task;

struct kelp_loop {
    int epfd;
    kelp_watch wake_watch;
    atomic_bool stopping;

    kelp_timer **heap;
    size_t heap_len, heap_cap;
    uint64_t timer_seq;

    pthread_mutex_t post_lock;
    posted_task *posted_head, *posted_tail;
    posted_task *deferred; /* loop thread only */
};

static void run_deferred(kelp_loop *loop);

static void loop_wake(kelp_loop *loop)
{
    uint64_t one = 1;
    ssize_t n = write(loop->wake_watch.fd, &one, sizeof(one));
    (void)n; /* a full counter still wakes the loop */
}

static void run_posted(kelp_loop *loop)
{
    pthread_mutex_lock(&loop->post_lock);
    posted_task *t = loop->posted_head;
    loop->posted_head = loop->posted_tail = NULL;
    pthread_mutex_unlock(&loop->post_lock);
    while (t) {
        posted_task *next = t->next;
        t->fn(t->ctx);
        free(t);
        t = next;
    }
}

void kelp_loop_run_posted(kelp_loop *loop)
{
    run_posted(loop);
}

static void on_wake(void *ctx, uint32_t events)
{
    kelp_loop *loop = ctx;
    uint64_t v;
    while (read(loop->wake_watch.fd, &v, sizeof(v)) > 0) {
    }
    run_posted(loop);
}

kelp_loop *kelp_loop_new(void)
{
    kelp_loop *loop = calloc(1, sizeof(*loop));
    if (!loop)
        return NULL;
    loop->epfd = epoll_create1(EPOLL_CLOEXEC);
    int wfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (loop->epfd < 0 || wfd < 0) {
        if (loop->epfd >= 0)
            close(loop->epfd);
        if (wfd >= 0)
            close(wfd);
        free(loop);
        return NULL;
    }
    pthread_mutex_init(&loop->post_lock, NULL);
    if (kelp_watch_add(loop, &loop->wake_watch, wfd, EPOLLIN, on_wake, loop) != 0) {
        close(wfd);
        kelp_loop_free(loop);
        return NULL;
    }
    return loop;
}

void kelp_loop_free(kelp_loop *loop)
{
    if (!loop)
        return;
    run_posted(loop);
    run_deferred(loop);
    if (loop->wake_watch.fd > 0)
        close(loop->wake_watch.fd);
    for (size_t i = 0; i < loop->heap_len; i++)
        free(loop->heap[i]);
    free(loop->heap);
    close(loop->epfd);
    pthread_mutex_destroy(&loop->post_lock);
    free(loop);
}

int kelp_watch_add(kelp_loop *loop, kelp_watch *w, int fd, uint32_t events, kelp_io_fn fn, void *ctx)
{
    w->fd = fd;
    w->events = events;
    w->fn = fn;
    w->ctx = ctx;
    struct epoll_event ev = {.events = events, .data.ptr = w};
    return epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev);
}

int kelp_watch_modify(kelp_loop *loop, kelp_watch *w, uint32_t events)
{
    if (w->events == events)
        return 0;
    w->events = events;
    struct epoll_event ev = {.events = events, .data.ptr = w};
    return epoll_ctl(loop->epfd, EPOLL_CTL_MOD, w->fd, &ev);
}

void kelp_watch_remove(kelp_loop *loop, kelp_watch *w)
{
    if (w->fd >= 0)
        epoll_ctl(loop->epfd, EPOLL_CTL_DEL, w->fd, NULL);
}

/* Timers: a binary min-heap ordered by (due, seq). */
static bool timer_before(const kelp_timer *a, const kelp_timer *b)
{
    return a->due < b->due || (a->due == b->due && a->seq < b->seq);
}

static void heap_set(kelp_loop *loop, size_t i, kelp_timer *t)
{
    loop->heap[i] = t;
    t->heap_index = i;
}

static void heap_up(kelp_loop *loop, size_t i)
{
    kelp_timer *t = loop->heap[i];
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!timer_before(t, loop->heap[parent]))
            break;
        heap_set(loop, i, loop->heap[parent]);
        i = parent;
    }
    heap_set(loop, i, t);
}

static void heap_down(kelp_loop *loop, size_t i)
{
    kelp_timer *t = loop->heap[i];
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= loop->heap_len)
            break;
        if (child + 1 < loop->heap_len && timer_before(loop->heap[child + 1], loop->heap[child]))
            child++;
        if (!timer_before(loop->heap[child], t))
            break;
        heap_set(loop, i, loop->heap[child]);
        i = child;
    }
    heap_set(loop, i, t);
}

static void heap_remove_at(kelp_loop *loop, size_t i)
{
    loop->heap_len--;
    if (i == loop->heap_len)
        return;
    heap_set(loop, i, loop->heap[loop->heap_len]);
    heap_down(loop, i);
    heap_up(loop, loop->heap[i]->heap_index);
}

kelp_timer *kelp_timer_add(kelp_loop *loop, int64_t due_mono_ms, kelp_task_fn fn, void *ctx)
{
    if (loop->heap_len == loop->heap_cap) {
        size_t cap = loop->heap_cap ? loop->heap_cap * 2 : 64;
        kelp_timer **h = realloc(loop->heap, cap * sizeof(*h));
        if (!h)
            return NULL;
        loop->heap = h;
        loop->heap_cap = cap;
    }
    kelp_timer *t = malloc(sizeof(*t));
    if (!t)
        return NULL;
    t->due = due_mono_ms;
    t->seq = loop->timer_seq++;
    t->fn = fn;
    t->ctx = ctx;
    loop->heap_len++;
    heap_set(loop, loop->heap_len - 1, t);
    heap_up(loop, loop->heap_len - 1);
    return t;
}

void kelp_timer_cancel(kelp_loop *loop, kelp_timer *t)
{
    if (!t)
        return;
    heap_remove_at(loop, t->heap_index);
    free(t);
}

static int next_timeout_ms(kelp_loop *loop)
{
    if (loop->heap_len == 0)
        return -1;
    int64_t wait = loop->heap[0]->due - kelp_clock_mono_ms();
    if (wait < 0)
        return 0;
    return wait > 60000 ? 60000 : (int)wait;
}

static void run_due_timers(kelp_loop *loop)
{
    int64_t now = kelp_clock_mono_ms();
    while (loop->heap_len > 0 && loop->heap[0]->due <= now) {
        kelp_timer *t = loop->heap[0];
        heap_remove_at(loop, 0);
        kelp_task_fn fn = t->fn;
        void *ctx = t->ctx;
        free(t);
        fn(ctx);
    }
}

int kelp_loop_post(kelp_loop *loop, kelp_task_fn fn, void *ctx)
{
    posted_task *t = malloc(sizeof(*t));
    if (!t)
        return -1;
    t->next = NULL;
    t->fn = fn;
    t->ctx = ctx;
    pthread_mutex_lock(&loop->post_lock);
    if (loop->posted_tail)
        loop->posted_tail->next = t;
    else
        loop->posted_head = t;
    loop->posted_tail = t;
    pthread_mutex_unlock(&loop->post_lock);
    loop_wake(loop);
    return 0;
}

int kelp_loop_defer(kelp_loop *loop, kelp_task_fn fn, void *ctx)
{
    posted_task *t = malloc(sizeof(*t));
    if (!t)
        return -1;
    t->fn = fn;
    t->ctx = ctx;
    t->next = loop->deferred;
    loop->deferred = t;
    return 0;
}

static void run_deferred(kelp_loop *loop)
{
    while (loop->deferred) {
        posted_task *t = loop->deferred;
        loop->deferred = NULL;
        while (t) {
            posted_task *next = t->next;
            t->fn(t->ctx);
            free(t);
            t = next;
        }
    }
}

void kelp_loop_stop(kelp_loop *loop)
{
    atomic_store(&loop->stopping, true);
    loop_wake(loop);
}

bool kelp_loop_stopping(kelp_loop *loop)
{
    return atomic_load(&loop->stopping);
}

void kelp_loop_run(kelp_loop *loop)
{
    struct epoll_event events[256];
    while (!atomic_load(&loop->stopping)) {
        int n = epoll_wait(loop->epfd, events, 256, next_timeout_ms(loop));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            KELP_ERROR("net", "epoll_wait failed: %s", strerror(errno));
            break;
        }
        for (int i = 0; i < n; i++) {
            kelp_watch *w = events[i].data.ptr;
            w->fn(w->ctx, events[i].events);
        }
        run_deferred(loop);
        run_due_timers(loop);
        run_deferred(loop);
    }
    /* Consumed: the loop can be run again (tests run it in phases). */
    atomic_store(&loop->stopping, false);
}
