"""Transactions v2 (KIP-890 part 2) over the raw protocol, as a Kafka 4.x
client speaks it: no AddPartitionsToTxn and no AddOffsetsToTxn. Produce
v12 adds a transactional batch's partition to the transaction (beginning
one), TxnOffsetCommit v5 adds the group, and every EndTxn v5 bumps the
producer epoch and answers it; the markers carry the new epoch and the old
one is fenced. Versions up to Produce v11 and TxnOffsetCommit v4 still need
the explicit calls.

Steps (t/integration/txn_v2.sh runs them with restarts between):
  first     ApiVersions; a committed transaction (two partitions and a
            group's offset), its retries, read_committed and the offset;
            zombies; the next transaction begun, then kelpd is killed
  second    that transaction recovered, continued and aborted; retries and
            zombies; a third begun by TxnOffsetCommit v5, then a clean restart
  third     the third recovered and committed; a fourth that a new producer
            fences (InitProducerId), whose zombie stays fenced
  exhaust   (kelpd stopped) the id's state set to the last usable epoch
  overflow  EndTxn v5 there: the answer carries a new producer id at epoch 0

Usage: txn_v2.py STEP BOOTSTRAP (exhaust: txn_v2.py exhaust DATA_DIR)
"""

import glob
import json
import os
import socket
import struct
import sys
import time

import kafka_raw as kr

STEP = sys.argv[1]
BOOTSTRAP = sys.argv[2] if len(sys.argv) > 2 else None
SAVED = os.path.join(os.environ["KELP_WORK"], "txn_v2.json")
TOPIC, GROUP, TXN_ID = "tv2", "tv2-group", "tv2-id"
PRODUCE, FETCH, OFFSET_FETCH, INIT_PRODUCER_ID, ADD_PARTITIONS = 0, 1, 9, 22, 24
END_TXN, TXN_OFFSET_COMMIT, CREATE_TOPICS, DESCRIBE_TXNS = 26, 28, 19, 65
NOT_ENOUGH_REPLICAS, INVALID_PRODUCER_EPOCH, INVALID_TXN_STATE = 19, 47, 48
INVALID_PRODUCER_ID_MAPPING, CONCURRENT_TRANSACTIONS, PRODUCER_FENCED = 49, 51, 90
FENCED = (INVALID_PRODUCER_EPOCH, PRODUCER_FENCED)
RETRIABLE = (NOT_ENOUGH_REPLICAS, CONCURRENT_TRANSACTIONS)
TXN_TIMEOUT_MS = 60000
WAIT_S = 30


def check(cond, what):
    if not cond:
        print("FAIL: " + what, file=sys.stderr, flush=True)
        sys.exit(1)
    print("ok: " + what, flush=True)


def retrying(fn, *args):
    """Calls fn until its error (first of the result, or the result) is not
    a retriable one; a change being written answers CONCURRENT_TRANSACTIONS."""
    deadline = time.monotonic() + WAIT_S
    while True:
        out = fn(*args)
        err = out[0] if isinstance(out, tuple) else out
        if err not in RETRIABLE or time.monotonic() > deadline:
            return out
        time.sleep(0.1)


# ---- requests (all flexible versions) ---------------------------------

