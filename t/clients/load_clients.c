/* Many concurrent librdkafka producers and consumers against one broker, for
 * a bounded time; no error, no lost and no duplicated record.
 *
 * usage: load_clients BOOTSTRAP TOPIC PRODUCERS CONSUMERS SECONDS
 *
 * The topic must exist. A few worker threads drive every client instance
 * (each rd_kafka_t keeps its own internal threads):
 *   warm-up  all instances are created; consumers join groups of
 *            GROUP_SIZE members (subscribe) until every group has the whole
 *            topic assigned;
 *   produce  for SECONDS, producer p (acks=all; idempotent when p is odd,
 *            lz4 when p is a multiple of 4) writes record s with key
 *            "pPPPPP-sSSSSSSSS" at RATE records a second, and keeps where
 *            each acknowledged record landed;
 *   drain    producers flush; the groups consume until each has seen every
 *            acknowledged record;
 *   verify   one fresh consumer reads every partition from the start: each
 *            acknowledged record must be there exactly once, at the offset
 *            it was acknowledged with, with an intact checksum, and nothing
 *            else may be there.
 * Any error reported to any client (delivery, consume, error callback) fails
 * the run. "phase NAME EPOCH_MS" lines on stdout mark the produce window;
 * the last line is a summary. Exit status 0 when every check passed. */
#define _POSIX_C_SOURCE 200809L

#include <librdkafka/rdkafka.h>
#include <dirent.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "t/clients/client_util.h"

const char client_program[] = "load_clients";

enum {
    WORKERS = 4,               /* threads driving all instances: 2 cores, a little slack */
    GROUP_SIZE = 5,            /* consumers per group: each group shares the topic */
    RATE = 10,                 /* records a second per producer */
    MAX_PAYLOAD = 200,         /* payload bytes before the checksum */
    CHECKSUM_CHARS = 8,        /* hex FNV-1a of key and payload */
    KEY_LEN = 16,              /* "pPPPPP-sSSSSSSSS" */
    WARMUP_MS = 60000,         /* bound on creating instances and joining groups */
    DRAIN_MS = 60000,          /* bound on flushing and on groups catching up */
    VERIFY_MS = 120000,        /* bound on the final read */
    LOOP_SLEEP_MS = 5,         /* worker pause between rounds over its instances */
    CONSUME_BATCH = 500,       /* messages taken from one consumer per round */
    ERRORS_SHOWN = 20,         /* first errors printed in full */
};

enum phase { PHASE_CREATE, PHASE_WARMUP, PHASE_PRODUCE, PHASE_FLUSH, PHASE_DRAIN, PHASE_CLOSE };

enum ack_state { ACK_PENDING = 0, ACK_DONE, ACK_FAILED, ACK_FOUND };

struct ack {
    int32_t partition;
    int64_t offset;
    uint8_t state;
};

struct producer {
    int id;
    rd_kafka_t *rk;
    int64_t sent;      /* records handed to librdkafka; record s is due at start + s/RATE */
    int64_t phase_ms;  /* spreads producers over the second */
    struct ack *acks;  /* by sequence number, filled by delivery reports */
};

struct group {
    int id;
    char name[32];
    uint8_t *seen;           /* one bit per (producer, sequence) */
    int64_t unique_seen;
    int first_member, members;
    atomic_bool assigned;    /* the members hold every partition between them */
    atomic_bool complete;    /* every acknowledged record was seen */
};

struct consumer {
    int id;
    rd_kafka_t *rk;
    struct group *group;
    int64_t consumed;
};

struct worker {
    pthread_t thread;
    int index;
    atomic_bool created;
    atomic_bool flushed;
};

static struct {
    const char *bootstrap, *topic;
    int producers, consumers, groups, seconds, partitions;
    int64_t capacity; /* sequence numbers per producer */
    struct producer *producer;
    struct consumer *consumer;
    struct group *group;
    struct worker worker[WORKERS];
    atomic_int phase;
    atomic_llong start_ms;
    atomic_llong acked, delivery_errors, client_errors, bad_records, consumed;
    atomic_llong acked_total; /* set once every delivery report arrived */
} load;

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

/* Counts an error and prints the first few; the run goes on so that the
 * summary shows how much went wrong. */
