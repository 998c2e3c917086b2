/* Runs one fuzz target over files without libFuzzer, so that the corpus and
 * every saved crash stay regression tests of the normal builds.
 *   replay_<target> [FILE-OR-DIR...]
 * Without arguments: $KELP_SRCDIR/fuzz/corpus/<target> (required) and
 * $KELP_SRCDIR/fuzz/crashes/<target> (when present). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz/fuzz_util.h"

static int run_file(const char *path, size_t *count)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
        return -1;
    }
    uint8_t *data = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len == cap) {
            cap = cap ? cap * 2 : 4096;
            uint8_t *d = realloc(data, cap);
            if (!d) {
                free(data);
                fclose(f);
                return -1;
            }
            data = d;
        }
        size_t n = fread(data + len, 1, cap - len, f);
        len += n;
        if (n == 0)
            break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(data);
        fprintf(stderr, "replay: %s: read error\n", path);
        return -1;
    }
    /* An exact-size copy, so that ASan sees any read past the input. */
    uint8_t *exact = malloc(len ? len : 1);
    if (!exact) {
        free(data);
        return -1;
    }
    if (len)
        memcpy(exact, data, len);
    free(data);
    LLVMFuzzerTestOneInput(exact, len);
    free(exact);
    (*count)++;
    return 0;
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every regular file of a directory (not below it), in name order. */
static int run_path(const char *path, size_t *count)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode))
        return run_file(path, count);
    DIR *d = opendir(path);
    if (!d) {
        fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
        return -1;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            char **nn = realloc(names, cap * sizeof(*nn));
            if (!nn) {
                rc = -1;
                break;
            }
            names = nn;
        }
        size_t plen = strlen(path) + strlen(e->d_name) + 2;
        if (!(names[n] = malloc(plen))) {
            rc = -1;
            break;
        }
        snprintf(names[n++], plen, "%s/%s", path, e->d_name);
    }
    closedir(d);
    if (n)
        qsort(names, n, sizeof(*names), name_cmp);
    for (size_t i = 0; i < n; i++) {
        if (rc == 0 && stat(names[i], &st) == 0 && S_ISREG(st.st_mode) && run_file(names[i], count) != 0)
            rc = -1;
        free(names[i]);
    }
    free(names);
    return rc;
}

int main(int argc, char **argv)
{
    size_t count = 0;
    int rc = 0;
    if (argc > 1) {
        for (int i = 1; i < argc; i++)
            if (run_path(argv[i], &count) != 0)
                rc = 1;
    } else {
        const char *src = getenv("KELP_SRCDIR");
        if (!src)
            src = ".";
        char dir[4096];
        snprintf(dir, sizeof(dir), "%s/fuzz/corpus/%s", src, FUZZ_TARGET);
        if (run_path(dir, &count) != 0)
            rc = 1;
        snprintf(dir, sizeof(dir), "%s/fuzz/crashes/%s", src, FUZZ_TARGET);
        struct stat st;
        if (stat(dir, &st) == 0 && run_path(dir, &count) != 0)
            rc = 1;
        if (count == 0) {
            fprintf(stderr, "replay: no inputs for %s under %s/fuzz\n", FUZZ_TARGET, src);
            rc = 1;
        }
    }
    printf("replay %s: %zu inputs\n", FUZZ_TARGET, count);
    return rc;
}
