/* librdkafka (C) in the client compatibility matrix (t/integration/matrix.sh).
 *
 * usage: librdkafka setup   BOOTSTRAP TOPIC PARTITIONS
 *        librdkafka produce BOOTSTRAP TOPIC SPEC BATCH...
 *        librdkafka consume BOOTSTRAP OUT TOPIC=N0,N1...
 *        librdkafka group   BOOTSTRAP GROUP OUT TOPIC=N0,N1...
 *        librdkafka seek    BOOTSTRAP TOPIC PARTITION TS END OUT
 * Each step prints "step NAME ok|fail DETAIL"; records consumed are written
 * to OUT as dump lines (t/integration/matrix/harness.py has both formats). */
#define _POSIX_C_SOURCE 200809L

#include <librdkafka/rdkafka.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { MAX_TP = 64, MAX_HEADERS = 16 };

/* Every wait, stretched by KELP_TIME_FACTOR when kelpd runs slowly
 * (valgrind); set in main. */
static int wait_ms = 30000;

static const char *client_id = "mx-librdkafka";
static char failure[1024];

/* A failed check: the step's reason, then back to the step's caller. */
#define CHECK(cond, ...)                                             \
    do {                                                             \
        if (!(cond)) {                                               \
            snprintf(failure, sizeof(failure), __VA_ARGS__);         \
            return false;                                            \
        }                                                            \
    } while (0)

static void step(const char *name, bool ok, const char *detail)
{
    printf("step %s %s %s\n", name, ok ? "ok" : "fail", ok ? detail : failure);
    fflush(stdout);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque);

static rd_kafka_t *client(rd_kafka_type_t type, const char *bootstrap, const char *const *kv)
{
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    const char *base[] = { "bootstrap.servers", bootstrap, "client.id", client_id, NULL };
    for (const char *const *p = base; *p; p += 2)
        rd_kafka_conf_set(conf, p[0], p[1], err, sizeof(err));
    for (const char *const *p = kv; p && *p; p += 2)
        if (rd_kafka_conf_set(conf, p[0], p[1], err, sizeof(err)) != RD_KAFKA_CONF_OK) {
            fprintf(stderr, "librdkafka: %s=%s: %s\n", p[0], p[1], err);
            exit(1);
        }
    if (type == RD_KAFKA_PRODUCER)
        rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_t *rk = rd_kafka_new(type, conf, err, sizeof(err));
    if (!rk) {
        fprintf(stderr, "librdkafka: rd_kafka_new: %s\n", err);
        exit(1);
    }
    return rk;
}

/* ---- spec and dump --------------------------------------------------- */

struct bytes {
    unsigned char *p; /* NULL: null */
    size_t n;
};

static struct bytes unhex(const char *tok)
{
    struct bytes b = { NULL, 0 };
    if (strcmp(tok, "-") == 0)
        return b;
    size_t len = strlen(tok + 1) / 2;
    b.p = calloc(len + 1, 1);
    for (size_t i = 0; i < len; i++)
        sscanf(tok + 1 + 2 * i, "%2hhx", &b.p[i]);
    b.n = len;
    return b;
}

static void put_hex(FILE *f, const void *p, size_t n)
{
    if (!p) {
        fputs(" -", f);
        return;
    }
    fputs(" x", f);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%02x", ((const unsigned char *)p)[i]);
}