static void report(atomic_llong *counter, const char *fmt, ...)
{
    static atomic_int shown;
    atomic_fetch_add(counter, 1);
    if (atomic_fetch_add(&shown, 1) >= ERRORS_SHOWN)
        return;
    va_list ap;
    va_start(ap, fmt);
    fputs("load_clients: error: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* ---- records --------------------------------------------------------- */

static uint32_t fnv1a(uint32_t h, const void *data, size_t len)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 16777619u;
    }
    return h;
}

static void record_key(int producer, int64_t seq, char out[32])
{
    snprintf(out, 32, "p%05d-s%08" PRId64, producer, seq);
}

/* Payload of varying length from the key alone, then its checksum. */
static size_t record_value(int producer, int64_t seq, const char *key, char *out)
{
    size_t len = 20 + (size_t)((seq * 7 + producer) % (MAX_PAYLOAD - 20));
    uint32_t x = 2463534242u ^ (uint32_t)(producer * 7919) ^ (uint32_t)seq;
    for (size_t i = 0; i < len; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        out[i] = (char)('!' + x % 94);
    }
    uint32_t sum = fnv1a(fnv1a(2166136261u, key, KEY_LEN), out, len);
    snprintf(out + len, CHECKSUM_CHARS + 1, "%08x", (unsigned)sum);
    return len + CHECKSUM_CHARS;
}

/* A consumed record's producer and sequence, when its key and checksum hold. */
static bool record_parse(const rd_kafka_message_t *m, int *producer, int64_t *seq)
{
    char key[KEY_LEN + 1];
    if (!m->key || m->key_len != KEY_LEN)
        return false;
    memcpy(key, m->key, KEY_LEN);
    key[KEY_LEN] = '\0';
    int p = -1;
    long long s = -1;
    int used = 0;
    if (sscanf(key, "p%5d-s%8lld%n", &p, &s, &used) != 2 || used != KEY_LEN)
        return false;
    if (p < 0 || p >= load.producers || s < 0 || s >= load.capacity)
        return false;
    char want[MAX_PAYLOAD + CHECKSUM_CHARS + 1];
    size_t len = record_value(p, s, key, want);
    if (m->len != len || memcmp(m->payload, want, len) != 0)
        return false;
    *producer = p;
    *seq = s;
    return true;
}

/* ---- client set-up --------------------------------------------------- */

static void on_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    (void)opaque;
    report(&load.client_errors, "%s: %s: %s", rd_kafka_name(rk),
           rd_kafka_err2name((rd_kafka_resp_err_t)err), reason);
}

/* Settings every instance shares: small buffers so hundreds of instances fit
 * in a few GB, no statistics, errors counted. */
static rd_kafka_conf_t *conf_common(const char *client_id)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    conf_set(conf, "bootstrap.servers", load.bootstrap);
    conf_set(conf, "client.id", client_id);
    conf_set(conf, "statistics.interval.ms", "0");
    conf_set(conf, "log.connection.close", "false");
    conf_set(conf, "socket.send.buffer.bytes", "65536");
    conf_set(conf, "socket.receive.buffer.bytes", "65536");
    rd_kafka_conf_set_error_cb(conf, on_error);
    return conf;
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    struct producer *p = opaque;
    int64_t seq = (int64_t)(intptr_t)m->_private;
    struct ack *a = &p->acks[seq];
    if (m->err) {
        a->state = ACK_FAILED;
        report(&load.delivery_errors, "producer %d record %" PRId64 ": %s", p->id, seq,
               rd_kafka_err2str(m->err));
        return;
    }
    if (a->state != ACK_PENDING || m->partition < 0 || m->partition >= load.partitions ||
        m->offset < 0) {
        report(&load.delivery_errors, "producer %d record %" PRId64 ": odd delivery report "
               "(state %d, partition %d, offset %" PRId64 ")", p->id, seq, (int)a->state,
               (int)m->partition, m->offset);
        return;
    }
    a->partition = m->partition;
    a->offset = m->offset;
    a->state = ACK_DONE;
    atomic_fetch_add(&load.acked, 1);
}

