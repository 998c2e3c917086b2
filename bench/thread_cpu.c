#define _POSIX_C_SOURCE 200809L

#include "bench/thread_cpu.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench_util.h"

/* Reads the first line of /proc/self/task/TID/FILE into buf; 0 on success. */
static int read_task_file(long tid, const char *file, char *buf, size_t size)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/self/task/%ld/%s", tid, file);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1; /* the thread ended after the directory was listed */
    int ok = fgets(buf, (int)size, f) != NULL;
    fclose(f);
    return ok ? 0 : -1;
}

void thread_cpu_sample(struct thread_cpu *sample)
{
    DIR *dir = opendir("/proc/self/task");
    if (!dir)
        bench_die("cannot list /proc/self/task");
    sample->count = 0;
    struct dirent *d;
    while ((d = readdir(dir)) && sample->count < THREAD_CPU_MAX) {
        char *end;
        long tid = strtol(d->d_name, &end, 10);
        if (*end || tid <= 0)
            continue; /* "." and ".." */
        struct thread_cpu_entry *e = &sample->threads[sample->count];
        char stat[128];
        /* comm holds at most 15 characters, so it fits in name whole. */
        if (read_task_file(tid, "schedstat", stat, sizeof(stat)) || read_task_file(tid, "comm", e->name, sizeof(e->name)))
            continue;
        e->tid = tid;
        e->cpu_s = strtod(stat, NULL) / 1e9;
        e->name[strcspn(e->name, "\n")] = '\0';
        sample->count++;
    }
    closedir(dir);
    if (sample->count == 0)
        bench_die("no thread in /proc/self/task has a schedstat (kernel without CONFIG_SCHED_INFO?)");
}

static double cpu_before(const struct thread_cpu *before, long tid)
{
    for (int k = 0; k < before->count; k++)
        if (before->threads[k].tid == tid)
            return before->threads[k].cpu_s;
    return 0;
}

double thread_cpu_busiest(const struct thread_cpu *before, const struct thread_cpu *after, double wall_s,
                          const char *skip_prefix, char name[THREAD_CPU_NAME])
{
    double busiest = 0;
    snprintf(name, THREAD_CPU_NAME, "none");
    for (int k = 0; k < after->count; k++) {
        const struct thread_cpu_entry *e = &after->threads[k];
        if (skip_prefix && strncmp(e->name, skip_prefix, strlen(skip_prefix)) == 0)
            continue;
        double used = e->cpu_s - cpu_before(before, e->tid);
        if (used > busiest) {
            busiest = used;
            snprintf(name, THREAD_CPU_NAME, "%s", e->name);
        }
    }
    return wall_s > 0 ? busiest / wall_s : 0;
}

void thread_cpu_print(FILE *out, const char *label, const struct thread_cpu *before,
                      const struct thread_cpu *after, double wall_s)
{
    for (int k = 0; k < after->count; k++) {
        const struct thread_cpu_entry *e = &after->threads[k];
        double used = e->cpu_s - cpu_before(before, e->tid);
        fprintf(out, "%s thread %ld %s: %.0f%% of a core\n", label, e->tid, e->name,
                wall_s > 0 ? 100 * used / wall_s : 0);
    }
}