static void dump(FILE *f, const rd_kafka_message_t *m)
{
    rd_kafka_timestamp_type_t tstype;
    fprintf(f, "%s %" PRId32 " %" PRId64 " %" PRId64, rd_kafka_topic_name(m->rkt), m->partition, m->offset,
            rd_kafka_message_timestamp(m, &tstype));
    put_hex(f, m->key, m->key_len);
    put_hex(f, m->payload, m->len);
    rd_kafka_headers_t *hdrs = NULL;
    if (rd_kafka_message_headers(m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        const char *name;
        const void *value;
        size_t size;
        for (size_t i = 0; rd_kafka_header_get_all(hdrs, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR; i++) {
            put_hex(f, name, strlen(name));
            put_hex(f, value, size);
        }
    }
    fputc('\n', f);
}

/* What is to be consumed: TOPIC=N0,N1... arguments. */
struct want {
    char topic[128];
    int32_t partition;
    int64_t count, next;
};
static struct want wants[MAX_TP];
static int nwants;

static void parse_topics(int argc, char **argv)
{
    for (int i = 0; i < argc; i++) {
        char *eq = strchr(argv[i], '=');
        if (!eq)
            continue;
        int32_t p = 0;
        for (char *n = eq + 1; *n && nwants < MAX_TP; p++) {
            struct want *w = &wants[nwants++];
            snprintf(w->topic, sizeof(w->topic), "%.*s", (int)(eq - argv[i]), argv[i]);
            w->partition = p;
            w->count = strtoll(n, &n, 10);
            w->next = 0;
            if (*n == ',')
                n++;
        }
    }
}

static bool all_done(void)
{
    for (int i = 0; i < nwants; i++)
        if (wants[i].next < wants[i].count)
            return false;
    return true;
}

static bool collect(FILE *out, const rd_kafka_message_t *m)
{
    struct want *w = NULL;
    for (int i = 0; i < nwants; i++)
        if (strcmp(wants[i].topic, rd_kafka_topic_name(m->rkt)) == 0 && wants[i].partition == m->partition)
            w = &wants[i];
    CHECK(w, "record from unexpected %s[%" PRId32 "]", rd_kafka_topic_name(m->rkt), m->partition);
    if (m->offset < w->next)
        return true; /* a re-delivery */
    CHECK(m->offset == w->next && m->offset < w->count, "%s[%" PRId32 "]: offset %" PRId64 " where %" PRId64 " was next",
          w->topic, w->partition, m->offset, w->next);
    w->next++;
    dump(out, m);
    return true;
}

static bool drain(rd_kafka_t *rk, FILE *out)
{
    int64_t deadline = now_ms() + wait_ms;
    while (!all_done()) {
        CHECK(now_ms() < deadline, "timed out before every record was consumed");
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 200);
        if (!m)
            continue;
        bool ok = true;
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF)
            ;
        else if (m->err) {
            snprintf(failure, sizeof(failure), "poll: %s", rd_kafka_message_errstr(m));
            ok = false;
        } else
            ok = collect(out, m);
        rd_kafka_message_destroy(m);
        if (!ok)
            return false;
    }
    return true;
}

/* ---- steps ------------------------------------------------------------ */

static bool metadata(rd_kafka_t *rk, const char *bootstrap, char *detail, size_t size)
{
    const struct rd_kafka_metadata *md;
    rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 1, NULL, &md, wait_ms);
    CHECK(!err, "metadata: %s", rd_kafka_err2str(err));
    bool listed = false;
    char addr[300];
    for (int i = 0; i < md->broker_cnt; i++) {
        snprintf(addr, sizeof(addr), "%s:%d", md->brokers[i].host, md->brokers[i].port);
        listed |= strcmp(addr, bootstrap) == 0;
    }
    snprintf(detail, size, "brokers=%d topics=%d", md->broker_cnt, md->topic_cnt);
    rd_kafka_metadata_destroy(md);
    CHECK(listed, "%s is not among the brokers", bootstrap);
    return true;
}

static bool create(rd_kafka_t *rk, const char *topic, int partitions)
{
    char err[512];
    rd_kafka_NewTopic_t *nt = rd_kafka_NewTopic_new(topic, partitions, 1, err, sizeof(err));
    CHECK(nt, "NewTopic: %s", err);
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_CreateTopics(rk, &nt, 1, NULL, q);
    rd_kafka_event_t *ev = rd_kafka_queue_poll(q, wait_ms);
    bool ok = ev && !rd_kafka_event_error(ev);
    if (ok) {
        size_t n;
        const rd_kafka_topic_result_t **res = rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &n);
        ok = n == 1 && !rd_kafka_topic_result_error(res[0]);
        if (!ok)
            snprintf(failure, sizeof(failure), "CreateTopics: %s", n ? rd_kafka_topic_result_error_string(res[0]) : "no result");
    } else
        snprintf(failure, sizeof(failure), "CreateTopics: %s", ev ? rd_kafka_event_error_string(ev) : "timed out");
    if (ev)
        rd_kafka_event_destroy(ev);
    rd_kafka_queue_destroy(q);
    rd_kafka_NewTopic_destroy(nt);
    return ok;
}

static int setup(char **argv)
{
    const char *bootstrap = argv[0], *topic = argv[1];
    rd_kafka_t *rk = client(RD_KAFKA_PRODUCER, bootstrap, NULL);
    char detail[200] = "";
    step("metadata", metadata(rk, bootstrap, detail, sizeof(detail)), detail);
    step("create", create(rk, topic, atoi(argv[2])), "");
    rd_kafka_destroy(rk);
    return 0;
}

