"""Retention, DeleteRecords, compaction and the admin endpoint's topics,
seen both in the files under the data directory and through real clients.

kelpd runs with log_retention_check_interval_ms small, so the background
passes happen within the test; waits poll for an outcome with a deadline
and fail loudly when it does not come.

Usage: topic_retention.py STEP BOOTSTRAP ADMIN DATA DELETE_RECORDS_CLIENT
"""

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request

from confluent_kafka import Producer
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import ConfigResource, ConfigResourceType, NewTopic

STEP, BOOTSTRAP, ADMIN, DATA, DELETE_RECORDS = sys.argv[1:6]
WAIT_S = 60
HOUR_MS = 3600 * 1000
SEGMENT = 1048576


def check(cond, what):
    if not cond:
        print("FAIL: " + what, file=sys.stderr)
        sys.exit(1)
    print("ok: " + what)


def wait_for(what, fn):
    deadline = time.time() + WAIT_S
    while time.time() < deadline:
        value = fn()
        if value:
            return value
        time.sleep(0.2)
    check(False, what + " (not within %ds)" % WAIT_S)


def segments(topic, partition):
    d = os.path.join(DATA, "topics", "kafka", topic, str(partition))
    return sorted(int(n[:20]) for n in os.listdir(d) if len(n) == 24 and n.endswith(".log"))


