"""Idempotent and transactional producer state over the raw protocol: the
batches are built here byte by byte (record batch v2, CRC-32C, zigzag
varints; kafka_raw.py), so every producer id, epoch and sequence is the
test's choice.

The "run" step: InitProducerId (v4 and v0) for idempotent producers;
Produce with duplicates, a sequence gap, a new epoch and a stale one;
DescribeProducers; Fetch (v11, v12) returns the batches as produced. Then a
transactional id: FindCoordinator, InitProducerId, AddPartitionsToTxn v3,
a transactional batch, EndTxn v3 abort and commit, with DescribeTransactions
and ListTransactions (v0, v1) naming Kafka's states, ListOffsets and Fetch
read_committed (last stable offset, aborted transactions, markers), and an
epoch bump that fences the old epoch. What the "check" step (after a
restart) needs is kept in $KELP_WORK; it checks that the producer and
transaction state was rebuilt.

Usage: idempotence.py run|check BOOTSTRAP
"""

import json
import os
import struct
import sys
import time

from kafka import KafkaAdminClient
from kafka.admin import NewTopic

import kafka_raw as kr

STEP, BOOTSTRAP = sys.argv[1:3]
SAVED = os.path.join(os.environ["KELP_WORK"], "idempotence.json")
TOPIC, TXN_TOPIC, TXN_ID = "idem", "idem-txn", "idem-txn-id"
PRODUCE, FETCH, LIST_OFFSETS, FIND_COORDINATOR, INIT_PRODUCER_ID = 0, 1, 2, 10, 22
ADD_PARTITIONS, END_TXN, DESCRIBE_PRODUCERS, DESCRIBE_TXNS, LIST_TXNS = 24, 26, 61, 65, 66
OUT_OF_ORDER_SEQUENCE, INVALID_PRODUCER_EPOCH, PRODUCER_FENCED, TXN_ID_NOT_FOUND = 45, 47, 90, 105
FENCED = (INVALID_PRODUCER_EPOCH, PRODUCER_FENCED)
TXN_TIMEOUT_MS = 60000
WAIT_S = 30


def check(cond, what):
    if not cond:
        print("FAIL: " + what, file=sys.stderr, flush=True)
        sys.exit(1)
    print("ok: " + what, flush=True)


def tags(flex):
    return kr.TAGS if flex else b""


# ---- requests --------------------------------------------------------

def init_producer_id(version, txn_id=None, pid=-1, epoch=-1):
    """Returns (error, producer id, epoch)."""
    flex = version >= 2
    body = kr.string(txn_id, flex) + kr.i32(TXN_TIMEOUT_MS)
    if version >= 3:
        body += kr.i64(pid) + kr.i16(epoch)
    r = kr.call(BOOTSTRAP, INIT_PRODUCER_ID, version, body + tags(flex), flex)
    r.i32()  # throttle
    out = r.i16(), r.i64(), r.i16()
    r.tags()
    r.done()
    return out


def produce(topic, partition, batch, txn_id=None, version=9):
    """Produce with acks=-1; returns (error, base offset, log start offset)."""
    flex = version >= 9
    part = kr.i32(partition) + kr.nbytes(batch, flex) + tags(flex)
    body = (kr.string(txn_id, flex) + kr.i16(-1) + kr.i32(30000)
            + kr.array([kr.string(topic, flex) + kr.array([part], flex) + tags(flex)], flex) + tags(flex))
    r = kr.call(BOOTSTRAP, PRODUCE, version, body, flex)

    def partition_response(x):
        v = (x.i32(), x.i16(), x.i64(), x.i64(), x.i64() if version >= 5 else -1)  # index, error, base, append time, start
        if version >= 8:
            x.array(lambda y: (y.i32(), y.string(), y.tags()))  # record errors
            x.string()  # error message
        x.tags()
        return v

    def topic_response(x):
        v = x.string(), x.array(partition_response)
        x.tags()
        return v

    topics = r.array(topic_response)
    r.i32()  # throttle
    r.tags()
    r.done()
    check(len(topics) == 1 and topics[0][0] == topic and len(topics[0][1]) == 1 and topics[0][1][0][0] == partition,
          "Produce v%d answers for %s [%d] only" % (version, topic, partition))
    _, error, base, _, start = topics[0][1][0]
    return error, base, start