static int delivered_ok, delivered_err;
static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    (void)opaque;
    if (m->err) {
        delivered_err++;
        snprintf(failure, sizeof(failure), "delivery: %s", rd_kafka_err2str(m->err));
    } else
        delivered_ok++;
}

/* The records of batch `which` of SPEC, produced with its codec. */
static bool produce_batch(const char *bootstrap, const char *topic, const char *spec, int which, char *codec)
{
    FILE *f = fopen(spec, "r");
    CHECK(f, "cannot read %s", spec);
    char line[16384];
    int batch = -1, sent = 0;
    rd_kafka_t *rk = NULL;
    bool ok = true;
    while (ok && fgets(line, sizeof(line), f)) {
        char *save, *tok = strtok_r(line, " \n", &save);
        if (!tok)
            continue;
        if (strcmp(tok, "batch") == 0) {
            if (++batch == which) {
                snprintf(codec, 32, "%s", strtok_r(NULL, " \n", &save));
                const char *kv[] = { "acks", "all", "compression.codec", codec, "linger.ms", "5", NULL };
                rk = client(RD_KAFKA_PRODUCER, bootstrap, kv);
            }
            continue;
        }
        if (batch != which)
            continue;
        int32_t partition = atoi(strtok_r(NULL, " \n", &save));
        int64_t ts = strtoll(strtok_r(NULL, " \n", &save), NULL, 10);
        struct bytes key = unhex(strtok_r(NULL, " \n", &save)), value = unhex(strtok_r(NULL, " \n", &save));
        rd_kafka_headers_t *hdrs = rd_kafka_headers_new(MAX_HEADERS);
        char *name;
        while ((name = strtok_r(NULL, " \n", &save))) {
            struct bytes n = unhex(name), v = unhex(strtok_r(NULL, " \n", &save));
            rd_kafka_header_add(hdrs, (const char *)n.p, (ssize_t)n.n, v.p, v.n);
            free(n.p);
            free(v.p);
        }
        rd_kafka_resp_err_t err = rd_kafka_producev(
            rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition), RD_KAFKA_V_KEY(key.p, key.n),
            RD_KAFKA_V_VALUE(value.p, value.n), RD_KAFKA_V_TIMESTAMP(ts), RD_KAFKA_V_HEADERS(hdrs),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
        if (err) {
            rd_kafka_headers_destroy(hdrs);
            snprintf(failure, sizeof(failure), "producev: %s", rd_kafka_err2str(err));
            ok = false;
        }
        free(key.p);
        free(value.p);
        sent++;
    }
    fclose(f);
    if (!rk) {
        snprintf(failure, sizeof(failure), "no batch %d in %s", which, spec);
        return false;
    }
    rd_kafka_flush(rk, wait_ms);
    rd_kafka_poll(rk, 0);
    if (ok && delivered_ok != sent) {
        if (!delivered_err)
            snprintf(failure, sizeof(failure), "%d of %d records delivered", delivered_ok, sent);
        ok = false;
    }
    rd_kafka_destroy(rk);
    return ok;
}

static int produce(int argc, char **argv)
{
    for (int i = 3; i < argc; i++) {
        char codec[32] = "?", name[48];
        delivered_ok = delivered_err = 0;
        bool ok = produce_batch(argv[0], argv[1], argv[2], atoi(argv[i]), codec);
        snprintf(name, sizeof(name), "produce_%s", codec);
        step(name, ok, "");
    }
    return 0;
}

static rd_kafka_t *consumer(const char *bootstrap, const char *group)
{
    const char *kv[] = { "group.id", group, "enable.auto.commit", "false", "auto.offset.reset", "earliest",
                         "enable.partition.eof", "false", NULL };
    rd_kafka_t *rk = client(RD_KAFKA_CONSUMER, bootstrap, kv);
    rd_kafka_poll_set_consumer(rk);
    return rk;
}

static bool consume_all(const char *bootstrap, const char *out_path)
{
    FILE *out = fopen(out_path, "w");
    CHECK(out, "cannot write %s", out_path);
    rd_kafka_t *rk = consumer(bootstrap, "mx-librdkafka-assign");
    rd_kafka_topic_partition_list_t *tps = rd_kafka_topic_partition_list_new(nwants);
    for (int i = 0; i < nwants; i++)
        rd_kafka_topic_partition_list_add(tps, wants[i].topic, wants[i].partition)->offset = RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_assign(rk, tps);
    rd_kafka_topic_partition_list_destroy(tps);
    bool ok = drain(rk, out);
    fclose(out);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return ok;
}

