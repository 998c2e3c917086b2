"""confluent-kafka-python exactly-once: a transactional Producer
(init_transactions, begin_transaction, commit_transaction,
abort_transaction, send_offsets_to_transaction) and read_committed
Consumers.

usage: txn_confluent_kafka.py MODE BOOTSTRAP ARGS...
  produce TOPIC TXN-ID FIRST PLAN MANIFEST
      one transaction per PLAN item ("c8,a5": c commits, a aborts), each
      flushed before it ends so aborted records are in the log; records are
      placed by key; appends where each landed to MANIFEST (JSON lines).
  open TOPIC TXN-ID FIRST COUNT MANIFEST
      begins a transaction, writes COUNT records, notes them as "open" and
      waits to be killed (see killed).
  killed MODE ARGS...
      runs MODE ARGS in a child process and kills it with SIGKILL once the
      child says it is mid-transaction.
  check-open TOPIC MANIFEST
      the open transaction holds the last stable offset at its first offset
      in each partition it wrote, and read_committed stops there.
  verify TOPIC MANIFEST read_committed|read_uncommitted
      exactly the records the isolation level may see, each once, in offset
      order, up to the end offsets, which leave one offset per transaction
      and partition for its marker.
  ctp-input TOPIC COUNT
      COUNT records from an idempotent producer, record i to partition i % 4.
  ctp-run IN OUT GROUP TXN-ID PLAN
      a group member that copies IN to OUT ("in-N" -> "out-N", same key and
      partition) in transactions that carry its input offsets
      (send_offsets_to_transaction with the consumer's positions). PLAN: cN
      commits after N records, aN aborts and rewinds to the committed
      offsets, kN sends the offsets and waits to be killed, c* commits
      batches of 10 until IN is consumed.
  ctp-verify IN OUT GROUP COUNT
      OUT holds each input record exactly once in input order, and GROUP
      committed the ends of IN.

With KELP_TEST_MOCK (librdkafka 2.0.2's mock cluster, which writes no
transaction markers, lists no aborted transactions, keeps no last stable
offset and drops TxnOffsetCommit), the checks that need these expect what
the mock does and say so.
"""

import json
import os
import signal
import subprocess
import sys
import time

from confluent_kafka import (OFFSET_BEGINNING, Consumer, KafkaError, KafkaException, Producer,
                             TopicPartition)

import kelp_messages as km

PARTITIONS = 4
WAIT_S = 60
OPEN_TXN_TIMEOUT_MS = 300000  # longer than the test: only fencing may end a killed transaction
CTP_BATCH = 10
MOCK = bool(os.environ.get("KELP_TEST_MOCK"))
READY_TO_DIE = "mid-transaction, waiting to be killed"


def say(what):
    print(what, flush=True)


def txn_call(what, fn, *args):
    try:
        return fn(*args)
    except KafkaException as e:
        err = e.args[0]
        km.fail("%s: %s (%s%s)" % (what, err.str(), err.name(), ", fatal" if err.fatal() else ""))


def producer(bootstrap, txn_id=None, txn_timeout_ms=None):
    conf = {"bootstrap.servers": bootstrap, "linger.ms": 5}
    if txn_id:
        conf["transactional.id"] = txn_id
        if txn_timeout_ms:
            conf["transaction.timeout.ms"] = txn_timeout_ms
    else:
        conf["enable.idempotence"] = True
    return Producer(conf)


def record(i):
    return ("key-%05d" % i).encode(), ("ck-%05d" % i).encode()


def produce_flushed(p, topic, items):
    """items: [(key, value, partition or None)]. Returns [(partition, offset)]
    once every record is acknowledged."""
    landed = [None] * len(items)
    errors = []

    def report(n):
        def cb(err, msg):
            if err is not None:
                errors.append("record %d: %s" % (n, err))
            else:
                landed[n] = (msg.partition(), msg.offset())
        return cb

    for n, (key, value, partition) in enumerate(items):
        kwargs = {} if partition is None else {"partition": partition}
        p.produce(topic, key=key, value=value, on_delivery=report(n), **kwargs)
        p.poll(0)
    left = p.flush(WAIT_S)
    if left or errors or None in landed:
        km.fail("%d record(s) unacknowledged; errors: %s" % (left, errors[:5]))
    return landed


def manifest_append(path, records):
    with open(path, "a") as f:
        for r in records:
            f.write(json.dumps(r) + "\n")