def list_offset(topic, partition, isolation, timestamp=-1):
    """ListOffsets v5: latest (-1) is the high watermark for
    read_uncommitted (0) and the last stable offset for read_committed (1)."""
    part = kr.i32(partition) + kr.i32(-1) + kr.i64(timestamp)
    body = kr.i32(-1) + kr.i8(isolation) + kr.array([kr.string(topic, False) + kr.array([part], False)], False)
    r = kr.call(BOOTSTRAP, LIST_OFFSETS, 5, body, False)
    r.i32()
    topics = r.array(lambda x: (x.string(), x.array(lambda y: (y.i32(), y.i16(), y.i64(), y.i64(), y.i32()))))
    r.done()
    _, error, _, offset, _ = topics[0][1][0]
    check(error == 0, "ListOffsets %s [%d] isolation %d: no error (%d)" % (topic, partition, isolation, error))
    return offset


def fetch(topic, partition, offset, isolation, version=12):
    """Returns a dict: error, high_watermark, last_stable_offset,
    log_start_offset, aborted [(producer id, first offset)] or None, batches."""
    flex = version >= 12
    p = kr.i32(partition) + kr.i32(-1) + kr.i64(offset)
    if version >= 12:
        p += kr.i32(-1)  # last fetched epoch
    p += kr.i64(-1) + kr.i32(1 << 20) + tags(flex)
    body = (kr.i32(-1) + kr.i32(100) + kr.i32(0) + kr.i32(4 << 20) + kr.i8(isolation) + kr.i32(0) + kr.i32(-1)
            + kr.array([kr.string(topic, flex) + kr.array([p], flex) + tags(flex)], flex)
            + kr.array([], flex) + kr.string("", flex) + tags(flex))
    r = kr.call(BOOTSTRAP, FETCH, version, body, flex)
    r.i32()
    top_error, _ = r.i16(), r.i32()

    def aborted(x):
        v = x.i64(), x.i64()
        x.tags()
        return v

    def partition_data(x):
        v = {"partition": x.i32(), "error": x.i16(), "high_watermark": x.i64(), "last_stable_offset": x.i64(),
             "log_start_offset": x.i64(), "aborted": x.array(aborted)}
        x.i32()  # preferred read replica
        records = kr.read_nbytes(x)
        x.tags()
        v["batches"] = kr.parse_batches(records or b"")
        v["records_bytes"] = len(records or b"")
        return v

    def topic_data(x):
        v = x.string(), x.array(partition_data)
        x.tags()
        return v

    topics = r.array(topic_data)
    r.tags()
    r.done()
    check(top_error == 0 and len(topics) == 1 and len(topics[0][1]) == 1,
          "Fetch v%d %s [%d]: one partition answered (top-level error %d)" % (version, topic, partition, top_error))
    return topics[0][1][0]


def describe_producers(topic, partitions):
    """{partition: (error, [dict])}"""
    body = kr.array([kr.string(topic, True) + kr.array([kr.i32(p) for p in partitions], True) + kr.TAGS], True)
    r = kr.call(BOOTSTRAP, DESCRIBE_PRODUCERS, 0, body + kr.TAGS, True)
    r.i32()

    def producer(x):
        v = {"producer_id": x.i64(), "producer_epoch": x.i32(), "last_sequence": x.i32(),
             "last_timestamp": x.i64(), "coordinator_epoch": x.i32(), "current_txn_start_offset": x.i64()}
        x.tags()
        return v

    def partition(x):
        index, error, _ = x.i32(), x.i16(), x.string()
        active = x.array(producer)
        x.tags()
        return index, (error, active)

    def topic_response(x):
        v = x.string(), x.array(partition)
        x.tags()
        return v

    topics = r.array(topic_response)
    r.tags()
    r.done()
    check(len(topics) == 1 and topics[0][0] == topic, "DescribeProducers answers for %s" % topic)
    return dict(topics[0][1])


