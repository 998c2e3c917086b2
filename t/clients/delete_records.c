/* DeleteRecords through librdkafka's admin API:
 *   delete_records BOOTSTRAP TOPIC PARTITION OFFSET
 * prints "low_watermark N" for the partition, or the error and exits 1. */
#include <inttypes.h>
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(const char *what, const char *detail)
{
    fprintf(stderr, "delete_records: %s: %s\n", what, detail);
    return 1;
}

int main(int argc, char **argv)
{
    if (argc != 5)
        return fail("usage", "delete_records BOOTSTRAP TOPIC PARTITION OFFSET");
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (rd_kafka_conf_set(conf, "bootstrap.servers", argv[1], err, sizeof(err)) != RD_KAFKA_CONF_OK)
        return fail("config", err);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
    if (!rk)
        return fail("client", err);
    rd_kafka_topic_partition_list_t *offsets = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(offsets, argv[2], atoi(argv[3]))->offset = strtoll(argv[4], NULL, 10);
    rd_kafka_DeleteRecords_t *del = rd_kafka_DeleteRecords_new(offsets);
    rd_kafka_topic_partition_list_destroy(offsets);
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_AdminOptions_t *opts = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_DELETERECORDS);
    rd_kafka_AdminOptions_set_operation_timeout(opts, 30000, err, sizeof(err));
    rd_kafka_DeleteRecords(rk, &del, 1, opts, q);
    rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 60000);
    int rc = 1;
    if (!ev) {
        rc = fail("DeleteRecords", "no answer within 60 s");
    } else if (rd_kafka_event_error(ev)) {
        rc = fail("DeleteRecords", rd_kafka_event_error_string(ev));
    } else {
        const rd_kafka_topic_partition_list_t *res =
            rd_kafka_DeleteRecords_result_offsets(rd_kafka_event_DeleteRecords_result(ev));
        if (!res || res->cnt != 1) {
            rc = fail("DeleteRecords", "no partition in the result");
        } else if (res->elems[0].err) {
            printf("error %s\n", rd_kafka_err2name(res->elems[0].err));
        } else {
            printf("low_watermark %" PRId64 "\n", res->elems[0].offset);
            rc = 0;
        }
    }
    if (ev)
        rd_kafka_event_destroy(ev);
    rd_kafka_AdminOptions_destroy(opts);
    rd_kafka_DeleteRecords_destroy(del);
    rd_kafka_queue_destroy(q);
    rd_kafka_destroy(rk);
    return rc;
}
