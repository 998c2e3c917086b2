"""confluent-kafka-python in the compatibility matrix (commands: see mx.py)."""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, Producer, TopicPartition  # noqa: E402
from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402

import mx  # noqa: E402

CLIENT_ID = "mx-confluent_kafka"


def setup(args):
    bootstrap, topic, partitions = args[0], args[1], int(args[2])
    admin = AdminClient({"bootstrap.servers": bootstrap, "client.id": CLIENT_ID})

    def metadata():
        md = admin.list_topics(timeout=mx.WAIT_S)
        brokers = ["%s:%d" % (b.host, b.port) for b in md.brokers.values()]
        if bootstrap not in brokers:
            mx.fail("brokers %s, not %s" % (brokers, bootstrap))
        return "brokers=%s topics=%d" % (",".join(brokers), len(md.topics))

    def create():
        for f in admin.create_topics([NewTopic(topic, partitions, 1)], operation_timeout=10).values():
            f.result(timeout=mx.WAIT_S)
        t = admin.list_topics(topic, timeout=mx.WAIT_S).topics[topic]
        if t.error is not None or len(t.partitions) != partitions:
            mx.fail("after create: %r, %d partitions" % (t.error, len(t.partitions)))

    mx.run_step("metadata", metadata)
    mx.run_step("create", create)


def produce(args):
    bootstrap, topic, spec = args[:3]
    batches = mx.read_spec(spec)
    for b in map(int, args[3:]):
        codec, recs = batches[b]

        def send():
            p = Producer({"bootstrap.servers": bootstrap, "client.id": CLIENT_ID, "acks": "all",
                          "compression.codec": codec, "linger.ms": 5})
            errors = []
            for r in recs:
                p.produce(topic, key=r["key"], value=r["value"], headers=r["headers"], partition=r["partition"],
                          timestamp=r["ts"], on_delivery=lambda err, msg: err and errors.append(str(err)))
            left = p.flush(mx.WAIT_S)
            if left or errors:
                mx.fail("%d undelivered, errors %s" % (left, errors[:3]))
        mx.run_step("produce_" + codec, send)


def drain(consumer, col):
    end = mx.deadline()
    while not col.done():
        if time.monotonic() > end:
            mx.fail("missing " + col.missing())
        m = consumer.poll(0.2)
        if m is None:
            continue
        if m.error() is not None:
            if m.error().code() == KafkaError._PARTITION_EOF:
                continue
            mx.fail("poll: %s" % m.error())
        col.add(m.topic(), m.partition(), m.offset(), m.timestamp()[1], m.key(), m.value(), list(m.headers() or []))


def consumer(bootstrap, group_id):
    return Consumer({"bootstrap.servers": bootstrap, "client.id": CLIENT_ID, "group.id": group_id,
                     "enable.auto.commit": False, "auto.offset.reset": "earliest"})


def consume(args):
    bootstrap, out = args[:2]
    topics = mx.parse_topics(args[2:])
    col = mx.Collector(topics)

    def run():
        # assign() needs a group id of the client, but joins no group
        c = consumer(bootstrap, "mx-confluent_kafka-assign")
        c.assign([TopicPartition(t, p, OFFSET_BEGINNING) for t, ns in topics.items() for p in range(len(ns))])
        try:
            drain(c, col)
        finally:
            col.write(out)
            c.close()
    mx.run_step("consume", run)


def group(args):
    bootstrap, group_id, out = args[:3]
    topics = mx.parse_topics(args[3:])
    col = mx.Collector(topics)

    def run():
        c = consumer(bootstrap, group_id)
        c.subscribe(list(topics))
        try:
            drain(c, col)
            c.commit(asynchronous=False)
            tps = [TopicPartition(t, p) for t, ns in topics.items() for p in range(len(ns))]
            for tp in c.committed(tps, timeout=mx.WAIT_S):
                if tp.offset != topics[tp.topic][tp.partition]:
                    mx.fail("%s[%d]: committed %d" % (tp.topic, tp.partition, tp.offset))
        finally:
            col.write(out)
            c.close()
    mx.run_step("group", run)


def seek(args):
    bootstrap, topic, partition, ts, end, out = args[0], args[1], int(args[2]), int(args[3]), int(args[4]), args[5]

    def run():
        c = consumer(bootstrap, "mx-confluent_kafka-assign")
        found = c.offsets_for_times([TopicPartition(topic, partition, ts)], timeout=mx.WAIT_S)[0]
        if found.error is not None or found.offset < 0:
            mx.fail("offset for timestamp %d: %d (%r)" % (ts, found.offset, found.error))
        c.assign([TopicPartition(topic, partition, found.offset)])
        col = mx.Collector({topic: [end if p == partition else 0 for p in range(partition + 1)]})
        col.next[(topic, partition)] = found.offset
        try:
            drain(c, col)
        finally:
            col.write(out)
            c.close()
        return "offset=%d" % found.offset
    mx.run_step("seek", run)


if __name__ == "__main__":
    mx.main({"setup": setup, "produce": produce, "consume": consume, "group": group, "seek": seek})
