#include "broker/cluster_id.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/uuid.h"

static int mkdir_p(char *path)
{
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        int rc = mkdir(path, 0755);
        *p = '/';
        if (rc != 0 && errno != EEXIST)
            return -1;
    }
    return mkdir(path, 0755) == 0 || errno == EEXIST ? 0 : -1;
}

int kelp_cluster_id_load(const char *data_dir, char *out, size_t outlen, char *err, size_t errlen)
{
    char dir[4200], path[4300], tmp[4400];
    snprintf(dir, sizeof(dir), "%s/topics/kafka/.meta", data_dir);
    snprintf(path, sizeof(path), "%s/cluster_id", dir);
    FILE *f = fopen(path, "r");
    if (f) {
        char line[64] = "";
        uint8_t id[16];
        char *ok = fgets(line, sizeof(line), f);
        fclose(f);
        line[strcspn(line, "\r\n")] = '\0';
        if (!ok || !kelp_uuid_parse(line, id)) {
            snprintf(err, errlen, "%s does not hold a cluster id", path);
            return -1;
        }
        snprintf(out, outlen, "%s", line);
        return 0;
    }
    uint8_t id[16];
    char text[KELP_UUID_STRING_LEN + 1];
    if (mkdir_p(dir) != 0 || kelp_uuid_random(id) != 0) {
        snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
        return -1;
    }
    kelp_uuid_to_string(id, text);
    /* Written to a temporary file, synced, then renamed: never half a file. */
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
        return -1;
    }
    bool written = dprintf(fd, "%s\n", text) > 0 && fsync(fd) == 0;
    if (close(fd) != 0 || !written || rename(tmp, path) != 0) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        return -1;
    }
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    snprintf(out, outlen, "%s", text);
    return 0;
}
