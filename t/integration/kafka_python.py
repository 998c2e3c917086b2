"""kafka-python (KafkaProducer / KafkaConsumer with assign, no group).

usage: kafka_python.py produce|verify BOOTSTRAP TOPIC MANIFEST [CODEC]
"""

import os
import time

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition

import kelp_messages as km

COUNT = 200
WAIT_S = 60
# KafkaProducer.send() accepts only bytes header values, so no null header.
NULL_HEADER = False


def check_metadata(bootstrap, topic):
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="kelp-test")
    try:
        cluster = admin.describe_cluster()
        brokers = ["%s:%d" % (b["host"], b["port"]) for b in cluster["brokers"]]
        if bootstrap not in brokers:
            km.fail("metadata lists brokers %s, not %s" % (brokers, bootstrap))
        topics = admin.describe_topics([topic])
        if len(topics) != 1 or topics[0]["topic"] != topic or topics[0]["error_code"] != 0:
            km.fail("metadata for %s: %r" % (topic, topics))
        partitions = sorted(p["partition"] for p in topics[0]["partitions"])
        if partitions != list(range(km.PARTITIONS)):
            km.fail("topic %s has partitions %s, expected 0..%d" % (topic, partitions, km.PARTITIONS - 1))
        leaders = {p["leader"] for p in topics[0]["partitions"]}
        if not leaders <= {b["node_id"] for b in cluster["brokers"]}:
            km.fail("partition leaders %s are not listed brokers" % leaders)
    finally:
        admin.close()
    print("metadata: broker %s listed; topic %s has %d partitions" % (bootstrap, topic, km.PARTITIONS))


def produce(bootstrap, topic, manifest, codec):
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5,
                             compression_type=codec, client_id="kelp-test")
    base_ts = km.base_timestamp(COUNT)
    messages = km.build(COUNT, base_ts, NULL_HEADER)
    futures = [producer.send(topic, key=m["key"], value=m["value"], headers=m["headers"],
                             partition=m["partition"], timestamp_ms=m["timestamp"])
               for m in messages]
    producer.flush(timeout=WAIT_S)
    landings = {}
    for m, f in zip(messages, futures):
        md = f.get(timeout=WAIT_S)
        landings[m["i"]] = (md.partition, md.offset)
    producer.close()
    km.write_manifest(manifest, COUNT, base_ts, landings)
    km.check_landings(km.read_manifest(manifest, NULL_HEADER))
    print("produced %d messages to %s (compression %s), acks=all" % (COUNT, topic, codec))
    check_metadata(bootstrap, topic)


def verify(bootstrap, topic, manifest):
    messages = km.read_manifest(manifest, NULL_HEADER)
    expected = km.expected_by_partition(messages)
    check_metadata(bootstrap, topic)
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
                             auto_offset_reset="earliest", client_id="kelp-test")
    tps = [TopicPartition(topic, p) for p in range(km.PARTITIONS)]
    consumer.assign(tps)
    consumer.seek_to_beginning(*tps)
    position = {p: 0 for p in range(km.PARTITIONS)}
    received = 0
    deadline = time.monotonic() + WAIT_S
    while received < len(messages):
        if time.monotonic() > deadline:
            km.fail("consumed only %d of %d messages" % (received, len(messages)))
        for tp, records in consumer.poll(timeout_ms=500).items():
            for r in records:
                p = r.partition
                if position[p] >= len(expected[p]):
                    km.fail("partition %d: unexpected extra message at offset %d" % (p, r.offset))
                if r.timestamp_type != 0:
                    km.fail("offset %d: timestamp type %d, expected create time" % (r.offset, r.timestamp_type))
                km.compare(expected[p][position[p]],
                           {"partition": p, "offset": r.offset, "key": r.key, "value": r.value,
                            "headers": list(r.headers), "timestamp": r.timestamp},
                           "kafka-python consume")
                position[p] += 1
                received += 1
    print("consumed %d messages: identical and in order in every partition" % received)

    begin = consumer.beginning_offsets(tps)
    end = consumer.end_offsets(tps)
    for tp in tps:
        if (begin[tp], end[tp]) != (0, len(expected[tp.partition])):
            km.fail("partition %d: earliest %d latest %d, expected 0 and %d"
                    % (tp.partition, begin[tp], end[tp], len(expected[tp.partition])))
    if os.environ.get("KELP_TEST_MOCK"):
        print("offsets: earliest/latest right; timestamp lookup not checked on the mock")
    else:
        partition, ts, offset = km.offset_for_timestamp_case(messages)
        tp = TopicPartition(topic, partition)
        found = consumer.offsets_for_times({tp: ts})[tp]
        if found is None or found.offset != offset:
            km.fail("partition %d: offset for timestamp %d is %r, expected %d" % (partition, ts, found, offset))
        print("offsets: earliest/latest right; timestamp %d -> offset %d" % (ts, offset))
    consumer.close(autocommit=False)


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
