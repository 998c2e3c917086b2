/* Produce: validate each partition's record batch, append it as produced
 * (offsets assigned in the header), and answer acks=1/all only once a group
 * commit made the data durable. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/authorizer.h"
#include "broker/broker.h"
#include "broker/group_common.h"
#include "util/clock.h"
#include "util/log.h"
#include "metrics/server_metrics.h"
#include "protocol/generated/kafka_messages.h"
#include "protocol/kafka_errors.h"
#include "records/byte_order.h"
#include "records/crc32c.h"
#include "records/record_batch.h"
#include "schema/record_validator.h"
#include "storage/producer_state.h"
#include "storage/topic_name.h"

#define ATTR_CONTROL 0x20

typedef kafka_ProduceResponse_PartitionProduceResponse partition_response;

/* What an acknowledged produce waits for: each partition's end offset,
 * at most the request's timeout. */
typedef struct produce_wait {
    kafka_ProduceResponse resp;
    int32_t count;
    kelp_partition **partitions;
    int64_t *end_offsets;
    partition_response **outs; /* each partition's answer */
    kelp_broker *broker;
    kelp_request *req;
    kelp_timer *timer;
    /* Kept while a v12 request waits for its partitions to join the transaction. */
    kafka_ProduceRequest in;
    bool txn_denied, acks_valid;
    int16_t add_error; /* the join's failure, for every transactional batch */
} produce_wait;

static int16_t batch_status_error(enum kelp_batch_status st)
{
    switch (st) {
    case KELP_BATCH_OK: return KAFKA_ERR_NONE;
    case KELP_BATCH_CORRUPT: return KAFKA_ERR_CORRUPT_MESSAGE;
    case KELP_BATCH_INVALID_RECORD: return KAFKA_ERR_INVALID_RECORD;
    case KELP_BATCH_UNSUPPORTED_MAGIC: return KAFKA_ERR_UNSUPPORTED_FOR_MESSAGE_FORMAT;
    case KELP_BATCH_TOO_LARGE: return KAFKA_ERR_MESSAGE_TOO_LARGE;
    case KELP_BATCH_UNSUPPORTED_COMPRESSION: return KAFKA_ERR_UNSUPPORTED_COMPRESSION_TYPE;
    }
    return KAFKA_ERR_CORRUPT_MESSAGE;
}

static void set_error(kelp_request *req, partition_response *out, int16_t error, const char *message)
{
    kelp_request_note_error(req, error);
    out->error_code = error;
    out->base_offset = -1;
    if (message)
        out->error_message = (kw_str){.ptr = message, .len = (int32_t)strlen(message)};
    if (error == KAFKA_ERR_INVALID_RECORD && message) {
        out->record_errors = kelp_arena_alloc(&req->arena, sizeof(*out->record_errors));
        if (out->record_errors) {
            kafka_ProduceResponse_BatchIndexAndErrorMessage_init(&out->record_errors[0]);
            out->record_errors[0].batch_index = 0;
            out->record_errors[0].batch_index_error_message = out->error_message;
            out->record_errors_count = 1;
        }
    }
}

/* confluent.{key,value}.schema.validation: a batch with any record that
 * fails is refused whole with INVALID_RECORD, each bad record named by its
 * index. false once out has its answer. */
static bool schemas_valid(kelp_broker *b, kelp_request *req, kelp_topic *topic, const kelp_topic_config *tc,
                          const uint8_t *records, size_t len, partition_response *out)
{
    bool keys = tc->value[KELP_TC_KEY_SCHEMA_VALIDATION] != 0;
    bool values = tc->value[KELP_TC_VALUE_SCHEMA_VALIDATION] != 0;
    if (!keys && !values)
        return true;
    if (!b->schemas) {
        set_error(req, out, KAFKA_ERR_INVALID_RECORD, "schema validation is on but this broker has no schema registry");
        return false;
    }
    kelp_record_problem *problems;
    int n = kelp_schema_validate_batch(b->schemas, kelp_topic_name(topic), keys, values, records, len, &problems);
    if (n == 0)
        return true;
    if (n < 0) {
        set_error(req, out, KAFKA_ERR_INVALID_RECORD, "the records could not be read for schema validation");
        return false;
    }
    kelp_arena *a = &req->arena;
    kafka_ProduceResponse_BatchIndexAndErrorMessage *errs = kelp_arena_alloc(a, (size_t)n * sizeof(*errs));
    char *summary = kelp_arena_alloc(a, 320);
    if (errs && summary) {
        snprintf(summary, 320, "%d record%s failed schema validation; record %d: %s", n, n == 1 ? "" : "s",
                 (int)problems[0].index, problems[0].message);
        set_error(req, out, KAFKA_ERR_INVALID_RECORD, NULL);
        out->error_message = (kw_str){.ptr = summary, .len = (int32_t)strlen(summary)};
        for (int i = 0; i < n; i++) {
            size_t mlen = strlen(problems[i].message);
            char *m = kelp_arena_alloc(a, mlen + 1);
            kafka_ProduceResponse_BatchIndexAndErrorMessage_init(&errs[i]);
            errs[i].batch_index = problems[i].index;
            if (m) {
                memcpy(m, problems[i].message, mlen + 1);
                errs[i].batch_index_error_message = (kw_str){.ptr = m, .len = (int32_t)mlen};
            }
        }
        out->record_errors = errs;
        out->record_errors_count = n;
    } else {
        set_error(req, out, KAFKA_ERR_INVALID_RECORD, "records failed schema validation");
    }
    free(problems);
    return false;
}

