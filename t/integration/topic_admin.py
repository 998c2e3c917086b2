"""Topic administration with kafka-python's KafkaAdminClient and
confluent-kafka-python's AdminClient: CreateTopics (configs, validate_only,
the errors Kafka gives), CreatePartitions, DescribeCluster, DescribeConfigs,
AlterConfigs, DeleteTopics; the configs are honoured (max.message.bytes,
message.timestamp.type=LogAppendTime) and survive a restart. The requests no
client here sends (IncrementalAlterConfigs, DeleteTopics by topic id) go
over a raw socket.

usage: topic_admin.py create|check BOOTSTRAP DATA"""

import base64
import json
import os
import socket
import struct
import sys
import time

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient, ConfigResource as CkConfigResource
from confluent_kafka.admin import NewPartitions as CkNewPartitions, NewTopic as CkNewTopic
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import ConfigResource, ConfigResourceType, KafkaAdminClient, NewPartitions, NewTopic
from kafka.errors import (InvalidConfigurationError, InvalidPartitionsError, InvalidReplicationFactorError,
                          InvalidTopicError, MessageSizeTooLargeError, TopicAlreadyExistsError,
                          UnknownTopicOrPartitionError)

step, bootstrap, data = sys.argv[1:4]
failures = []


def check(cond, what):
    print(("ok: " if cond else "FAIL: ") + what, flush=True)
    if not cond:
        failures.append(what)


def raises(exc, fn, what):
    try:
        fn()
    except exc:
        check(True, what)
        return
    except Exception as e:  # the wrong error is a failure too
        check(False, "%s (got %s: %s)" % (what, type(e).__name__, e))
        return
    check(False, what + " (no error)")


def topic_file(name):
    with open(os.path.join(data, "topics", "kafka", name, "topic.json")) as f:
        return json.load(f)


def confluent_results(futures):
    out = {}
    for name, f in futures.items():
        try:
            f.result()
            out[name] = None
        except KafkaException as e:
            out[name] = e.args[0].name()
    return out


def create():
    kp = KafkaAdminClient(bootstrap_servers=bootstrap)
    kp.create_topics([NewTopic("adm-limits", 2, 1, topic_configs={
        "max.message.bytes": "2000", "message.timestamp.type": "LogAppendTime"})])
    check(topic_file("adm-limits")["configs"] == {"max.message.bytes": "2000",
                                                   "message.timestamp.type": "LogAppendTime"},
          "the topic's configs are in its topic.json")
    raises(TopicAlreadyExistsError, lambda: kp.create_topics([NewTopic("adm-limits", 2, 1)]),
           "creating it again: TOPIC_ALREADY_EXISTS")
    raises(InvalidConfigurationError,
           lambda: kp.create_topics([NewTopic("adm-x", 1, 1, topic_configs={"no.such.config": "1"})]),
           "an unknown config name: INVALID_CONFIG")
    raises(InvalidConfigurationError,
           lambda: kp.create_topics([NewTopic("adm-x", 1, 1, topic_configs={"segment.bytes": "12"})]),
           "segment.bytes out of range: INVALID_CONFIG")
    raises(InvalidReplicationFactorError, lambda: kp.create_topics([NewTopic("adm-x", 1, 3)]),
           "replication factor 3 on one broker: INVALID_REPLICATION_FACTOR")
    raises(InvalidPartitionsError, lambda: kp.create_topics([NewTopic("adm-x", 0, 1)]),
           "zero partitions: INVALID_PARTITIONS")
    raises(InvalidTopicError, lambda: kp.create_topics([NewTopic("bad/name", 1, 1)]),
           "an invalid name: INVALID_TOPIC_EXCEPTION")
    kp.create_topics([NewTopic("adm-validated", 3, 1)], validate_only=True)
    check("adm-validated" not in kp.list_topics(), "validate_only creates nothing")
    check(not os.path.exists(os.path.join(data, "topics", "kafka", "adm-x")), "refused topics left no files")
    kp.create_partitions({"adm-limits": NewPartitions(4)})
    raises(InvalidPartitionsError, lambda: kp.create_partitions({"adm-limits": NewPartitions(3)}),
           "shrinking: INVALID_PARTITIONS")
    cluster = kp.describe_cluster()
    check(len(cluster["brokers"]) == 1 and cluster["controller_id"] == cluster["brokers"][0]["node_id"],
          "DescribeCluster: one broker, the controller")

    ck = AdminClient({"bootstrap.servers": bootstrap})
    res = confluent_results(ck.create_topics([
        CkNewTopic("adm-ck", 3, 1, config={"segment.bytes": "1048576"}),
        CkNewTopic("adm-ck-assigned", 2, replica_assignment=[[0], [0]]),
        CkNewTopic("adm-ck-bad-assign", 2, replica_assignment=[[0], [7]]),
        CkNewTopic("adm-ck-compact", 1, 1, config={"cleanup.policy": "compact"}),
    ]))
    check(res == {"adm-ck": None, "adm-ck-assigned": None, "adm-ck-bad-assign": "INVALID_REPLICA_ASSIGNMENT",
                  "adm-ck-compact": None}, "confluent-kafka CreateTopics results: %s" % res)
    res = confluent_results(ck.create_partitions([CkNewPartitions("adm-ck", 5), CkNewPartitions("adm-none", 2)]))
    check(res == {"adm-ck": None, "adm-none": "UNKNOWN_TOPIC_OR_PART"}, "CreatePartitions results: %s" % res)
    md = ck.list_topics(timeout=10)
    counts = {t: len(m.partitions) for t, m in md.topics.items()}
    check(counts.get("adm-ck") == 5 and counts.get("adm-ck-assigned") == 2 and counts.get("adm-limits") == 4,
          "partition counts: %s" % counts)
    describe_configs(kp, ck)