def api_features(version):
    """ApiVersions v3+: (supported {name: (min, max)}, finalized epoch,
    finalized {name: (min level, max level)}), from the tagged fields."""
    header = struct.pack(">hhi", 18, version, 9) + kr.string("kelp-raw-test", False) + kr.TAGS
    frame = header + kr.string("kelp-txn-v2", True) + kr.string("1.0", True) + kr.TAGS
    host, port = BOOTSTRAP.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(kr.i32(len(frame)) + frame)
        resp = kr.recv_exact(sock, struct.unpack(">i", kr.recv_exact(sock, 4))[0])
    r = kr.Reader(resp, True)
    check(r.i32() == 9, "ApiVersions v%d: the correlation id" % version)  # response header v0: no tags
    err = r.i16()
    r.array(lambda x: (x.i16(), x.i16(), x.i16(), x.tags()))
    r.i32()
    supported, epoch, finalized = {}, -1, {}
    for _ in range(r.uvarint()):
        tag, size = r.uvarint(), r.uvarint()
        field = kr.Reader(r.take(size), True)
        if tag == 0:
            supported = dict(field.array(lambda x: (x.string(), (x.i16(), x.i16(), x.tags())[:2])))
        elif tag == 1:
            epoch = field.i64()
        elif tag == 2:
            # FinalizedFeatureKey: name, max level, min level
            finalized = dict(field.array(lambda x: (x.string(), (x.i16(), x.i16(), x.tags())[1::-1])))
    r.done()
    check(err == 0, "ApiVersions v%d: no error (%d)" % (version, err))
    return supported, epoch, finalized


def create_topic(name, partitions):
    t = (kr.string(name, True) + kr.i32(partitions) + kr.i16(1) + kr.array([], True) + kr.array([], True)
         + kr.TAGS)
    r = kr.call(BOOTSTRAP, CREATE_TOPICS, 5, kr.array([t], True) + kr.i32(30000) + kr.i8(0) + kr.TAGS, True)
    r.i32()

    def result(x):
        name, err, _ = x.string(), x.i16(), x.string()
        x.i32(), x.i16()
        x.array(lambda c: (c.string(), c.string(), c.i8(), c.i8(), c.i8(), c.tags()))
        x.tags()
        return name, err

    got = r.array(result)
    r.tags()
    r.done()
    check(got == [(name, 0)], "CreateTopics %s with %d partitions (got %s)" % (name, partitions, got))


def init_producer_id(pid=-1, epoch=-1):
    """InitProducerId v5: (error, producer id, epoch)."""
    body = kr.string(TXN_ID, True) + kr.i32(TXN_TIMEOUT_MS) + kr.i64(pid) + kr.i16(epoch) + kr.TAGS
    r = kr.call(BOOTSTRAP, INIT_PRODUCER_ID, 5, body, True)
    r.i32()
    out = r.i16(), r.i64(), r.i16()
    r.tags()
    r.done()
    return out


def produce(partition, batch, version=12):
    """acks=-1; (error, base offset)."""
    part = kr.i32(partition) + kr.nbytes(batch, True) + kr.TAGS
    body = (kr.string(TXN_ID, True) + kr.i16(-1) + kr.i32(30000)
            + kr.array([kr.string(TOPIC, True) + kr.array([part], True) + kr.TAGS], True) + kr.TAGS)
    r = kr.call(BOOTSTRAP, PRODUCE, version, body, True)

    def partition_response(x):
        v = x.i32(), x.i16(), x.i64()
        x.i64(), x.i64()
        x.array(lambda y: (y.i32(), y.string(), y.tags()))
        x.string()
        x.tags()
        return v

    def topic_response(x):
        v = x.string(), x.array(partition_response)
        x.tags()
        return v

    topics = r.array(topic_response)
    r.i32()
    r.tags()
    r.done()
    check(len(topics) == 1 and len(topics[0][1]) == 1 and topics[0][1][0][0] == partition,
          "Produce v%d answers for %s [%d]" % (version, TOPIC, partition))
    return topics[0][1][0][1:]


def end_txn(pid, epoch, commit, version=5):
    """(error, producer id, epoch); the last two are -1 before v5."""
    body = kr.string(TXN_ID, True) + kr.i64(pid) + kr.i16(epoch) + kr.i8(1 if commit else 0) + kr.TAGS
    r = kr.call(BOOTSTRAP, END_TXN, version, body, True)
    r.i32()
    err = r.i16()
    out = (err, r.i64(), r.i16()) if version >= 5 else (err, -1, -1)
    r.tags()
    r.done()
    return out


