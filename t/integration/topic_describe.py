"""DescribeLogDirs, DescribeTopicPartitions and OffsetForLeaderEpoch at every
advertised version. No Debian-packaged client sends them (kafka-python
2.0.2, librdkafka 2.0.2), so the requests go over a raw socket
(kafka_raw.py); topics and records come from kafka-python.

The "run" step creates topics, produces, checks, and keeps the answers in
$KELP_WORK; the "check" step (after a restart) checks again and compares.

Usage: topic_describe.py run|check BOOTSTRAP DATA
"""

import json
import os
import sys

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic

import kafka_raw as kr

STEP, BOOTSTRAP, DATA = sys.argv[1:4]
SAVED = os.path.join(os.environ["KELP_WORK"], "topic_describe.json")
LOG_DIRS, TOPIC_PARTITIONS, LEADER_EPOCH = 35, 75, 23
UNKNOWN_TOPIC_OR_PARTITION, UNKNOWN_LEADER_EPOCH = 3, 75
# Kafka's AclOperation bits a topic allows with no authorizer: READ, WRITE,
# CREATE, DELETE, ALTER, DESCRIBE, DESCRIBE_CONFIGS, ALTER_CONFIGS.
TOPIC_OPERATIONS = sum(1 << op for op in (3, 4, 5, 6, 7, 8, 10, 11))
ZERO_ID = bytes(16)


def check(cond, what):
    if not cond:
        print("FAIL: " + what, file=sys.stderr, flush=True)
        sys.exit(1)
    print("ok: " + what, flush=True)


def log_sizes(topic):
    """{partition: bytes of its .log files} as they are on disk."""
    base = os.path.join(DATA, "topics", "kafka", topic)
    sizes = {}
    for p in os.listdir(base):
        if p.isdigit():
            d = os.path.join(base, p)
            sizes[int(p)] = sum(os.path.getsize(os.path.join(d, f)) for f in os.listdir(d) if f.endswith(".log"))
    return sizes


def tags(flex):
    return kr.TAGS if flex else b""


def describe_log_dirs(version, topics):
    """topics: None (all) or [(name, [partition...])]. Returns (top-level
    error, [(error, path, {topic: {partition: size}}, total, usable)])."""
    flex = version >= 2
    items = None
    if topics is not None:
        items = [kr.string(t, flex) + kr.array([kr.i32(p) for p in parts], flex) + tags(flex) for t, parts in topics]
    r = kr.call(BOOTSTRAP, LOG_DIRS, version, kr.array(items, flex) + tags(flex), flex)
    r.i32()  # throttle
    top_error = r.i16() if version >= 3 else 0

    def partition(x):
        index, size, lag, future = x.i32(), x.i64(), x.i64(), x.i8()
        x.tags()
        check(lag == 0 and future == 0, "DescribeLogDirs v%d: offset_lag 0, is_future_key false" % version)
        return index, size

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
        names = [name for name, _ in ts]
        check(len(set(names)) == len(names), "DescribeLogDirs v%d: each topic once (%s)" % (version, names))
        return err, path, {name: dict(parts) for name, parts in ts}, total, usable

    results = r.array(result)
    r.tags()
    r.done()
    return top_error, results


def log_dir_topics(version, topics=None):
    """The topics of the one log directory, after checking its envelope."""
    err, results = describe_log_dirs(version, topics)
    check(err == 0 and len(results) == 1 and results[0][0] == 0,
          "DescribeLogDirs v%d: no error, one log dir (%s, %s)" % (version, err, [r[:2] for r in results]))
    check(os.path.realpath(results[0][1]) == os.path.realpath(DATA),
          "DescribeLogDirs v%d: the log dir is the data directory (%s)" % (version, results[0][1]))
    if version >= 4:
        total, usable = results[0][3], results[0][4]
        check(total >= usable > 0, "DescribeLogDirs v4: total >= usable > 0 (%s, %s)" % (total, usable))
    else:
        check(results[0][3] is None, "DescribeLogDirs v%d: no byte counts before v4" % version)
    return results[0][2]


