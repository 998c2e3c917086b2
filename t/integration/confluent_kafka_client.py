"""confluent-kafka-python (Producer / Consumer with assign; nothing is committed).

usage: confluent_kafka_client.py produce|verify BOOTSTRAP TOPIC MANIFEST [CODEC]
"""

import os
import time

from confluent_kafka import (OFFSET_BEGINNING, TIMESTAMP_CREATE_TIME, Consumer, KafkaError,
                             Producer, TopicPartition)

import kelp_messages as km

COUNT = 200
WAIT_S = 60
# With null header values consumed, confluent-kafka 1.7.0 on Python 3.11
# aborts at exit ("none_dealloc: deallocating None"); null headers are
# covered by the librdkafka test instead.
NULL_HEADER = False


def check_metadata(client, bootstrap, topic):
    md = client.list_topics(topic, timeout=WAIT_S)
    brokers = ["%s:%d" % (b.host, b.port) for b in md.brokers.values()]
    if bootstrap not in brokers:
        km.fail("metadata lists brokers %s, not %s" % (brokers, bootstrap))
    t = md.topics.get(topic)
    if t is None or t.error is not None:
        km.fail("metadata for %s: %r" % (topic, t.error if t else "topic missing"))
    if sorted(t.partitions) != list(range(km.PARTITIONS)):
        km.fail("topic %s has partitions %s, expected 0..%d" % (topic, sorted(t.partitions), km.PARTITIONS - 1))
    for p in t.partitions.values():
        if p.error is not None or p.leader not in md.brokers:
            km.fail("partition %d: error %r, leader %d" % (p.id, p.error, p.leader))
    print("metadata: broker %s listed; topic %s has %d partitions" % (bootstrap, topic, km.PARTITIONS))


def produce(bootstrap, topic, manifest, codec):
    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 5,
                         "compression.codec": codec or "none"})
    check_metadata(producer, bootstrap, topic)
    base_ts = km.base_timestamp(COUNT)
    messages = km.build(COUNT, base_ts, NULL_HEADER)
    landings, errors = {}, []

    def delivered(i):
        def report(err, msg):
            if err is not None:
                errors.append("message %d: %s" % (i, err))
            else:
                landings[i] = (msg.partition(), msg.offset())
        return report

    for m in messages:
        kwargs = {"partition": m["partition"]} if m["partition"] is not None else {}
        producer.produce(topic, key=m["key"], value=m["value"], headers=m["headers"],
                         timestamp=m["timestamp"], on_delivery=delivered(m["i"]), **kwargs)
        producer.poll(0)
    left = producer.flush(WAIT_S)
    if left or errors:
        km.fail("%d messages undelivered; errors: %s" % (left, errors[:5]))
    km.write_manifest(manifest, COUNT, base_ts, landings)
    km.check_landings(km.read_manifest(manifest, NULL_HEADER))
    print("produced %d messages to %s (compression %s), acks=all" % (COUNT, topic, codec or "none"))


def verify(bootstrap, topic, manifest):
    messages = km.read_manifest(manifest, NULL_HEADER)
    expected = km.expected_by_partition(messages)
    # The client insists on a group id even for assign(); no group is joined
    # and nothing is committed.
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "kelp-test-assign-only",
                         "enable.auto.commit": False, "enable.auto.offset.store": False,
                         "enable.partition.eof": True})
    check_metadata(consumer, bootstrap, topic)
    consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(km.PARTITIONS)])
    position = {p: 0 for p in range(km.PARTITIONS)}
    received = 0
    deadline = time.monotonic() + WAIT_S
    while received < len(messages):
        if time.monotonic() > deadline:
            km.fail("consumed only %d of %d messages" % (received, len(messages)))
        msg = consumer.poll(0.5)
        if msg is None:
            continue
        if msg.error() is not None:
            if msg.error().code() == KafkaError._PARTITION_EOF:
                continue
            km.fail("consume: %s" % msg.error())
        p = msg.partition()
        if position[p] >= len(expected[p]):
            km.fail("partition %d: unexpected extra message at offset %d" % (p, msg.offset()))
        ts_type, ts = msg.timestamp()
        if ts_type != TIMESTAMP_CREATE_TIME:
            km.fail("offset %d: timestamp type %d, expected create time" % (msg.offset(), ts_type))
        km.compare(expected[p][position[p]],
                   {"partition": p, "offset": msg.offset(), "key": msg.key(), "value": msg.value(),
                    "headers": list(msg.headers() or []), "timestamp": ts},
                   "confluent-kafka consume")
        position[p] += 1
        received += 1
    print("consumed %d messages: identical and in order in every partition" % received)

    for p in range(km.PARTITIONS):
        low, high = consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=WAIT_S)
        if (low, high) != (0, len(expected[p])):
            km.fail("partition %d: earliest %d latest %d, expected 0 and %d" % (p, low, high, len(expected[p])))
    if os.environ.get("KELP_TEST_MOCK"):
        print("offsets: earliest/latest right; timestamp lookup not checked on the mock")
    else:
        partition, ts, offset = km.offset_for_timestamp_case(messages)
        found = consumer.offsets_for_times([TopicPartition(topic, partition, ts)], timeout=WAIT_S)[0]
        if found.error is not None or found.offset != offset:
            km.fail("partition %d: offset for timestamp %d is %d (%r), expected %d"
                    % (partition, ts, found.offset, found.error, offset))
        print("offsets: earliest/latest right; timestamp %d -> offset %d" % (ts, offset))
    consumer.close()


def run(args):
    mode, bootstrap, topic, manifest = args[:4]
    if mode == "produce":
        produce(bootstrap, topic, manifest, args[4] if len(args) > 4 else None)
    elif mode == "verify":
        verify(bootstrap, topic, manifest)
    else:
        km.fail("unknown mode %s" % mode)


if __name__ == "__main__":
    km.main(run)