def manifest_read(path):
    with open(path) as f:
        records = [json.loads(line) for line in f]
    if not records:
        km.fail("%s: no records" % path)
    return records


def transaction_records(p, topic, txn_id, first, count, state):
    key_values = [record(first + n) for n in range(count)]
    landed = produce_flushed(p, topic, [(k, v, None) for k, v in key_values])
    return [{"i": first + n, "partition": part, "offset": off, "state": state,
             "txn": "%s@%d" % (txn_id, first)} for n, (part, off) in enumerate(landed)]


def produce(bootstrap, topic, txn_id, first, plan, manifest):
    p = producer(bootstrap, txn_id)
    # Fences and aborts whatever an earlier producer with this id left open.
    txn_call("init_transactions", p.init_transactions, WAIT_S)
    i = int(first)
    for item in plan.split(","):
        action, count = item[0], int(item[1:])
        if action not in "ca" or count <= 0:
            km.fail("bad plan item %s" % item)
        txn_call("begin_transaction", p.begin_transaction)
        records = transaction_records(p, topic, txn_id, i, count, "committed" if action == "c" else "aborted")
        if action == "c":
            txn_call("commit_transaction", p.commit_transaction, WAIT_S)
        else:
            txn_call("abort_transaction", p.abort_transaction, WAIT_S)
        manifest_append(manifest, records)
        say("%s: transaction of records %d..%d %s" % (txn_id, i, i + count - 1, records[0]["state"]))
        i += count


def open_transaction(bootstrap, topic, txn_id, first, count, manifest):
    p = producer(bootstrap, txn_id, OPEN_TXN_TIMEOUT_MS)
    txn_call("init_transactions", p.init_transactions, WAIT_S)
    txn_call("begin_transaction", p.begin_transaction)
    manifest_append(manifest, transaction_records(p, topic, txn_id, int(first), int(count), "open"))
    say("%s: %s records in the log; %s" % (txn_id, count, READY_TO_DIE))
    time.sleep(WAIT_S)
    km.fail("not killed within %d s" % WAIT_S)


def killed(args):
    """Runs this script with args in a child and SIGKILLs it mid-transaction."""
    child = subprocess.Popen([sys.executable, os.path.abspath(__file__)] + args, stdout=subprocess.PIPE, text=True)
    ready = False
    for line in child.stdout:
        print("child: " + line.rstrip("\n"), flush=True)
        if READY_TO_DIE in line:
            ready = True
            os.kill(child.pid, signal.SIGKILL)
            break
    child.wait(WAIT_S)
    child.stdout.close()
    if not ready:
        km.fail("the child exited with status %d before it was mid-transaction" % child.returncode)
    if child.returncode != -signal.SIGKILL:
        km.fail("the child exited with status %d, not by SIGKILL" % child.returncode)
    say("child %d killed with SIGKILL mid-transaction" % child.pid)


def consumer(bootstrap, isolation, group="kelp-test-assign-only"):
    # librdkafka wants a group id even for assign(); no group is joined.
    return Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False,
                     "enable.auto.offset.store": False, "auto.offset.reset": "earliest",
                     "isolation.level": isolation})


def watermarks(c, topic):
    """[(earliest, latest)] as c's isolation level sees them: latest is the
    last stable offset for read_committed."""
    return [c.get_watermark_offsets(TopicPartition(topic, p), timeout=WAIT_S) for p in range(PARTITIONS)]


def consume_to(c, topic, end, on_message):
    """Consumes every partition from the beginning until the position
    (which passes transaction markers) reaches end[p]."""
    parts = [TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(PARTITIONS)]
    c.assign(parts)
    deadline = time.monotonic() + WAIT_S
    while True:
        pos = [tp.offset for tp in c.position([TopicPartition(topic, p) for p in range(PARTITIONS)])]
        for p in range(PARTITIONS):
            if pos[p] > end[p]:
                km.fail("%s [%d]: position %d is past the end offset %d" % (topic, p, pos[p], end[p]))
        if all(end[p] == 0 or pos[p] == end[p] for p in range(PARTITIONS)):
            return
        if time.monotonic() > deadline:
            km.fail("%s: the consumer did not reach the end offsets within %d s (position %s, end %s)"
                    % (topic, WAIT_S, pos, end))
        msg = c.poll(0.2)
        if msg is None:
            continue
        if msg.error() is not None:
            if msg.error().code() == KafkaError._PARTITION_EOF:
                continue
            km.fail("consume %s: %s" % (topic, msg.error()))
        on_message(msg)


