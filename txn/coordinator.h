/* The transaction coordinator: producer ids (idempotent and transactional),
 * transactional ids with their epochs, and each transaction's life from
 * its first AddPartitionsToTxn to the markers in its partitions. This
 * gateway coordinates every transactional id. Every change of a
 * transaction is durable on the filer (txn/txn_state.h) before it is
 * answered, and a restart finishes what a stop interrupted: decided
 * transactions get their markers, open ones time out. Loop thread only.
 *
 * Operations answer through a reply function, possibly before they return.
 * Errors are the newest Kafka codes (PRODUCER_FENCED); handlers map them
 * to what older versions know. */
#ifndef KELP_TXN_COORDINATOR_H
#define KELP_TXN_COORDINATOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/event_loop.h"
#include "offsets/offset_store.h"
#include "protocol/wire.h"
#include "storage/file_writer.h"
#include "storage/storage.h"
#include "txn/txn_state.h"

typedef struct kelp_txn_coordinator kelp_txn_coordinator;

typedef void (*kelp_txn_reply_fn)(void *ctx, int16_t error, int64_t producer_id, int16_t producer_epoch);

typedef struct kelp_txn_limits {
    int32_t max_timeout_ms;      /* transaction.max.timeout.ms */
    int32_t check_interval_ms;   /* how often timed-out transactions are looked for */
} kelp_txn_limits;

/* One partition named by a request. */
typedef struct kelp_txn_topic_partition {
    kw_str topic;
    int32_t partition;
} kelp_txn_topic_partition;

/* One offset of a TxnOffsetCommit. */
typedef struct kelp_txn_commit_offset {
    kw_str topic;
    int32_t partition;
    int64_t offset;
    int32_t leader_epoch;
    kw_str metadata; /* len -1: null */
} kelp_txn_commit_offset;

kelp_txn_coordinator *kelp_txn_coordinator_new(kelp_loop *loop, kelp_storage *storage, kelp_file_writer *writer,
                                               kelp_offset_store *offsets, const kelp_txn_limits *limits, char *err,
                                               size_t errlen);
void kelp_txn_coordinator_set_limits(kelp_txn_coordinator *c, const kelp_txn_limits *limits);
/* Answers every waiting request with COORDINATOR_NOT_AVAILABLE and stops
 * the timer; what was decided is finished at the next start. */
void kelp_txn_coordinator_shutdown(kelp_txn_coordinator *c);
void kelp_txn_coordinator_free(kelp_txn_coordinator *c);
/* After group commits: moves on the transactions waiting for markers. */
void kelp_txn_coordinator_on_durable(kelp_txn_coordinator *c);

/* InitProducerId. txn_id.len -1: an idempotent producer (a new id, epoch
 * 0). expected_id/epoch -1 when the producer has none (before v3). */
void kelp_txn_init_producer(kelp_txn_coordinator *c, kw_str txn_id, int32_t timeout_ms, int64_t expected_id,
                            int16_t expected_epoch, kelp_txn_reply_fn reply, void *ctx);
/* AddPartitionsToTxn, the partitions already checked to exist. */
void kelp_txn_add_partitions(kelp_txn_coordinator *c, kw_str txn_id, int64_t producer_id, int16_t epoch,
                             const kelp_txn_topic_partition *parts, size_t count, kelp_txn_reply_fn reply, void *ctx);
/* AddPartitionsToTxn v4+ VerifyOnly: whether the partition is in the
 * producer's open transaction (NONE), else the error. */
int16_t kelp_txn_verify_partition(kelp_txn_coordinator *c, kw_str txn_id, int64_t producer_id, int16_t epoch,
                                  kw_str topic, int32_t partition);
void kelp_txn_add_offsets(kelp_txn_coordinator *c, kw_str txn_id, int64_t producer_id, int16_t epoch, kw_str group,
                          kelp_txn_reply_fn reply, void *ctx);
/* TxnOffsetCommit, the group membership already checked. add_group
 * (v5, transactions v2): the group joins the transaction, which begins if
 * none is open, instead of having to have joined with AddOffsetsToTxn. */
void kelp_txn_commit_offsets(kelp_txn_coordinator *c, kw_str txn_id, int64_t producer_id, int16_t epoch,
                             kw_str group, bool add_group, const kelp_txn_commit_offset *offsets, size_t count,
                             kelp_txn_reply_fn reply, void *ctx);
/* EndTxn. tv2 (v5): the end bumps the epoch (a new producer id once it is
 * exhausted); the reply carries the id and epoch for the next transaction. */
void kelp_txn_end(kelp_txn_coordinator *c, kw_str txn_id, int64_t producer_id, int16_t epoch, bool commit, bool tv2,
                  kelp_txn_reply_fn reply, void *ctx);

/* Produce of a transactional batch: NONE when the producer's open
 * transaction holds the partition. */
int16_t kelp_txn_check_produce(kelp_txn_coordinator *c, int64_t producer_id, int16_t epoch, const char *topic,
                               size_t topic_len, int32_t partition);
/* OffsetFetch with require_stable: an open transaction holds an offset
 * for this group and partition. */
bool kelp_txn_offset_pending(kelp_txn_coordinator *c, const char *group, size_t group_len, const char *topic,
                             size_t topic_len, int32_t partition);

/* A transactional id the coordinator can keep: non-empty, its encoding
 * one path component. */
bool kelp_txn_id_valid(kw_str id);

const kelp_txn *kelp_txn_find(kelp_txn_coordinator *c, const char *id, size_t len);
void kelp_txn_each(kelp_txn_coordinator *c, void (*fn)(void *ctx, const kelp_txn *t), void *ctx);

#endif
