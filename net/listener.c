#include "net/listener.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/clock.h"
#include "util/log.h"

struct kelp_listener {
    int fd;
    char host[256];
    uint16_t port;
    kelp_loop *loop;
    kelp_watch watch;
    bool watching;
    kelp_accept_fn fn;
    void *ctx;
    kelp_timer *resume;   /* accepting is paused until it fires */
    int64_t last_warn_ms; /* of the last "out of descriptors" warning */
};

/* Out of descriptors (or memory) the pending connection stays queued and
 * the socket readable: accepting pauses a while instead of spinning. */
#define ACCEPT_PAUSE_MS 100
#define ACCEPT_WARN_EVERY_MS 10000

kelp_listener *kelp_listener_bind(const char *host, uint16_t port, char *err, size_t errlen)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *res = NULL;
    char portstr[8];
    snprintf(portstr, sizeof(portstr), "%u", port);
    int rc = getaddrinfo(host[0] ? host : NULL, portstr, &hints, &res);
    if (rc != 0) {
        snprintf(err, errlen, "cannot resolve listen host \"%s\": %s", host, gai_strerror(rc));
        return NULL;
    }
    int fd = -1;
    int last_errno = 0;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            last_errno = errno;
            continue;
        }
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 1024) == 0)
            break;
        last_errno = errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0) {
        snprintf(err, errlen, "cannot listen on %s:%u: %s", host, port, strerror(last_errno));
        return NULL;
    }
    kelp_listener *l = calloc(1, sizeof(*l));
    if (!l) {
        close(fd);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    l->fd = fd;
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    getsockname(fd, (struct sockaddr *)&ss, &sl);
    if (ss.ss_family == AF_INET6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        inet_ntop(AF_INET6, &a->sin6_addr, l->host, sizeof(l->host));
        l->port = ntohs(a->sin6_port);
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        inet_ntop(AF_INET, &a->sin_addr, l->host, sizeof(l->host));
        l->port = ntohs(a->sin_port);
    }
    return l;
}

static void listener_resume(void *ctx)
{
    kelp_listener *l = ctx;
    l->resume = NULL;
    if (l->watching)
        kelp_watch_modify(l->loop, &l->watch, EPOLLIN);
}

static void listener_pause(kelp_listener *l, int err)
{
    int64_t now = kelp_clock_mono_ms();
    if (l->last_warn_ms == 0 || now - l->last_warn_ms >= ACCEPT_WARN_EVERY_MS) {
        l->last_warn_ms = now;
        KELP_WARN("net", "accept failed: %s; new connections wait (raise the descriptor limit, ulimit -n)",
                  strerror(err));
    }
    l->resume = kelp_timer_add(l->loop, now + ACCEPT_PAUSE_MS, listener_resume, l);
    if (l->resume)
        kelp_watch_modify(l->loop, &l->watch, 0);
}

bool kelp_listener_paused(const kelp_listener *l) { return l->resume != NULL; }

static void listener_accept(void *ctx, uint32_t events)
{
    kelp_listener *l = ctx;
    (void)events;
    for (int i = 0; i < 64; i++) {
        int fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
                listener_pause(l, errno);
            else if (errno != EAGAIN && errno != EWOULDBLOCK)
                KELP_WARN("net", "accept failed: %s", strerror(errno));
            return;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        l->fn(l->ctx, fd);
    }
}

int kelp_listener_start(kelp_listener *l, kelp_loop *loop, kelp_accept_fn fn, void *ctx)
{
    l->loop = loop;
    l->fn = fn;
    l->ctx = ctx;
    if (kelp_watch_add(loop, &l->watch, l->fd, EPOLLIN, listener_accept, l) != 0)
        return -1;
    l->watching = true;
    return 0;
}

const char *kelp_listener_host(const kelp_listener *l) { return l->host; }
uint16_t kelp_listener_port(const kelp_listener *l) { return l->port; }

void kelp_listener_detach(kelp_listener *l)
{
    if (l) {
        l->watching = false;
        l->resume = NULL; /* went with the loop */
    }
}

void kelp_listener_close(kelp_listener *l)
{
    if (!l)
        return;
    if (l->watching) {
        kelp_watch_remove(l->loop, &l->watch);
        kelp_timer_cancel(l->loop, l->resume);
    }
    close(l->fd);
    free(l);
}