/* Validates and appends one partition's records; on success returns the
 * partition so the caller can wait for its commit. */
static kelp_partition *produce_partition(kelp_broker *b, kelp_request *req, kelp_topic *topic,
                                         const kafka_ProduceRequest_PartitionProduceData *in,
                                         partition_response *out, int64_t *end_offset)
{
    kelp_partition *p = topic ? kelp_topic_partition(topic, in->index) : NULL;
    if (!p) {
        set_error(req, out, KAFKA_ERR_UNKNOWN_TOPIC_OR_PARTITION, NULL);
        return NULL;
    }
    out->log_start_offset = kelp_partition_log_start_offset(p);
    if (in->records.len <= 0) {
        set_error(req, out, KAFKA_ERR_INVALID_RECORD, "produce requests must carry one record batch");
        return NULL;
    }
    /* The frame is ours: the batch is rewritten in place (base offset only). */
    uint8_t *records = (uint8_t *)in->records.ptr;
    size_t len = (size_t)in->records.len;
    kelp_batches_info info;
    /* The topic's max.message.bytes, else the broker's message_max_bytes. */
    const kelp_topic_config *tc = kelp_topic_configs(topic);
    int32_t max_bytes = tc->set & (1u << KELP_TC_MAX_MESSAGE_BYTES) ? (int32_t)tc->value[KELP_TC_MAX_MESSAGE_BYTES]
                                                                    : b->cfg.message_max_bytes;
    enum kelp_batch_status st = kelp_batches_validate(records, len, max_bytes, &info);
    if (st != KELP_BATCH_OK) {
        set_error(req, out, batch_status_error(st),
                  st == KELP_BATCH_TOO_LARGE ? "record batch larger than the topic's max.message.bytes"
                                             : "record batch failed validation");
        return NULL;
    }
    /* As Kafka: compaction works by key, so a compacted topic wants one on every record. */
    int64_t policy = tc->set & (1u << KELP_TC_CLEANUP_POLICY) ? tc->value[KELP_TC_CLEANUP_POLICY] : KELP_CLEANUP_DELETE;
    if ((policy & KELP_CLEANUP_COMPACT) && info.keyless_records > 0) {
        set_error(req, out, KAFKA_ERR_INVALID_RECORD, "a compacted topic cannot accept a record without a key");
        return NULL;
    }
    if (info.batch_count != 1) {
        set_error(req, out, KAFKA_ERR_INVALID_RECORD,
                  "produce requests of version 3 and above must carry exactly one record batch per partition");
        return NULL;
    }
    kelp_batch_header h;
    if (kelp_batch_header_parse(records, len, &h) != 0 || (h.attributes & ATTR_CONTROL)) {
        set_error(req, out, KAFKA_ERR_INVALID_RECORD, "clients may not write control batches");
        return NULL;
    }
    if (!schemas_valid(b, req, topic, tc, records, len, out))
        return NULL;
    /* Idempotence: a retry is answered with where the batch went the first
     * time; a transactional batch must belong to its producer's open
     * transaction on this partition. */
    if (h.producer_id >= 0) {
        int64_t dup_first, dup_last;
        switch (kelp_producer_state_check(kelp_partition_producers(p), &h, &dup_first, &dup_last)) {
        case KELP_PRODUCER_OK:
            break;
        case KELP_PRODUCER_DUPLICATE:
            out->error_code = KAFKA_ERR_NONE;
            out->base_offset = dup_first;
            out->log_append_time_ms = -1;
            *end_offset = dup_last + 1;
            return p;
        case KELP_PRODUCER_OUT_OF_ORDER:
            set_error(req, out, KAFKA_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER, "the batch does not follow the producer's last sequence");
            return NULL;
        case KELP_PRODUCER_INVALID_EPOCH:
            set_error(req, out, KAFKA_ERR_INVALID_PRODUCER_EPOCH, "the producer epoch is older than this partition's");
            return NULL;
        case KELP_PRODUCER_INVALID_TXN_STATE:
            set_error(req, out, KAFKA_ERR_INVALID_TXN_STATE, "a non-transactional batch from a producer with an open transaction");
            return NULL;
        }
        if (h.attributes & KELP_BATCH_ATTR_TRANSACTIONAL) {
            const char *name = kelp_topic_name(topic);
            int16_t err = kelp_txn_check_produce(b->txns, h.producer_id, h.producer_epoch, name, strlen(name), in->index);
            if (err != KAFKA_ERR_NONE) {
                set_error(req, out, err, "the partition is not in the producer's open transaction");
                return NULL;
            }
        }
    }
    int64_t append_time = -1;
    if (tc->value[KELP_TC_MESSAGE_TIMESTAMP_TYPE] == KELP_TIMESTAMP_LOG_APPEND_TIME &&
        (tc->set & (1u << KELP_TC_MESSAGE_TIMESTAMP_TYPE))) {
        append_time = kelp_clock_wall_ms();
        kelp_batch_set_log_append_time(records, len, append_time);
    } else if (h.max_timestamp < h.base_timestamp) {
        /* Sarama before 1.23 leaves maxTimestamp -1; Kafka's validator sets it
         * from the records, and time lookups and retention depend on it. */
        int64_t max_off, max_ts;
        if (kelp_batch_max_timestamp_offset(records, len, &max_off, &max_ts) == 1 && max_ts >= 0) {
            kelp_put_be64(records + KELP_BATCH_OFF_MAX_TIMESTAMP, (uint64_t)max_ts);
            kelp_put_be32(records + KELP_BATCH_OFF_CRC, kelp_crc32c(0, records + KELP_BATCH_OFF_ATTRIBUTES, len - KELP_BATCH_OFF_ATTRIBUTES));
        }
    }
    int64_t base, last;
    if (kelp_partition_append(p, records, len, &base, &last) != KELP_STORAGE_OK) {
        KELP_ERROR("broker", "append to %s-%d failed", kelp_topic_name(topic), in->index);
        set_error(req, out, KAFKA_ERR_KAFKA_STORAGE_ERROR, "the log could not be written");
        return NULL;
    }
    const char *name = kelp_topic_name(topic);
    kelp_topic_traffic *traffic = kelp_metrics_topic(b->metrics, name, strlen(name));
    if (traffic) {
        traffic->bytes_in += len;
        traffic->records_in += (uint64_t)(last - base + 1);
    }
    out->error_code = KAFKA_ERR_NONE;
    out->base_offset = base;
    out->log_append_time_ms = append_time;
    *end_offset = last + 1;
    return p;
}