def describe_topic_partitions(names, limit=2000, cursor=None):
    """Returns ([topic dict], next cursor or None)."""
    body = kr.array([kr.string(n, True) + kr.TAGS for n in names], True) + kr.i32(limit)
    body += kr.i8(-1) if cursor is None else kr.i8(1) + kr.string(cursor[0], True) + kr.i32(cursor[1]) + kr.TAGS
    r = kr.call(BOOTSTRAP, TOPIC_PARTITIONS, 0, body + kr.TAGS, True)
    r.i32()  # throttle

    def ints(x):
        return x.i32()

    def partition(x):
        v = {"error": x.i16(), "index": x.i32(), "leader": x.i32(), "epoch": x.i32(), "replicas": x.array(ints),
             "isr": x.array(ints), "elr": x.array(ints), "last_elr": x.array(ints), "offline": x.array(ints)}
        x.tags()
        return v

    def topic(x):
        v = {"error": x.i16(), "name": x.string(), "id": x.take(16).hex(), "internal": x.i8(),
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


def offset_for_leader_epoch(version, topic, partitions):
    """partitions: [(partition, current_leader_epoch, leader_epoch)].
    Returns [(error, partition, leader_epoch, end_offset)]."""
    flex = version >= 4
    body = kr.i32(-1) if version >= 3 else b""  # replica_id: a consumer
    parts = [kr.i32(p) + kr.i32(current) + kr.i32(epoch) + tags(flex) for p, current, epoch in partitions]
    body += kr.array([kr.string(topic, flex) + kr.array(parts, flex) + tags(flex)], flex)
    r = kr.call(BOOTSTRAP, LEADER_EPOCH, version, body + tags(flex), flex)
    r.i32()  # throttle

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
    check(len(topics) == 1 and topics[0][0] == topic, "OffsetForLeaderEpoch v%d: the topic %s is answered (%s)"
          % (version, topic, [t[0] for t in topics]))
    return topics[0][1]


def produce(records):
    p = KafkaProducer(bootstrap_servers=BOOTSTRAP, acks="all")
    for topic, partition, value in records:
        p.send(topic, value=value, partition=partition)
    p.flush()
    p.close()


def setup():
    admin = KafkaAdminClient(bootstrap_servers=BOOTSTRAP)
    admin.create_topics([NewTopic("desc-a", 4, 1), NewTopic("desc-b", 2, 1), NewTopic("desc-c", 1, 1)])
    admin.close()
    sizes = {v: log_dir_topics(v) for v in range(1, 5)}
    for v in range(1, 5):
        check(sizes[v].get("desc-a") == {0: 0, 1: 0, 2: 0, 3: 0} and sizes[v].get("desc-c") == {0: 0},
              "DescribeLogDirs v%d: new topics are empty (%s)" % (v, sizes[v]))
    produce([("desc-a", i % 4, b"x" * (100 + i)) for i in range(40)] + [("desc-b", 1, b"y")])
    before = log_dir_topics(4)
    produce([("desc-a", 2, b"z" * 500)])
    after = log_dir_topics(4)
    check(after["desc-a"][2] > before["desc-a"][2] and
          all(after["desc-a"][p] == before["desc-a"][p] for p in (0, 1, 3)),
          "DescribeLogDirs: only the partition written to grew (%s -> %s)" % (before["desc-a"], after["desc-a"]))


def check_log_dirs():
    for v in range(1, 5):
        topics = log_dir_topics(v)
        for name in ("desc-a", "desc-b", "desc-c"):
            on_disk = log_sizes(name)
            check(topics.get(name) == on_disk, "DescribeLogDirs v%d: %s's sizes are its .log bytes (%s, on disk %s)"
                  % (v, name, topics.get(name), on_disk))
        check(topics["desc-a"][0] > 0 and topics["desc-b"][1] > 0 and topics["desc-b"][0] == 0,
              "DescribeLogDirs v%d: written partitions have bytes, the others none" % v)
        filtered = log_dir_topics(v, [("desc-a", [3, 1, 9, -1]), ("desc-none", [0]), ("desc-a", [1]),
                                      ("desc-b", [7]), ("bad/name", [0])])
        check({t: sorted(p) for t, p in filtered.items()} == {"desc-a": [1, 3]},
              "DescribeLogDirs v%d: only the named partitions that exist, each once (%s)" % (v, filtered))
        check(filtered["desc-a"] == {1: topics["desc-a"][1], 3: topics["desc-a"][3]},
              "DescribeLogDirs v%d: filtered sizes match the full answer" % v)
        check(log_dir_topics(v, []) == {}, "DescribeLogDirs v%d: an empty topic list describes nothing" % v)
    return log_dir_topics(4)


def check_topic_partitions(node):
    all_topics, nxt = describe_topic_partitions([])
    names = [t["name"] for t in all_topics]
    check(names == ["desc-a", "desc-b", "desc-c"] and nxt is None,
          "DescribeTopicPartitions: every topic in name order, no cursor (%s, %s)" % (names, nxt))
    for t in all_topics:
        check(t["error"] == 0 and t["id"] != ZERO_ID.hex() and t["internal"] == 0 and t["ops"] == TOPIC_OPERATIONS,
              "DescribeTopicPartitions: %s has an id, is not internal, allows every topic operation (%s)"
              % (t["name"], {k: t[k] for k in ("error", "id", "internal", "ops")}))
        expect = list(range({"desc-a": 4, "desc-b": 2, "desc-c": 1}[t["name"]]))
        check([p["index"] for p in t["partitions"]] == expect,
              "DescribeTopicPartitions: %s has partitions %s" % (t["name"], expect))
        for p in t["partitions"]:
            check(p["error"] == 0 and p["leader"] == node and p["epoch"] == 0 and p["replicas"] == [node] and
                  p["isr"] == [node] and p["elr"] == [] and p["last_elr"] == [] and p["offline"] == [],
                  "DescribeTopicPartitions: %s[%d] led by node %d at epoch 0, its only replica (%s)"
                  % (t["name"], p["index"], node, p))

    topics, nxt = describe_topic_partitions(["desc-none", "desc-c", "desc-b", "desc-c", "bad/name"])
    check([(t["name"], t["error"]) for t in topics] ==
          [("bad/name", UNKNOWN_TOPIC_OR_PARTITION), ("desc-b", 0), ("desc-c", 0),
           ("desc-none", UNKNOWN_TOPIC_OR_PARTITION)] and nxt is None,
          "DescribeTopicPartitions: named topics sorted, once each; unknown and invalid names get "
          "UNKNOWN_TOPIC_OR_PARTITION (%s)" % [(t["name"], t["error"]) for t in topics])
    for t in topics:
        if t["error"]:
            check(t["id"] == ZERO_ID.hex() and t["partitions"] == [],
                  "DescribeTopicPartitions: %s has a zero id and no partitions" % t["name"])
    by_name = {t["name"]: t for t in all_topics}
    check(topics[1] == by_name["desc-b"] and topics[2] == by_name["desc-c"],
          "DescribeTopicPartitions: a named topic is described as in the full listing")

    # Paging: a limit of 3 over desc-a (4 partitions) and desc-b (2).
    topics, nxt = describe_topic_partitions(["desc-b", "desc-a"], limit=3)
    check([(t["name"], [p["index"] for p in t["partitions"]]) for t in topics] == [("desc-a", [0, 1, 2])] and
          nxt == ("desc-a", 3), "DescribeTopicPartitions: a limit of 3 stops inside desc-a, cursor desc-a/3 (%s, %s)"
          % ([(t["name"], len(t["partitions"])) for t in topics], nxt))
    topics, nxt = describe_topic_partitions(["desc-b", "desc-a"], limit=3, cursor=nxt)
    check([(t["name"], [p["index"] for p in t["partitions"]]) for t in topics] == [("desc-a", [3]), ("desc-b", [0, 1])]
          and nxt is None, "DescribeTopicPartitions: the cursor returns the rest and no further cursor (%s, %s)"
          % ([(t["name"], len(t["partitions"])) for t in topics], nxt))
    # A page that ends exactly with a topic points at the next one.
    topics, nxt = describe_topic_partitions([], limit=4)
    check([t["name"] for t in topics] == ["desc-a"] and nxt == ("desc-b", 0),
          "DescribeTopicPartitions: a page that ends with desc-a points at desc-b/0 (%s)" % (nxt,))
    topics, nxt = describe_topic_partitions([], limit=4, cursor=nxt)
    check([t["name"] for t in topics] == ["desc-b", "desc-c"] and nxt is None,
          "DescribeTopicPartitions: the next page has desc-b and desc-c")
    # A cursor on a topic not being described starts at the next one in name order.
    topics, nxt = describe_topic_partitions(["desc-a", "desc-c"], cursor=("desc-b", 1))
    check([t["name"] for t in topics] == ["desc-c"] and nxt is None,
          "DescribeTopicPartitions: a cursor on desc-b (not asked for) starts at desc-c (%s)"
          % [t["name"] for t in topics])
    # A limit of 0 or less means the broker's cap (2000).
    for limit in (0, -5):
        topics, nxt = describe_topic_partitions([], limit=limit)
        check(topics == all_topics and nxt is None,
              "DescribeTopicPartitions: limit %d answers everything under the default cap" % limit)
    return all_topics


def check_leader_epochs():
    c = KafkaConsumer(bootstrap_servers=BOOTSTRAP)
    tps = [TopicPartition("desc-a", p) for p in range(4)]
    ends = c.end_offsets(tps)
    c.close()
    check(all(ends[tp] > 0 for tp in tps), "ListOffsets: every desc-a partition has records (%s)"
          % {tp.partition: ends[tp] for tp in tps})
    answers = {}
    for v in range(2, 5):
        got = offset_for_leader_epoch(v, "desc-a", [(p, current, 0) for p in range(4) for current in (-1, 0)])
        expect = [(0, p, 0, ends[TopicPartition("desc-a", p)]) for p in range(4) for _ in (-1, 0)]
        check(got == expect, "OffsetForLeaderEpoch v%d: epoch 0 ends at the high watermark (%s)" % (v, got))
        answers[v] = got
        got = offset_for_leader_epoch(v, "desc-a", [(2, -1, 3), (2, 0, 1), (2, -1, -1)])
        check(got == [(0, 2, -1, -1)] * 3, "OffsetForLeaderEpoch v%d: another epoch gets -1/-1, no error (%s)"
              % (v, got))
        got = offset_for_leader_epoch(v, "desc-a", [(2, 5, 0), (2, 1, 0)])
        check(got == [(UNKNOWN_LEADER_EPOCH, 2, -1, -1)] * 2,
              "OffsetForLeaderEpoch v%d: a newer current epoch gets UNKNOWN_LEADER_EPOCH (%s)" % (v, got))
        got = offset_for_leader_epoch(v, "desc-a", [(2, -7, 0)])
        check(got == [(0, 2, 0, ends[TopicPartition("desc-a", 2)])],
              "OffsetForLeaderEpoch v%d: a negative current epoch is not checked (%s)" % (v, got))
        got = offset_for_leader_epoch(v, "desc-a", [(4, -1, 0), (-1, -1, 0)])
        check(got == [(UNKNOWN_TOPIC_OR_PARTITION, 4, -1, -1), (UNKNOWN_TOPIC_OR_PARTITION, -1, -1, -1)],
              "OffsetForLeaderEpoch v%d: a partition that does not exist (%s)" % (v, got))
        for topic in ("desc-none", "bad/name"):
            got = offset_for_leader_epoch(v, topic, [(0, -1, 0)])
            check(got == [(UNKNOWN_TOPIC_OR_PARTITION, 0, -1, -1)],
                  "OffsetForLeaderEpoch v%d: topic %s gets UNKNOWN_TOPIC_OR_PARTITION (%s)" % (v, topic, got))
    return answers


def main():
    versions = kr.api_versions(BOOTSTRAP)
    got = [versions.get(k) for k in (LOG_DIRS, TOPIC_PARTITIONS, LEADER_EPOCH)]
    check(got == [(1, 4), (0, 0), (2, 4)],
          "ApiVersions: DescribeLogDirs 1-4, DescribeTopicPartitions 0-0, OffsetForLeaderEpoch 2-4 (%s)" % got)
    admin = KafkaAdminClient(bootstrap_servers=BOOTSTRAP)
    node = admin.describe_cluster()["brokers"][0]["node_id"]
    admin.close()
    if STEP == "run":
        setup()
    answers = {"log_dirs": {t: {str(p): s for p, s in parts.items()} for t, parts in check_log_dirs().items()},
               "topic_partitions": check_topic_partitions(node),
               "leader_epochs": {str(v): [list(a) for a in got] for v, got in check_leader_epochs().items()}}
    if STEP == "run":
        with open(SAVED, "w") as f:
            json.dump(answers, f)
    else:
        with open(SAVED) as f:
            saved = json.load(f)
        for key in answers:
            check(answers[key] == saved[key], "%s: the same answers after the restart" % key)


main()
