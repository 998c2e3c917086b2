/* DescribeLogDirs: the one log directory (the filer root) and the sizes of
 * the partitions in it. */
#include <stdlib.h>
#include <string.h>

#include "broker/authorizer.h"
#include "broker/group_common.h"
#include "protocol/generated/kafka_messages.h"
#include "protocol/kafka_errors.h"

typedef kafka_DescribeLogDirsRequest_DescribableLogDirTopic wanted_topic;
typedef kafka_DescribeLogDirsResponse_DescribeLogDirsTopic topic_result;
typedef kafka_DescribeLogDirsResponse_DescribeLogDirsPartition partition_result;

static void describe_partition(kelp_topic *t, int32_t index, partition_result *out)
{
    kafka_DescribeLogDirsResponse_DescribeLogDirsPartition_init(out);
    out->partition_index = index;
    out->partition_size = kelp_partition_size_bytes(kelp_topic_partition(t, index));
    out->offset_lag = 0;       /* the log is its own leader: nothing to catch up */
    out->is_future_key = false; /* no log is ever being moved between directories */
}

static int describe_whole_topic(kelp_arena *a, kelp_topic *t, topic_result *out)
{
    int32_t n = kelp_topic_partition_count(t);
    kafka_DescribeLogDirsResponse_DescribeLogDirsTopic_init(out);
    out->name = kelp_kw_or_empty(kelp_topic_name(t));
    out->partitions = kelp_arena_alloc(a, (size_t)(n + 1) * sizeof(*out->partitions));
    if (!out->partitions)
        return -1;
    out->partitions_count = n;
    for (int32_t i = 0; i < n; i++)
        describe_partition(t, i, &out->partitions[i]);
    return 0;
}

static int compare_wanted_names(const void *pa, const void *pb)
{
    const wanted_topic *a = *(const wanted_topic *const *)pa, *b = *(const wanted_topic *const *)pb;
    int32_t alen = a->topic.len > 0 ? a->topic.len : 0, blen = b->topic.len > 0 ? b->topic.len : 0;
    int32_t shorter = alen < blen ? alen : blen;
    int c = shorter > 0 ? memcmp(a->topic.ptr, b->topic.ptr, (size_t)shorter) : 0;
    return c != 0 ? c : (alen > blen) - (alen < blen);
}

static int compare_int32(const void *pa, const void *pb)
{
    int32_t a = *(const int32_t *)pa, b = *(const int32_t *)pb;
    return (a > b) - (a < b);
}

/* The partitions several entries name for one topic, sorted, each once,
 * only those that exist; the topic is left out when none do. */
static int describe_wanted_partitions(kelp_arena *a, kelp_topic *t, const wanted_topic *const *entries,
                                      size_t nentries, topic_result *out, bool *any)
{
    size_t total = 0;
    for (size_t e = 0; e < nentries; e++)
        total += entries[e]->partitions_count > 0 ? (size_t)entries[e]->partitions_count : 0;
    int32_t *ids = kelp_arena_alloc(a, (total + 1) * sizeof(*ids));
    if (!ids)
        return -1;
    size_t n = 0;
    int32_t count = kelp_topic_partition_count(t);
    for (size_t e = 0; e < nentries; e++)
        for (int32_t i = 0; i < entries[e]->partitions_count; i++)
            if (entries[e]->partitions[i] >= 0 && entries[e]->partitions[i] < count)
                ids[n++] = entries[e]->partitions[i];
    qsort(ids, n, sizeof(*ids), compare_int32);
    kafka_DescribeLogDirsResponse_DescribeLogDirsTopic_init(out);
    out->name = kelp_kw_or_empty(kelp_topic_name(t));
    out->partitions = kelp_arena_alloc(a, (n + 1) * sizeof(*out->partitions));
    if (!out->partitions)
        return -1;
    int32_t kept = 0;
    for (size_t i = 0; i < n; i++)
        if (i == 0 || ids[i] != ids[i - 1])
            describe_partition(t, ids[i], &out->partitions[kept++]);
    out->partitions_count = kept;
    *any = kept > 0;
    return 0;
}