def find_coordinator(version, key):
    """Transaction coordinator (key type 1): [(key, error, host:port)]."""
    flex = version >= 3
    if version >= 4:
        body = kr.i8(1) + kr.array([kr.string(key, True)], True)
    else:
        body = kr.string(key, flex) + kr.i8(1)
    r = kr.call(BOOTSTRAP, FIND_COORDINATOR, version, body + tags(flex), flex)
    r.i32()
    if version >= 4:
        def coordinator(x):
            k, _, host, port, error, _ = x.string(), x.i32(), x.string(), x.i32(), x.i16(), x.string()
            x.tags()
            return k, error, "%s:%d" % (host, port)
        out = r.array(coordinator)
    else:
        error, _, _, host, port = r.i16(), r.string(), r.i32(), r.string(), r.i32()
        out = [(key, error, "%s:%d" % (host, port))]
    r.tags()
    r.done()
    return out


def describe_transactions(ids):
    """{transactional id: dict}"""
    r = kr.call(BOOTSTRAP, DESCRIBE_TXNS, 0, kr.array([kr.string(i, True) for i in ids], True) + kr.TAGS, True)
    r.i32()

    def topic(x):
        v = x.string(), x.array(lambda y: y.i32())
        x.tags()
        return v

    def state(x):
        v = {"error": x.i16(), "id": x.string(), "state": x.string(), "timeout_ms": x.i32(), "start_ms": x.i64(),
             "producer_id": x.i64(), "producer_epoch": x.i16(), "topics": dict(x.array(topic))}
        x.tags()
        return v

    states = r.array(state)
    r.tags()
    r.done()
    return {s["id"]: s for s in states}


def list_transactions(version, states=(), producer_ids=(), duration_ms=-1):
    """Returns (error, unknown state filters, {transactional id: (producer id, state)})."""
    body = kr.array([kr.string(s, True) for s in states], True) + kr.array([kr.i64(p) for p in producer_ids], True)
    if version >= 1:
        body += kr.i64(duration_ms)
    r = kr.call(BOOTSTRAP, LIST_TXNS, version, body + kr.TAGS, True)
    r.i32()
    error = r.i16()
    unknown = r.array(lambda x: x.string())

    def state(x):
        v = x.string(), (x.i64(), x.string())
        x.tags()
        return v

    txns = r.array(state)
    r.tags()
    r.done()
    return error, unknown, dict(txns)


def add_partitions(version, pid, epoch, topic, partitions):
    """AddPartitionsToTxn v0-v3; returns {partition: error}."""
    flex = version >= 3
    topics = kr.array([kr.string(topic, flex) + kr.array([kr.i32(p) for p in partitions], flex) + tags(flex)], flex)
    body = kr.string(TXN_ID, flex) + kr.i64(pid) + kr.i16(epoch) + topics + tags(flex)
    r = kr.call(BOOTSTRAP, ADD_PARTITIONS, version, body, flex)
    r.i32()

    results = r.topic_partition_errors()
    r.tags()
    r.done()
    check(len(results) == 1 and results[0][0] == topic, "AddPartitionsToTxn v%d answers for %s" % (version, topic))
    return dict(results[0][1])


def end_txn(version, pid, epoch, commit):
    flex = version >= 3
    body = kr.string(TXN_ID, flex) + kr.i64(pid) + kr.i16(epoch) + kr.i8(1 if commit else 0) + tags(flex)
    r = kr.call(BOOTSTRAP, END_TXN, version, body, flex)
    r.i32()
    error = r.i16()
    r.tags()
    r.done()
    return error


# ---- checks ----------------------------------------------------------

def now_ms():
    return int(time.time() * 1000)


def batch(pid, epoch, seq, count, tag, attributes=0):
    """count records "tag-n"; timestamps a minute back, one apart."""
    records = [(("%s-%d" % (tag, n)).encode(), ("value %s %d" % (tag, n)).encode(), [(b"h", tag.encode())])
               for n in range(count)]
    return kr.record_batch(records, now_ms() - 60000, pid, epoch, seq, attributes)


def max_timestamp(b):
    return struct.unpack(">q", b[35:43])[0]


def same_batch(got, sent):
    """Equal but for the base offset and partition leader epoch (not under the CRC)."""
    return len(got) == len(sent) and got[8:12] == sent[8:12] and got[16:] == sent[16:]