def transactions_in(records, p, with_open=True):
    """Transactions that wrote to partition p: each left one marker there."""
    return len({r["txn"] for r in records if r["partition"] == p and (with_open or r["state"] != "open")})


class Expected:
    def __init__(self, topic, records):
        self.topic = topic
        self.by_partition = {p: sorted((r for r in records if r["partition"] == p), key=lambda r: r["offset"])
                             for p in range(PARTITIONS)}
        self.next = {p: 0 for p in range(PARTITIONS)}
        self.seen = 0

    def check(self, msg):
        p = msg.partition()
        want = self.by_partition[p]
        if self.next[p] >= len(want):
            km.fail("%s [%d]: unexpected record at offset %d (%r): not one this isolation level may see, "
                    "or seen twice" % (self.topic, p, msg.offset(), msg.value()))
        r = want[self.next[p]]
        if msg.offset() != r["offset"] or (msg.key(), msg.value()) != record(r["i"]):
            km.fail("%s [%d]: %r at offset %d, expected %r at offset %d (from %s transaction %s)"
                    % (self.topic, p, msg.value(), msg.offset(), record(r["i"])[1], r["offset"], r["state"], r["txn"]))
        self.next[p] += 1
        self.seen += 1


def verify(bootstrap, topic, manifest, isolation):
    if isolation not in ("read_committed", "read_uncommitted"):
        km.fail("unknown isolation level %s" % isolation)
    records = manifest_read(manifest)
    committed_only = isolation == "read_committed"
    # The mock lists no aborted transactions: read_committed shows all.
    want = [r for r in records if r["state"] == "committed" or not committed_only or MOCK]
    c = consumer(bootstrap, isolation)
    end = []
    for p, (low, high) in enumerate(watermarks(c, topic)):
        data = sum(1 for r in records if r["partition"] == p)
        expect = data + (0 if MOCK else transactions_in(records, p))
        if (low, high) != (0, expect):
            km.fail("%s [%d] %s: earliest %d latest %d, expected 0 and %d (%d records%s)"
                    % (topic, p, isolation, low, high, expect, data, "" if MOCK else " and a marker per transaction"))
        end.append(expect)
    x = Expected(topic, want)
    consume_to(c, topic, end, x.check)
    if x.seen != len(want):
        km.fail("%s %s: saw %d of %d records" % (topic, isolation, x.seen, len(want)))
    aborted = sum(1 for r in records if r["state"] != "committed")
    say("%s %s: %d record(s) each once and in order (%d of %d aborted ones%s), positions at the end offsets"
        % (topic, isolation, len(want), aborted if not committed_only or MOCK else 0, aborted,
           "; the mock hides no aborted record" if committed_only and MOCK else ""))
    c.close()


def check_open(bootstrap, topic, manifest):
    records = manifest_read(manifest)
    opened = [r for r in records if r["state"] == "open"]
    if not opened:
        km.fail("%s names no open transaction" % manifest)
    uncommitted, committed = consumer(bootstrap, "read_uncommitted"), consumer(bootstrap, "read_committed")
    high, lso = watermarks(uncommitted, topic), watermarks(committed, topic)
    for p in range(PARTITIONS):
        high_want = sum(1 for r in records if r["partition"] == p) + transactions_in(records, p, with_open=False)
        first_open = [r["offset"] for r in opened if r["partition"] == p]
        lso_want = min(first_open) if first_open else high_want
        if high[p][1] != high_want or lso[p][1] != lso_want:
            km.fail("%s [%d]: high watermark %d, last stable offset %d; expected %d and %d"
                    % (topic, p, high[p][1], lso[p][1], high_want, lso_want))
        say("%s [%d]: high watermark %d, last stable offset %d%s" % (topic, p, high_want, lso_want,
                                                                    " (held by the open transaction)" if first_open else ""))
    uncommitted.close()
    x = Expected(topic, [r for r in records if r["state"] == "committed"])
    consume_to(committed, topic, [lso[p][1] for p in range(PARTITIONS)], x.check)
    until = time.monotonic() + 2
    while time.monotonic() < until:
        msg = committed.poll(0.2)
        if msg is not None and msg.error() is None:
            km.fail("%s [%d]: read_committed returned offset %d, at or past the last stable offset"
                    % (topic, msg.partition(), msg.offset()))
    say("%s read_committed: %d committed record(s), stopped at the last stable offsets; %d open ones hidden"
        % (topic, x.seen, len(opened)))
    committed.close()


