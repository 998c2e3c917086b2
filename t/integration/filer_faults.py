"""The filer backend under faults: produce with an idempotent producer while
the filer test server fails, loses answers, stalls or restarts, then check
that every acknowledged record is stored exactly once, in order.

usage: filer_faults.py produce BOOTSTRAP TOPIC FIRST COUNT ACKED_FILE
       filer_faults.py verify BOOTSTRAP TOPIC ACKED_FILE [MIN_COUNT]
       filer_faults.py create BOOTSTRAP TOPIC
       filer_faults.py timeout BOOTSTRAP TOPIC
"""
import json
import sys
import time

from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition

import kafka_raw as kr

PARTITIONS = 2


def fail(what):
    sys.exit("FAIL: " + what)


def produce(bootstrap, topic, first, count, acked_file):
    acked = []
    errors = []

    def on_delivery(err, msg):
        if err:
            errors.append(str(err))
        else:
            acked.append(int(msg.value().decode()))

    p = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True, "acks": "all",
                  "linger.ms": 5, "message.timeout.ms": 60000, "retry.backoff.ms": 100})
    for i in range(first, first + count):
        p.produce(topic, value=str(i).encode(), partition=i % PARTITIONS, on_delivery=on_delivery)
        p.poll(0)
    left = p.flush(90)
    with open(acked_file, "a") as f:
        for v in acked:
            f.write("%d\n" % v)
    print("acknowledged %d of %d (%d errors: %s), %d not delivered" % (len(acked), count, len(errors),
                                                                        errors[:3], left))
    if errors or left:
        fail("an idempotent producer with retries lost records: %s" % errors[:3])


def verify(bootstrap, topic, acked_file, min_count=0):
    acked = [int(line) for line in open(acked_file) if line.strip()]
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "verify-%f" % time.time(),
                  "enable.auto.commit": False, "enable.partition.eof": True})
    c.assign([TopicPartition(topic, p, 0) for p in range(PARTITIONS)])
    seen = {p: [] for p in range(PARTITIONS)}
    offsets = {p: [] for p in range(PARTITIONS)}
    eof = set()
    deadline = time.time() + 60
    while len(eof) < PARTITIONS and time.time() < deadline:
        m = c.poll(0.5)
        if m is None:
            continue
        if m.error():
            if m.error().code() == KafkaError._PARTITION_EOF:
                eof.add(m.partition())
                continue
            fail("consumer error %s" % m.error())
        seen[m.partition()].append(int(m.value().decode()))
        offsets[m.partition()].append(m.offset())
    c.close()
    if len(eof) < PARTITIONS:
        fail("the consumer did not reach the end of every partition")
    values = [v for p in seen for v in seen[p]]
    dups = len(values) - len(set(values))
    if dups:
        fail("%d records are stored more than once" % dups)
    missing = set(acked) - set(values)
    if missing:
        fail("%d acknowledged records are missing, e.g. %s" % (len(missing), sorted(missing)[:5]))
    for p in range(PARTITIONS):
        if seen[p] != sorted(seen[p]):
            fail("partition %d is out of order" % p)
        if offsets[p] != list(range(len(offsets[p]))):
            fail("partition %d does not hold offsets 0..%d without gaps" % (p, len(offsets[p]) - 1))
    if len(values) < min_count:
        fail("only %d records stored, expected at least %d" % (len(values), min_count))
    print("ok: %d records stored once each, in order, every one of the %d acknowledged among them"
          % (len(values), len(acked)))


def produce_v7(bootstrap, topic, partition, batch, timeout_ms):
    """One raw Produce v7 with acks=-1; returns the partition's error code."""
    part = kr.i32(partition) + kr.nbytes(batch, False)
    body = (kr.i16(-1) + kr.i16(-1) + kr.i32(timeout_ms)
            + kr.array([kr.string(topic, False) + kr.array([part], False)], False))
    r = kr.call(bootstrap, 0, 7, body, False)
    topics = r.array(lambda x: (x.string(), x.array(lambda y: (y.i32(), y.i16(), y.i64(), y.i64(), y.i64()))))
    return topics[0][1][0][1]


def timeout(bootstrap, topic):
    """A produce whose durability waits on a stalled filer is answered
    REQUEST_TIMED_OUT within its timeout."""
    batch = kr.record_batch([(b"k", b"stalled", [])], int(time.time() * 1000))
    t0 = time.time()
    err = produce_v7(bootstrap, topic, 0, batch, 1500)
    took = time.time() - t0
    print("produce answered with error %d after %.1f s" % (err, took))
    if err != 7:
        fail("expected REQUEST_TIMED_OUT (7), got %d" % err)


def main():
    cmd = sys.argv[1]
    if cmd == "produce":
        produce(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), sys.argv[6])
    elif cmd == "verify":
        verify(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]) if len(sys.argv) > 5 else 0)
    elif cmd == "create":
        # Metadata creates the topic (auto-creation).
        md = Producer({"bootstrap.servers": sys.argv[2]}).list_topics(sys.argv[3], timeout=10)
        if md.topics[sys.argv[3]].error is not None:
            fail("cannot create %s: %s" % (sys.argv[3], md.topics[sys.argv[3]].error))
    elif cmd == "timeout":
        timeout(sys.argv[2], sys.argv[3])
    else:
        fail("unknown command " + cmd)


if __name__ == "__main__":
    main()