static void producer_create(struct producer *p)
{
    char name[32];
    snprintf(name, sizeof(name), "load-producer-%d", p->id);
    rd_kafka_conf_t *conf = conf_common(name);
    conf_set(conf, "acks", "all");
    conf_set(conf, "enable.idempotence", p->id % 2 ? "true" : "false");
    conf_set(conf, "compression.codec", p->id % 4 == 0 ? "lz4" : "none");
    conf_set(conf, "linger.ms", "20");
    conf_set(conf, "queue.buffering.max.kbytes", "256");
    conf_set(conf, "queue.buffering.max.messages", "1000");
    conf_set(conf, "message.timeout.ms", "60000");
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_conf_set_opaque(conf, p);
    p->rk = client_new(RD_KAFKA_PRODUCER, conf);
    p->acks = calloc((size_t)load.capacity, sizeof(*p->acks));
    if (!p->acks)
        fail("out of memory");
    p->phase_ms = (p->id * 37) % 1000;
}

static void consumer_create(struct consumer *c)
{
    char name[32];
    snprintf(name, sizeof(name), "load-consumer-%d", c->id);
    rd_kafka_conf_t *conf = conf_common(name);
    conf_set(conf, "group.id", c->group->name);
    conf_set(conf, "auto.offset.reset", "earliest");
    conf_set(conf, "enable.auto.commit", "true");
    conf_set(conf, "auto.commit.interval.ms", "2000");
    /* fetch.max.bytes may not be below message.max.bytes. */
    conf_set(conf, "message.max.bytes", "65536");
    conf_set(conf, "fetch.max.bytes", "65536");
    conf_set(conf, "max.partition.fetch.bytes", "16384");
    conf_set(conf, "queued.max.messages.kbytes", "256");
    conf_set(conf, "queued.min.messages", "1000");
    rd_kafka_conf_set_opaque(conf, c);
    c->rk = client_new(RD_KAFKA_CONSUMER, conf);
    rd_kafka_poll_set_consumer(c->rk);
    rd_kafka_topic_partition_list_t *topics = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(topics, load.topic, RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t err = rd_kafka_subscribe(c->rk, topics);
    rd_kafka_topic_partition_list_destroy(topics);
    if (err)
        fail("consumer %d: subscribe: %s", c->id, rd_kafka_err2str(err));
}

/* ---- the worker loop ------------------------------------------------- */

static bool mine(int index, int w)
{
    return index % WORKERS == w;
}

static void produce_due(struct producer *p, int64_t now)
{
    int64_t start = atomic_load(&load.start_ms);
    int64_t due = (now - start - p->phase_ms) * RATE / 1000 + 1;
    if (due > load.capacity)
        due = load.capacity;
    while (p->sent < due) {
        char key[32], value[MAX_PAYLOAD + CHECKSUM_CHARS + 1];
        record_key(p->id, p->sent, key);
        size_t len = record_value(p->id, p->sent, key, value);
        rd_kafka_resp_err_t err = rd_kafka_producev(
            p->rk, RD_KAFKA_V_TOPIC(load.topic), RD_KAFKA_V_KEY(key, KEY_LEN),
            RD_KAFKA_V_VALUE(value, len), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_OPAQUE((void *)(intptr_t)p->sent), RD_KAFKA_V_END);
        if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL)
            return; /* the next round tries again: the rate is what the broker takes */
        if (err) {
            report(&load.delivery_errors, "producer %d record %" PRId64 ": produce: %s", p->id,
                   p->sent, rd_kafka_err2str(err));
            return;
        }
        p->sent++;
    }
}

static void consume_some(struct consumer *c)
{
    struct group *g = c->group;
    for (int n = 0; n < CONSUME_BATCH; n++) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(c->rk, 0);
        if (!m)
            return;
        if (m->err) {
            report(&load.client_errors, "consumer %d: %s", c->id, rd_kafka_message_errstr(m));
        } else {
            int producer;
            int64_t seq;
            if (!record_parse(m, &producer, &seq)) {
                report(&load.bad_records, "consumer %d: bad record at partition %d offset %" PRId64,
                       c->id, (int)m->partition, m->offset);
            } else {
                int64_t bit = producer * load.capacity + seq;
                if (!(g->seen[bit / 8] & (1u << (bit % 8)))) {
                    g->seen[bit / 8] |= (uint8_t)(1u << (bit % 8));
                    g->unique_seen++;
                }
                c->consumed++;
                atomic_fetch_add(&load.consumed, 1);
            }
        }
        rd_kafka_message_destroy(m);
    }
}