def ctp_input(bootstrap, topic, count):
    p = producer(bootstrap)
    items = [(("k%05d" % i).encode(), ("in-%05d" % i).encode(), i % PARTITIONS) for i in range(count)]
    landed = produce_flushed(p, topic, items)
    for i, where in enumerate(landed):
        if where != (i % PARTITIONS, i // PARTITIONS):
            km.fail("input %d landed at %s" % (i, where))
    say("%s: %d input record(s) from an idempotent producer" % (topic, count))


def committed_next(c, topic):
    """The group's committed offsets; 0 where it committed none."""
    got = c.committed([TopicPartition(topic, p) for p in range(PARTITIONS)], timeout=WAIT_S)
    for tp in got:
        if tp.error is not None:
            km.fail("committed offset of [%d]: %s" % (tp.partition, tp.error))
    return [tp.offset if tp.offset >= 0 else 0 for tp in sorted(got, key=lambda tp: tp.partition)]


def ctp_run(bootstrap, src, dst, group, txn_id, plan):
    # The producer first: its init_transactions aborts what an earlier
    # incarnation left open, offsets included, before the offsets are read.
    p = producer(bootstrap, txn_id, OPEN_TXN_TIMEOUT_MS)
    txn_call("init_transactions", p.init_transactions, WAIT_S)
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False,
                  "auto.offset.reset": "earliest", "isolation.level": "read_committed",
                  "session.timeout.ms": 6000, "heartbeat.interval.ms": 500})
    assignment = {"parts": None, "changes": 0}

    def on_assign(consumer_, parts):
        consumer_.assign(parts)
        assignment["parts"], assignment["changes"] = parts, assignment["changes"] + 1

    def on_revoke(consumer_, parts):
        consumer_.unassign()
        assignment["parts"], assignment["changes"] = None, assignment["changes"] + 1

    c.subscribe([src], on_assign=on_assign, on_revoke=on_revoke)
    # A dead earlier member keeps its partitions until its session ends.
    deadline = time.monotonic() + WAIT_S
    while not assignment["parts"] or len(assignment["parts"]) != PARTITIONS:
        if time.monotonic() > deadline:
            km.fail("no assignment of all %d partitions of %s within %d s" % (PARTITIONS, src, WAIT_S))
        c.poll(0.1)  # nothing is processed before the assignment; the seek below rewinds
    changes = assignment["changes"]
    say("%s: assigned all %d partitions of %s" % (txn_id, PARTITIONS, src))
    end = [high for _, high in watermarks(c, src)]
    nxt = committed_next(c, src)
    say("%s: committed offsets at start %s" % (txn_id, nxt))

    def rewind():
        for part in range(PARTITIONS):
            c.seek(TopicPartition(src, part, nxt[part]))

    rewind()
    committed = list(nxt)
    for item in plan.split(","):
        action, rest = item[0], item[1:] == "*"
        count = CTP_BATCH if rest else int(item[1:])
        if action not in "cak" or count <= 0 or (rest and action != "c"):
            km.fail("bad plan item %s" % item)
        while True:
            if nxt == end:
                if rest:
                    break
                km.fail("plan item %s: the input is consumed already" % item)
            txn_call("begin_transaction", p.begin_transaction)
            n = 0
            deadline = time.monotonic() + WAIT_S
            while n < count and nxt != end:
                if time.monotonic() > deadline:
                    km.fail("only %d of %d input records within %d s" % (n, count, WAIT_S))
                msg = c.poll(0.2)
                if assignment["changes"] != changes:
                    km.fail("the assignment changed mid-transaction")
                if msg is None:
                    continue
                if msg.error() is not None:
                    if msg.error().code() == KafkaError._PARTITION_EOF:
                        continue
                    km.fail("consume %s: %s" % (src, msg.error()))
                part, value = msg.partition(), msg.value().decode()
                if msg.offset() != nxt[part]:
                    km.fail("%s [%d]: got offset %d, expected %d (a skipped or repeated input record)"
                            % (src, part, msg.offset(), nxt[part]))
                if not value.startswith("in-") or int(value[3:]) % PARTITIONS != part:
                    km.fail("%s [%d] offset %d: %r is not an input record" % (src, part, msg.offset(), value))
                p.produce(dst, key=msg.key(), value=("out-" + value[3:]).encode(), partition=part)
                p.poll(0)
                nxt[part] = msg.offset() + 1
                n += 1
            # Unconsumed partitions have no position yet; the client leaves them out.
            positions = c.position(c.assignment())
            for tp in positions:
                if tp.offset >= 0 and tp.offset != nxt[tp.partition]:
                    km.fail("consumer position of [%d] is %d, expected %d" % (tp.partition, tp.offset, nxt[tp.partition]))
            txn_call("send_offsets_to_transaction", p.send_offsets_to_transaction, positions,
                     c.consumer_group_metadata(), WAIT_S)
            if action == "k":
                p.flush(WAIT_S)
                say("%s: %d record(s) written and offsets %s sent; %s" % (txn_id, n, nxt, READY_TO_DIE))
                time.sleep(WAIT_S)
                km.fail("not killed within %d s" % WAIT_S)
            if action == "c":
                txn_call("commit_transaction", p.commit_transaction, WAIT_S)
                committed = list(nxt)
                say("%s: committed %d record(s), offsets %s" % (txn_id, n, committed))
            else:
                txn_call("abort_transaction", p.abort_transaction, WAIT_S)
                nxt = committed_next(c, src)
                if MOCK:
                    say("committed offsets after an abort not checked: the mock drops TxnOffsetCommit")
                elif nxt != committed:
                    km.fail("after an abort the group's committed offsets are %s, the last commit's %s" % (nxt, committed))
                rewind()
                say("%s: aborted %d record(s); rewound to the committed offsets %s" % (txn_id, n, nxt))
            if not rest:
                break
    c.close()
    p.flush(WAIT_S)


