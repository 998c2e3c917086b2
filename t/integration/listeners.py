"""Kafka listeners beyond "listen": each serves its own protocol and
advertises its own address; they are added, rebound and removed at run
time through PUT /v1/config without a restart, and a bad change changes
nothing."""
import json
import socket
import sys
import urllib.error
import urllib.request

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient

main_bootstrap, admin = sys.argv[1], sys.argv[2]
SASL = {"security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "PLAIN", "sasl.username": "alice",
        "sasl.password": "alice-secret"}


def fail(what):
    print("FAIL: " + what, flush=True)
    sys.exit(1)


def http(method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request("http://%s%s" % (admin, path), data=data, method=method,
                                 headers={"Content-Type": "application/json"} if data else {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, json.load(e)


def listeners():
    status, body = http("GET", "/v1/listeners")
    if status != 200:
        fail("GET /v1/listeners: %s %s" % (status, body))
    return {l["name"]: l for l in body["listeners"]}


def advertised_port(bootstrap, extra=None):
    """The broker port Metadata gives a client bootstrapped on this address."""
    conf = {"bootstrap.servers": bootstrap, "socket.timeout.ms": 5000}
    conf.update(extra or {})
    md = AdminClient(conf).list_topics(timeout=10)
    return [b.port for b in md.brokers.values()]


def refused(addr):
    host, port = addr.rsplit(":", 1)
    try:
        s = socket.create_connection((host, int(port)), timeout=3)
    except OSError:
        return True
    s.close()
    return False


def produce(bootstrap, extra, topic, n):
    conf = {"bootstrap.servers": bootstrap, "acks": "all", "message.timeout.ms": 20000}
    conf.update(extra or {})
    p = Producer(conf)
    errors = []
    for i in range(n):
        p.produce(topic, key=b"%d" % i, value=b"v%d" % i, partition=0,
                  on_delivery=lambda err, msg: errors.append(err) if err else None)
    left = p.flush(30)
    if left or errors:
        fail("producing through %s: %d left, errors %s" % (bootstrap, left, errors[:3]))


def count(bootstrap, topic):
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "listeners-check", "enable.auto.commit": False})
    low, high = c.get_watermark_offsets(TopicPartition(topic, 0), timeout=10)
    c.close()
    return high - low


ls = listeners()
if sorted(ls) != ["INTERNAL", "MAIN"] or ls["INTERNAL"]["protocol"] != "SASL_PLAINTEXT":
    fail("the listeners at start: %s" % ls)
internal = ls["INTERNAL"]["bound"]
main_port = int(main_bootstrap.rsplit(":", 1)[1])
if advertised_port(main_bootstrap) != [main_port]:
    fail("the main listener advertises %s" % advertised_port(main_bootstrap))
if advertised_port(internal, SASL) != [int(internal.rsplit(":", 1)[1])]:
    fail("INTERNAL advertises %s, not its own port" % advertised_port(internal, SASL))
print("each listener advertises itself: MAIN %s, INTERNAL %s" % (main_bootstrap, internal), flush=True)

# SASL on INTERNAL only: a client there without credentials gets nothing.
try:
    advertised_port(internal)
    fail("INTERNAL served Metadata without SASL")
except KafkaException:
    pass
produce(internal, SASL, "through-internal", 50)
if count(main_bootstrap, "through-internal") != 50:
    fail("records produced through INTERNAL are not all readable through MAIN")
if ls["INTERNAL"]["connections"] < 0 or listeners()["MAIN"]["connections"] < 0:
    fail("connection counts")
print("INTERNAL asks for SASL; its records are read through MAIN", flush=True)

# Add a listener at run time.
status, body = http("PUT", "/v1/config", {"listeners": [
    {"name": "INTERNAL", "listen": "127.0.0.1:0", "protocol": "SASL_PLAINTEXT"},
    {"name": "EXTRA", "listen": "127.0.0.1:0", "advertised_host": "localhost"}]})
if status != 200:
    fail("adding EXTRA: %s %s" % (status, body))
ls = listeners()
if ls["INTERNAL"]["bound"] != internal:
    fail("INTERNAL moved although its keys did not change: %s -> %s" % (internal, ls["INTERNAL"]["bound"]))
extra = ls["EXTRA"]["bound"]
extra_port = int(extra.rsplit(":", 1)[1])
if ls["EXTRA"]["advertised"] != "localhost:%d" % extra_port:
    fail("EXTRA advertises %s" % ls["EXTRA"]["advertised"])
if advertised_port(extra) != [extra_port]:
    fail("EXTRA's Metadata: %s" % advertised_port(extra))
produce(extra, None, "through-extra", 20)
print("EXTRA added at run time on %s" % extra, flush=True)

# Rebind INTERNAL to a chosen port; the old one closes.
probe = socket.socket()
probe.bind(("127.0.0.1", 0))
free_port = probe.getsockname()[1]
probe.close()
status, body = http("PUT", "/v1/config", {"listeners": [
    {"name": "INTERNAL", "listen": "127.0.0.1:%d" % free_port, "protocol": "SASL_PLAINTEXT"},
    {"name": "EXTRA", "listen": "127.0.0.1:0", "advertised_host": "localhost"}]})
if status != 200:
    fail("rebinding INTERNAL: %s %s" % (status, body))
ls = listeners()
if ls["INTERNAL"]["bound"] != "127.0.0.1:%d" % free_port or ls["EXTRA"]["bound"] != extra:
    fail("after the rebind: %s" % ls)
if not refused(internal):
    fail("the old INTERNAL address %s still accepts" % internal)
produce("127.0.0.1:%d" % free_port, SASL, "through-internal", 10)
print("INTERNAL rebound to %d; %s refuses" % (free_port, internal), flush=True)

# Bad changes are refused whole.
before = http("GET", "/v1/config")[1]["listeners"]
for bad in ([{"name": "A", "listen": "127.0.0.1:%d" % free_port}, {"name": "B", "listen": "127.0.0.1:%d" % free_port}],
            [{"name": "A", "listen": "127.0.0.1:0"}, {"name": "A", "listen": "127.0.0.1:0"}],
            [{"name": "A", "listen": main_bootstrap}],
            [{"name": "lower", "listen": "127.0.0.1:0"}],
            [{"name": "MAIN", "listen": "127.0.0.1:0"}],
            [{"name": "A", "listen": "nowhere"}],
            [{"name": "A", "listen": "127.0.0.1:0", "protocol": "SSL"}],
            [{"name": "A", "listen": "127.0.0.1:0", "colour": "red"}],
            [{"name": "A%d" % i, "listen": "127.0.0.1:0"} for i in range(9)],
            {"name": "A"}):
    status, body = http("PUT", "/v1/config", {"listeners": bad})
    if status != 400 or "error" not in body:
        fail("a bad listeners change was not refused: %s -> %s %s" % (bad, status, body))
    if http("GET", "/v1/config")[1]["listeners"] != before or listeners()["EXTRA"]["bound"] != extra:
        fail("a refused change changed the listeners: %s" % bad)
# An address in use is found when binding, and refuses the change too.
busy = socket.socket()
busy.bind(("127.0.0.1", 0))
busy.listen(1)
status, body = http("PUT", "/v1/config", {"listeners": before + [
    {"name": "BUSY", "listen": "127.0.0.1:%d" % busy.getsockname()[1]}]})
busy.close()
if status != 400 or "BUSY" not in body.get("error", ""):
    fail("a listener on a port in use: %s %s" % (status, body))
if sorted(listeners()) != ["EXTRA", "INTERNAL", "MAIN"]:
    fail("the refused change left %s" % sorted(listeners()))
print("bad changes refused, nothing changed", flush=True)

# Remove EXTRA: its socket closes, and its open connections end.
API_VERSIONS = b"\x00\x00\x00\x0b\x00\x12\x00\x00\x00\x00\x00\x01\x00\x01x"  # v0, one frame
held = socket.create_connection(tuple([extra.rsplit(":", 1)[0], extra_port]), timeout=10)
held.sendall(API_VERSIONS)
if len(held.recv(4)) != 4:
    fail("no answer on EXTRA")
held.recv(65536)
if listeners()["EXTRA"]["connections"] != 1:
    fail("the connection on EXTRA is not counted: %s" % listeners()["EXTRA"])
status, body = http("PUT", "/v1/config", {"listeners": [
    {"name": "INTERNAL", "listen": "127.0.0.1:%d" % free_port, "protocol": "SASL_PLAINTEXT"}]})
if status != 200 or sorted(listeners()) != ["INTERNAL", "MAIN"]:
    fail("removing EXTRA: %s %s %s" % (status, body, listeners()))
if not refused(extra):
    fail("the removed EXTRA still accepts on %s" % extra)
try:
    held.sendall(API_VERSIONS)
    if held.recv(4) != b"":
        fail("a connection of the removed EXTRA is still served")
except OSError:
    pass  # reset: closed, as it should be
held.close()
if count(main_bootstrap, "through-extra") != 20 or count(main_bootstrap, "through-internal") != 60:
    fail("records lost across the listener changes")
print("ok: listeners added, rebound and removed at run time; each advertises itself", flush=True)