def txn_offset_commit(pid, epoch, offsets, version=5, group=GROUP):
    """offsets {partition: offset} of TOPIC; returns {partition: error}."""
    parts = [kr.i32(p) + kr.i64(o) + kr.i32(-1) + kr.string("tv2 meta", True) + kr.TAGS for p, o in offsets.items()]
    body = (kr.string(TXN_ID, True) + kr.string(group, True) + kr.i64(pid) + kr.i16(epoch) + kr.i32(-1)
            + kr.string("", True) + kr.string(None, True)
            + kr.array([kr.string(TOPIC, True) + kr.array(parts, True) + kr.TAGS], True) + kr.TAGS)
    r = kr.call(BOOTSTRAP, TXN_OFFSET_COMMIT, version, body, True)
    r.i32()

    topics = r.topic_partition_errors()
    r.tags()
    r.done()
    return dict(topics[0][1])


def committed_offsets(partitions, group=GROUP):
    """OffsetFetch v7, require_stable: {partition: (offset, metadata, error)}."""
    body = (kr.string(group, True) + kr.array([kr.string(TOPIC, True) + kr.array([kr.i32(p) for p in partitions], True)
                                               + kr.TAGS], True) + kr.i8(1) + kr.TAGS)
    r = kr.call(BOOTSTRAP, OFFSET_FETCH, 7, body, True)
    r.i32()

    def partition(x):
        index, offset, _, metadata, err = x.i32(), x.i64(), x.i32(), x.string(), x.i16()
        x.tags()
        return index, (offset, metadata, err)

    def topic(x):
        v = x.string(), x.array(partition)
        x.tags()
        return v

    topics = r.array(topic)
    err = r.i16()
    r.tags()
    r.done()
    check(err == 0, "OffsetFetch v7 for %s: no error (%d)" % (group, err))
    return dict(topics[0][1])


def add_partitions(pid, epoch, partitions):
    """AddPartitionsToTxn v3: {partition: error}."""
    topics = kr.array([kr.string(TOPIC, True) + kr.array([kr.i32(p) for p in partitions], True) + kr.TAGS], True)
    r = kr.call(BOOTSTRAP, ADD_PARTITIONS, 3, kr.string(TXN_ID, True) + kr.i64(pid) + kr.i16(epoch) + topics + kr.TAGS,
                True)
    r.i32()

    results = r.topic_partition_errors()
    r.tags()
    r.done()
    return dict(results[0][1])


def describe():
    r = kr.call(BOOTSTRAP, DESCRIBE_TXNS, 0, kr.array([kr.string(TXN_ID, True)], True) + kr.TAGS, True)
    r.i32()

    def topic(x):
        v = x.string(), sorted(x.array(lambda y: y.i32()))
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
    return states[0]


def wait_state(want):
    deadline = time.monotonic() + WAIT_S
    while True:
        s = describe()
        if s["state"] == want or time.monotonic() > deadline:
            return s
        time.sleep(0.1)


def fetch(partition, offset, isolation):
    p = kr.i32(partition) + kr.i32(-1) + kr.i64(offset) + kr.i32(-1) + kr.i64(-1) + kr.i32(1 << 20) + kr.TAGS
    body = (kr.i32(-1) + kr.i32(100) + kr.i32(0) + kr.i32(4 << 20) + kr.i8(isolation) + kr.i32(0) + kr.i32(-1)
            + kr.array([kr.string(TOPIC, True) + kr.array([p], True) + kr.TAGS], True)
            + kr.array([], True) + kr.string("", True) + kr.TAGS)
    r = kr.call(BOOTSTRAP, FETCH, 12, body, True)
    r.i32()
    top_error, _ = r.i16(), r.i32()

    def aborted(x):
        v = x.i64(), x.i64()
        x.tags()
        return v

    def partition_data(x):
        v = {"error": x.i16(), "high_watermark": x.i64(), "last_stable_offset": x.i64(),
             "log_start_offset": x.i64(), "aborted": x.array(aborted)}
        x.i32()
        v["batches"] = kr.parse_batches(kr.read_nbytes(x) or b"")
        x.tags()
        return v

    def topic_data(x):
        v = x.string(), x.array(lambda y: (y.i32(), partition_data(y)))
        x.tags()
        return v

    topics = r.array(topic_data)
    r.tags()
    r.done()
    check(top_error == 0 and len(topics[0][1]) == 1, "Fetch v12 %s [%d] answered" % (TOPIC, partition))
    return topics[0][1][0][1]


