"""Broker-side schema validation (confluent.value.schema.validation) with
confluent-kafka-python 1.7.0: JSONSerializer, ProtobufSerializer (its
message class built at run time from a FileDescriptorProto) and the older
AvroProducer/AvroConsumer write through kelpd's schema registry to
validated topics and read back; unframed records, unknown ids, ids of
another subject, truncated Avro, JSON that breaks its schema and broken
Protobuf are refused with INVALID_RECORD and not stored; a batch with one
bad record is refused whole; tombstones pass; a topic without validation
takes anything.

Usage: schema_validation.py BOOTSTRAP REGISTRY_URL
"""

import json
import struct
import sys
import uuid

from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic
from confluent_kafka.avro import AvroConsumer, AvroProducer
from confluent_kafka.avro import loads as avro_loads
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer
from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer, ProtobufSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

BOOTSTRAP, REGISTRY = sys.argv[1:3]
INVALID_RECORD = 87
INVALID_CONFIG = 40
RUN = uuid.uuid4().hex[:8]

AVRO_SCHEMA = json.dumps({"type": "record", "name": "User", "namespace": "kelp.sv",
                          "fields": [{"name": "name", "type": "string"}, {"name": "age", "type": "int"}]})
JSON_SCHEMA = json.dumps({"$schema": "http://json-schema.org/draft-07/schema#", "title": "Item",
                          "type": "object", "properties": {"name": {"type": "string"}, "qty": {"type": "integer"}},
                          "required": ["name", "qty"]})


def check(cond, what):
    if not cond:
        print("FAIL: " + what, file=sys.stderr, flush=True)
        sys.exit(1)
    print("ok: " + what, flush=True)


def point_class():
    """A Protobuf message class made at run time: kelpsv.Point {int32 x = 1; string label = 2;}."""
    fdp = descriptor_pb2.FileDescriptorProto(name="kelp_sv_point.proto", package="kelpsv", syntax="proto3")
    msg = fdp.message_type.add(name="Point")
    f = descriptor_pb2.FieldDescriptorProto
    msg.field.add(name="x", number=1, type=f.TYPE_INT32, label=f.LABEL_OPTIONAL)
    msg.field.add(name="label", number=2, type=f.TYPE_STRING, label=f.LABEL_OPTIONAL)
    pool = descriptor_pool.DescriptorPool()
    pool.Add(fdp)
    desc = pool.FindMessageTypeByName("kelpsv.Point")
    if hasattr(message_factory, "GetMessageClass"):
        return message_factory.GetMessageClass(desc)
    return message_factory.MessageFactory(pool).GetPrototype(desc)


def create(admin, name, config):
    fs = admin.create_topics([NewTopic(name, 1, 1, config=config)])
    fs[name].result(30)


def framed(schema_id, payload, indexes=b""):
    return b"\x00" + struct.pack(">I", schema_id) + indexes + payload


def produce(values, topic, key=b"k"):
    """Produces values (one batch when they fit) and returns each delivery's error code (0 ok)."""
    p = Producer({"bootstrap.servers": BOOTSTRAP, "linger.ms": 500, "retries": 0, "acks": "all"})
    # With the leader known up front, records produced together leave as one
    # batch (a batch is refused whole, so the checks depend on it).
    p.list_topics(topic, timeout=10)
    codes = []

    def report(err, _msg):
        codes.append(err.code() if err else 0)

    for v in values:
        p.produce(topic, value=v, key=key, on_delivery=report)
    p.flush(30)
    return codes


def end_offset(topic):
    c = Consumer({"bootstrap.servers": BOOTSTRAP, "group.id": "sv-" + RUN})
    low, high = c.get_watermark_offsets(TopicPartition(topic, 0), timeout=10)
    c.close()
    return high


def consume(topic, n):
    c = Consumer({"bootstrap.servers": BOOTSTRAP, "group.id": "svc-" + RUN + topic,
                  "auto.offset.reset": "earliest", "enable.auto.commit": False})
    c.assign([TopicPartition(topic, 0, 0)])
    got = []
    for _ in range(100):
        m = c.poll(0.5)
        if m is not None and not m.error():
            got.append(m)
        if len(got) >= n:
            break
    c.close()
    return got


def refused(values, topic, what):
    before = end_offset(topic)
    codes = produce(values, topic)
    check(codes and all(c == INVALID_RECORD for c in codes), "%s: refused with INVALID_RECORD (%s)" % (what, codes))
    check(end_offset(topic) == before, "%s: nothing stored" % what)