def describe_configs(kp, ck):
    futures = ck.describe_configs([CkConfigResource(CkConfigResource.Type.TOPIC, "adm-limits"),
                                   CkConfigResource(CkConfigResource.Type.BROKER, "0"),
                                   CkConfigResource(CkConfigResource.Type.TOPIC, "adm-none")])
    results = {}
    for res, f in futures.items():
        try:
            results[res.name] = f.result()
        except KafkaException as e:
            results[res.name] = e.args[0].name()
    topic = results["adm-limits"]
    mmb = topic["max.message.bytes"]
    check(mmb.value == "2000" and mmb.source == 1, "max.message.bytes is the topic's own (DYNAMIC_TOPIC_CONFIG)")
    synonyms = [(s.name, s.value, s.source) for s in mmb.synonyms.values()]
    check(("message.max.bytes", "1048588", 4) in synonyms, "its broker synonym is listed: %s" % synonyms)
    seg = topic["segment.bytes"]
    check(seg.value == "1073741824" and seg.source == 4, "segment.bytes is inherited from the broker")
    check(set(topic) == {"cleanup.policy", "delete.retention.ms", "max.message.bytes", "message.timestamp.type",
                         "min.compaction.lag.ms", "retention.bytes", "retention.ms", "segment.bytes", "segment.ms",
                         "confluent.key.schema.validation", "confluent.key.subject.name.strategy",
                         "confluent.value.schema.validation", "confluent.value.subject.name.strategy"},
          "every topic config is described")
    broker = results["0"]
    check(broker["num.partitions"].value == "4" and broker["broker.id"].value == "0",
          "the broker's settings are described under Kafka's names")
    check(results["adm-none"] == "UNKNOWN_TOPIC_OR_PART", "an unknown topic: UNKNOWN_TOPIC_OR_PARTITION")
    # kafka-python: only the keys asked for.
    resp = kp.describe_configs([ConfigResource(ConfigResourceType.TOPIC, "adm-limits",
                                               configs={"retention.ms": None, "message.timestamp.type": None})])
    entries = resp[0].resources[0][4]
    check(sorted((e[0], e[1]) for e in entries) == [("message.timestamp.type", "LogAppendTime"),
                                                     ("retention.ms", "604800000")],
          "kafka-python DescribeConfigs with keys: %s" % entries)
    alter_configs(kp, ck)