# ---- helpers ----------------------------------------------------------

def batch(pid, epoch, seq, count, tag):
    records = [(("%s-%d" % (tag, n)).encode(), ("value %s %d" % (tag, n)).encode(), []) for n in range(count)]
    return kr.record_batch(records, int(time.time() * 1000) - 1000, pid, epoch, seq, kr.ATTR_TRANSACTIONAL)


def marker(b):
    """(type, producer id, epoch) of a control batch; type 0 aborts, 1 commits."""
    check(b["attributes"] & kr.ATTR_CONTROL and b["attributes"] & kr.ATTR_TRANSACTIONAL and b["count"] == 1,
          "the batch at %d is a transaction marker" % b["base_offset"])
    _, kind = struct.unpack(">hh", b["records"][0][1])
    return kind, b["producer_id"], b["producer_epoch"]


def data_batches(f):
    return [b for b in f["batches"] if not b["attributes"] & kr.ATTR_CONTROL]


def load():
    with open(SAVED) as f:
        return json.load(f)


def save(s):
    with open(SAVED, "w") as f:
        json.dump(s, f)


def check_v1_rules(pid, epoch):
    """Produce v11 and TxnOffsetCommit v4 keep needing AddPartitionsToTxn and
    AddOffsetsToTxn: nothing joins implicitly and nothing is written."""
    err, _ = produce(1, batch(pid, epoch, 0, 1, "v11"), version=11)
    check(err == INVALID_TXN_STATE, "Produce v11 to a partition not in the transaction: INVALID_TXN_STATE (got %d)" % err)
    got = txn_offset_commit(pid, epoch, {0: 7}, version=4, group="tv2-v4-group")
    check(got == {0: INVALID_TXN_STATE}, "TxnOffsetCommit v4 without AddOffsetsToTxn: INVALID_TXN_STATE (got %s)" % got)


# ---- steps ------------------------------------------------------------

