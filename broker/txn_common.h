/* What the transaction handlers share. */
#ifndef KELP_BROKER_TXN_COMMON_H
#define KELP_BROKER_TXN_COMMON_H

#include "protocol/kafka_errors.h"

/* PRODUCER_FENCED is new in each API's version fenced_since; older
 * clients know the same condition as INVALID_PRODUCER_EPOCH. */
static inline int16_t kelp_txn_error_for_version(int16_t error, int16_t version, int16_t fenced_since)
{
    return error == KAFKA_ERR_PRODUCER_FENCED && version < fenced_since ? KAFKA_ERR_INVALID_PRODUCER_EPOCH : error;
}

#endif
