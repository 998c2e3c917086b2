#define _POSIX_C_SOURCE 200809L

#include "bench/bench_util.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

void bench_die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: ", bench_program);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

double bench_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void bench_sleep_until(double t)
{
    time_t sec = (time_t)t; /* monotonic time is positive: truncation is floor */
    struct timespec ts = {sec, (long)((t - (double)sec) * 1e9)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) != 0) {
    }
}

void bench_conf_set(rd_kafka_conf_t *conf, const char *name, const char *value)
{
    char errstr[512];
    if (rd_kafka_conf_set(conf, name, value, errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK)
        bench_die("config %s=%s: %s", name, value, errstr);
}

rd_kafka_t *bench_client_new(rd_kafka_type_t type, rd_kafka_conf_t *conf)
{
    char errstr[512];
    rd_kafka_t *rk = rd_kafka_new(type, conf, errstr, sizeof(errstr));
    if (!rk)
        bench_die("rd_kafka_new: %s", errstr);
    return rk;
}

void bench_mock_nodelay(const char *bootstrap)
{
    const char *colon = strrchr(bootstrap, ':');
    long port = colon ? strtol(colon + 1, NULL, 10) : 0;
    long max_fd = sysconf(_SC_OPEN_MAX);
    int found = 0;
    for (int fd = 0; fd < (max_fd > 0 && max_fd < 65536 ? max_fd : 65536); fd++) {
        struct sockaddr_storage a;
        socklen_t len = sizeof(a);
        int listening = 0, one = 1;
        socklen_t optlen = sizeof(listening);
        if (getsockname(fd, (struct sockaddr *)&a, &len) != 0 ||
            getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &optlen) != 0 || !listening)
            continue;
        long bound = a.ss_family == AF_INET    ? ntohs(((struct sockaddr_in *)&a)->sin_port)
                     : a.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&a)->sin6_port)
                                               : -1;
        if (bound != port)
            continue;
        if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0)
            bench_die("TCP_NODELAY on the mock cluster's socket failed");
        found++;
    }
    if (!found)
        bench_die("no listening socket of the mock cluster (%s) found; --mock-nagle runs without TCP_NODELAY",
                  bootstrap);
}