def first():
    versions = kr.api_versions(BOOTSTRAP)
    for key, name, top in ((PRODUCE, "Produce", 12), (END_TXN, "EndTxn", 5), (TXN_OFFSET_COMMIT, "TxnOffsetCommit", 5)):
        check(versions.get(key, (0, -1))[1] == top, "ApiVersions: %s up to v%d (got %s)" % (name, top, versions.get(key)))
    for version in (3, 4):
        supported, epoch, finalized = api_features(version)
        check(epoch >= 0 and finalized == {"transaction.version": (2, 2)},
              "ApiVersions v%d: transaction.version 2 finalized, epoch >= 0 (got %s, %d)" % (version, finalized, epoch))
        want = {"transaction.version": (0, 2)} if version >= 4 else {}
        check(supported == want, "ApiVersions v%d: supported features %s (got %s)" % (version, want, supported))
    create_topic(TOPIC, 2)

    err, pid, e0 = init_producer_id()
    check(err == 0 and pid >= 0 and e0 >= 0, "InitProducerId v5: producer %d epoch %d (error %d)" % (pid, e0, err))
    check_v1_rules(pid, e0)
    check(describe()["state"] == "Empty", "the v11 produce and v4 offset commit opened no transaction")

    # Transaction 1: two partitions and a group, nothing added explicitly.
    a = batch(pid, e0, 0, 3, "t1a")
    err, a_base = produce(0, a)
    check(err == 0 and a_base == 0, "Produce v12 without AddPartitionsToTxn: stored at 0 (got %d, error %d)" % (a_base, err))
    s = describe()
    check(s["state"] == "Ongoing" and s["topics"] == {TOPIC: [0]} and s["producer_epoch"] == e0,
          "DescribeTransactions: Ongoing with %s [0] (got %s)" % (TOPIC, s))
    err, again = produce(0, a)
    check(err == 0 and again == a_base, "the same batch again is a duplicate at %d (got %d, error %d)" % (a_base, again, err))
    err, b_base = produce(1, batch(pid, e0, 0, 2, "t1b"))
    check(err == 0 and b_base == 0, "Produce v12 to a second partition: stored at 0 (got %d, error %d)" % (b_base, err))
    err, c_base = produce(0, batch(pid, e0, 3, 1, "t1c"))
    check(err == 0 and c_base == 3, "Produce v12 to a partition already in: stored at 3 (got %d, error %d)" % (c_base, err))
    got = txn_offset_commit(pid, e0, {0: 42, 1: 17})
    check(got == {0: 0, 1: 0}, "TxnOffsetCommit v5 without AddOffsetsToTxn (got %s)" % got)
    s = describe()
    check(s["topics"] == {TOPIC: [0, 1]}, "DescribeTransactions: both partitions (got %s)" % s)
    pending = committed_offsets([0, 1])
    check(all(v[2] != 0 for v in pending.values()),
          "OffsetFetch require_stable while the commit is pending: an error per partition (got %s)" % pending)
    f = fetch(0, 0, 1)
    check(f["last_stable_offset"] == 0 and not f["batches"],
          "read_committed before the commit: last stable offset 0, nothing served (got %d, %d batches)"
          % (f["last_stable_offset"], len(f["batches"])))

    err, rpid, e1 = end_txn(pid, e0, True)
    check(err == 0 and rpid == pid and e1 == e0 + 1,
          "EndTxn v5 commit: producer %d with the bumped epoch %d (got %d, %d, error %d)" % (pid, e0 + 1, rpid, e1, err))
    s = describe()
    check(s["state"] == "CompleteCommit" and s["producer_epoch"] == e1 and s["topics"] == {},
          "DescribeTransactions: CompleteCommit at epoch %d (got %s)" % (e1, s))
    got = end_txn(pid, e0, True)
    check(got == (0, pid, e1), "EndTxn v5 commit retried with the old epoch: the same answer (got %s)" % (got,))
    got = end_txn(pid, e0, False)
    check(got[0] == INVALID_TXN_STATE, "EndTxn v5 abort with the old epoch after the commit: INVALID_TXN_STATE (got %s)" % (got,))
    got = end_txn(pid, e1, True)
    check(got == (INVALID_TXN_STATE, -1, -1),
          "EndTxn v5 commit with the new epoch and no transaction: INVALID_TXN_STATE, no id (got %s)" % (got,))

    for p, data, n in ((0, [a_base, c_base], 5), (1, [b_base], 3)):
        f = fetch(p, 0, 1)
        got = f["batches"]
        check(f["last_stable_offset"] == n and f["high_watermark"] == n and f["aborted"] == []
              and [b["base_offset"] for b in data_batches(f)] == data,
              "read_committed %s [%d]: the committed batches at %s, stable up to %d (got %s, lso %d)"
              % (TOPIC, p, data, n, [b["base_offset"] for b in got], f["last_stable_offset"]))
        check(marker(got[-1]) == (1, pid, e1), "%s [%d]: a COMMIT marker with the bumped epoch %d (got %s)"
              % (TOPIC, p, e1, marker(got[-1])))
    offsets = committed_offsets([0, 1])
    check(offsets == {0: (42, "tv2 meta", 0), 1: (17, "tv2 meta", 0)},
          "OffsetFetch: the transaction's offsets are committed (got %s)" % offsets)

    # An abort with nothing open (the producer cannot tell whether its
    # batches joined) is an empty abort: it bumps the epoch too.
    got = end_txn(pid, e1, False)
    check(got == (0, pid, e1 + 1), "EndTxn v5 empty abort: epoch %d (got %s)" % (e1 + 1, got))
    check(end_txn(pid, e1, False) == (0, pid, e1 + 1), "the empty abort retried: the same answer")
    s = describe()
    check(s["state"] == "CompleteAbort" and s["producer_epoch"] == e1 + 1 and s["topics"] == {},
          "DescribeTransactions: CompleteAbort at epoch %d (got %s)" % (e1 + 1, s))
    f = fetch(0, 0, 1)
    check(f["high_watermark"] == 5 and f["aborted"] == [], "the empty abort wrote no marker (high watermark %d)"
          % f["high_watermark"])
    e1 += 1

    # The zombie of transaction 1 is fenced everywhere.
    err, _ = produce(0, batch(pid, e0, 4, 1, "zombie"))
    check(err == INVALID_PRODUCER_EPOCH, "Produce v12 with the old epoch: INVALID_PRODUCER_EPOCH (got %d)" % err)
    got = txn_offset_commit(pid, e0, {0: 99})
    check(list(got.values())[0] in FENCED, "TxnOffsetCommit v5 with the old epoch: fenced (got %s)" % got)
    got = add_partitions(pid, e0, [0])
    check(got[0] in FENCED, "AddPartitionsToTxn v3 with the old epoch: fenced (got %s)" % got)
    check(describe()["state"] == "CompleteAbort", "the zombie opened no transaction")

    # Transaction 2 with the new epoch: sequences start again at 0.
    d = batch(pid, e1, 0, 2, "t2d")
    err, d_base = produce(0, d)
    check(err == 0 and d_base == 5, "transaction 2: Produce v12 with epoch %d stored at 5 (got %d, error %d)"
          % (e1, d_base, err))
    s = describe()
    check(s["state"] == "Ongoing" and s["producer_epoch"] == e1 and s["topics"] == {TOPIC: [0]},
          "transaction 2 is Ongoing at epoch %d with %s [0] only (got %s)" % (e1, TOPIC, s))
    save({"pid": pid, "e0": e0, "e1": e1, "d_base": d_base})