def check_log(topic, partition, expected, what):
    """expected: [(base offset, batch bytes)] is the whole log from the first one."""
    for version in (11, 12):
        f = fetch(topic, partition, expected[0][0], 0, version)
        got = f["batches"]
        check(f["error"] == 0 and [b["base_offset"] for b in got] == [o for o, _ in expected],
              "%s: Fetch v%d returns the batches at offsets %s (got %s, error %d)"
              % (what, version, [o for o, _ in expected], [b["base_offset"] for b in got], f["error"]))
        check(all(same_batch(g["raw"], s) and g["crc_ok"] for g, (_, s) in zip(got, expected)),
              "%s: Fetch v%d returns each batch byte for byte as produced" % (what, version))
        end = expected[-1][0] + kr.parse_batches(expected[-1][1])[0]["count"]
        check(f["high_watermark"] == end and f["last_stable_offset"] == end,
              "%s: high watermark and last stable offset %d (got %d, %d)"
              % (what, end, f["high_watermark"], f["last_stable_offset"]))


def idempotent_run():
    e4, p, ep = init_producer_id(4)
    check(e4 == 0 and p >= 0 and ep == 0, "InitProducerId v4 (no transactional id): producer id %d >= 0, epoch 0 (got %d, error %d)" % (p, ep, e4))
    e0, q, eq = init_producer_id(0)
    check(e0 == 0 and q >= 0 and eq == 0, "InitProducerId v0: producer id %d >= 0, epoch 0 (got %d, error %d)" % (q, eq, e0))
    check(p != q, "two InitProducerId calls give two producer ids (%d, %d)" % (p, q))

    a = batch(p, 0, 0, 3, "a")
    err, base, _ = produce(TOPIC, 0, a)
    check(err == 0 and base >= 0, "batch a (sequence 0..2) stored at %d (error %d)" % (base, err))
    end = list_offset(TOPIC, 0, 0)
    check(end == base + 3, "log end offset %d after batch a (got %d)" % (base + 3, end))

    err, again, _ = produce(TOPIC, 0, a)
    check(err == 0 and again == base, "batch a sent again: no error and its first offset %d (got %d, error %d)" % (base, again, err))
    check(list_offset(TOPIC, 0, 0) == base + 3, "the duplicate did not grow the log")

    err, _, _ = produce(TOPIC, 0, batch(p, 0, 5, 1, "gap"))
    check(err == OUT_OF_ORDER_SEQUENCE, "sequence 5 where 3 is next: OUT_OF_ORDER_SEQUENCE_NUMBER (got %d)" % err)
    c = batch(p, 0, 3, 2, "c")
    err, c_base, _ = produce(TOPIC, 0, c)
    check(err == 0 and c_base == base + 3, "batch c (sequence 3..4) stored at %d (got %d, error %d)" % (base + 3, c_base, err))

    # A higher epoch starts again at sequence 0.
    err, _, _ = produce(TOPIC, 0, batch(p, 1, 5, 1, "new-epoch-gap"))
    check(err == OUT_OF_ORDER_SEQUENCE, "a new epoch starting at sequence 5: OUT_OF_ORDER_SEQUENCE_NUMBER (got %d)" % err)
    d = batch(p, 1, 0, 2, "d")
    err, d_base, _ = produce(TOPIC, 0, d)
    check(err == 0 and d_base == base + 5, "batch d (epoch 1, sequence 0..1) stored at %d (got %d, error %d)" % (base + 5, d_base, err))
    err, _, _ = produce(TOPIC, 0, batch(p, 0, 5, 1, "stale"))
    check(err == INVALID_PRODUCER_EPOCH, "epoch 0 after epoch 1: INVALID_PRODUCER_EPOCH (got %d)" % err)
    check(list_offset(TOPIC, 0, 0) == base + 7, "the refused batches stored nothing (log end %d)" % (base + 7))

    qb = batch(q, 0, 0, 1, "q")
    err, q_base, _ = produce(TOPIC, 1, qb, version=3)
    check(err == 0, "the other producer's batch stored in partition 1 with Produce v3 (error %d)" % err)

    described = describe_producers(TOPIC, [0, 1])
    check(sorted(described) == [0, 1] and described[0][0] == 0 and described[1][0] == 0,
          "DescribeProducers: partitions 0 and 1 without error")
    want = {"producer_id": p, "producer_epoch": 1, "last_sequence": 1, "last_timestamp": max_timestamp(d),
            "coordinator_epoch": -1, "current_txn_start_offset": -1}
    check(described[0][1] == [want], "DescribeProducers [0]: %s (got %s)" % (want, described[0][1]))
    check([s["producer_id"] for s in described[1][1]] == [q] and described[1][1][0]["last_sequence"] == 0,
          "DescribeProducers [1]: producer %d, last sequence 0 (got %s)" % (q, described[1][1]))

    check_log(TOPIC, 0, [(base, a), (c_base, c), (d_base, d)], "idempotent batches")
    return {"p": p, "q": q, "a": [base, a.hex()], "c": [c_base, c.hex()], "d": [d_base, d.hex()]}