def ctp_verify(bootstrap, src, dst, group, count):
    c = consumer(bootstrap, "read_committed")
    outputs = {p: [] for p in range(PARTITIONS)}

    def collect(msg):
        value = msg.value().decode()
        i = int(value[4:]) if value.startswith("out-") else -1
        if not 0 <= i < count or i % PARTITIONS != msg.partition() or msg.key() != ("k%05d" % i).encode():
            km.fail("output [%d] offset %d: %r is no output of this partition's inputs"
                    % (msg.partition(), msg.offset(), value))
        outputs[msg.partition()].append(i)

    consume_to(c, dst, [high for _, high in watermarks(c, dst)], collect)
    c.close()
    for p in range(PARTITIONS):
        want = list(range(p, count, PARTITIONS))
        if MOCK:
            # Aborted and repeated outputs show up on the mock.
            if set(outputs[p]) != set(want):
                km.fail("output [%d]: inputs %s have no output" % (p, sorted(set(want) - set(outputs[p]))))
        elif outputs[p] != want:
            km.fail("output [%d] holds inputs %s, expected each of %s once, in order" % (p, outputs[p], want))
    total = sum(len(o) for o in outputs.values())
    if MOCK:
        say("%s read_committed: every input record has an output (%d outputs for %d inputs: the mock hides "
            "no aborted output and keeps no transactional offsets)" % (dst, total, count))
    else:
        say("%s read_committed: each of %d input records exactly once, in input order" % (dst, count))

    g = consumer(bootstrap, "read_committed", group)
    got = g.committed([TopicPartition(src, p) for p in range(PARTITIONS)], timeout=WAIT_S)
    g.close()
    if MOCK:
        say("group %s: committed offsets not checked: the mock drops TxnOffsetCommit" % group)
        return
    for tp in got:
        want = len(range(tp.partition, count, PARTITIONS))
        if tp.error is not None or tp.offset != want:
            km.fail("group %s: committed offset of %s [%d] is %d (%s), expected %d"
                    % (group, src, tp.partition, tp.offset, tp.error, want))
    say("group %s: committed offsets are the ends of %s" % (group, src))


def run(args):
    if len(args) < 2:
        km.fail("usage: txn_confluent_kafka.py MODE BOOTSTRAP ARGS...")
    mode, bootstrap, rest = args[0], args[1], args[2:]
    if mode == "killed":
        killed(rest[:1] + [bootstrap] + rest[1:])
        return
    modes = {
        "produce": (produce, 5), "open": (open_transaction, 5), "check-open": (check_open, 2),
        "verify": (verify, 3), "ctp-input": (ctp_input, 2), "ctp-run": (ctp_run, 5), "ctp-verify": (ctp_verify, 4),
    }
    if mode not in modes or len(rest) != modes[mode][1]:
        km.fail("bad arguments: %s" % " ".join(args))
    if mode in ("ctp-input", "ctp-verify"):
        rest[-1] = int(rest[-1])
    modes[mode][0](bootstrap, *rest)


if __name__ == "__main__":
    km.main(run)
