#include "broker/cluster_id.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "util/uuid.h"

#define META_DIR "topics/kafka/.meta"
#define CLUSTER_ID_PATH META_DIR "/cluster_id"

int kelp_cluster_id_load(kelp_fs *fs, char *out, size_t outlen, char *err, size_t errlen)
{
    kelp_buf buf;
    kelp_buf_init(&buf);
    int rc = fs->ops->read_file(fs, CLUSTER_ID_PATH, &buf);
    if (rc == 0) {
        char text[KELP_UUID_STRING_LEN + 1] = "";
        size_t n = buf.len;
        while (n > 0 && (buf.data[n - 1] == '\n' || buf.data[n - 1] == '\r'))
            n--;
        uint8_t id[16];
        bool ok = n == KELP_UUID_STRING_LEN;
        if (ok) {
            memcpy(text, buf.data, n);
            ok = kelp_uuid_parse(text, id);
        }
        kelp_buf_free(&buf);
        if (!ok) {
            snprintf(err, errlen, "%s does not hold a cluster id", CLUSTER_ID_PATH);
            return -1;
        }
        snprintf(out, outlen, "%s", text);
        return 0;
    }
    kelp_buf_free(&buf);
    if (rc != -ENOENT) {
        snprintf(err, errlen, "cannot read %s: %s", CLUSTER_ID_PATH, strerror(-rc));
        return -1;
    }
    uint8_t id[16];
    char text[KELP_UUID_STRING_LEN + 2];
    if (kelp_uuid_random(id) != 0) {
        snprintf(err, errlen, "no randomness for a cluster id");
        return -1;
    }
    kelp_uuid_to_string(id, text);
    strcat(text, "\n");
    if ((rc = fs->ops->mkdirs(fs, META_DIR)) != 0 ||
        (rc = fs->ops->write_file_atomic(fs, CLUSTER_ID_PATH, text, strlen(text))) != 0) {
        snprintf(err, errlen, "cannot write %s: %s", CLUSTER_ID_PATH, strerror(-rc));
        return -1;
    }
    text[KELP_UUID_STRING_LEN] = '\0';
    snprintf(out, outlen, "%s", text);
    return 0;
}