static bool group_consume(const char *bootstrap, const char *group, const char *out_path)
{
    FILE *out = fopen(out_path, "w");
    CHECK(out, "cannot write %s", out_path);
    rd_kafka_t *rk = consumer(bootstrap, group);
    rd_kafka_topic_partition_list_t *tps = rd_kafka_topic_partition_list_new(nwants);
    for (int i = 0; i < nwants; i++)
        if (wants[i].partition == 0)
            rd_kafka_topic_partition_list_add(tps, wants[i].topic, RD_KAFKA_PARTITION_UA);
    rd_kafka_subscribe(rk, tps);
    rd_kafka_topic_partition_list_destroy(tps);
    bool ok = drain(rk, out);
    fclose(out);
    rd_kafka_resp_err_t err = ok ? rd_kafka_commit(rk, NULL, 0) : RD_KAFKA_RESP_ERR_NO_ERROR;
    if (ok && err) {
        snprintf(failure, sizeof(failure), "commit: %s", rd_kafka_err2str(err));
        ok = false;
    }
    if (ok) {
        tps = rd_kafka_topic_partition_list_new(nwants);
        for (int i = 0; i < nwants; i++)
            rd_kafka_topic_partition_list_add(tps, wants[i].topic, wants[i].partition);
        err = rd_kafka_committed(rk, tps, wait_ms);
        for (int i = 0; ok && i < tps->cnt; i++)
            if (err || tps->elems[i].offset != wants[i].count) {
                snprintf(failure, sizeof(failure), "%s[%d]: committed %" PRId64 " (%s), expected %" PRId64,
                         wants[i].topic, i, tps->elems[i].offset, rd_kafka_err2str(err), wants[i].count);
                ok = false;
            }
        rd_kafka_topic_partition_list_destroy(tps);
    }
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return ok;
}

static bool seek_by_time(char **argv, char *detail, size_t size)
{
    const char *bootstrap = argv[0], *topic = argv[1], *out_path = argv[5];
    int32_t partition = atoi(argv[2]);
    FILE *out = fopen(out_path, "w");
    CHECK(out, "cannot write %s", out_path);
    rd_kafka_t *rk = consumer(bootstrap, "mx-librdkafka-assign");
    rd_kafka_topic_partition_list_t *tps = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(tps, topic, partition)->offset = strtoll(argv[3], NULL, 10);
    rd_kafka_resp_err_t err = rd_kafka_offsets_for_times(rk, tps, wait_ms);
    int64_t offset = tps->elems[0].offset;
    bool ok = !err && !tps->elems[0].err && offset >= 0;
    if (!ok)
        snprintf(failure, sizeof(failure), "offsets_for_times: %s, offset %" PRId64, rd_kafka_err2str(err ? err : tps->elems[0].err), offset);
    else {
        snprintf(wants[0].topic, sizeof(wants[0].topic), "%s", topic);
        wants[0].partition = partition;
        wants[0].next = offset;
        wants[0].count = strtoll(argv[4], NULL, 10);
        nwants = 1;
        rd_kafka_assign(rk, tps);
        ok = drain(rk, out);
        snprintf(detail, size, "offset=%" PRId64, offset);
    }
    rd_kafka_topic_partition_list_destroy(tps);
    fclose(out);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return ok;
}

int main(int argc, char **argv)
{
    const char *factor = getenv("KELP_TIME_FACTOR");
    if (factor != NULL && atoi(factor) > 0)
        wait_ms *= atoi(factor);
    const char *cmd = argc > 1 ? argv[1] : "";
    argc -= 2;
    argv += 2;
    if (strcmp(cmd, "setup") == 0 && argc == 3)
        return setup(argv);
    if (strcmp(cmd, "produce") == 0 && argc >= 4)
        return produce(argc, argv);
    if (strcmp(cmd, "consume") == 0 && argc >= 3) {
        parse_topics(argc - 2, argv + 2);
        step("consume", consume_all(argv[0], argv[1]), "");
        return 0;
    }
    if (strcmp(cmd, "group") == 0 && argc >= 4) {
        parse_topics(argc - 3, argv + 3);
        step("group", group_consume(argv[0], argv[1], argv[2]), "");
        return 0;
    }
    if (strcmp(cmd, "seek") == 0 && argc == 6) {
        char detail[64] = "";
        step("seek", seek_by_time(argv, detail, sizeof(detail)), detail);
        return 0;
    }
    fprintf(stderr, "usage: librdkafka setup|produce|consume|group|seek ARGS...\n");
    return 2;
}
