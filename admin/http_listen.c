#include "admin/http_listen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "module/config.h"
#include "util/host_port.h"

void kelp_format_sockaddr(const struct sockaddr_storage *ss, char *buf, size_t buflen)
{
    char host[INET6_ADDRSTRLEN] = "?";
    if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;
        inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
        kelp_format_host_port(buf, buflen, host, ntohs(sin6->sin6_port));
    } else {
        const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
        inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
        kelp_format_host_port(buf, buflen, host, ntohs(sin->sin_port));
    }
}

int kelp_http_listen(const char *what, const char *addr, char *err, size_t errlen)
{
    char host[KELP_CONFIG_ADDR_MAX], port_text[8];
    uint16_t port;
    if (kelp_config_split_hostport(addr, host, sizeof(host), &port) != 0) {
        snprintf(err, errlen, "%s address \"%s\" must be HOST:PORT", what, addr);
        return -1;
    }
    snprintf(port_text, sizeof(port_text), "%u", port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *list = NULL;
    int gai = getaddrinfo(host, port_text, &hints, &list);
    if (gai != 0) {
        snprintf(err, errlen, "cannot resolve %s host \"%s\": %s", what, host, gai_strerror(gai));
        return -1;
    }
    int fd = -1, saved = 0;
    for (struct addrinfo *ai = list; ai && fd < 0; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) {
            saved = errno;
            continue;
        }
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 64) != 0) {
            saved = errno;
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(list);
    if (fd < 0)
        snprintf(err, errlen, "cannot listen on %s address %s: %s", what, addr, strerror(saved));
    return fd;
}

int kelp_http_listen_dup(const char *what, int listen_fd, char *err, size_t errlen)
{
    int fd = fcntl(listen_fd, F_DUPFD_CLOEXEC, 0);
    int flags = fd >= 0 ? fcntl(fd, F_GETFL) : -1;
    if (fd < 0 || flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) {
        snprintf(err, errlen, "cannot reuse the %s socket: %s", what, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}