def http(method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request("http://%s%s" % (ADMIN, path), data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def kcat_offset(topic, partition, ts):
    out = subprocess.run(["kcat", "-b", BOOTSTRAP, "-Q", "-t", "%s:%d:%d" % (topic, partition, ts)],
                         capture_output=True, text=True, timeout=60)
    check(out.returncode == 0, "kcat -Q %s:%d:%d ran (%s)" % (topic, partition, ts, out.stderr.strip()))
    # "<topic> [<partition>] offset <n>"
    return int(out.stdout.split("offset")[1].split()[0])


def consumer():
    return KafkaConsumer(bootstrap_servers=BOOTSTRAP, enable_auto_commit=False, auto_offset_reset="earliest",
                         consumer_timeout_ms=3000)


def read_partition(topic, partition):
    c = consumer()
    tp = TopicPartition(topic, partition)
    c.assign([tp])
    c.seek_to_beginning(tp)
    end = c.end_offsets([tp])[tp]
    got = []
    deadline = time.time() + WAIT_S
    while (not got or got[-1].offset < end - 1) and time.time() < deadline:
        for batch in c.poll(timeout_ms=1000).values():
            got.extend(batch)
    c.close()
    return got


def produce(topic, partition, records):
    """records: (key, value, timestamp_ms); returns the offsets."""
    p = KafkaProducer(bootstrap_servers=BOOTSTRAP, acks="all", linger_ms=20, max_request_size=2 * SEGMENT)
    futures = [p.send(topic, key=k, value=v, partition=partition, timestamp_ms=ts) for k, v, ts in records]
    p.flush()
    offsets = [f.get(timeout=60).offset for f in futures]
    p.close()
    return offsets


def admin_endpoint():
    status, body = http("POST", "/v1/topics", {"name": "http-made", "partitions": 2,
                                               "configs": {"retention.ms": 86400000, "cleanup.policy": "delete"}})
    check(status == 201 and body["name"] == "http-made" and len(body["partitions"]) == 2,
          "POST /v1/topics creates a topic (%d %s)" % (status, body))
    check(body["configs"]["retention.ms"] == "86400000" and sorted(body["overrides"]) == ["cleanup.policy",
                                                                                          "retention.ms"],
          "its configs are shown with the ones it sets")
    status, body = http("POST", "/v1/topics", {"name": "http-made"})
    check(status == 409, "creating it again: 409 (%d)" % status)
    for bad in [{"name": "bad/name"}, {"name": ".."}, {"name": "ok", "partitions": 0},
                {"name": "ok", "configs": {"no.such.config": "1"}}, {"name": "ok", "configs": {"retention.ms": "x"}}]:
        status, body = http("POST", "/v1/topics", bad)
        check(status == 400 and "error" in body, "POST %s: 400 (%d %s)" % (bad, status, body))
    check(not os.path.exists(os.path.join(DATA, "topics", "kafka", "ok")), "a refused topic leaves no files")
    status, body = http("GET", "/v1/topics")
    names = [t["name"] for t in body["topics"]]
    check(status == 200 and "http-made" in names, "GET /v1/topics lists it (%s)" % names)
    produce("http-made", 1, [(b"k", b"v" * 100, int(time.time() * 1000))])
    status, body = http("GET", "/v1/topics/http-made")
    p1 = body["partitions"][1]
    check(status == 200 and p1["high_watermark"] == 1 and p1["log_start_offset"] == 0 and p1["size_bytes"] > 100,
          "GET /v1/topics/<name> shows offsets and sizes (%s)" % p1)
    md = KafkaAdminClient(bootstrap_servers=BOOTSTRAP)
    check("http-made" in md.list_topics(), "Kafka clients see the topic made over HTTP")
    status, body = http("DELETE", "/v1/topics/http-made")
    check(status == 200 and body["deleted"], "DELETE /v1/topics/<name> deletes it (%d)" % status)
    check(wait_for("its files go", lambda: not os.path.exists(os.path.join(DATA, "topics", "kafka", "http-made"))),
          "its files are removed")
    check("http-made" not in md.list_topics(), "Kafka clients no longer see it")
    md.close()
    status, _ = http("GET", "/v1/topics/http-made")
    check(status == 404, "GET of a deleted topic: 404")
    status, _ = http("DELETE", "/v1/topics/http-made")
    check(status == 404, "DELETE of a missing topic: 404")


def create_topics():
    admin = KafkaAdminClient(bootstrap_servers=BOOTSTRAP)
    admin.create_topics([
        NewTopic("ret", 1, 1, topic_configs={"segment.bytes": str(SEGMENT), "retention.ms": "-1"}),
        NewTopic("del", 1, 1, topic_configs={"segment.bytes": str(SEGMENT)}),
        NewTopic("cmp", 1, 1, topic_configs={"segment.bytes": str(SEGMENT), "cleanup.policy": "compact",
                                             "delete.retention.ms": "2000", "min.compaction.lag.ms": "0"}),
    ])
    admin.close()


def retention():
    now = int(time.time() * 1000)
    old = now - 2 * HOUR_MS
    value = b"r" * 1000
    # About 3 MiB two hours old, then a little that is new.
    offsets = produce("ret", 0, [(None, value, old + i) for i in range(3000)])
    check(offsets == list(range(3000)), "old records at offsets 0..2999")
    produce("ret", 0, [(None, b"new-%d" % i, now + i) for i in range(10)])
    check(segments("ret", 0)[0] == 0 and len(segments("ret", 0)) >= 3, "retention.ms=-1 keeps everything")
    # Now an hour: every segment but the active one (which holds new records) expires.
    admin = KafkaAdminClient(bootstrap_servers=BOOTSTRAP)
    admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, "ret",
                                        configs={"segment.bytes": str(SEGMENT), "retention.ms": str(HOUR_MS)})])
    admin.close()
    remaining = wait_for("retention removes the old segments",
                         lambda: (lambda s: s if len(s) == 1 and s[0] > 0 else None)(segments("ret", 0)))
    start = remaining[0]
    check(start > 0, "the oldest segment files are gone; the first left starts at %d" % start)
    c = consumer()
    tp = TopicPartition("ret", 0)
    check(c.beginning_offsets([tp])[tp] == start, "the log start offset is the first segment's base")
    check(c.end_offsets([tp])[tp] == 3010, "the end offset did not move")
    c.close()
    check(kcat_offset("ret", 0, old) == start, "kcat -Q by an expired timestamp finds the log start")
    check(kcat_offset("ret", 0, now) == 3000, "kcat -Q by the new records' time finds them")
    got = read_partition("ret", 0)
    check(got and got[0].offset == start and got[-1].offset == 3009 and got[-1].value == b"new-9",
          "a consumer from the beginning reads from the log start to the end")
    return start