static bool produce_durable(const produce_wait *w)
{
    /* A NULL partition was released (its topic deleted): nothing to wait for. */
    for (int32_t i = 0; i < w->count; i++)
        if (w->partitions[i] && kelp_partition_high_watermark(w->partitions[i]) < w->end_offsets[i])
            return false;
    return true;
}

/* The storage did not make the data durable in time (a filer that is
 * slow or down): what is not durable is answered REQUEST_TIMED_OUT, which
 * clients retry; the data may still become durable later, and an
 * idempotent retry is then recognised. */
static void produce_timeout(void *ctx)
{
    produce_wait *w = ctx;
    kelp_broker *b = w->broker;
    w->timer = NULL;
    kelp_request **pp = &b->produce_waiters;
    kelp_request *prev = NULL;
    while (*pp && *pp != w->req) {
        prev = *pp;
        pp = &(*pp)->next;
    }
    if (!*pp)
        return;
    *pp = w->req->next;
    if (b->produce_waiters_tail == w->req)
        b->produce_waiters_tail = prev;
    for (int32_t i = 0; i < w->count; i++)
        if (w->partitions[i] && kelp_partition_high_watermark(w->partitions[i]) < w->end_offsets[i])
            set_error(w->req, w->outs[i], KAFKA_ERR_REQUEST_TIMED_OUT, "the write was not durable within the request's timeout");
    KELP_RESPOND(w->req, ProduceResponse, &w->resp);
}

