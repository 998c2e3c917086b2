"""DescribeLogDirs, DescribeTopicPartitions and OffsetForLeaderEpoch at every
advertised version. No Debian-packaged client sends them (kafka-python
2.0.2, librdkafka 2.0.2), so the requests go over a raw socket
(kafka_raw.py); topics and records come from kafka-python.

Usage: topic_describe.py STEP BOOTSTRAP DATA
"""

import os
import sys

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic

import kafka_raw as kr

STEP, BOOTSTRAP, DATA = sys.argv[1:4]
LOG_DIRS, TOPIC_PARTITIONS, LEADER_EPOCH = 35, 75, 23


def check(cond, what):
    if not cond:
        print("FAIL: " + what, file=sys.stderr)
        sys.exit(1)
    print("ok: " + what)


def log_sizes(topic):
    base = os.path.join(DATA, "topics", "kafka", topic)
    sizes = {}
    for p in os.listdir(base):
        if p.isdigit():
            d = os.path.join(base, p)
            sizes[int(p)] = sum(os.path.getsize(os.path.join(d, f)) for f in os.listdir(d) if f.endswith(".log"))
    return sizes


def describe_log_dirs(version, topics):
    flex = version >= 2
    items = None
    if topics is not None:
        items = [kr.string(t, flex) + kr.array([kr.i32(p) for p in parts], flex) + (kr.TAGS if flex else b"")
                 for t, parts in topics]
    r = kr.call(BOOTSTRAP, LOG_DIRS, version, kr.array(items, flex) + (kr.TAGS if flex else b""), flex)
    r.i32()
    top_error = r.i16() if version >= 3 else 0

    def partition(x):
        v = (x.i32(), x.i64(), x.i64(), x.i8())
        x.tags()
        return v

    def topic(x):
        name = x.string()
        parts = x.array(partition)
        x.tags()
        return name, parts

    def result(x):
        err, path = x.i16(), x.string()
        ts = x.array(topic)
        total = usable = None
        if version >= 4:
            total, usable = x.i64(), x.i64()
        x.tags()
        return err, path, ts, total, usable

    results = r.array(result)
    r.tags()
    r.done()
    return top_error, results


def describe_topic_partitions(names, limit=2000, cursor=None):
    body = kr.array([kr.string(n, True) + kr.TAGS for n in names], True) + kr.i32(limit)
    body += kr.i8(-1) if cursor is None else kr.i8(1) + kr.string(cursor[0], True) + kr.i32(cursor[1]) + kr.TAGS
    r = kr.call(BOOTSTRAP, TOPIC_PARTITIONS, 0, body + kr.TAGS, True)
    r.i32()

    def ints(x):
        return x.i32()

    def partition(x):
        v = {"error": x.i16(), "index": x.i32(), "leader": x.i32(), "epoch": x.i32(), "replicas": x.array(ints),
             "isr": x.array(ints), "elr": x.array(ints), "last_elr": x.array(ints), "offline": x.array(ints)}
        x.tags()
        return v

    def topic(x):
        v = {"error": x.i16(), "name": x.string(), "id": x.take(16), "internal": x.i8(),
             "partitions": x.array(partition), "ops": x.i32()}
        x.tags()
        return v

    topics = r.array(topic)
    nxt = None
    if r.i8() >= 0:
        nxt = (r.string(), r.i32())
        r.tags()
    r.tags()
    r.done()
    return topics, nxt


def offset_for_leader_epoch(version, topic, partition, current, epoch):
    flex = version >= 4
    body = kr.i32(-1) if version >= 3 else b""
    part = kr.i32(partition) + kr.i32(current) + kr.i32(epoch) + (kr.TAGS if flex else b"")
    body += kr.array([kr.string(topic, flex) + kr.array([part], flex) + (kr.TAGS if flex else b"")], flex)
    r = kr.call(BOOTSTRAP, LEADER_EPOCH, version, body + (kr.TAGS if flex else b""), flex)
    r.i32()

    def partition_result(x):
        v = (x.i16(), x.i32(), x.i32(), x.i64())
        x.tags()
        return v

    def topic_result(x):
        name = x.string()
        parts = x.array(partition_result)
        x.tags()
        return name, parts

    topics = r.array(topic_result)
    r.tags()
    r.done()
    return topics[0][1][0]


def setup():
    admin = KafkaAdminClient(bootstrap_servers=BOOTSTRAP)
    admin.create_topics([NewTopic("desc-a", 4, 1), NewTopic("desc-b", 2, 1)])
    admin.close()
    p = KafkaProducer(bootstrap_servers=BOOTSTRAP, acks="all")
    for i in range(40):
        p.send("desc-a", value=b"x" * (100 + i), partition=i % 4)
    p.send("desc-b", value=b"y", partition=1)
    p.flush()
    p.close()


