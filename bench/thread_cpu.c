#define _POSIX_C_SOURCE 200809L

#include "bench/thread_cpu.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench_util.h"

/* Reads the first line of TASKS/TID/FILE into buf; 0 on success. */
static int read_task_file(const char *tasks, long tid, const char *file, char *buf, size_t size)
{
    char path[96];
    snprintf(path, sizeof(path), "%s/%ld/%s", tasks, tid, file);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1; /* the thread ended after the directory was listed */
    int ok = fgets(buf, (int)size, f) != NULL;
    fclose(f);
    return ok ? 0 : -1;
}

void thread_cpu_sample(struct thread_cpu *sample) { thread_cpu_sample_process(0, sample); }

void thread_cpu_sample_process(long pid, struct thread_cpu *sample)
{
    char tasks[48]; /* /proc/self/task for pid 0 */
    if (pid == 0)
        snprintf(tasks, sizeof(tasks), "/proc/self/task");
    else
        snprintf(tasks, sizeof(tasks), "/proc/%ld/task", pid);
    DIR *dir = opendir(tasks);
    if (!dir)
        bench_die("cannot list %s", tasks);
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
        if (read_task_file(tasks, tid, "schedstat", stat, sizeof(stat)) ||
            read_task_file(tasks, tid, "comm", e->name, sizeof(e->name)))
            continue;
        e->tid = tid;
        e->cpu_s = strtod(stat, NULL) / 1e9;
        e->name[strcspn(e->name, "\n")] = '\0';
        sample->count++;
    }
    closedir(dir);
    if (sample->count == 0)
        bench_die("no thread in %s has a schedstat (kernel without CONFIG_SCHED_INFO?)", tasks);
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

double thread_cpu_sum(const struct thread_cpu *before, const struct thread_cpu *after, const char *prefix,
                      int matching)
{
    double sum = 0;
    for (int k = 0; k < after->count; k++) {
        const struct thread_cpu_entry *e = &after->threads[k];
        int matches = !prefix || strncmp(e->name, prefix, strlen(prefix)) == 0;
        if (matches == matching)
            sum += e->cpu_s - cpu_before(before, e->tid);
    }
    return sum;
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