def idempotent_check(saved):
    p = saved["p"]
    log = [(saved[k][0], bytes.fromhex(saved[k][1])) for k in ("a", "c", "d")]
    d_base, d = log[-1]
    end = d_base + 2
    check(list_offset(TOPIC, 0, 0) == end, "after the restart the log ends at %d" % end)
    err, again, _ = produce(TOPIC, 0, d)
    check(err == 0 and again == d_base,
          "after the restart, the last batch sent again is a duplicate at %d (got %d, error %d)" % (d_base, again, err))
    check(list_offset(TOPIC, 0, 0) == end, "the duplicate did not grow the log")
    err, _, _ = produce(TOPIC, 0, batch(p, 1, 3, 1, "gap-after-restart"))
    check(err == OUT_OF_ORDER_SEQUENCE, "after the restart a gap is OUT_OF_ORDER_SEQUENCE_NUMBER (got %d)" % err)
    err, _, _ = produce(TOPIC, 0, batch(p, 0, 7, 1, "stale-after-restart"))
    check(err == INVALID_PRODUCER_EPOCH, "after the restart epoch 0 is INVALID_PRODUCER_EPOCH (got %d)" % err)
    e = batch(p, 1, 2, 1, "e")
    err, e_base, _ = produce(TOPIC, 0, e)
    check(err == 0 and e_base == end, "after the restart the next sequence (2) is stored at %d (got %d, error %d)" % (end, e_base, err))
    described = describe_producers(TOPIC, [0, 1])
    got = described[0][1]
    check(described[0][0] == 0 and [(s["producer_id"], s["producer_epoch"], s["last_sequence"]) for s in got] == [(p, 1, 2)],
          "DescribeProducers [0] after the restart: producer %d, epoch 1, last sequence 2 (got %s)" % (p, got))
    check([s["producer_id"] for s in described[1][1]] == [saved["q"]],
          "DescribeProducers [1] after the restart: producer %d (got %s)" % (saved["q"], described[1][1]))
    check_log(TOPIC, 0, log + [(e_base, e)], "idempotent batches after the restart")


def wait_state(want, passing):
    """The coordinator may still be writing markers: Prepare* until Complete*."""
    deadline = time.monotonic() + WAIT_S
    while True:
        s = describe_transactions([TXN_ID])[TXN_ID]
        if s["state"] == want or s["state"] not in passing or time.monotonic() > deadline:
            return s
        time.sleep(0.1)


def marker(b):
    """A control batch's (type, coordinator epoch); type 0 aborts, 1 commits."""
    check(b["attributes"] & (kr.ATTR_CONTROL | kr.ATTR_TRANSACTIONAL) == kr.ATTR_CONTROL | kr.ATTR_TRANSACTIONAL
          and b["count"] == 1 and b["crc_ok"], "the batch at %d is a transaction marker" % b["base_offset"])
    _, key, value = b["records"][0]
    version, kind = struct.unpack(">hh", key)
    value_version, coordinator_epoch = struct.unpack(">hi", value)
    check(version == 0 and value_version == 0, "marker key and value version 0 (got %d, %d)" % (version, value_version))
    return kind, coordinator_epoch