def alter_configs(kp, ck):
    # AlterConfigs replaces the topic's own configs as a whole.
    kp.alter_configs([ConfigResource(ConfigResourceType.TOPIC, "adm-ck",
                                     configs={"max.message.bytes": "4000", "segment.bytes": "2097152"})])
    check(topic_file("adm-ck")["configs"] == {"max.message.bytes": "4000", "segment.bytes": "2097152"},
          "kafka-python AlterConfigs wrote the topic's configs")
    resource = CkConfigResource(CkConfigResource.Type.TOPIC, "adm-ck", set_config={"max.message.bytes": "3000"})
    for f in ck.alter_configs([resource]).values():
        f.result()
    check(topic_file("adm-ck")["configs"] == {"max.message.bytes": "3000"},
          "confluent-kafka AlterConfigs replaced them (segment.bytes back to the broker's)")
    bad = CkConfigResource(CkConfigResource.Type.TOPIC, "adm-ck", set_config={"retention.ms": "-5"})
    for f in ck.alter_configs([bad]).values():
        try:
            f.result()
            check(False, "retention.ms=-5 refused")
        except KafkaException as e:
            check(e.args[0].name() == "INVALID_CONFIG", "retention.ms=-5 refused with INVALID_CONFIG")
    check(topic_file("adm-ck")["configs"] == {"max.message.bytes": "3000"}, "a refused change changes nothing")
    broker = CkConfigResource(CkConfigResource.Type.BROKER, "0", set_config={"num.partitions": "9"})
    for f in ck.alter_configs([broker]).values():
        try:
            f.result()
            check(False, "broker settings are not altered through Kafka")
        except KafkaException:
            check(True, "broker settings are not altered through Kafka")
    # IncrementalAlterConfigs: no client here speaks it (librdkafka 2.0, kafka-python 2.0
    # predate it), so it goes over a raw socket, v0.
    ops = [("max.message.bytes", 1, None), ("message.timestamp.type", 0, "LogAppendTime"),
           ("cleanup.policy", 3, "delete")]
    err, msg = incremental_alter(bootstrap, "adm-ck", ops[:2])
    check(err == 0, "IncrementalAlterConfigs DELETE and SET (%d %s)" % (err, msg))
    check(topic_file("adm-ck")["configs"] == {"message.timestamp.type": "LogAppendTime"},
          "DELETE dropped max.message.bytes, SET added message.timestamp.type")
    err, msg = incremental_alter(bootstrap, "adm-ck", ops[2:])
    check(err == 40, "SUBTRACT of the last cleanup policy: INVALID_CONFIG (%d %s)" % (err, msg))
    err, msg = incremental_alter(bootstrap, "adm-ck", [("retention.ms", 2, "1")])
    check(err == 40, "APPEND to a non-list config: INVALID_CONFIG (%d %s)" % (err, msg))
    delete_topics(kp, ck)


def topic_dir_exists(name):
    return os.path.exists(os.path.join(data, "topics", "kafka", name))


def delete_topics(kp, ck):
    kp.create_topics([NewTopic("adm-del-1", 2, 1), NewTopic("adm-del-2", 1, 1), NewTopic("adm-del-3", 1, 1)])
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
    for i in range(20):
        producer.send("adm-del-1", b"v%d" % i)
    producer.flush()
    producer.close()
    consumer = KafkaConsumer("adm-del-1", bootstrap_servers=bootstrap, group_id="adm-del-g",
                             auto_offset_reset="earliest", consumer_timeout_ms=5000, enable_auto_commit=False)
    check(len(list(consumer)) == 20, "adm-del-1 has its 20 records")
    consumer.commit()
    consumer.close()
    offsets = os.path.join(data, "topics", "kafka", ".meta", "consumer_offsets", "adm-del-g", "adm-del-1")
    check(os.path.isdir(offsets), "the group's offsets of adm-del-1 are on disk")
    kp.delete_topics(["adm-del-1"])
    check("adm-del-1" not in kp.list_topics(), "kafka-python DeleteTopics removed adm-del-1")
    raises(UnknownTopicOrPartitionError, lambda: kp.delete_topics(["adm-del-1"]),
           "deleting it again: UNKNOWN_TOPIC_OR_PARTITION")
    res = confluent_results(ck.delete_topics(["adm-del-2", "adm-none"]))
    check(res == {"adm-del-2": None, "adm-none": "UNKNOWN_TOPIC_OR_PART"}, "confluent-kafka DeleteTopics: %s" % res)
    # By topic id (v6): no client here sends it, so over a raw socket.
    topic_id = topic_file("adm-del-3")["id"]
    err, name = delete_topic_by_id(bootstrap, topic_id)
    check(err == 0 and name == "adm-del-3", "DeleteTopics v6 by topic id (%d, %s)" % (err, name))
    err, name = delete_topic_by_id(bootstrap, topic_id)
    check(err == 100, "the same id again: UNKNOWN_TOPIC_ID (%d)" % err)
    deadline = time.time() + 10
    while time.time() < deadline and os.listdir(os.path.join(data, "topics", "kafka", ".meta", "deleted")):
        time.sleep(0.1)
    check(not any(topic_dir_exists(t) for t in ("adm-del-1", "adm-del-2", "adm-del-3")),
          "the deleted topics' directories are gone")
    check(os.listdir(os.path.join(data, "topics", "kafka", ".meta", "deleted")) == [],
          "their files were removed in the background")
    check(not os.path.exists(offsets), "the group's offsets of the deleted topic are gone")
    # A new topic may take the name at once, and starts empty.
    kp.create_topics([NewTopic("adm-del-1", 1, 1)])
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, consumer_timeout_ms=2000)
    tp = TopicPartition("adm-del-1", 0)
    consumer.assign([tp])
    consumer.seek_to_end(tp)
    check(consumer.position(tp) == 0, "the new adm-del-1 starts empty")
    consumer.close()


