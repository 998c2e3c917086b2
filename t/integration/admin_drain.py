"""Drives the drain test: a producer sends numbered records at a steady
rate; the drain starts, every connection must end and new ones be refused;
the drain ends and the producer's retries deliver the rest."""
import json
import socket
import sys
import threading
import time
import urllib.request

from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient, NewTopic

bootstrap, admin = sys.argv[1], sys.argv[2]
TOPIC, TOTAL = "drain", 3000


def fail(what):
    print("FAIL: " + what, flush=True)
    sys.exit(1)


def drain(method):
    req = urllib.request.Request("http://%s/v1/drain" % admin, method=method)
    with urllib.request.urlopen(req, timeout=10) as r:
        return r.status, json.load(r)


def refused():
    """A new connection is closed before it can send a request."""
    host, port = bootstrap.rsplit(":", 1)
    s = socket.create_connection((host, int(port)), timeout=5)
    s.settimeout(5)
    try:
        s.sendall(b"\x00\x00\x00\x0b\x00\x12\x00\x00\x00\x00\x00\x01\x00\x01x")  # ApiVersions v0
        return s.recv(4) == b""
    except ConnectionResetError:
        return True
    finally:
        s.close()


topic_admin = AdminClient({"bootstrap.servers": bootstrap})
topic_admin.create_topics([NewTopic(TOPIC, 3, 1)])[TOPIC].result(30)

delivered, errors = {}, []


def on_delivery(err, msg):
    if err:
        errors.append(str(err))
    else:
        delivered[int(msg.key())] = (msg.partition(), msg.offset())


prod = Producer({"bootstrap.servers": bootstrap, "acks": "all", "enable.idempotence": True,
                 "linger.ms": 2, "message.timeout.ms": 120000, "reconnect.backoff.ms": 50,
                 "reconnect.backoff.max.ms": 200})
stop = threading.Event()
consumed = {}


def consume():
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "drain-group", "auto.offset.reset": "earliest",
                  "enable.auto.commit": True, "auto.commit.interval.ms": 200,
                  "reconnect.backoff.ms": 50, "reconnect.backoff.max.ms": 200})
    c.subscribe([TOPIC])
    while not stop.is_set() or len(consumed) < TOTAL:
        m = c.poll(0.2)
        if m is None or m.error():
            continue
        k = int(m.key())
        if k in consumed:
            errors.append("record %d consumed twice in one session" % k)
        consumed[k] = (m.partition(), m.offset())
        if stop.is_set() and time.time() > deadline:
            break
    c.close()


deadline = time.time() + 120
reader = threading.Thread(target=consume)
reader.start()

t0 = time.time()
for i in range(TOTAL):
    prod.produce(TOPIC, key=b"%d" % i, value=b"value-%d" % i, on_delivery=on_delivery)
    prod.poll(0)
    if i == TOTAL // 3:
        prod.flush(30)
        status, body = drain("POST")
        if status != 202 or body.get("draining") is not True:
            fail("POST /v1/drain answered %s %s" % (status, body))
        waited = time.time()
        while drain("GET")[1]["connections"] > 0:
            if time.time() - waited > 30:
                fail("connections still open 30 s into the drain: %s" % drain("GET")[1])
            time.sleep(0.1)
        if not refused():
            fail("a new connection was served during the drain")
        print("drained in %.2f s; new connections refused" % (time.time() - waited), flush=True)
    if i == TOTAL // 3 + 200:
        # Records sent during the drain wait in the producer, then go out.
        time.sleep(1)
        status, body = drain("DELETE")
        if status != 200 or body.get("draining") is not False:
            fail("DELETE /v1/drain answered %s %s" % (status, body))
    time.sleep(0.0005)
if prod.flush(90) != 0:
    fail("%d records undelivered" % len(prod))
stop.set()
reader.join(130)

if errors:
    fail("errors: %s" % errors[:5])
if sorted(delivered) != list(range(TOTAL)):
    fail("%d of %d records acknowledged" % (len(delivered), TOTAL))
if len(set(delivered.values())) != TOTAL:
    fail("two records acknowledged at one offset")
if sorted(consumed) != list(range(TOTAL)):
    fail("the group consumed %d of %d records" % (len(consumed), TOTAL))
for k, where in consumed.items():
    if delivered[k] != where:
        fail("record %d acknowledged at %s, consumed at %s" % (k, delivered[k], where))
status, body = drain("GET")
if status != 200 or body["draining"] is not False or body["connections"] < 1:
    fail("after the drain: %s %s" % (status, body))
print("ok: %d records acknowledged once each and consumed at their offsets across a drain (%.1f s)"
      % (TOTAL, time.time() - t0), flush=True)