def marker_type(b):
    return marker(b)[0]


def transaction_run():
    for version in (1, 3, 4):
        got = find_coordinator(version, TXN_ID)
        check(got == [(TXN_ID, 0, BOOTSTRAP)], "FindCoordinator v%d for a transactional id: this broker (got %s)" % (version, got))

    err, t, epoch = init_producer_id(4, TXN_ID)
    check(err == 0 and t >= 0, "InitProducerId v4 for %s: producer id %d (error %d), epoch %d" % (TXN_ID, t, err, epoch))
    described = describe_transactions([TXN_ID, "no-such-transactional-id"])
    s = described[TXN_ID]
    check(s["error"] == 0 and s["state"] == "Empty" and s["producer_id"] == t and s["producer_epoch"] == epoch
          and s["timeout_ms"] == TXN_TIMEOUT_MS and s["topics"] == {},
          "DescribeTransactions: Empty, producer %d epoch %d, timeout %d, no partitions (got %s)" % (t, epoch, TXN_TIMEOUT_MS, s))
    check(described["no-such-transactional-id"]["error"] == TXN_ID_NOT_FOUND,
          "DescribeTransactions of an unknown id: TRANSACTIONAL_ID_NOT_FOUND (got %d)" % described["no-such-transactional-id"]["error"])
    err, unknown, txns = list_transactions(0)
    check(err == 0 and unknown == [] and txns.get(TXN_ID) == (t, "Empty"), "ListTransactions v0: %s Empty (got %s)" % (TXN_ID, txns))
    err, unknown, txns = list_transactions(1, states=["Ongoing", "Bogus"])
    check(err == 0 and unknown == ["Bogus"] and TXN_ID not in txns,
          "ListTransactions v1 for Ongoing and Bogus: Bogus unknown, %s not listed (got %s, %s)" % (TXN_ID, unknown, txns))
    err, _, txns = list_transactions(1, producer_ids=[t], duration_ms=-1)
    check(err == 0 and list(txns) == [TXN_ID], "ListTransactions v1 by producer id %d: %s only (got %s)" % (t, TXN_ID, txns))

    errors = add_partitions(3, t, epoch, TXN_TOPIC, [0])
    check(errors == {0: 0}, "AddPartitionsToTxn v3: %s [0] added (got %s)" % (TXN_TOPIC, errors))
    s = describe_transactions([TXN_ID])[TXN_ID]
    check(s["state"] == "Ongoing" and s["topics"] == {TXN_TOPIC: [0]} and s["start_ms"] > 0,
          "DescribeTransactions: Ongoing with %s [0], a start time (got %s)" % (TXN_TOPIC, s))
    _, _, txns = list_transactions(1, states=["Ongoing"])
    check(txns.get(TXN_ID) == (t, "Ongoing"), "ListTransactions v1 for Ongoing lists %s (got %s)" % (TXN_ID, txns))

    x1 = batch(t, epoch, 0, 2, "x1", kr.ATTR_TRANSACTIONAL)
    err, x, _ = produce(TXN_TOPIC, 0, x1, TXN_ID)
    check(err == 0 and x >= 0, "a transactional batch stored at %d (error %d)" % (x, err))
    check(list_offset(TXN_TOPIC, 0, 1) == x and list_offset(TXN_TOPIC, 0, 0) == x + 2,
          "ListOffsets: last stable offset %d (the open transaction), high watermark %d" % (x, x + 2))
    f = fetch(TXN_TOPIC, 0, 0, 1)
    check(f["last_stable_offset"] == x and f["high_watermark"] == x + 2 and all(b["base_offset"] < x for b in f["batches"]),
          "Fetch read_committed: last stable offset %d, high watermark %d, nothing at or past the open transaction (got %d, %d, %s)"
          % (x, x + 2, f["last_stable_offset"], f["high_watermark"], [b["base_offset"] for b in f["batches"]]))
    producers = describe_producers(TXN_TOPIC, [0])[0][1]
    check([(s["producer_id"], s["producer_epoch"], s["last_sequence"], s["current_txn_start_offset"]) for s in producers]
          == [(t, epoch, 1, x)], "DescribeProducers: producer %d with its transaction open at %d (got %s)" % (t, x, producers))

    err = end_txn(3, t, epoch, False)
    check(err == 0, "EndTxn v3 abort (error %d)" % err)
    s = wait_state("CompleteAbort", ("Ongoing", "PrepareAbort"))
    check(s["state"] == "CompleteAbort" and s["topics"] == {}, "DescribeTransactions: CompleteAbort (got %s)" % s)
    f = fetch(TXN_TOPIC, 0, x, 1)
    check(f["last_stable_offset"] == x + 3 and f["high_watermark"] == x + 3,
          "after the abort: last stable offset and high watermark %d, past the marker (got %d, %d)"
          % (x + 3, f["last_stable_offset"], f["high_watermark"]))
    check(f["aborted"] == [(t, x)], "Fetch read_committed lists the aborted transaction (%d, %d) (got %s)" % (t, x, f["aborted"]))
    check([b["base_offset"] for b in f["batches"]] == [x, x + 2] and same_batch(f["batches"][0]["raw"], x1)
          and marker_type(f["batches"][1]) == 0, "the aborted batch as produced, then an ABORT marker at %d" % (x + 2))
    producers = describe_producers(TXN_TOPIC, [0])[0][1]
    check(len(producers) == 1 and producers[0]["current_txn_start_offset"] == -1,
          "DescribeProducers after the abort: no open transaction (got %s)" % producers)
    # As in Kafka, the producer's state takes the coordinator epoch of its last marker.
    coordinator_epoch = marker(f["batches"][1])[1]
    check(producers[0]["coordinator_epoch"] == coordinator_epoch,
          "DescribeProducers after the abort: coordinator epoch %d, the marker's (got %d)"
          % (coordinator_epoch, producers[0]["coordinator_epoch"]))

    # The next transaction: same epoch, sequence goes on.
    check(add_partitions(3, t, epoch, TXN_TOPIC, [0]) == {0: 0}, "AddPartitionsToTxn v3 for a second transaction")
    x2 = batch(t, epoch, 2, 1, "x2", kr.ATTR_TRANSACTIONAL)
    err, x2_base, _ = produce(TXN_TOPIC, 0, x2, TXN_ID)
    check(err == 0 and x2_base == x + 3, "the second transaction's batch stored at %d (got %d, error %d)" % (x + 3, x2_base, err))
    err = end_txn(3, t, epoch, True)
    check(err == 0, "EndTxn v3 commit (error %d)" % err)
    s = wait_state("CompleteCommit", ("Ongoing", "PrepareCommit"))
    check(s["state"] == "CompleteCommit", "DescribeTransactions: CompleteCommit (got %s)" % s["state"])
    _, _, txns = list_transactions(1, states=["CompleteCommit"])
    check(txns.get(TXN_ID) == (t, "CompleteCommit"), "ListTransactions v1 for CompleteCommit lists %s (got %s)" % (TXN_ID, txns))
    check_txn_log(t, x, x1, x2, "after the commit")

    # A new InitProducerId for the id bumps the epoch: the old one is fenced.
    err, t2, epoch2 = init_producer_id(4, TXN_ID)
    check(err == 0 and t2 == t and epoch2 == epoch + 1,
          "InitProducerId again: producer %d, epoch %d (got %d, %d, error %d)" % (t, epoch + 1, t2, epoch2, err))
    s = describe_transactions([TXN_ID])[TXN_ID]
    check(s["state"] == "Empty" and s["producer_epoch"] == epoch2, "DescribeTransactions: Empty at epoch %d (got %s)" % (epoch2, s))
    check_fenced(t, epoch)
    return {"t": t, "epoch": epoch2, "x": x, "x1": x1.hex(), "x2": x2.hex()}