def uvarint(n):
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def delete_topic_by_id(bootstrap, topic_id):
    raw_id = base64.urlsafe_b64decode(topic_id + "==")
    host, port = bootstrap.rsplit(":", 1)
    header = struct.pack(">hhi", 20, 6, 78) + kstr("topic-admin") + b"\x00"
    body = uvarint(2) + b"\x00" + raw_id + b"\x00" + struct.pack(">i", 30000) + b"\x00"
    frame = header + body
    with socket.create_connection((host, int(port)), timeout=30) as s:
        s.sendall(struct.pack(">i", len(frame)) + frame)
        size = struct.unpack(">i", recv_exact(s, 4))[0]
        resp = recv_exact(s, size)
    pos = 4 + 1 + 4  # correlation id, header tags, throttle
    pos += 1         # one response: compact array length 2
    nlen = resp[pos] - 1
    pos += 1
    name = resp[pos:pos + nlen].decode() if nlen >= 0 else None
    pos += max(nlen, 0) + 16
    (err,) = struct.unpack_from(">h", resp, pos)
    return err, name


def kstr(s):
    b = s.encode()
    return struct.pack(">h", len(b)) + b


def incremental_alter(bootstrap, topic, ops):
    host, port = bootstrap.rsplit(":", 1)
    body = struct.pack(">i", 1) + struct.pack(">b", 2) + kstr(topic) + struct.pack(">i", len(ops))
    for name, op, value in ops:
        body += kstr(name) + struct.pack(">b", op) + (struct.pack(">h", -1) if value is None else kstr(value))
    body += struct.pack(">b", 0)  # validate_only
    header = struct.pack(">hhi", 44, 0, 77) + kstr("topic-admin")
    frame = header + body
    with socket.create_connection((host, int(port)), timeout=30) as s:
        s.sendall(struct.pack(">i", len(frame)) + frame)
        size = struct.unpack(">i", recv_exact(s, 4))[0]
        resp = recv_exact(s, size)
    corr, throttle, count, err = struct.unpack_from(">iiih", resp, 0)
    (mlen,) = struct.unpack_from(">h", resp, 14)
    msg = resp[16:16 + mlen].decode() if mlen >= 0 else None
    return err, msg


def recv_exact(s, n):
    data = b""
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            raise EOFError("connection closed")
        data += chunk
    return data


def check_after_restart():
    kp = KafkaAdminClient(bootstrap_servers=bootstrap)
    topics = kp.list_topics()
    check("adm-limits" in topics and "adm-ck" in topics, "created topics survived the restart")
    check(topic_file("adm-ck")["configs"] == {"message.timestamp.type": "LogAppendTime"},
          "adm-ck's altered config survived")
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", max_request_size=10 ** 6)
    before = int(time.time() * 1000)
    meta = producer.send("adm-limits", key=b"k", value=b"small", partition=3, timestamp_ms=1000).get(timeout=30)
    after = int(time.time() * 1000)
    check(meta.partition == 3, "the added partition 3 takes records")
    raises(MessageSizeTooLargeError,
           lambda: producer.send("adm-limits", value=b"x" * 3000, partition=0).get(timeout=30),
           "a batch over max.message.bytes=2000: MESSAGE_TOO_LARGE")
    producer.close()
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, consumer_timeout_ms=10000)
    tp = TopicPartition("adm-limits", 3)
    consumer.assign([tp])
    consumer.seek(tp, 0)
    records = [m for m in consumer]
    consumer.close()
    check(len(records) == 1 and records[0].value == b"small", "the record reads back")
    if records:
        r = records[0]
        check(r.timestamp_type == 1 and before <= r.timestamp <= after,
              "LogAppendTime replaced the producer's timestamp (type %d, %d in [%d, %d])"
              % (r.timestamp_type, r.timestamp, before, after))


if step == "create":
    create()
else:
    check_after_restart()
if failures:
    sys.exit("%d checks failed" % len(failures))