def second():
    v = load()
    pid, e0, e1, d_base = v["pid"], v["e0"], v["e1"], v["d_base"]
    s = describe()
    check(s["state"] == "Ongoing" and s["producer_id"] == pid and s["producer_epoch"] == e1
          and s["topics"] == {TOPIC: [0]},
          "after the crash: transaction 2 Ongoing at epoch %d with %s [0] (got %s)" % (e1, TOPIC, s))
    check_v1_rules(pid, e1)
    err, e_base = produce(0, batch(pid, e1, 2, 1, "t2e"))
    check(err == 0 and e_base == d_base + 2, "after the crash the transaction goes on: stored at %d (got %d, error %d)"
          % (d_base + 2, e_base, err))
    got = txn_offset_commit(pid, e1, {0: 1000})
    check(got == {0: 0}, "TxnOffsetCommit v5 in transaction 2 (got %s)" % got)
    err, rpid, e2 = end_txn(pid, e1, False)
    check(err == 0 and rpid == pid and e2 == e1 + 1,
          "EndTxn v5 abort: producer %d epoch %d (got %d, %d, error %d)" % (pid, e1 + 1, rpid, e2, err))
    check(describe()["state"] == "CompleteAbort", "DescribeTransactions: CompleteAbort")
    check(end_txn(pid, e1, False) == (0, pid, e2), "EndTxn v5 abort retried: the same answer")
    got = end_txn(pid, e1, True)
    check(got[0] == INVALID_TXN_STATE, "EndTxn v5 commit at the aborted one's epoch: INVALID_TXN_STATE (got %s)" % (got,))
    got = end_txn(pid, e0, False)
    check(got[0] == PRODUCER_FENCED, "EndTxn v5 two epochs back: PRODUCER_FENCED (got %s)" % (got,))
    f = fetch(0, d_base, 1)
    check(f["aborted"] == [(pid, d_base)] and f["last_stable_offset"] == d_base + 4,
          "read_committed lists the aborted transaction (%d, %d), stable up to %d (got %s, %d)"
          % (pid, d_base, d_base + 4, f["aborted"], f["last_stable_offset"]))
    check(marker(f["batches"][-1]) == (0, pid, e2), "an ABORT marker with the bumped epoch %d (got %s)"
          % (e2, marker(f["batches"][-1])))
    check(committed_offsets([0])[0][0] == 42, "the aborted transaction's offset is dropped: still 42")
    err, _ = produce(0, batch(pid, e1, 3, 1, "zombie2"))
    check(err == INVALID_PRODUCER_EPOCH, "Produce v12 with the aborted transaction's epoch: INVALID_PRODUCER_EPOCH (got %d)" % err)

    # Transaction 3 begins with its offsets, then a batch.
    got = txn_offset_commit(pid, e2, {0: 77, 1: 78})
    check(got == {0: 0, 1: 0}, "transaction 3 begins with TxnOffsetCommit v5 (got %s)" % got)
    s = describe()
    check(s["state"] == "Ongoing" and s["topics"] == {}, "transaction 3 Ongoing with no partition yet (got %s)" % s)
    err, g_base = produce(1, batch(pid, e2, 0, 1, "t3g"))
    check(err == 0 and g_base == 3, "transaction 3: Produce v12 to %s [1] stored at 3 (got %d, error %d)" % (TOPIC, g_base, err))
    v.update({"e2": e2, "g_base": g_base})
    save(v)