def check_fenced(t, old_epoch):
    err = end_txn(3, t, old_epoch, True)
    check(err in FENCED, "EndTxn v3 with the old epoch: PRODUCER_FENCED or INVALID_PRODUCER_EPOCH (got %d)" % err)
    # librdkafka 2.0.2 sends v0.
    errors = add_partitions(0, t, old_epoch, TXN_TOPIC, [0])
    check(errors[0] in FENCED, "AddPartitionsToTxn v0 with the old epoch: fenced (got %s)" % errors)


def check_txn_log(t, x, x1, x2, what):
    f = fetch(TXN_TOPIC, 0, x, 1)
    end = x + 5
    check(f["last_stable_offset"] == end and f["high_watermark"] == end,
          "%s: last stable offset and high watermark %d (got %d, %d)" % (what, end, f["last_stable_offset"], f["high_watermark"]))
    check(f["aborted"] == [(t, x)], "%s: Fetch read_committed lists only the aborted transaction (got %s)" % (what, f["aborted"]))
    got = f["batches"]
    check([b["base_offset"] for b in got] == [x, x + 2, x + 3, x + 4] and same_batch(got[0]["raw"], x1)
          and same_batch(got[2]["raw"], x2) and marker_type(got[1]) == 0 and marker_type(got[3]) == 1,
          "%s: aborted batch, ABORT marker, committed batch, COMMIT marker (got %s)" % (what, [b["base_offset"] for b in got]))
    f = fetch(TXN_TOPIC, 0, x + 3, 1)
    check(not f["aborted"], "%s: a read_committed Fetch past the aborted transaction lists none (got %s)" % (what, f["aborted"]))


