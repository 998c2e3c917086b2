/* Scale and restart helpers for bench/scale.sh and bench/restart.sh.
 *
 * usage: scale idle --bootstrap HOST:PORT --connections N [--api-version V]
 *        scale load --bootstrap HOST:PORT --topic NAME --partitions P --bytes TOTAL
 *                   [--size BYTES] [--set NAME=VALUE]...
 *        scale probe --log FILE --since-ns NS --topic NAME [--timeout S]
 *
 * idle: opens N plain TCP connections to the Kafka port, sends each one
 * ApiVersions request (version V, 0 to 3, default 3; the bytes are built
 * here), checks the answer, prints "READY connections=N", and then keeps
 * them open doing nothing until SIGTERM or SIGINT. It then counts the ones
 * the server has closed meanwhile and prints
 *   RESULT connections=N open_at_exit=M connect_s=...
 * RLIMIT_NOFILE is raised to its hard limit first.
 *
 * load: a librdkafka producer with fast settings (acks=1, linger.ms=100,
 * batch.size=1000000, no compression) writes TOTAL bytes of message values
 * in messages of SIZE bytes (default 1024) round-robin to partitions
 * 0..P-1 of an existing topic and prints
 *   RESULT load_bytes=... load_s=... load_mb_per_s=...
 *
 * probe: for measuring time to serve after a restart. The caller starts
 * kelpd with stdout redirected to FILE, having noted the wall clock (ns
 * since the epoch, `date +%s%N`) just before. probe polls FILE every
 * millisecond for "kelpd: kafka listening on HOST:PORT", then sends a
 * Metadata v1 request for the topic until it answers without error with
 * every partition led, then a Fetch v4 of partition 0 from offset 0 until
 * that returns records without error. It prints the times since NS:
 *   RESULT listen_s=... metadata_s=... fetch_s=... partitions=...
 *
 * Exits 1 if anything fails. */
#define _POSIX_C_SOURCE 200809L

#include <librdkafka/rdkafka.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "bench/bench_util.h"

const char bench_program[] = "scale";

enum { WAIT_MS = 600000, MAX_FRAME = 64 << 20 };

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int64_t wall_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* ---- Kafka framing, by hand ---- */

struct wbuf {
    uint8_t data[4096];
    size_t len;
};