/* Whether a group's members hold every partition of the topic. */
static bool group_assigned(const struct group *g)
{
    int held = 0;
    for (int k = 0; k < g->members; k++) {
        rd_kafka_topic_partition_list_t *parts = NULL;
        if (rd_kafka_assignment(load.consumer[g->first_member + k].rk, &parts) == 0 && parts) {
            held += parts->cnt;
            rd_kafka_topic_partition_list_destroy(parts);
        }
    }
    return held == load.partitions;
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    for (int i = 0; i < load.producers; i++)
        if (mine(i, w->index))
            producer_create(&load.producer[i]);
    for (int g = 0; g < load.groups; g++)
        if (mine(g, w->index))
            for (int k = 0; k < load.group[g].members; k++)
                consumer_create(&load.consumer[load.group[g].first_member + k]);
    atomic_store(&w->created, true);

    int64_t last_check = 0;
    for (;;) {
        int phase = atomic_load(&load.phase);
        if (phase == PHASE_CLOSE)
            break;
        int64_t now = now_ms();
        bool flushed = true;
        for (int i = 0; i < load.producers; i++) {
            if (!mine(i, w->index))
                continue;
            struct producer *p = &load.producer[i];
            if (phase == PHASE_PRODUCE)
                produce_due(p, now);
            rd_kafka_poll(p->rk, 0);
            flushed &= rd_kafka_outq_len(p->rk) == 0;
        }
        if (phase >= PHASE_FLUSH)
            atomic_store(&w->flushed, flushed);
        bool check = now - last_check >= 250;
        if (check)
            last_check = now;
        long long total = atomic_load(&load.acked_total);
        for (int g = 0; g < load.groups; g++) {
            if (!mine(g, w->index))
                continue;
            struct group *grp = &load.group[g];
            for (int k = 0; k < grp->members; k++)
                consume_some(&load.consumer[grp->first_member + k]);
            if (check && phase == PHASE_WARMUP && !atomic_load(&grp->assigned))
                atomic_store(&grp->assigned, group_assigned(grp));
            if (total > 0 && grp->unique_seen >= total)
                atomic_store(&grp->complete, true);
        }
        sleep_ms(LOOP_SLEEP_MS);
    }

    for (int g = 0; g < load.groups; g++) {
        if (!mine(g, w->index))
            continue;
        for (int k = 0; k < load.group[g].members; k++) {
            struct consumer *c = &load.consumer[load.group[g].first_member + k];
            rd_kafka_resp_err_t err = rd_kafka_consumer_close(c->rk);
            if (err)
                report(&load.client_errors, "consumer %d: close: %s", c->id, rd_kafka_err2str(err));
            rd_kafka_destroy(c->rk);
        }
    }
    for (int i = 0; i < load.producers; i++)
        if (mine(i, w->index))
            rd_kafka_destroy(load.producer[i].rk);
    return NULL;
}

/* ---- phases run by the main thread ----------------------------------- */

static int topic_partitions(void)
{
    rd_kafka_conf_t *conf = conf_common("load-metadata");
    rd_kafka_t *rk = client_new(RD_KAFKA_PRODUCER, conf);
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, load.topic, NULL);
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, rkt, &md, 30000);
    if (err)
        fail("Metadata for %s: %s", load.topic, rd_kafka_err2str(err));
    if (md->topic_cnt != 1 || md->topics[0].err)
        fail("topic %s: %s", load.topic,
            md->topic_cnt ? rd_kafka_err2str(md->topics[0].err) : "not listed");
    int n = md->topics[0].partition_cnt;
    rd_kafka_metadata_destroy(md);
    rd_kafka_topic_destroy(rkt);
    rd_kafka_destroy(rk);
    return n;
}

static bool all_workers(bool flushed)
{
    for (int w = 0; w < WORKERS; w++)
        if (!atomic_load(flushed ? &load.worker[w].flushed : &load.worker[w].created))
            return false;
    return true;
}

static int groups_where(bool complete)
{
    int n = 0;
    for (int g = 0; g < load.groups; g++)
        n += atomic_load(complete ? &load.group[g].complete : &load.group[g].assigned);
    return n;
}

