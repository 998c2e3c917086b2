/* The latency floor of a group commit on this disk: the simplest durable
 * log, with no network, no protocol and no client.
 *
 * usage: flush_floor --dir DIR --mb-per-s RATE [--duration S] [--warmup S]
 *                    [--files N] [--round-ms MS] [--each]
 *
 * One thread appends to FILES files (default 4, like the 4 partitions of
 * bench/latency) in turn, one write per file every ROUND_MS (default 1, as
 * linger.ms=1 makes a client send), sized so that the files together take
 * RATE MB/s (10^6 bytes) on an absolute schedule. Another thread runs flush
 * rounds back to back: one syncfs of DIR's file system (or, with --each,
 * an fdatasync of every file), after which every write made before the
 * round began counts as durable. A write's latency is from its write() to
 * the end of that round, as a group-commit server's acknowledgement would
 * be, less everything such a server adds.
 *
 * Prints one line and
 *   RESULT floor_p50_ms=... floor_p99_ms=... floor_max_ms=... floor_rounds=...
 * over the writes made after the warmup (default 0.5 s). Exits 1 on failure. */
#define _GNU_SOURCE 1 /* syncfs */

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/bench_util.h"

const char bench_program[] = "flush_floor";

enum { MAX_FILES = 64 };

struct options {
    const char *dir;
    double mb_per_s;
    double duration, warmup, round_ms;
    int files;
    int each;
};

/* Shared by the two threads: how many writes are done; the flusher sets
 * done_at for each write it made durable. */
static struct options opt;
static int fds[MAX_FILES];
static int dir_fd;
static double *written_at, *durable_at;
static atomic_long writes_done;
static atomic_int writing_over;
static long rounds;

static void *flusher(void *arg)
{
    (void)arg;
    long durable = 0;
    for (;;) {
        long upto = atomic_load(&writes_done);
        if (upto == durable) {
            if (atomic_load(&writing_over))
                break;
            bench_sleep_until(bench_now_s() + 0.00005); /* nothing new yet */
            continue;
        }
        if (opt.each) {
            for (int f = 0; f < opt.files; f++)
                if (fdatasync(fds[f]) != 0)
                    bench_die("fdatasync: %s", strerror(errno));
        } else if (syncfs(dir_fd) != 0) {
            bench_die("syncfs: %s", strerror(errno));
        }
        double now = bench_now_s();
        for (long k = durable; k < upto; k++)
            durable_at[k] = now;
        durable = upto;
        rounds++;
    }
    return NULL;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void parse(int argc, char **argv)
{
    opt = (struct options){.duration = 3, .warmup = 0.5, .round_ms = 1, .files = 4};
    for (int k = 1; k < argc; k++) {
        int has_value = k + 1 < argc;
        if (strcmp(argv[k], "--dir") == 0 && has_value)
            opt.dir = argv[++k];
        else if (strcmp(argv[k], "--mb-per-s") == 0 && has_value)
            opt.mb_per_s = atof(argv[++k]);
        else if (strcmp(argv[k], "--duration") == 0 && has_value)
            opt.duration = atof(argv[++k]);
        else if (strcmp(argv[k], "--warmup") == 0 && has_value)
            opt.warmup = atof(argv[++k]);
        else if (strcmp(argv[k], "--files") == 0 && has_value)
            opt.files = atoi(argv[++k]);
        else if (strcmp(argv[k], "--round-ms") == 0 && has_value)
            opt.round_ms = atof(argv[++k]);
        else if (strcmp(argv[k], "--each") == 0)
            opt.each = 1;
        else
            bench_die("usage: flush_floor --dir DIR --mb-per-s RATE [--duration S] [--warmup S] [--files N] "
                      "[--round-ms MS] [--each]");
    }
    if (!opt.dir || opt.mb_per_s <= 0 || opt.duration <= opt.warmup || opt.warmup < 0 || opt.files < 1 ||
        opt.files > MAX_FILES || opt.round_ms <= 0)
        bench_die("give --dir, a positive --mb-per-s and --round-ms, --duration above --warmup, "
                  "and 1 to %d --files", MAX_FILES);
}

int main(int argc, char **argv)
{
    parse(argc, argv);
    double interval = opt.round_ms / 1000.0 / opt.files; /* between two writes */
    size_t chunk = (size_t)(opt.mb_per_s * 1e6 * interval);
    if (chunk == 0)
        bench_die("--mb-per-s %.3f gives writes of 0 bytes", opt.mb_per_s);
    long n = (long)(opt.duration / interval);
    written_at = calloc((size_t)n, sizeof(*written_at));
    durable_at = calloc((size_t)n, sizeof(*durable_at));
    char *payload = malloc(chunk);
    if (!written_at || !durable_at || !payload)
        bench_die("out of memory");
    memset(payload, 'k', chunk);

    dir_fd = open(opt.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd < 0)
        bench_die("cannot open %s: %s", opt.dir, strerror(errno));
    for (int f = 0; f < opt.files; f++) {
        char path[64];
        snprintf(path, sizeof(path), "flush-floor-%d", f);
        fds[f] = openat(dir_fd, path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
        if (fds[f] < 0)
            bench_die("cannot create %s/%s: %s", opt.dir, path, strerror(errno));
    }

    pthread_t thread;
    if (pthread_create(&thread, NULL, flusher, NULL) != 0)
        bench_die("cannot start the flusher thread");
    double start = bench_now_s();
    for (long k = 0; k < n; k++) {
        bench_sleep_until(start + (double)k * interval);
        written_at[k] = bench_now_s();
        if (write(fds[k % opt.files], payload, chunk) != (ssize_t)chunk)
            bench_die("write: %s", strerror(errno));
        atomic_store(&writes_done, k + 1);
    }
    atomic_store(&writing_over, 1);
    pthread_join(thread, NULL);

    long m = 0;
    for (long k = 0; k < n; k++)
        if (written_at[k] >= start + opt.warmup)
            written_at[m++] = 1000 * (durable_at[k] - written_at[k]); /* reused for the latencies */
    if (m == 0)
        bench_die("no write after the warmup");
    qsort(written_at, (size_t)m, sizeof(*written_at), by_value);
    double p50 = written_at[m / 2], p99 = written_at[(m * 99) / 100], max = written_at[m - 1];
    printf("flush floor: %d files, %zu B per write, %.1f MB/s, %s rounds back to back: p50 %.2f ms, "
           "p99 %.2f ms, max %.2f ms over %ld writes, %ld rounds\n",
           opt.files, chunk, opt.mb_per_s, opt.each ? "fdatasync-each" : "syncfs", p50, p99, max, m, rounds);
    printf("RESULT floor_p50_ms=%.3f floor_p99_ms=%.3f floor_max_ms=%.3f floor_rounds=%ld\n", p50, p99, max, rounds);

    for (int f = 0; f < opt.files; f++) {
        char path[64];
        snprintf(path, sizeof(path), "flush-floor-%d", f);
        close(fds[f]);
        unlinkat(dir_fd, path, 0);
    }
    close(dir_fd);
    free(payload);
    free(written_at);
    free(durable_at);
    return 0;
}
