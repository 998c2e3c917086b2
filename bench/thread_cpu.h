/* CPU time of each thread of this process, read from
 * /proc/self/task/TID/schedstat (nanoseconds on a CPU). A benchmark samples
 * it at both ends of a phase to find the client thread that bounds it: a
 * thread busy for nearly all of the phase cannot go faster, whatever the
 * server does, so rate / share is the most this client can reach. */
#ifndef KELP_BENCH_THREAD_CPU_H
#define KELP_BENCH_THREAD_CPU_H

#include <stdio.h>

enum { THREAD_CPU_MAX = 256, THREAD_CPU_NAME = 16 };

struct thread_cpu_entry {
    long tid;
    char name[THREAD_CPU_NAME];
    double cpu_s;
};

struct thread_cpu {
    int count;
    struct thread_cpu_entry threads[THREAD_CPU_MAX];
};

/* Fills sample with every thread of this process; dies if /proc cannot
 * be read. */
void thread_cpu_sample(struct thread_cpu *sample);
/* The same for process pid (0: this one), such as a server on this machine. */
void thread_cpu_sample_process(long pid, struct thread_cpu *sample);

/* The thread that used the most CPU between before and after, as a share
 * of wall_s (1.0 = one core for the whole phase), skipping threads whose
 * name starts with skip_prefix (the in-process mock cluster's own thread,
 * which is the server, not the client); NULL skips none. A thread missing
 * from before started during the phase and counts from zero. Copies its
 * name into name. */
double thread_cpu_busiest(const struct thread_cpu *before, const struct thread_cpu *after, double wall_s,
                          const char *skip_prefix, char name[THREAD_CPU_NAME]);

/* CPU seconds used between before and after by the threads whose name
 * starts with prefix (matching = 1) or by all the others (matching = 0);
 * a NULL prefix matches every thread. */
double thread_cpu_sum(const struct thread_cpu *before, const struct thread_cpu *after, const char *prefix,
                      int matching);

/* Prints, one line each prefixed with label, every thread's share of
 * wall_s between before and after. */
void thread_cpu_print(FILE *out, const char *label, const struct thread_cpu *before,
                      const struct thread_cpu *after, double wall_s);

#endif