def third():
    v = load()
    pid, e2, g_base = v["pid"], v["e2"], v["g_base"]
    s = describe()
    check(s["state"] == "Ongoing" and s["producer_epoch"] == e2 and s["topics"] == {TOPIC: [1]},
          "after the restart: transaction 3 Ongoing with %s [1] (got %s)" % (TOPIC, s))
    err, rpid, e3 = end_txn(pid, e2, True)
    check(err == 0 and rpid == pid and e3 == e2 + 1, "EndTxn v5 commit of transaction 3: epoch %d (got %d, %d, error %d)"
          % (e2 + 1, rpid, e3, err))
    check(committed_offsets([0, 1]) == {0: (77, "tv2 meta", 0), 1: (78, "tv2 meta", 0)},
          "transaction 3's offsets (recovered from before the restart) are committed")
    f = fetch(1, g_base, 1)
    check([b["base_offset"] for b in data_batches(f)] == [g_base] and marker(f["batches"][-1]) == (1, pid, e3),
          "transaction 3's batch is readable committed, then a COMMIT marker at epoch %d" % e3)

    # Transaction 4, fenced by a new producer of the same id: its abort is
    # the coordinator's, so the zombie's EndTxn is no retry of it.
    err, h_base = produce(0, batch(pid, e3, 0, 1, "t4h"))
    check(err == 0, "transaction 4: Produce v12 at epoch %d (error %d)" % (e3, err))
    err, _, _ = init_producer_id()
    check(err == CONCURRENT_TRANSACTIONS, "InitProducerId over the open transaction: CONCURRENT_TRANSACTIONS (got %d)" % err)
    s = wait_state("CompleteAbort")
    check(s["state"] == "CompleteAbort" and s["producer_epoch"] == e3 + 1,
          "the fenced transaction is aborted at epoch %d (got %s)" % (e3 + 1, s))
    for commit in (True, False):
        got = end_txn(pid, e3, commit)
        check(got[0] == PRODUCER_FENCED, "the fenced producer's EndTxn v5 %s: PRODUCER_FENCED (got %s)"
              % ("commit" if commit else "abort", got))
    err, npid, ne = retrying(init_producer_id)
    check(err == 0 and npid == pid and ne == e3 + 2, "InitProducerId again: producer %d epoch %d (got %d, %d, error %d)"
          % (pid, e3 + 2, npid, ne, err))
    err, _ = produce(0, batch(pid, e3, 1, 1, "zombie4"))
    check(err == INVALID_PRODUCER_EPOCH, "the fenced producer's Produce v12: INVALID_PRODUCER_EPOCH (got %d)" % err)
    f = fetch(0, h_base, 1)
    check(f["aborted"] == [(pid, h_base)], "read_committed lists the fenced transaction as aborted (got %s)" % f["aborted"])
    check(describe()["state"] == "Empty", "the new producer has no transaction open")
    got = end_txn(pid, ne, False)
    check(got == (0, pid, ne + 1), "EndTxn v5 empty abort right after InitProducerId: epoch %d (got %s)" % (ne + 1, got))
    got = end_txn(pid, ne, True)
    check(got[0] == INVALID_TXN_STATE, "EndTxn v5 commit at the empty abort's epoch: INVALID_TXN_STATE (got %s)" % (got,))
    v.update({"epoch": ne + 1})
    save(v)


