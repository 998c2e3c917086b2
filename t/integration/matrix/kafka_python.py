"""kafka-python in the compatibility matrix (commands: see mx.py)."""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition  # noqa: E402
from kafka.admin import NewTopic  # noqa: E402
from kafka.codec import has_gzip, has_lz4, has_snappy, has_zstd  # noqa: E402

import mx  # noqa: E402

CLIENT_ID = "mx-kafka_python"
HAS = {"none": True, "gzip": has_gzip(), "snappy": has_snappy(), "lz4": has_lz4(), "zstd": has_zstd()}


def setup(args):
    bootstrap, topic, partitions = args[0], args[1], int(args[2])
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id=CLIENT_ID)

    def metadata():
        cluster = admin.describe_cluster()
        brokers = ["%s:%d" % (b["host"], b["port"]) for b in cluster["brokers"]]
        if bootstrap not in brokers:
            mx.fail("brokers %s, not %s" % (brokers, bootstrap))
        return "brokers=%s topics=%d" % (",".join(brokers), len(admin.list_topics()))

    def create():
        admin.create_topics([NewTopic(topic, partitions, 1)])
        t = admin.describe_topics([topic])[0]
        if t["error_code"] != 0 or len(t["partitions"]) != partitions:
            mx.fail("after create: %r" % t)

    mx.run_step("metadata", metadata)
    mx.run_step("create", create)
    admin.close()


def produce(args):
    bootstrap, topic, spec = args[:3]
    batches = mx.read_spec(spec)
    for b in map(int, args[3:]):
        codec, recs = batches[b]
        if not HAS[codec]:
            mx.step("produce_" + codec, "unsupported", "codec library missing")
            continue

        def send():
            p = KafkaProducer(bootstrap_servers=bootstrap, acks="all", client_id=CLIENT_ID,
                              compression_type=None if codec == "none" else codec, linger_ms=5)
            futures = [p.send(topic, key=r["key"], value=r["value"], headers=r["headers"],
                              partition=r["partition"], timestamp_ms=r["ts"]) for r in recs]
            p.flush(timeout=mx.WAIT_S)
            for f in futures:
                f.get(timeout=mx.WAIT_S)
            p.close()
        mx.run_step("produce_" + codec, send)


def record(c, r):
    c.add(r.topic, r.partition, r.offset, r.timestamp, r.key, r.value, list(r.headers))


def drain(consumer, col):
    end = mx.deadline()
    while not col.done():
        if time.monotonic() > end:
            mx.fail("missing " + col.missing())
        for records in consumer.poll(timeout_ms=200).values():
            for r in records:
                record(col, r)


def consume(args):
    bootstrap, out = args[:2]
    topics = mx.parse_topics(args[2:])
    col = mx.Collector(topics)

    def run():
        consumer = KafkaConsumer(bootstrap_servers=bootstrap, client_id=CLIENT_ID, group_id=None,
                                 enable_auto_commit=False, auto_offset_reset="earliest")
        tps = [TopicPartition(t, p) for t, ns in topics.items() for p in range(len(ns))]
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        try:
            drain(consumer, col)
        finally:
            col.write(out)
            consumer.close(autocommit=False)
    mx.run_step("consume", run)


def group(args):
    bootstrap, group_id, out = args[:3]
    topics = mx.parse_topics(args[3:])
    col = mx.Collector(topics)

    def run():
        consumer = KafkaConsumer(*topics, bootstrap_servers=bootstrap, client_id=CLIENT_ID, group_id=group_id,
                                 enable_auto_commit=False, auto_offset_reset="earliest")
        try:
            drain(consumer, col)
            consumer.commit()
            for t, ns in topics.items():
                for p, n in enumerate(ns):
                    got = consumer.committed(TopicPartition(t, p))
                    if got != n:
                        mx.fail("%s[%d]: committed %r, expected %d" % (t, p, got, n))
        finally:
            col.write(out)
            consumer.close(autocommit=False)
    mx.run_step("group", run)


def seek(args):
    bootstrap, topic, partition, ts, end, out = args[0], args[1], int(args[2]), int(args[3]), int(args[4]), args[5]

    def run():
        consumer = KafkaConsumer(bootstrap_servers=bootstrap, client_id=CLIENT_ID, group_id=None,
                                 enable_auto_commit=False)
        tp = TopicPartition(topic, partition)
        found = consumer.offsets_for_times({tp: ts})[tp]
        if found is None:
            mx.fail("no offset for timestamp %d" % ts)
        consumer.assign([tp])
        consumer.seek(tp, found.offset)
        col = mx.Collector({topic: [end if p == partition else 0 for p in range(partition + 1)]})
        col.next[(topic, partition)] = found.offset
        try:
            drain(consumer, col)
        finally:
            col.write(out)
            consumer.close(autocommit=False)
        return "offset=%d" % found.offset
    mx.run_step("seek", run)


if __name__ == "__main__":
    mx.main({"setup": setup, "produce": produce, "consume": consume, "group": group, "seek": seek})