/* Whether the partition's data is a transactional batch (its header in *out). */
static bool batch_transactional(const kafka_ProduceRequest_PartitionProduceData *pd, kelp_batch_header *out)
{
    kelp_batch_header h;
    if (pd->records.len <= 0 || kelp_batch_header_parse(pd->records.ptr, (size_t)pd->records.len, &h) != 0 ||
        !(h.attributes & KELP_BATCH_ATTR_TRANSACTIONAL))
        return false;
    if (out)
        *out = h;
    return true;
}

/* Validates and appends every partition's batch, then answers or waits
 * for the data to be durable. */
/* Whether some partition of the answer carries an error. */
static bool any_partition_error(const kafka_ProduceResponse *resp)
{
    for (int32_t t = 0; t < resp->responses_count; t++)
        for (int32_t p = 0; p < resp->responses[t].partition_responses_count; p++)
            if (resp->responses[t].partition_responses[p].error_code != KAFKA_ERR_NONE)
                return true;
    return false;
}

static void produce_run(produce_wait *w)
{
    kelp_broker *b = w->broker;
    kelp_request *req = w->req;
    const kafka_ProduceRequest in = w->in;
    bool txn_denied = w->txn_denied, acks_valid = w->acks_valid;
    for (int32_t t = 0; t < in.topic_data_count; t++) {
        const kafka_ProduceRequest_TopicProduceData *tin = &in.topic_data[t];
        kafka_ProduceResponse_TopicProduceResponse *tout = &w->resp.responses[t];
        bool name_ok = tin->name.len > 0 && kelp_topic_name_valid(tin->name.ptr, (size_t)tin->name.len) &&
                       !kelp_topic_name_reserved(tin->name.ptr, (size_t)tin->name.len);
        /* Refused before the name is even looked at: nothing of it is stored. */
        bool allowed = !txn_denied && kelp_authorized_kw(b, req, KELP_ACL_RESOURCE_TOPIC, tin->name, KELP_ACL_OP_WRITE);
        kelp_topic *topic = name_ok && allowed ? kelp_storage_find_topic(b->storage, tin->name.ptr, (size_t)tin->name.len)
                                               : NULL;
        for (int32_t i = 0; i < tin->partition_data_count; i++) {
            partition_response *pout = &tout->partition_responses[i];
            kafka_ProduceResponse_PartitionProduceResponse_init(pout);
            pout->index = tin->partition_data[i].index;
            if (txn_denied) {
                set_error(req, pout, KAFKA_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED, NULL);
                continue;
            }
            if (!allowed) {
                set_error(req, pout, KAFKA_ERR_TOPIC_AUTHORIZATION_FAILED, NULL);
                continue;
            }
            if (!acks_valid) {
                set_error(req, pout, KAFKA_ERR_INVALID_REQUIRED_ACKS, NULL);
                continue;
            }
            if (!name_ok) {
                set_error(req, pout, KAFKA_ERR_INVALID_TOPIC_EXCEPTION, NULL);
                continue;
            }
            if (w->add_error != KAFKA_ERR_NONE && batch_transactional(&tin->partition_data[i], NULL)) {
                set_error(req, pout, w->add_error, "the partition could not be added to the transaction");
                continue;
            }
            int64_t end;
            kelp_partition *p = produce_partition(b, req, topic, &tin->partition_data[i], pout, &end);
            if (p) {
                w->partitions[w->count] = p;
                w->end_offsets[w->count] = end;
                w->outs[w->count] = pout;
                w->count++;
            }
        }
    }
    /* Consumers only see durable data, so even acks=0 asks for a commit. */
    if (w->count > 0)
        kelp_storage_request_sync(b->storage);
    if (in.acks == 0 && acks_valid) {
        /* No answer can carry an error, so as Kafka the connection is
         * closed instead: the client learns that something was refused. */
        kelp_conn *conn = any_partition_error(&w->resp) ? kelp_conn_slot_conn(req->slot) : NULL;
        kelp_request_finish_silently(req);
        if (conn)
            kelp_conn_close_when_sent(conn);
        return;
    }
    if (produce_durable(w)) {
        KELP_RESPOND(req, ProduceResponse, &w->resp);
        return;
    }
    req->state = w;
    req->next = NULL;
    if (in.timeout_ms > 0)
        w->timer = kelp_timer_add(b->loop, kelp_clock_mono_ms() + in.timeout_ms, produce_timeout, w);
    if (b->produce_waiters_tail)
        b->produce_waiters_tail->next = req;
    else
        b->produce_waiters = req;
    b->produce_waiters_tail = req;
}