static int describe_all(kelp_broker *b, kelp_arena *a, kafka_DescribeLogDirsResponse_DescribeLogDirsResult *dir)
{
    size_t n = kelp_storage_topic_count(b->storage);
    dir->topics = kelp_arena_alloc(a, (n + 1) * sizeof(*dir->topics));
    if (!dir->topics)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (describe_whole_topic(a, kelp_storage_topic_at(b->storage, i), &dir->topics[i]) != 0)
            return -1;
    dir->topics_count = (int32_t)n;
    return 0;
}

/* Requested topics in name order; one topic named twice is answered once,
 * and names that do not exist are left out, as Kafka does. */
static int describe_requested(kelp_broker *b, kelp_arena *a, const kafka_DescribeLogDirsRequest *in,
                              kafka_DescribeLogDirsResponse_DescribeLogDirsResult *dir)
{
    size_t n = (size_t)in->topics_count;
    const wanted_topic **sorted = kelp_arena_alloc(a, (n + 1) * sizeof(*sorted));
    dir->topics = kelp_arena_alloc(a, (n + 1) * sizeof(*dir->topics));
    if (!sorted || !dir->topics)
        return -1;
    for (size_t i = 0; i < n; i++)
        sorted[i] = &in->topics[i];
    qsort(sorted, n, sizeof(*sorted), compare_wanted_names);
    int32_t kept = 0;
    for (size_t i = 0; i < n;) {
        size_t same = 1;
        while (i + same < n && compare_wanted_names(&sorted[i], &sorted[i + same]) == 0)
            same++;
        kw_str name = sorted[i]->topic;
        kelp_topic *t = kelp_topic_name_usable(name) ? kelp_storage_find_topic(b->storage, name.ptr, (size_t)name.len)
                                                     : NULL;
        bool any = false;
        if (t && describe_wanted_partitions(a, t, &sorted[i], same, &dir->topics[kept], &any) != 0)
            return -1;
        if (any)
            kept++;
        i += same;
    }
    dir->topics_count = kept;
    return 0;
}

int kelp_handle_describe_log_dirs(kelp_broker *b, kelp_request *req)
{
    kafka_DescribeLogDirsRequest in;
    if (kafka_DescribeLogDirsRequest_decode(&req->body, &req->arena, req->api_version, &in) != 0)
        return -1;
    kelp_arena *a = &req->arena;
    kafka_DescribeLogDirsResponse resp;
    kafka_DescribeLogDirsResponse_init(&resp);
    if (!kelp_authorized_cluster(b, req, KELP_ACL_OP_DESCRIBE)) {
        /* As Kafka: no directories, and the error from v3 on. */
        resp.error_code = KAFKA_ERR_CLUSTER_AUTHORIZATION_FAILED;
        KELP_RESPOND(req, DescribeLogDirsResponse, &resp);
        return 0;
    }
    kafka_DescribeLogDirsResponse_DescribeLogDirsResult dir;
    kafka_DescribeLogDirsResponse_DescribeLogDirsResult_init(&dir);
    resp.error_code = KAFKA_ERR_NONE;
    dir.error_code = KAFKA_ERR_NONE;
    dir.log_dir = kelp_kw_or_empty(kelp_storage_root(b->storage));
    int64_t total, usable;
    if (kelp_storage_space(b->storage, &total, &usable) == 0) {
        dir.total_bytes = total;
        dir.usable_bytes = usable;
    } /* else the -1 defaults: unknown */
    /* Null asks for every partition; an empty list for none. */
    int rc = in.topics_count < 0 ? describe_all(b, a, &dir) : describe_requested(b, a, &in, &dir);
    if (rc != 0)
        return -1;
    resp.results = &dir;
    resp.results_count = 1;
    KELP_RESPOND(req, DescribeLogDirsResponse, &resp);
    return 0;
}