def delete_records():
    now = int(time.time() * 1000)
    produce("del", 0, [(None, b"d" * 1000, now + i) for i in range(2500)])
    before = segments("del", 0)
    check(len(before) >= 3, "three or more segments to delete from (%s)" % before)
    out = subprocess.run([DELETE_RECORDS, BOOTSTRAP, "del", "0", "2100"], capture_output=True, text=True, timeout=90)
    check(out.returncode == 0 and out.stdout.strip() == "low_watermark 2100",
          "librdkafka DeleteRecords to 2100 (%s %s)" % (out.stdout.strip(), out.stderr.strip()))
    out = subprocess.run([DELETE_RECORDS, BOOTSTRAP, "del", "0", "9999"], capture_output=True, text=True, timeout=90)
    check(out.stdout.strip() == "error OFFSET_OUT_OF_RANGE", "DeleteRecords past the end: OFFSET_OUT_OF_RANGE (%s)"
          % out.stdout.strip())
    with open(os.path.join(DATA, "topics", "kafka", "del", "0", "log-start-offset")) as f:
        check(f.read().strip() == "2100", "the log start checkpoint holds 2100")
    after = wait_for("segments below the log start go",
                     lambda: (lambda s: s if s[0] > 0 else None)(segments("del", 0)))
    check(all(b in before for b in after) and after[0] <= 2100 and len(after) < len(before),
          "whole segments below 2100 were removed (%s -> %s)" % (before, after))
    check(kcat_offset("del", 0, now - 1000) == 2100, "kcat -Q before every record finds offset 2100")
    got = read_partition("del", 0)
    check(got[0].offset == 2100 and len(got) == 400, "a consumer from the beginning starts at 2100")
    c = consumer()
    tp = TopicPartition("del", 0)
    c.assign([tp])
    c.seek(tp, 5)
    records = []
    deadline = time.time() + WAIT_S
    while not records and time.time() < deadline:
        for batch in c.poll(timeout_ms=1000).values():
            records.extend(batch)
    c.close()
    check(records and records[0].offset == 2100, "a consumer asking for offset 5 is reset to the log start")


def compaction():
    now = int(time.time() * 1000)
    value = b"c" * 1000
    records = [(b"key-%02d" % (i % 40), value + b"-%d" % i, now + i) for i in range(3000)]
    records[100] = (b"gone", b"soon deleted", now + 100)
    records[2000] = (b"gone", None, now + 2000)  # its tombstone
    offsets = produce("cmp", 0, records)
    check(offsets == list(range(3000)), "compacted topic: offsets 0..2999")
    p = Producer({"bootstrap.servers": BOOTSTRAP, "acks": "all"})
    errors = []
    p.produce("cmp", value=b"no key", partition=0, on_delivery=lambda err, msg: errors.append(err))
    p.flush(30)
    check(errors and errors[0] is not None and errors[0].name() == "INVALID_RECORD",
          "a record without a key is refused by a compacted topic (%s)" % errors)
    active = segments("cmp", 0)[-1]
    expected = {}
    for off, (k, v, _) in enumerate(records):
        if off < active:
            expected[k] = (off, v)

    def cleaned():
        got = read_partition("cmp", 0)
        sealed = [r for r in got if r.offset < active]
        keys = [r.key for r in sealed]
        return got if len(keys) == len(set(keys)) and b"gone" not in keys else None

    got = wait_for("compaction leaves one record per key and drops the expired tombstone", cleaned)
    sealed = [r for r in got if r.offset < active]
    check({r.key: (r.offset, r.value) for r in sealed} == {k: v for k, v in expected.items() if k != b"gone"},
          "each key keeps its latest record, at the offset it was written to (%d records)" % len(sealed))
    check([r.offset for r in got if r.offset >= active] == list(range(active, 3000)),
          "the active segment is untouched")
    size = sum(os.path.getsize(os.path.join(DATA, "topics", "kafka", "cmp", "0", "%020d.log" % b))
               for b in segments("cmp", 0) if b < active)
    check(size < active * 1000 / 10, "the cleaned segments are small on disk (%d bytes)" % size)
    c = consumer()
    tp = TopicPartition("cmp", 0)
    check(c.end_offsets([tp])[tp] == 3000 and c.beginning_offsets([tp])[tp] == 0,
          "compaction moves neither the log start nor the end")
    c.close()
    with open(os.path.join(DATA, "compacted.json"), "w") as f:
        json.dump({"active": active, "offsets": sorted(r.offset for r in got)}, f)


def after_restart(start):
    c = consumer()
    for topic, want in [("ret", start), ("del", 2100), ("cmp", 0)]:
        tp = TopicPartition(topic, 0)
        check(c.beginning_offsets([tp])[tp] == want, "after a restart %s starts at %d" % (topic, want))
    c.close()
    with open(os.path.join(DATA, "compacted.json")) as f:
        saved = json.load(f)
    got = read_partition("cmp", 0)
    check(sorted(r.offset for r in got) == saved["offsets"], "after a restart the compacted log reads the same")


if STEP == "run":
    admin_endpoint()
    create_topics()
    start = retention()
    delete_records()
    compaction()
    with open(os.path.join(DATA, "retention.json"), "w") as f:
        json.dump({"start": start}, f)
elif STEP == "check":
    with open(os.path.join(DATA, "retention.json")) as f:
        after_restart(json.load(f)["start"])
else:
    sys.exit("unknown step " + STEP)