static void put(struct wbuf *b, const void *p, size_t n)
{
    if (b->len + n > sizeof(b->data))
        bench_die("request too large");
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

static void put8(struct wbuf *b, uint8_t v) { put(b, &v, 1); }
static void put16(struct wbuf *b, uint16_t v)
{
    uint8_t e[2] = { (uint8_t)(v >> 8), (uint8_t)v };
    put(b, e, 2);
}

static void put32(struct wbuf *b, uint32_t v)
{
    put16(b, (uint16_t)(v >> 16));
    put16(b, (uint16_t)v);
}

static void put64(struct wbuf *b, uint64_t v)
{
    put32(b, (uint32_t)(v >> 32));
    put32(b, (uint32_t)v);
}

static void put_string(struct wbuf *b, const char *s)
{
    put16(b, (uint16_t)strlen(s));
    put(b, s, strlen(s));
}

/* A COMPACT_STRING shorter than 127 bytes: length + 1 as a one-byte varint. */
static void put_compact_string(struct wbuf *b, const char *s)
{
    size_t n = strlen(s);
    if (n >= 127)
        bench_die("compact string too long");
    put8(b, (uint8_t)(n + 1));
    put(b, s, n);
}

/* Request header v1 (v2 adds an empty tagged-field section), the 4-byte
 * size left for finish(). */
static void begin(struct wbuf *b, int16_t api_key, int16_t version, int32_t correlation, int flexible)
{
    b->len = 0;
    put32(b, 0);
    put16(b, (uint16_t)api_key);
    put16(b, (uint16_t)version);
    put32(b, (uint32_t)correlation);
    put_string(b, "kelp-bench-scale");
    if (flexible)
        put8(b, 0);
}

static void finish(struct wbuf *b)
{
    uint32_t n = (uint32_t)(b->len - 4);
    b->data[0] = (uint8_t)(n >> 24);
    b->data[1] = (uint8_t)(n >> 16);
    b->data[2] = (uint8_t)(n >> 8);
    b->data[3] = (uint8_t)n;
}

static void api_versions_request(struct wbuf *b, int version, int32_t correlation)
{
    begin(b, 18, (int16_t)version, correlation, version >= 3);
    if (version >= 3) {
        put_compact_string(b, "kelp-bench-scale");
        put_compact_string(b, "1.0");
        put8(b, 0);
    }
    finish(b);
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int read_all(int fd, uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t r = read(fd, p, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* One response frame into *out (malloc'd); its correlation id must match. */
static int read_response(int fd, int32_t correlation, uint8_t **out, size_t *len)
{
    uint8_t size[4];
    if (read_all(fd, size, 4) != 0)
        return -1;
    uint32_t n = be32(size);
    if (n < 4 || n > MAX_FRAME)
        return -1;
    uint8_t *p = malloc(n);
    if (!p)
        bench_die("out of memory");
    if (read_all(fd, p, n) != 0 || (int32_t)be32(p) != correlation) {
        free(p);
        return -1;
    }
    *out = p;
    *len = n;
    return 0;
}

/* A bounds-checked reader over a response body. */
struct rbuf {
    const uint8_t *p;
    size_t len, pos;
    int bad;
};

static const uint8_t *take(struct rbuf *r, size_t n)
{
    if (r->bad || r->len - r->pos < n) {
        r->bad = 1;
        return NULL;
    }
    const uint8_t *p = r->p + r->pos;
    r->pos += n;
    return p;
}

static int32_t get32(struct rbuf *r)
{
    const uint8_t *p = take(r, 4);
    return p ? (int32_t)be32(p) : 0;
}

static int16_t get16(struct rbuf *r)
{
    const uint8_t *p = take(r, 2);
    return p ? (int16_t)((uint16_t)p[0] << 8 | p[1]) : 0;
}

static void skip_string(struct rbuf *r)
{
    int16_t n = get16(r);
    if (n > 0)
        take(r, (size_t)n);
}

static void skip_int32_array(struct rbuf *r)
{
    int32_t n = get32(r);
    for (int32_t i = 0; i < n && !r->bad; i++)
        get32(r);
}

static int tcp_connect(const char *hostport, int quiet)
{
    char host[256];
    const char *colon = strrchr(hostport, ':');
    if (!colon || (size_t)(colon - hostport) >= sizeof(host))
        bench_die("bad address %s", hostport);
    snprintf(host, sizeof(host), "%.*s", (int)(colon - hostport), hostport);
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *ai;
    int rc = getaddrinfo(host, colon + 1, &hints, &ai);
    if (rc != 0)
        bench_die("%s: %s", hostport, gai_strerror(rc));
    int fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
    if (fd < 0)
        bench_die("socket: %s (raise the open file limit)", strerror(errno));
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
        if (!quiet)
            fprintf(stderr, "scale: connect %s: %s\n", hostport, strerror(errno));
        close(fd);
        fd = -1;
    }
    freeaddrinfo(ai);
    if (fd >= 0) {
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        struct timeval tv = { 30, 0 }; /* a dead server fails the run, never hangs it */
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    }
    return fd;
}

/* ---- idle ---- */

static volatile sig_atomic_t stop_requested;
static void on_stop(int sig) { (void)sig; stop_requested = 1; }

static void raise_nofile(long need)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        bench_die("getrlimit: %s", strerror(errno));
    rl.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
        bench_die("setrlimit: %s", strerror(errno));
    if (rl.rlim_cur != RLIM_INFINITY && (long)rl.rlim_cur < need)
        bench_die("the open file limit is %ld, %ld are needed", (long)rl.rlim_cur, need);
}

static int run_idle(const char *bootstrap, long connections, int version)
{
    if (version < 0 || version > 3)
        bench_die("--api-version must be 0 to 3");
    raise_nofile(connections + 16);
    int *fds = malloc((size_t)connections * sizeof(*fds));
    if (!fds)
        bench_die("out of memory");
    struct sigaction sa = { .sa_handler = on_stop };
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    double start = mono_s();
    for (long i = 0; i < connections; i++) {
        int fd = tcp_connect(bootstrap, 0);
        if (fd < 0)
            bench_die("connection %ld of %ld failed", i + 1, connections);
        struct wbuf req;
        int32_t correlation = (int32_t)(i + 1);
        api_versions_request(&req, version, correlation);
        uint8_t *resp;
        size_t len;
        if (write_all(fd, req.data, req.len) != 0 || read_response(fd, correlation, &resp, &len) != 0)
            bench_die("ApiVersions on connection %ld of %ld failed", i + 1, connections);
        struct rbuf r = { resp, len, 4, 0 };
        int16_t error = get16(&r);
        free(resp);
        if (r.bad || error != 0)
            bench_die("ApiVersions v%d on connection %ld answered error %d", version, i + 1, error);
        fds[i] = fd;
    }
    double connect_s = mono_s() - start;
    printf("READY connections=%ld connect_s=%.3f\n", connections, connect_s);
    fflush(stdout);

    sigset_t none;
    sigemptyset(&none);
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    sigprocmask(SIG_BLOCK, &block, NULL);
    while (!stop_requested)
        sigsuspend(&none);

    long open = 0;
    for (long i = 0; i < connections; i++) {
        uint8_t byte;
        ssize_t n = recv(fds[i], &byte, 1, MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            open++; /* nothing to read and not closed: still open */
        close(fds[i]);
    }
    free(fds);
    printf("RESULT connections=%ld open_at_exit=%ld connect_s=%.3f\n", connections, open, connect_s);
    return 0;
}

/* ---- load ---- */

static long delivery_errors;

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    (void)opaque;
    if (m->err && delivery_errors++ == 0)
        fprintf(stderr, "scale: delivery failed: %s\n", rd_kafka_err2str(m->err));
}

#define MAX_SETTINGS 16
static const char *settings[MAX_SETTINGS];
static int setting_count;

static int run_load(const char *bootstrap, const char *topic, int partitions, long long total, size_t size)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    bench_conf_set(conf, "bootstrap.servers", bootstrap);
    bench_conf_set(conf, "acks", "1");
    bench_conf_set(conf, "linger.ms", "100");
    bench_conf_set(conf, "batch.size", "1000000");
    bench_conf_set(conf, "compression.codec", "none");
    bench_conf_set(conf, "queue.buffering.max.kbytes", "1048576");
    bench_conf_set(conf, "queue.buffering.max.messages", "1000000");
    for (int i = 0; i < setting_count; i++) {
        char name[128];
        const char *eq = strchr(settings[i], '=');
        snprintf(name, sizeof(name), "%.*s", (int)(eq - settings[i]), settings[i]);
        bench_conf_set(conf, name, eq + 1);
    }
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    char errstr[512];
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    if (!rk)
        bench_die("rd_kafka_new: %s", errstr);
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, rkt, &md, 60000);
    if (err)
        bench_die("metadata: %s", rd_kafka_err2str(err));
    if (md->topic_cnt != 1 || md->topics[0].partition_cnt < partitions)
        bench_die("topic %s has fewer than %d partitions", topic, partitions);
    rd_kafka_metadata_destroy(md);

    char *payload = malloc(size);
    if (!payload)
        bench_die("out of memory");
    unsigned seed = 12345;
    for (size_t k = 0; k < size; k++) {
        seed = seed * 1103515245u + 12345u;
        payload[k] = (char)(seed >> 16);
    }
    long long messages = (total + (long long)size - 1) / (long long)size;
    double start = mono_s(), last = start;
    for (long long i = 0; i < messages; i++) {
        while (rd_kafka_produce(rkt, (int32_t)(i % partitions), RD_KAFKA_MSG_F_COPY, payload, size, NULL, 0,
                                NULL) != 0) {
            err = rd_kafka_last_error();
            if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
                bench_die("produce: %s", rd_kafka_err2str(err));
            rd_kafka_poll(rk, 10);
        }
        rd_kafka_poll(rk, 0);
        if (delivery_errors)
            bench_die("%ld message(s) failed", delivery_errors);
        if ((i & 0xffff) == 0 && mono_s() - last >= 10) {
            last = mono_s();
            fprintf(stderr, "scale: %.2f GB queued after %.0f s\n", (double)i * (double)size / 1e9, last - start);
        }
    }
    err = rd_kafka_flush(rk, WAIT_MS);
    double seconds = mono_s() - start;
    if (err)
        bench_die("flush: %s", rd_kafka_err2str(err));
    if (delivery_errors)
        bench_die("%ld message(s) failed", delivery_errors);
    double bytes = (double)messages * (double)size;
    printf("load: %lld x %zu B to %d partitions in %.1f s: %.1f MB/s\n", messages, size, partitions, seconds,
           bytes / seconds / 1e6);
    printf("RESULT load_bytes=%.0f load_messages=%lld load_s=%.2f load_mb_per_s=%.1f\n", bytes, messages, seconds,
           bytes / seconds / 1e6);
    free(payload);
    rd_kafka_topic_destroy(rkt);
    rd_kafka_destroy(rk);
    return 0;
}

/* ---- probe ---- */

/* The address of the "kafka listening on" line in FILE, or 0. */
static int listening_address(const char *file, char *out, size_t cap)
{
    FILE *f = fopen(file, "r");
    if (!f)
        return 0;
    char line[512];
    int found = 0;
    while (!found && fgets(line, sizeof(line), f)) {
        const char *prefix = "kelpd: kafka listening on ";
        if (strncmp(line, prefix, strlen(prefix)) != 0)
            continue;
        const char *a = line + strlen(prefix);
        size_t n = strcspn(a, " \n");
        if (n > 0 && n < cap) {
            memcpy(out, a, n);
            out[n] = '\0';
            found = 1;
        }
    }
    fclose(f);
    return found;
}

/* Metadata v1 for one topic: the partition count when the topic and every
 * partition answer without error and with a leader, else 0; -1 when the
 * connection failed. */
static int metadata_once(int fd, const char *topic, int32_t correlation)
{
    struct wbuf req;
    begin(&req, 3, 1, correlation, 0);
    put32(&req, 1);
    put_string(&req, topic);
    finish(&req);
    uint8_t *resp;
    size_t len;
    if (write_all(fd, req.data, req.len) != 0 || read_response(fd, correlation, &resp, &len) != 0)
        return -1;
    struct rbuf r = { resp, len, 4, 0 };
    int32_t brokers = get32(&r);
    for (int32_t i = 0; i < brokers && !r.bad; i++) {
        get32(&r);
        skip_string(&r);
        get32(&r);
        skip_string(&r); /* rack, nullable: -1 skips nothing */
    }
    get32(&r); /* controller */
    int result = 0;
    if (get32(&r) == 1) {
        int16_t error = get16(&r);
        skip_string(&r);
        take(&r, 1);
        int32_t partitions = get32(&r);
        int ok = error == 0 && partitions > 0;
        for (int32_t i = 0; i < partitions && !r.bad; i++) {
            int16_t perr = get16(&r);
            get32(&r);
            int32_t leader = get32(&r);
            skip_int32_array(&r);
            skip_int32_array(&r);
            if (perr != 0 || leader < 0)
                ok = 0;
        }
        if (ok && !r.bad)
            result = partitions;
    }
    free(resp);
    return result;
}

/* Fetch v4 of partition 0 from offset 0: 1 when records came back without
 * error, 0 when not (yet), -1 when the connection failed. */
static int fetch_once(int fd, const char *topic, int32_t correlation)
{
    struct wbuf req;
    begin(&req, 1, 4, correlation, 0);
    put32(&req, (uint32_t)-1);  /* replica id */
    put32(&req, 0);             /* max wait ms */
    put32(&req, 1);             /* min bytes */
    put32(&req, 1 << 20);       /* max bytes */
    put8(&req, 0);              /* read_uncommitted */
    put32(&req, 1);
    put_string(&req, topic);
    put32(&req, 1);
    put32(&req, 0);             /* partition */
    put64(&req, 0);             /* fetch offset */
    put32(&req, 1 << 20);       /* partition max bytes */
    finish(&req);
    uint8_t *resp;
    size_t len;
    if (write_all(fd, req.data, req.len) != 0 || read_response(fd, correlation, &resp, &len) != 0)
        return -1;
    struct rbuf r = { resp, len, 4, 0 };
    get32(&r); /* throttle */
    int ok = 0;
    if (get32(&r) == 1) {
        skip_string(&r);
        if (get32(&r) == 1) {
            get32(&r);
            int16_t error = get16(&r);
            take(&r, 16); /* high watermark, last stable offset */
            int32_t aborted = get32(&r);
            for (int32_t i = 0; i < aborted && !r.bad; i++)
                take(&r, 16);
            int32_t records = get32(&r);
            ok = !r.bad && error == 0 && records > 0;
        }
    }
    free(resp);
    return ok;
}

static int run_probe(const char *log, int64_t since_ns, const char *topic, double timeout)
{
    char addr[256];
    double deadline = mono_s() + timeout;
    while (!listening_address(log, addr, sizeof(addr))) {
        if (mono_s() > deadline)
            bench_die("no listening line in %s within %.0f s", log, timeout);
        sleep_ms(1);
    }
    double listen_s = (double)(wall_ns() - since_ns) / 1e9;
    double metadata_s = -1, fetch_s = -1;
    int partitions = 0;
    int32_t correlation = 1;
    int fd = -1;
    while (fetch_s < 0) {
        if (mono_s() > deadline)
            bench_die("no %s answer within %.0f s", metadata_s < 0 ? "Metadata" : "Fetch", timeout);
        if (fd < 0 && (fd = tcp_connect(addr, 1)) < 0) {
            sleep_ms(1);
            continue;
        }
        int rc = metadata_s < 0 ? metadata_once(fd, topic, correlation++) : fetch_once(fd, topic, correlation++);
        if (rc < 0) {
            close(fd);
            fd = -1;
        } else if (rc > 0 && metadata_s < 0) {
            metadata_s = (double)(wall_ns() - since_ns) / 1e9;
            partitions = rc;
            continue;
        } else if (rc > 0) {
            fetch_s = (double)(wall_ns() - since_ns) / 1e9;
            continue;
        }
        sleep_ms(1);
    }
    close(fd);
    printf("probe: listening after %.3f s, Metadata of %s (%d partitions) after %.3f s, first Fetch after %.3f s\n",
           listen_s, topic, partitions, metadata_s, fetch_s);
    printf("RESULT listen_s=%.3f metadata_s=%.3f fetch_s=%.3f partitions=%d\n", listen_s, metadata_s, fetch_s,
           partitions);
    return 0;
}

static void usage(void)
{
    bench_die("usage: scale idle --bootstrap HOST:PORT --connections N [--api-version V]\n"
              "       scale load --bootstrap HOST:PORT --topic NAME --partitions P --bytes TOTAL [--size BYTES] "
              "[--set NAME=VALUE]...\n"
              "       scale probe --log FILE --since-ns NS --topic NAME [--timeout S]");
}

int main(int argc, char **argv)
{
    if (argc < 2)
        usage();
    const char *mode = argv[1], *bootstrap = NULL, *topic = NULL, *log = NULL;
    long connections = 0;
    int version = 3, partitions = 0;
    long long bytes = 0, since_ns = -1;
    size_t size = 1024;
    double timeout = 600;
    for (int k = 2; k < argc; k++) {
        int has_value = k + 1 < argc;
        if (!has_value)
            usage();
        const char *v = argv[++k];
        if (strcmp(argv[k - 1], "--bootstrap") == 0)
            bootstrap = v;
        else if (strcmp(argv[k - 1], "--connections") == 0)
            connections = atol(v);
        else if (strcmp(argv[k - 1], "--api-version") == 0)
            version = atoi(v);
        else if (strcmp(argv[k - 1], "--topic") == 0)
            topic = v;
        else if (strcmp(argv[k - 1], "--partitions") == 0)
            partitions = atoi(v);
        else if (strcmp(argv[k - 1], "--bytes") == 0)
            bytes = atoll(v);
        else if (strcmp(argv[k - 1], "--size") == 0)
            size = (size_t)atol(v);
        else if (strcmp(argv[k - 1], "--log") == 0)
            log = v;
        else if (strcmp(argv[k - 1], "--since-ns") == 0)
            since_ns = atoll(v);
        else if (strcmp(argv[k - 1], "--timeout") == 0)
            timeout = atof(v);
        else if (strcmp(argv[k - 1], "--set") == 0 && strchr(v, '=') && setting_count < MAX_SETTINGS)
            settings[setting_count++] = v;
        else
            usage();
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (strcmp(mode, "idle") == 0 && bootstrap && connections > 0)
        return run_idle(bootstrap, connections, version);
    if (strcmp(mode, "load") == 0 && bootstrap && topic && partitions > 0 && bytes > 0 && size > 0)
        return run_load(bootstrap, topic, partitions, bytes, size);
    if (strcmp(mode, "probe") == 0 && log && topic && since_ns >= 0 && timeout > 0)
        return run_probe(log, since_ns, topic, timeout);
    usage();
    return 1;
}