def checks():
    versions = kr.api_versions(BOOTSTRAP)
    check(versions.get(LOG_DIRS) == (1, 4) and versions.get(TOPIC_PARTITIONS) == (0, 0) and
          versions.get(LEADER_EPOCH) == (2, 4), "advertised: DescribeLogDirs 1-4, DescribeTopicPartitions 0, "
          "OffsetForLeaderEpoch 2-4 (%s)" % [versions.get(k) for k in (LOG_DIRS, TOPIC_PARTITIONS, LEADER_EPOCH)])

    on_disk = log_sizes("desc-a")
    for v in range(1, 5):
        err, results = describe_log_dirs(v, None)
        check(err == 0 and len(results) == 1 and results[0][0] == 0, "DescribeLogDirs v%d: one log dir" % v)
        topics = {name: {p[0]: p[1] for p in parts} for name, parts in results[0][2]}
        check(topics.get("desc-a") == on_disk and set(topics.get("desc-b", {})) == {0, 1},
              "DescribeLogDirs v%d: every partition with its .log bytes (%s)" % (v, topics.get("desc-a")))
        if v >= 4:
            check(results[0][3] >= results[0][4] > 0, "DescribeLogDirs v4: total >= usable > 0 (%s, %s)"
                  % (results[0][3], results[0][4]))
        err, results = describe_log_dirs(v, [("desc-a", [1, 3, 9]), ("desc-none", [0])])
        topics = {name: sorted(p[0] for p in parts) for name, parts in results[0][2]}
        check(topics == {"desc-a": [1, 3]}, "DescribeLogDirs v%d: only the partitions asked for that exist (%s)"
              % (v, topics))

    topics, nxt = describe_topic_partitions([])
    names = [t["name"] for t in topics]
    check(names == sorted(names) and {"desc-a", "desc-b"} <= set(names) and nxt is None,
          "DescribeTopicPartitions: all topics in name order (%s)" % names)
    a = [t for t in topics if t["name"] == "desc-a"][0]
    check([p["index"] for p in a["partitions"]] == [0, 1, 2, 3] and
          all(p["leader"] == 0 and p["replicas"] == [0] and p["isr"] == [0] and p["epoch"] == 0
              for p in a["partitions"]), "DescribeTopicPartitions: node 0 leads and holds every partition")
    topics, _ = describe_topic_partitions(["desc-none", "desc-b"])
    check([(t["name"], t["error"]) for t in topics] == [("desc-b", 0), ("desc-none", 3)],
          "DescribeTopicPartitions: named topics, an unknown one gets UNKNOWN_TOPIC_OR_PARTITION")
    topics, nxt = describe_topic_partitions(["desc-a", "desc-b"], limit=3)
    check([(t["name"], len(t["partitions"])) for t in topics] == [("desc-a", 3)] and nxt == ("desc-a", 3),
          "DescribeTopicPartitions: a limit of 3 stops inside desc-a with a cursor (%s)" % (nxt,))
    topics, nxt = describe_topic_partitions(["desc-a", "desc-b"], limit=3, cursor=nxt)
    check([(t["name"], [p["index"] for p in t["partitions"]]) for t in topics] == [("desc-a", [3]),
                                                                                   ("desc-b", [0, 1])]
          and nxt is None, "DescribeTopicPartitions: the cursor returns the rest")

    c = KafkaConsumer(bootstrap_servers=BOOTSTRAP)
    ends = c.end_offsets([TopicPartition("desc-a", 2)])
    c.close()
    for v in range(2, 5):
        check(offset_for_leader_epoch(v, "desc-a", 2, 0, 0) == (0, 2, 0, ends[TopicPartition("desc-a", 2)]),
              "OffsetForLeaderEpoch v%d: epoch 0 ends at the high watermark" % v)
        check(offset_for_leader_epoch(v, "desc-a", 2, -1, 3) == (0, 2, -1, -1),
              "OffsetForLeaderEpoch v%d: an unknown epoch gets -1/-1" % v)
        check(offset_for_leader_epoch(v, "desc-a", 2, 5, 0)[0] == 75,
              "OffsetForLeaderEpoch v%d: a newer current epoch gets UNKNOWN_LEADER_EPOCH" % v)
        check(offset_for_leader_epoch(v, "desc-none", 0, -1, 0)[0] == 3,
              "OffsetForLeaderEpoch v%d: an unknown topic gets UNKNOWN_TOPIC_OR_PARTITION" % v)


if STEP == "run":
    setup()
checks()