/* The coordinator's answer, as Kafka's produce path reports it: a fenced
 * producer is INVALID_PRODUCER_EPOCH, and retriable coordinator states
 * become NOT_ENOUGH_REPLICAS, which every client retries. */
static void joined(void *ctx, int16_t error, int64_t producer_id, int16_t epoch)
{
    (void)producer_id;
    (void)epoch;
    produce_wait *w = ctx;
    switch (error) {
    case KAFKA_ERR_PRODUCER_FENCED:
        error = KAFKA_ERR_INVALID_PRODUCER_EPOCH;
        break;
    case KAFKA_ERR_CONCURRENT_TRANSACTIONS:
    case KAFKA_ERR_COORDINATOR_LOAD_IN_PROGRESS:
    case KAFKA_ERR_COORDINATOR_NOT_AVAILABLE:
    case KAFKA_ERR_NOT_COORDINATOR:
        error = KAFKA_ERR_NOT_ENOUGH_REPLICAS;
        break;
    default:
        break;
    }
    w->add_error = error;
    produce_run(w);
}

/* Produce v12 (transactions v2): the partitions of transactional batches
 * join the producer's transaction through the coordinator, durably and
 * beginning one if none is open, before anything is written (Kafka does
 * this for versions above 11; older ones must have used AddPartitionsToTxn).
 * 1: nothing to join; 0: joined() follows; -1: no memory. */
static int join_transaction(produce_wait *w)
{
    kelp_broker *b = w->broker;
    kelp_request *req = w->req;
    const kafka_ProduceRequest *in = &w->in;
    int32_t total = 0;
    for (int32_t t = 0; t < in->topic_data_count; t++)
        total += in->topic_data[t].partition_data_count;
    kelp_txn_topic_partition *parts = kelp_arena_alloc(&req->arena, (size_t)(total + 1) * sizeof(*parts));
    if (!parts)
        return -1;
    size_t n = 0;
    int64_t producer_id = -1;
    int16_t epoch = -1;
    for (int32_t t = 0; t < in->topic_data_count; t++) {
        const kafka_ProduceRequest_TopicProduceData *tin = &in->topic_data[t];
        /* Only partitions the write could reach: the rest fail on their own. */
        if (!kelp_topic_name_usable(tin->name) ||
            !kelp_authorized_kw(b, req, KELP_ACL_RESOURCE_TOPIC, tin->name, KELP_ACL_OP_WRITE))
            continue;
        kelp_topic *topic = kelp_storage_find_topic(b->storage, tin->name.ptr, (size_t)tin->name.len);
        for (int32_t i = 0; topic && i < tin->partition_data_count; i++) {
            kelp_batch_header h;
            if (!batch_transactional(&tin->partition_data[i], &h) ||
                !kelp_topic_partition(topic, tin->partition_data[i].index))
                continue;
            /* One producer per request; another's batch fails its own check. */
            if (n == 0) {
                producer_id = h.producer_id;
                epoch = h.producer_epoch;
            } else if (h.producer_id != producer_id || h.producer_epoch != epoch) {
                continue;
            }
            parts[n++] = (kelp_txn_topic_partition){tin->name, tin->partition_data[i].index};
        }
    }
    if (n == 0)
        return 1;
    kelp_txn_add_partitions(b->txns, in->transactional_id, producer_id, epoch, parts, n, joined, w);
    return 0;
}