def main():
    admin = AdminClient({"bootstrap.servers": BOOTSTRAP})
    sr = SchemaRegistryClient({"url": REGISTRY})
    on = {"confluent.value.schema.validation": "true"}
    t_avro, t_json, t_proto, t_plain = ("sv-%s-%s" % (kind, RUN) for kind in ("avro", "json", "proto", "plain"))
    for t in (t_avro, t_json, t_proto):
        create(admin, t, on)
    create(admin, t_plain, {})

    # Only TopicNameStrategy is supported; another strategy is refused, not ignored.
    try:
        create(admin, "sv-strategy-" + RUN, dict(on, **{
            "confluent.value.subject.name.strategy": "io.confluent.kafka.serializers.subject.RecordNameStrategy"}))
        check(False, "RecordNameStrategy refused")
    except Exception as e:
        code = e.args[0].code() if e.args and hasattr(e.args[0], "code") else None
        check(code == INVALID_CONFIG, "RecordNameStrategy refused with INVALID_CONFIG (%s)" % e)
    res = ConfigResource(ConfigResource.Type.TOPIC, t_json)
    configs = admin.describe_configs([res])[res].result(30)
    check(configs["confluent.value.schema.validation"].value == "true", "DescribeConfigs shows validation on")
    check(configs["confluent.key.schema.validation"].value == "false", "key validation defaults to false")

    # Avro through the older AvroProducer/AvroConsumer.
    avro_schema = avro_loads(AVRO_SCHEMA)
    ap = AvroProducer({"bootstrap.servers": BOOTSTRAP, "schema.registry.url": REGISTRY},
                      default_value_schema=avro_schema)
    for i in range(3):
        ap.produce(topic=t_avro, value={"name": "user%d" % i, "age": 20 + i})
    check(ap.flush(30) == 0, "AvroProducer wrote to the validated topic")
    check(end_offset(t_avro) == 3, "three Avro records stored")
    ac = AvroConsumer({"bootstrap.servers": BOOTSTRAP, "group.id": "sva-" + RUN,
                       "schema.registry.url": REGISTRY, "auto.offset.reset": "earliest"})
    ac.subscribe([t_avro])
    users = []
    for _ in range(60):
        m = ac.poll(0.5)
        if m is not None and not m.error():
            users.append(m.value())
        if len(users) == 3:
            break
    ac.close()
    check([u["name"] for u in users] == ["user0", "user1", "user2"], "AvroConsumer decoded the records")

    # JSON Schema.
    js = JSONSerializer(JSON_SCHEMA, sr)
    ctx = SerializationContext(t_json, MessageField.VALUE)
    good_json = js({"name": "bolt", "qty": 3}, ctx)
    check(produce([good_json], t_json) == [0], "JSONSerializer record accepted")
    json_id = struct.unpack(">I", good_json[1:5])[0]
    got = consume(t_json, 1)
    check(len(got) == 1 and JSONDeserializer(JSON_SCHEMA)(got[0].value(), ctx) == {"name": "bolt", "qty": 3},
          "JSON record decoded")

    # Protobuf.
    Point = point_class()
    ps = ProtobufSerializer(Point, sr)
    pctx = SerializationContext(t_proto, MessageField.VALUE)
    good_proto = ps(Point(x=7, label="seven"), pctx)
    check(produce([good_proto], t_proto) == [0], "ProtobufSerializer record accepted")
    proto_id = struct.unpack(">I", good_proto[1:5])[0]
    got = consume(t_proto, 1)
    decoded = ProtobufDeserializer(Point)(got[0].value(), pctx) if got else None
    check(decoded is not None and decoded.x == 7 and decoded.label == "seven", "Protobuf record decoded")

    avro_id = sr.get_latest_version(t_avro + "-value").schema_id
    good_avro = consume(t_avro, 1)[0].value()

    # What validation refuses.
    refused([framed(999999, b"\x02\x04hi")], t_avro, "a framed record with an unknown id")
    refused([good_avro[:-1]], t_avro, "a framed Avro record with a truncated payload")
    refused([b"hello, unframed"], t_avro, "an unframed record")
    refused([b"\x00\x00"], t_avro, "a record shorter than the frame")
    refused([framed(json_id, b'{"name":"bolt"}')], t_avro, "an id registered under another subject")
    refused([framed(json_id, b'{"name": 5, "qty": 1}')], t_json, "JSON that violates the schema")
    refused([framed(json_id, b'{"name": "x", ')], t_json, "a payload that is not JSON")
    refused([framed(proto_id, b"\x0a\xff", indexes=b"")], t_proto, "a Protobuf payload that does not parse")
    refused([good_avro, good_avro, b"bad", good_avro], t_avro, "a batch with one bad record, whole")

    # Tombstones pass, as with Confluent Server.
    before = end_offset(t_avro)
    check(produce([None], t_avro) == [0], "a tombstone (null value) accepted")
    check(end_offset(t_avro) == before + 1, "the tombstone stored")

    # Without validation anything goes.
    check(produce([b"hello", framed(999999, b"x")], t_plain) == [0, 0], "an unvalidated topic takes anything")
    check(end_offset(t_plain) == 2, "both stored")

    # Turning validation on later applies to what comes next.
    res = ConfigResource(ConfigResource.Type.TOPIC, t_plain, set_config=on)
    admin.alter_configs([res])[res].result(30)
    refused([b"hello"], t_plain, "after AlterConfigs, an unframed record")


main()