def exhaust():
    """Run with kelpd stopped: the id's state at the last usable epoch."""
    files = glob.glob(os.path.join(sys.argv[2], "topics/kafka/.meta/transactions", TXN_ID, "state.json"))
    check(len(files) == 1, "the transactional id's state file exists (%s)" % files)
    with open(files[0]) as f:
        state = json.load(f)
    check(state["state"] == "CompleteAbort" and state["producer_epoch"] == load()["epoch"],
          "the state file holds the last answer (got %s)" % state)
    state["producer_epoch"] = 32766
    state["last_producer_epoch"] = 32765
    with open(files[0], "w") as f:
        json.dump(state, f)


def overflow():
    v = load()
    pid = v["pid"]
    top = 32766
    s = describe()
    check(s["producer_id"] == pid and s["producer_epoch"] == top, "the producer is at epoch %d (got %s)" % (top, s))
    err, base = produce(1, batch(pid, top, 0, 1, "last"))
    check(err == 0, "Produce v12 at epoch %d (error %d)" % (top, err))
    err, npid, ne = end_txn(pid, top, True)
    check(err == 0 and npid != pid and npid >= 0 and ne == 0,
          "EndTxn v5 at the last epoch: a new producer id at epoch 0 (got %d, %d, error %d)" % (npid, ne, err))
    check(end_txn(pid, top, True) == (0, npid, 0), "its retry gets the new producer id again")
    s = describe()
    check(s["state"] == "CompleteCommit" and s["producer_id"] == npid and s["producer_epoch"] == 0,
          "DescribeTransactions: the new producer id at epoch 0 (got %s)" % s)
    f = fetch(1, base, 1)
    check(marker(f["batches"][-1]) == (1, pid, 32767), "the COMMIT marker has the old id and epoch 32767 (got %s)"
          % (marker(f["batches"][-1]),))
    err, _ = produce(1, batch(pid, top, 1, 1, "old-id"))
    check(err in (INVALID_PRODUCER_EPOCH, INVALID_PRODUCER_ID_MAPPING), "the old producer id is refused (got %d)" % err)
    err, nbase = produce(1, batch(npid, 0, 0, 1, "new-id"))
    check(err == 0, "the new producer id's first transaction (error %d)" % err)
    got = end_txn(npid, 0, True)
    check(got == (0, npid, 1), "EndTxn v5 with the new id: epoch 1 (got %s)" % (got,))
    f = fetch(1, nbase, 1)
    check([b["base_offset"] for b in data_batches(f)] == [nbase] and marker(f["batches"][-1]) == (1, npid, 1),
          "the new id's transaction committed, its marker at epoch 1")


{"first": first, "second": second, "third": third, "exhaust": exhaust, "overflow": overflow}[STEP]()