/* Open file descriptors of this process: 500 instances must fit the limit. */
static int open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return -1;
    int n = 0;
    while (readdir(d))
        n++;
    closedir(d);
    return n - 2;
}

/* This process's resident memory in MiB, to show what the instances cost. */
static long resident_mib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return -1;
    char line[256];
    long kib = -1;
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "VmRSS: %ld", &kib) == 1)
            break;
    fclose(f);
    return kib < 0 ? -1 : kib / 1024;
}

/* Acknowledged records a group's members never received. */
static long long group_missed(const struct group *g)
{
    long long missed = 0;
    for (int p = 0; p < load.producers; p++)
        for (int64_t s = 0; s < load.capacity; s++) {
            int64_t bit = p * load.capacity + s;
            if (load.producer[p].acks[s].state == ACK_DONE && !(g->seen[bit / 8] & (1u << (bit % 8))))
                missed++;
        }
    return missed;
}

struct verify_result {
    long long read, duplicates, unexpected, misplaced, bad, lost;
};

/* Reads every partition from the start to its end: each acknowledged record
 * exactly once, where it was acknowledged, and nothing else. */
static struct verify_result verify_topic(void)
{
    struct verify_result r = { 0 };
    rd_kafka_conf_t *conf = conf_common("load-verify");
    /* assign() needs a group id; nothing is committed and no group is joined. */
    conf_set(conf, "group.id", "load-verify");
    conf_set(conf, "enable.auto.commit", "false");
    conf_set(conf, "enable.auto.offset.store", "false");
    rd_kafka_t *rk = client_new(RD_KAFKA_CONSUMER, conf);
    rd_kafka_poll_set_consumer(rk);

    int64_t *high = calloc((size_t)load.partitions, sizeof(*high));
    int64_t *next = calloc((size_t)load.partitions, sizeof(*next));
    if (!high || !next)
        fail("out of memory");
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(load.partitions);
    int remaining = 0;
    for (int p = 0; p < load.partitions; p++) {
        int64_t low = 0;
        rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(rk, load.topic, p, &low,
                                                                   &high[p], 30000);
        if (err)
            fail("ListOffsets partition %d: %s", p, rd_kafka_err2str(err));
        if (low != 0)
            fail("partition %d starts at %" PRId64 ", expected 0", p, low);
        next[p] = 0;
        remaining += high[p] > 0;
        rd_kafka_topic_partition_list_add(parts, load.topic, p)->offset = RD_KAFKA_OFFSET_BEGINNING;
    }
    rd_kafka_resp_err_t err = rd_kafka_assign(rk, parts);
    rd_kafka_topic_partition_list_destroy(parts);
    if (err)
        fail("assign: %s", rd_kafka_err2str(err));

    int64_t deadline = now_ms() + VERIFY_MS;
    while (remaining > 0) {
        if (now_ms() > deadline)
            fail("final read: %d partition(s) not read to their end within %ds", remaining,
                VERIFY_MS / 1000);
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 500);
        if (!m)
            continue;
        if (m->err) {
            report(&load.client_errors, "final read: %s", rd_kafka_message_errstr(m));
            rd_kafka_message_destroy(m);
            continue;
        }
        int32_t part = m->partition;
        if (part < 0 || part >= load.partitions || m->offset < next[part] || m->offset >= high[part]) {
            rd_kafka_message_destroy(m);
            continue; /* nothing past the end seen at the start belongs to the run */
        }
        next[part] = m->offset + 1;
        if (next[part] == high[part])
            remaining--;
        r.read++;
        int producer;
        int64_t seq;
        if (!record_parse(m, &producer, &seq)) {
            r.bad++;
            report(&load.bad_records, "final read: bad record at partition %d offset %" PRId64,
                   (int)part, m->offset);
        } else {
            struct ack *a = &load.producer[producer].acks[seq];
            if (a->state == ACK_FOUND) {
                r.duplicates++;
                report(&load.bad_records, "final read: producer %d record %" PRId64
                       " again at partition %d offset %" PRId64, producer, seq, (int)part, m->offset);
            } else if (a->state != ACK_DONE) {
                r.unexpected++;
                report(&load.bad_records, "final read: producer %d record %" PRId64
                       " at partition %d offset %" PRId64 " was never acknowledged", producer, seq,
                       (int)part, m->offset);
            } else if (a->partition != part || a->offset != m->offset) {
                r.misplaced++;
                report(&load.bad_records, "final read: producer %d record %" PRId64
                       " at partition %d offset %" PRId64 ", acknowledged at %d/%" PRId64, producer,
                       seq, (int)part, m->offset, (int)a->partition, a->offset);
                a->state = ACK_FOUND;
            } else {
                a->state = ACK_FOUND;
            }
        }
        rd_kafka_message_destroy(m);
    }
    for (int p = 0; p < load.producers; p++)
        for (int64_t s = 0; s < load.capacity; s++)
            if (load.producer[p].acks[s].state == ACK_DONE) {
                if (r.lost++ < ERRORS_SHOWN)
                    fprintf(stderr, "load_clients: error: producer %d record %" PRId64
                            " acknowledged at partition %d offset %" PRId64 " is missing\n", p, s,
                            (int)load.producer[p].acks[s].partition, load.producer[p].acks[s].offset);
            }
    free(high);
    free(next);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return r;
}

