#include "txn/producer_ids.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "txn/txn_state.h"
#include "util/buf.h"
#include "util/log.h"

struct kelp_producer_ids {
    kelp_fs *fs;
    kelp_file_writer *writer;
    int64_t next;         /* the next id to hand out */
    int64_t durable_end;  /* ids below it are reserved durably */
    bool reserving;       /* the next block's end is being written */
    int64_t reserving_end;
    char text[64];
};

static int format_end(char *out, size_t cap, int64_t end)
{
    int n = snprintf(out, cap, "{\"block_end\":%lld}\n", (long long)end);
    return n < 0 || (size_t)n >= cap ? -1 : n;
}

static int64_t read_end(kelp_fs *fs)
{
    kelp_buf b;
    kelp_buf_init(&b);
    int64_t end = 0;
    if (fs->ops->read_file(fs, KELP_PRODUCER_ID_BLOCK_FILE, &b) == 0) {
        cJSON *root = cJSON_ParseWithLength((const char *)b.data, b.len);
        const cJSON *n = cJSON_GetObjectItemCaseSensitive(root, "block_end");
        if (cJSON_IsNumber(n) && n->valuedouble >= 0 && n->valuedouble < 9e15)
            end = (int64_t)n->valuedouble;
        else
            end = -1;
        cJSON_Delete(root);
    }
    kelp_buf_free(&b);
    return end;
}

static int write_end(kelp_fs *fs, const char *text, size_t len)
{
    int rc = fs->ops->write_file_atomic(fs, KELP_PRODUCER_ID_BLOCK_FILE, text, len);
    if (rc == -ENOENT) {
        /* A fresh filer root: nothing has created the parent yet. */
        char dir[] = KELP_PRODUCER_ID_BLOCK_FILE;
        *strrchr(dir, '/') = '\0';
        rc = fs->ops->mkdirs(fs, dir);
        if (rc == 0)
            rc = fs->ops->write_file_atomic(fs, KELP_PRODUCER_ID_BLOCK_FILE, text, len);
    }
    return rc;
}

kelp_producer_ids *kelp_producer_ids_open(kelp_fs *fs, kelp_file_writer *writer, char *err, size_t errlen)
{
    int64_t end = read_end(fs);
    if (end < 0) {
        /* Reusing an id could merge two producers' sequences: refuse to guess. */
        snprintf(err, errlen, "%s is unreadable; remove it only if no producer ids were handed out",
                 KELP_PRODUCER_ID_BLOCK_FILE);
        return NULL;
    }
    kelp_producer_ids *ids = calloc(1, sizeof(*ids));
    if (!ids) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    ids->fs = fs;
    ids->writer = writer;
    ids->next = end;
    char text[64];
    int n = format_end(text, sizeof(text), end + KELP_PRODUCER_ID_BLOCK);
    int rc = n < 0 ? -1 : write_end(fs, text, (size_t)n);
    if (rc != 0) {
        snprintf(err, errlen, "cannot write %s", KELP_PRODUCER_ID_BLOCK_FILE);
        free(ids);
        return NULL;
    }
    ids->durable_end = end + KELP_PRODUCER_ID_BLOCK;
    return ids;
}

void kelp_producer_ids_free(kelp_producer_ids *ids)
{
    free(ids);
}

static void reserved(void *ctx, int status)
{
    kelp_producer_ids *ids = ctx;
    ids->reserving = false;
    if (status != 0) {
        KELP_WARN("txn", "cannot reserve producer ids up to %lld; retrying with the next request",
                  (long long)ids->reserving_end);
        return;
    }
    if (ids->reserving_end > ids->durable_end)
        ids->durable_end = ids->reserving_end;
}

static void reserve_more(kelp_producer_ids *ids)
{
    if (ids->reserving)
        return;
    ids->reserving_end = ids->durable_end + KELP_PRODUCER_ID_BLOCK;
    int n = format_end(ids->text, sizeof(ids->text), ids->reserving_end);
    if (n < 0)
        return;
    ids->reserving = true;
    if (kelp_file_writer_put(ids->writer, KELP_PRODUCER_ID_BLOCK_FILE, ids->text, (size_t)n, reserved, ids) != 0)
        ids->reserving = false;
}

int kelp_producer_ids_next(kelp_producer_ids *ids, int64_t *id)
{
    if (ids->durable_end - ids->next <= KELP_PRODUCER_ID_BLOCK / 2)
        reserve_more(ids);
    if (ids->next >= ids->durable_end)
        return -1;
    *id = ids->next++;
    return 0;
}