def transaction_check(saved):
    t, epoch, x = saved["t"], saved["epoch"], saved["x"]
    s = describe_transactions([TXN_ID])[TXN_ID]
    check(s["error"] == 0 and s["state"] == "Empty" and s["producer_id"] == t and s["producer_epoch"] == epoch,
          "after the restart DescribeTransactions: Empty, producer %d epoch %d (got %s)" % (t, epoch, s))
    _, _, txns = list_transactions(0)
    check(txns.get(TXN_ID) == (t, "Empty"), "after the restart ListTransactions lists %s Empty (got %s)" % (TXN_ID, txns))
    check(find_coordinator(4, TXN_ID) == [(TXN_ID, 0, BOOTSTRAP)], "after the restart FindCoordinator: this broker")
    check_txn_log(t, x, bytes.fromhex(saved["x1"]), bytes.fromhex(saved["x2"]), "after the restart")
    check_fenced(t, epoch - 1)
    # The new epoch works: it starts again at sequence 0.
    check(add_partitions(3, t, epoch, TXN_TOPIC, [0]) == {0: 0}, "after the restart AddPartitionsToTxn with the new epoch")
    x3 = batch(t, epoch, 0, 1, "x3", kr.ATTR_TRANSACTIONAL)
    err, x3_base, _ = produce(TXN_TOPIC, 0, x3, TXN_ID)
    check(err == 0 and x3_base == x + 5, "after the restart a transactional batch at %d (got %d, error %d)" % (x + 5, x3_base, err))
    check(end_txn(3, t, epoch, True) == 0, "after the restart EndTxn v3 commit")
    s = wait_state("CompleteCommit", ("Ongoing", "PrepareCommit"))
    check(s["state"] == "CompleteCommit", "after the restart DescribeTransactions: CompleteCommit (got %s)" % s["state"])
    f = fetch(TXN_TOPIC, 0, x + 5, 1)
    check([b["base_offset"] for b in f["batches"]] == [x + 5, x + 6] and marker_type(f["batches"][1]) == 1
          and f["last_stable_offset"] == x + 7, "after the restart the committed batch and its COMMIT marker")


def create_topics():
    admin = KafkaAdminClient(bootstrap_servers=BOOTSTRAP, client_id="kelp-idempotence")
    admin.create_topics([NewTopic(TOPIC, 2, 1), NewTopic(TXN_TOPIC, 1, 1)], timeout_ms=30000)
    admin.close()


if STEP == "run":
    create_topics()
    saved = {"idempotent": idempotent_run(), "transactional": transaction_run()}
    with open(SAVED, "w") as out:
        json.dump(saved, out)
elif STEP == "check":
    with open(SAVED) as inp:
        saved = json.load(inp)
    idempotent_check(saved["idempotent"])
    transaction_check(saved["transactional"])
else:
    sys.exit("usage: idempotence.py run|check BOOTSTRAP")
