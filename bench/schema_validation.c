/* Produce throughput of Avro records in the Schema Registry wire format.
 *
 * usage: schema_validation --bootstrap HOST:PORT --topic NAME --schema-id ID
 *                          [--messages N]
 *
 * Produces N records (default 100000) round-robin to the partitions of an
 * existing topic with acks=all and linger.ms=5 and waits until every one is
 * acknowledged. Each value is magic byte 0, the schema id (4 bytes big
 * endian) and the Avro binary of
 *   {"type":"record","name":"Bench","fields":[{"name":"id","type":"long"},
 *    {"name":"name","type":"string"},{"name":"score","type":"double"}]}
 * encoded here, so the client does no registry look-up. The same records go
 * to validated and plain topics: only the broker's check differs. The high
 * watermarks must add up to N afterwards.
 *
 * Prints a human-readable line and one machine-readable line:
 *   RESULT msgs_per_s=... mb_per_s=...
 * where MB is 10^6 bytes of values. Exits 1 if anything fails. */
#define _POSIX_C_SOURCE 200809L

#include <librdkafka/rdkafka.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench_util.h"

const char bench_program[] = "schema_validation";

enum { WAIT_MS = 120000, VALUE_MAX = 64 };

/* Avro long: zigzag, then base-128 varint, low groups first. */
static size_t avro_long(uint8_t *out, int64_t v)
{
    uint64_t z = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
    size_t n = 0;
    while (z >= 0x80) {
        out[n++] = (uint8_t)(z | 0x80);
        z >>= 7;
    }
    out[n++] = (uint8_t)z;
    return n;
}

static size_t avro_string(uint8_t *out, const char *s)
{
    size_t len = strlen(s);
    size_t n = avro_long(out, (int64_t)len);
    memcpy(out + n, s, len);
    return n + len;
}

/* Avro double: the IEEE 754 bits, little endian whatever the host. */
static size_t avro_double(uint8_t *out, double d)
{
    uint64_t bits;
    memcpy(&bits, &d, sizeof(bits));
    for (int k = 0; k < 8; k++)
        out[k] = (uint8_t)(bits >> (8 * k));
    return 8;
}

static size_t encode_value(uint8_t *out, uint32_t schema_id, long i)
{
    char name[32];
    snprintf(name, sizeof(name), "name-%ld", i);
    size_t n = 0;
    out[n++] = 0;
    out[n++] = (uint8_t)(schema_id >> 24);
    out[n++] = (uint8_t)(schema_id >> 16);
    out[n++] = (uint8_t)(schema_id >> 8);
    out[n++] = (uint8_t)schema_id;
    n += avro_long(out + n, (int64_t)i * 7919 - 500000); /* negative and positive ids */
    n += avro_string(out + n, name);
    n += avro_double(out + n, (double)i * 0.25);
    return n;
}

static long delivery_errors;

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    (void)opaque;
    if (m->err && delivery_errors++ == 0)
        fprintf(stderr, "schema_validation: delivery failed: %s\n", rd_kafka_err2str(m->err));
}

int main(int argc, char **argv)
{
    const char *bootstrap = NULL, *topic = NULL;
    long messages = 100000, schema_id = -1;
    for (int k = 1; k < argc; k++) {
        int has_value = k + 1 < argc;
        if (strcmp(argv[k], "--bootstrap") == 0 && has_value)
            bootstrap = argv[++k];
        else if (strcmp(argv[k], "--topic") == 0 && has_value)
            topic = argv[++k];
        else if (strcmp(argv[k], "--schema-id") == 0 && has_value)
            schema_id = atol(argv[++k]);
        else if (strcmp(argv[k], "--messages") == 0 && has_value)
            messages = atol(argv[++k]);
        else
            bench_die("usage: schema_validation --bootstrap HOST:PORT --topic NAME --schema-id ID "
                      "[--messages N]");
    }
    if (!bootstrap || !topic || schema_id < 0 || schema_id > (long)UINT32_MAX || messages <= 0)
        bench_die("give --bootstrap, --topic, a --schema-id from 0 to 2^32-1 and positive --messages");

    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    bench_conf_set(conf, "bootstrap.servers", bootstrap);
    bench_conf_set(conf, "acks", "all");
    bench_conf_set(conf, "linger.ms", "5");
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    char errstr[512];
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    if (!rk)
        bench_die("rd_kafka_new: %s", errstr);

    /* The partition count, and the connection, before the clock starts. */
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, rkt, &md, WAIT_MS);
    if (err)
        bench_die("metadata: %s", rd_kafka_err2str(err));
    if (md->topic_cnt != 1 || md->topics[0].err || md->topics[0].partition_cnt <= 0)
        bench_die("topic %s: %s", topic,
                  md->topic_cnt == 1 ? rd_kafka_err2str(md->topics[0].err) : "not in metadata");
    int partitions = md->topics[0].partition_cnt;
    rd_kafka_metadata_destroy(md);

    uint8_t value[VALUE_MAX];
    double bytes = 0;
    double start = bench_now_s();
    for (long i = 0; i < messages; i++) {
        size_t len = encode_value(value, (uint32_t)schema_id, i);
        bytes += (double)len;
        while (rd_kafka_produce(rkt, (int32_t)(i % partitions), RD_KAFKA_MSG_F_COPY, value, len,
                                NULL, 0, NULL) != 0) {
            err = rd_kafka_last_error();
            if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
                bench_die("produce: %s", rd_kafka_err2str(err));
            rd_kafka_poll(rk, 10);
        }
        rd_kafka_poll(rk, 0);
    }
    err = rd_kafka_flush(rk, WAIT_MS);
    double seconds = bench_now_s() - start;
    if (err)
        bench_die("flush: %s", rd_kafka_err2str(err));
    if (delivery_errors)
        bench_die("%ld of %ld record(s) failed", delivery_errors, messages);

    /* A refused batch would show up as a delivery error; this also catches
     * records silently lost. */
    int64_t stored = 0;
    for (int p = 0; p < partitions; p++) {
        int64_t low = -1, high = -1;
        err = rd_kafka_query_watermark_offsets(rk, topic, p, &low, &high, WAIT_MS);
        if (err)
            bench_die("watermarks of partition %d: %s", p, rd_kafka_err2str(err));
        stored += high - low;
    }
    if (stored != messages)
        bench_die("the topic holds %lld record(s), produced %ld", (long long)stored, messages);

    printf("produce: %ld Avro records (%.1f B average) to %s: %.0f msgs/s, %.2f MB/s\n", messages,
           bytes / (double)messages, topic, (double)messages / seconds, bytes / seconds / 1e6);
    printf("RESULT msgs_per_s=%.0f mb_per_s=%.3f\n", (double)messages / seconds,
           bytes / seconds / 1e6);

    rd_kafka_topic_destroy(rkt);
    rd_kafka_destroy(rk);
    return 0;
}