int kelp_handle_produce(kelp_broker *b, kelp_request *req)
{
    kafka_ProduceRequest in;
    if (kafka_ProduceRequest_decode(&req->body, &req->arena, req->api_version, &in) != 0)
        return -1;
    kelp_arena *a = &req->arena;
    bool acks_valid = in.acks == 0 || in.acks == 1 || in.acks == -1;

    produce_wait *w = kelp_arena_alloc(a, sizeof(*w));
    if (!w)
        return -1;
    kafka_ProduceResponse_init(&w->resp);
    int32_t total = 0;
    for (int32_t t = 0; t < in.topic_data_count; t++)
        total += in.topic_data[t].partition_data_count;
    w->partitions = kelp_arena_alloc(a, (size_t)(total + 1) * sizeof(*w->partitions));
    w->end_offsets = kelp_arena_alloc(a, (size_t)(total + 1) * sizeof(*w->end_offsets));
    w->outs = kelp_arena_alloc(a, (size_t)(total + 1) * sizeof(*w->outs));
    w->resp.responses = kelp_arena_alloc(a, (size_t)(in.topic_data_count + 1) * sizeof(*w->resp.responses));
    if (!w->partitions || !w->end_offsets || !w->outs || !w->resp.responses)
        return -1;
    w->broker = b;
    w->req = req;
    w->resp.responses_count = in.topic_data_count;
    /* Transactional batches need WRITE on the transactional id, or the
     * whole request is refused (Kafka's rule). */
    bool txn_denied = false;
    for (int32_t t = 0; t < in.topic_data_count && !txn_denied; t++)
        for (int32_t i = 0; i < in.topic_data[t].partition_data_count && !txn_denied; i++) {
            const kafka_ProduceRequest_PartitionProduceData *pd = &in.topic_data[t].partition_data[i];
            kelp_batch_header h;
            if (pd->records.len > 0 && kelp_batch_header_parse(pd->records.ptr, (size_t)pd->records.len, &h) == 0 &&
                (h.attributes & KELP_BATCH_ATTR_TRANSACTIONAL))
                txn_denied = in.transactional_id.len < 0 ||
                             !kelp_authorized_kw(b, req, KELP_ACL_RESOURCE_TRANSACTIONAL_ID, in.transactional_id,
                                                 KELP_ACL_OP_WRITE);
        }

    w->in = in;
    w->txn_denied = txn_denied;
    w->acks_valid = acks_valid;
    w->add_error = KAFKA_ERR_NONE;
    for (int32_t t = 0; t < in.topic_data_count; t++) {
        kafka_ProduceResponse_TopicProduceResponse *tout = &w->resp.responses[t];
        kafka_ProduceResponse_TopicProduceResponse_init(tout);
        tout->name = in.topic_data[t].name;
        tout->partition_responses =
            kelp_arena_alloc(a, (size_t)(in.topic_data[t].partition_data_count + 1) * sizeof(*tout->partition_responses));
        if (!tout->partition_responses)
            return -1;
        tout->partition_responses_count = in.topic_data[t].partition_data_count;
    }
    if (req->api_version >= 12 && !txn_denied && acks_valid) {
        int rc = join_transaction(w);
        if (rc <= 0)
            return rc; /* produce_run follows the join */
    }
    produce_run(w);
    return 0;
}

void kelp_produce_release_topic(kelp_broker *b, kelp_topic *t)
{
    kelp_produce_wake(b);
    /* Whatever still waits on the topic would wait for ever: its writes
     * were not made durable, so they are answered as failed. */
    const char *name = kelp_topic_name(t);
    for (kelp_request *req = b->produce_waiters; req; req = req->next) {
        produce_wait *w = req->state;
        bool touched = false;
        for (int32_t i = 0; i < w->count; i++)
            if (w->partitions[i] && kelp_partition_topic(w->partitions[i]) == t) {
                w->partitions[i] = NULL;
                touched = true;
            }
        if (!touched)
            continue;
        for (int32_t r = 0; r < w->resp.responses_count; r++) {
            kafka_ProduceResponse_TopicProduceResponse *tr = &w->resp.responses[r];
            if (!kw_str_eq(tr->name, name))
                continue;
            for (int32_t i = 0; i < tr->partition_responses_count; i++)
                if (tr->partition_responses[i].error_code == KAFKA_ERR_NONE)
                    set_error(req, &tr->partition_responses[i], KAFKA_ERR_KAFKA_STORAGE_ERROR,
                              "the topic was deleted before the write was durable");
        }
    }
    kelp_produce_wake(b);
}

void kelp_produce_wake(kelp_broker *b)
{
    kelp_request **pp = &b->produce_waiters;
    b->produce_waiters_tail = NULL;
    while (*pp) {
        kelp_request *req = *pp;
        produce_wait *w = req->state;
        if (produce_durable(w)) {
            *pp = req->next;
            if (w->timer)
                kelp_timer_cancel(b->loop, w->timer);
            KELP_RESPOND(req, ProduceResponse, &w->resp);
        } else {
            b->produce_waiters_tail = req;
            pp = &req->next;
        }
    }
}