static int positive(const char *arg, const char *what)
{
    char *end = NULL;
    long v = strtol(arg, &end, 10);
    if (!end || *end || v <= 0 || v > 100000)
        fail("%s must be a positive number, not '%s'", what, arg);
    return (int)v;
}

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: load_clients BOOTSTRAP TOPIC PRODUCERS CONSUMERS SECONDS\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    int64_t t0 = now_ms();
    load.bootstrap = argv[1];
    load.topic = argv[2];
    load.producers = positive(argv[3], "PRODUCERS");
    load.consumers = positive(argv[4], "CONSUMERS");
    load.seconds = positive(argv[5], "SECONDS");
    load.capacity = (int64_t)RATE * (load.seconds + 1) + 1;
    load.groups = (load.consumers + GROUP_SIZE - 1) / GROUP_SIZE;
    load.partitions = topic_partitions();
    if (load.partitions <= 0)
        fail("topic %s has no partitions", load.topic);

    load.producer = calloc((size_t)load.producers, sizeof(*load.producer));
    load.consumer = calloc((size_t)load.consumers, sizeof(*load.consumer));
    load.group = calloc((size_t)load.groups, sizeof(*load.group));
    if (!load.producer || !load.consumer || !load.group)
        fail("out of memory");
    for (int i = 0; i < load.producers; i++)
        load.producer[i].id = i;
    size_t bitmap = (size_t)((load.producers * load.capacity + 7) / 8);
    for (int g = 0; g < load.groups; g++) {
        struct group *grp = &load.group[g];
        grp->id = g;
        snprintf(grp->name, sizeof(grp->name), "load-group-%d", g);
        grp->first_member = g * GROUP_SIZE;
        grp->members = load.consumers - grp->first_member < GROUP_SIZE ? load.consumers - grp->first_member
                                                                         : GROUP_SIZE;
        grp->seen = calloc(bitmap, 1);
        if (!grp->seen)
            fail("out of memory");
        for (int k = 0; k < grp->members; k++) {
            load.consumer[grp->first_member + k].id = grp->first_member + k;
            load.consumer[grp->first_member + k].group = grp;
        }
    }

    atomic_store(&load.phase, PHASE_CREATE);
    for (int w = 0; w < WORKERS; w++) {
        load.worker[w].index = w;
        if (pthread_create(&load.worker[w].thread, NULL, worker_main, &load.worker[w]) != 0)
            fail("cannot start worker thread %d", w);
    }
    int64_t deadline = now_ms() + WARMUP_MS;
    while (!all_workers(false)) {
        if (now_ms() > deadline)
            fail("the client instances were not created within %ds", WARMUP_MS / 1000);
        sleep_ms(50);
    }
    atomic_store(&load.phase, PHASE_WARMUP);
    while (groups_where(false) < load.groups) {
        /* Nothing fails while clients connect and join: stop at the first
         * error instead of waiting for the deadline. */
        if (atomic_load(&load.client_errors))
            fail("errors while the clients connected and joined their groups");
        if (now_ms() > deadline)
            fail("only %d of %d groups got the whole topic assigned within %ds", groups_where(false),
                load.groups, WARMUP_MS / 1000);
        sleep_ms(100);
    }
    int fds = open_fds();
    printf("load_clients: %d producers, %d consumers in %d groups on %d partitions; warm-up %.1fs, "
           "%d fds open\n", load.producers, load.consumers, load.groups, load.partitions,
           (double)(now_ms() - t0) / 1000, fds);

    int64_t start = now_ms();
    atomic_store(&load.start_ms, start);
    printf("phase produce_start %" PRId64 "\n", start);
    atomic_store(&load.phase, PHASE_PRODUCE);
    while (now_ms() < start + (int64_t)load.seconds * 1000)
        sleep_ms(100);
    atomic_store(&load.phase, PHASE_FLUSH);
    int64_t produce_end = now_ms();
    printf("phase produce_end %" PRId64 "\n", produce_end);
    long client_mib = resident_mib();

    deadline = now_ms() + DRAIN_MS;
    while (!all_workers(true)) {
        if (now_ms() > deadline)
            fail("producers still had records in flight %ds after producing stopped", DRAIN_MS / 1000);
        sleep_ms(50);
    }
    long long acked = atomic_load(&load.acked);
    if (acked == 0)
        fail("no record was acknowledged");
    atomic_store(&load.acked_total, acked);
    atomic_store(&load.phase, PHASE_DRAIN);
    while (groups_where(true) < load.groups && now_ms() < deadline)
        sleep_ms(100);
    int complete = groups_where(true);
    atomic_store(&load.phase, PHASE_CLOSE);
    for (int w = 0; w < WORKERS; w++)
        pthread_join(load.worker[w].thread, NULL);
    int64_t closed = now_ms();

    long long missed_by_groups = 0;
    for (int g = 0; g < load.groups; g++) {
        long long missed = group_missed(&load.group[g]);
        if (missed)
            fprintf(stderr, "load_clients: error: group %s never received %lld acknowledged record(s)\n",
                    load.group[g].name, missed);
        missed_by_groups += missed;
    }
    long long sent = 0;
    for (int i = 0; i < load.producers; i++)
        sent += load.producer[i].sent;

    struct verify_result r = verify_topic();
    long long errors = atomic_load(&load.delivery_errors) + atomic_load(&load.client_errors) +
                       atomic_load(&load.bad_records);
    /* Records held back by a full queue are no error but a broker that
     * cannot keep up: nine in ten of the scheduled ones must have gone. */
    long long scheduled = (long long)load.producers * RATE * load.seconds;
    if (sent * 10 < scheduled * 9)
        fprintf(stderr, "load_clients: error: only %lld of %lld scheduled records were sent\n", sent,
                scheduled);
    bool ok = sent * 10 >= scheduled * 9 && errors == 0 && r.lost == 0 && r.duplicates == 0 && r.unexpected == 0 && r.misplaced == 0 &&
              r.bad == 0 && missed_by_groups == 0 && complete == load.groups && sent == acked &&
              r.read == acked;
    printf("load_clients: %s: sent %lld, acknowledged %lld (%.0f/s), read back %lld, lost %lld, "
           "duplicates %lld, unexpected %lld, misplaced %lld; groups complete %d/%d, consumed %lld, "
           "missed by groups %lld; errors: delivery %lld, client %lld, bad records %lld; "
           "fds %d, RSS %ld MiB; produce %.1fs, drain and close %.1fs, total %.1fs\n",
           ok ? "OK" : "FAIL", sent, acked, (double)acked * 1000 / (double)(produce_end - start), r.read,
           r.lost, r.duplicates, r.unexpected, r.misplaced, complete, load.groups,
           (long long)atomic_load(&load.consumed), missed_by_groups,
           (long long)atomic_load(&load.delivery_errors), (long long)atomic_load(&load.client_errors),
           (long long)atomic_load(&load.bad_records), fds, client_mib, (double)(produce_end - start) / 1000,
           (double)(closed - produce_end) / 1000, (double)(now_ms() - t0) / 1000);

    for (int i = 0; i < load.producers; i++)
        free(load.producer[i].acks);
    for (int g = 0; g < load.groups; g++)
        free(load.group[g].seen);
    free(load.producer);
    free(load.consumer);
    free(load.group);
    return ok ? 0 : 1;
}
