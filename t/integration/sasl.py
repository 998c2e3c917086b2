"""SASL clients for sasl.sh and tls.sh: confluent-kafka, kafka-python and kcat
with PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512; refused passwords, users and
unauthenticated clients; SCRAM credentials altered over the wire (the
confluent-kafka of Debian 12 has no AlterUserScramCredentials). With
KELP_TLS_CA set (a CA file) every client speaks SASL_SSL instead of
SASL_PLAINTEXT."""

import base64
import hashlib
import hmac
import json
import os
import socket
import struct
import subprocess
import sys
import uuid

from kafka_raw import TAGS, Reader, array, i8, i16, i32, nbytes, recv_exact, string, uvarint

MECHS = ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]
TLS_CA = os.environ.get("KELP_TLS_CA", "")
SASL_PROTOCOL = "SASL_SSL" if TLS_CA else "SASL_PLAINTEXT"
PLAIN_PROTOCOL = "SSL" if TLS_CA else "PLAINTEXT"


def fail(msg):
    print("sasl.py: FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


# ---- confluent-kafka ------------------------------------------------------

def ck_conf(bootstrap, mech, user, password, protocol=SASL_PROTOCOL):
    conf = {"bootstrap.servers": bootstrap, "security.protocol": protocol}
    if protocol.startswith("SASL"):
        conf.update({"sasl.mechanisms": mech, "sasl.username": user, "sasl.password": password})
    if TLS_CA:
        conf["ssl.ca.location"] = TLS_CA
    return conf


def ck_roundtrip(bootstrap, mech, user, password, topic):
    from confluent_kafka import Consumer, Producer, TopicPartition
    errors = []
    p = Producer(dict(ck_conf(bootstrap, mech, user, password), **{"error_cb": errors.append}))
    values = [("%s-%d" % (mech, i)).encode() for i in range(5)]
    delivered = []
    for v in values:
        p.produce(topic, v, partition=0, on_delivery=lambda e, m: delivered.append(e))
    if p.flush(30) != 0 or any(delivered) or len(delivered) != len(values):
        fail("confluent-kafka %s as %s: produce failed: %s %s" % (mech, user, delivered, errors))
    c = Consumer(dict(ck_conf(bootstrap, mech, user, password), **{"group.id": "g-" + topic,
                                                                    "enable.auto.commit": False}))
    c.assign([TopicPartition(topic, 0, 0)])
    got = []
    for _ in range(100):
        m = c.poll(0.5)
        if m is None:
            if len(got) >= len(values):
                break
            continue
        if m.error():
            fail("confluent-kafka %s consume: %s" % (mech, m.error()))
        got.append(m.value())
        if len(got) == len(values):
            break
    c.close()
    if got != values:
        fail("confluent-kafka %s as %s: consumed %r, wanted %r" % (mech, user, got, values))


def ck_refused(bootstrap, mech, user, password, protocol=SASL_PROTOCOL):
    """Metadata must fail; returns the errors seen."""
    from confluent_kafka import KafkaException
    from confluent_kafka.admin import AdminClient
    errors = []
    conf = dict(ck_conf(bootstrap, mech, user, password, protocol), **{"error_cb": errors.append,
                                                                        "socket.timeout.ms": 5000})
    a = AdminClient(conf)
    try:
        a.list_topics(timeout=8)
    except KafkaException as e:
        errors.append(e.args[0])
    else:
        fail("%s %s as %s: metadata succeeded without valid credentials" % (protocol, mech, user))
    a.poll(1)  # delivers error_cb
    return errors


def confluent(bootstrap):
    for mech in MECHS:
        topic = "ck-" + mech.lower()
        ck_roundtrip(bootstrap, mech, "alice", "alice-secret", topic)
        errs = ck_refused(bootstrap, mech, "alice", "wrong")
        if not any("uthentication" in str(e) for e in errs):
            fail("confluent-kafka %s wrong password: no authentication error in %s" % (mech, errs))
        errs = ck_refused(bootstrap, mech, "mallory", "alice-secret")
        if not any("uthentication" in str(e) for e in errs):
            fail("confluent-kafka %s unknown user: no authentication error in %s" % (mech, errs))
    # A PLAINTEXT client is cut off before it can produce.
    from confluent_kafka import Producer
    p = Producer(dict(ck_conf(bootstrap, None, None, None, PLAIN_PROTOCOL), **{"message.timeout.ms": 4000}))
    res = []
    p.produce("ck-unauth", b"x", on_delivery=lambda e, m: res.append(e))
    p.flush(10)
    if not res or res[0] is None:
        fail("an unauthenticated producer delivered a message: %s" % res)


# ---- kafka-python ---------------------------------------------------------

def kp_conf(bootstrap, mech, user, password):
    conf = {"bootstrap_servers": bootstrap, "security_protocol": SASL_PROTOCOL, "sasl_mechanism": mech,
            "sasl_plain_username": user, "sasl_plain_password": password, "api_version": (2, 5, 0)}
    if TLS_CA:
        conf.update({"ssl_cafile": TLS_CA, "ssl_check_hostname": True})
    return conf


def kafka_python(bootstrap):
    import kafka
    import kafka.errors
    for mech in MECHS:
        topic = "kp-" + mech.lower()
        values = [("kp-%s-%d" % (mech, i)).encode() for i in range(5)]
        p = kafka.KafkaProducer(**kp_conf(bootstrap, mech, "alice", "alice-secret"))
        for v in values:
            p.send(topic, v, partition=0).get(timeout=30)
        p.close()
        c = kafka.KafkaConsumer(**kp_conf(bootstrap, mech, "alice", "alice-secret"), consumer_timeout_ms=10000)
        tp = kafka.TopicPartition(topic, 0)
        c.assign([tp])
        c.seek(tp, 0)
        got = [m.value for _, m in zip(range(len(values)), c)]
        c.close()
        if got != values:
            fail("kafka-python %s: consumed %r, wanted %r" % (mech, got, values))
        for user, pw in (("alice", "wrong"), ("mallory", "x")):
            try:
                p = kafka.KafkaProducer(**dict(kp_conf(bootstrap, mech, user, pw), max_block_ms=4000,
                                               request_timeout_ms=4000))
                p.send(topic, b"refused").get(timeout=8)
            except (kafka.errors.KafkaError, ConnectionError, OSError):
                continue
            fail("kafka-python %s as %s/%s produced" % (mech, user, pw))


# ---- kcat -----------------------------------------------------------------

def kcat_args(bootstrap, mech, user, password):
    args = ["kcat", "-b", bootstrap, "-X", "security.protocol=" + SASL_PROTOCOL, "-X", "sasl.mechanisms=" + mech,
            "-X", "sasl.username=" + user, "-X", "sasl.password=" + password]
    if TLS_CA:
        args += ["-X", "ssl.ca.location=" + TLS_CA]
    return args


def kcat(bootstrap):
    for mech in MECHS:
        topic = "kc-" + mech.lower()
        lines = ["kc-%s-%d" % (mech, i) for i in range(3)]
        subprocess.run(kcat_args(bootstrap, mech, "alice", "alice-secret") + ["-P", "-t", topic, "-p", "0"],
                       input=("\n".join(lines) + "\n").encode(), check=True, timeout=60)
        out = subprocess.run(kcat_args(bootstrap, mech, "alice", "alice-secret") +
                             ["-C", "-t", topic, "-p", "0", "-o", "beginning", "-e", "-q"],
                             capture_output=True, check=True, timeout=60).stdout.decode().split()
        if out != lines:
            fail("kcat %s: consumed %r, wanted %r" % (mech, out, lines))
        r = subprocess.run(kcat_args(bootstrap, mech, "alice", "nope") + ["-L", "-m", "5"],
                           capture_output=True, timeout=60)
        if r.returncode == 0 or b"uthentication" not in r.stderr:
            fail("kcat %s with a wrong password: status %d, %r" % (mech, r.returncode, r.stderr[-300:]))


# ---- the wire: SaslHandshake/SaslAuthenticate and SCRAM administration -----

class Conn:
    def __init__(self, bootstrap):
        host, port = bootstrap.rsplit(":", 1)
        self.s = socket.create_connection((host, int(port)), timeout=15)
        if TLS_CA:
            import ssl
            self.s = ssl.create_default_context(cafile=TLS_CA).wrap_socket(self.s, server_hostname=host)
        self.corr = 0

    def call(self, api_key, version, body, flexible):
        self.corr += 1
        header = struct.pack(">hhi", api_key, version, self.corr) + string("sasl-test", False)
        if flexible:
            header += TAGS
        frame = header + body
        self.s.sendall(i32(len(frame)) + frame)
        size = struct.unpack(">i", recv_exact(self.s, 4))[0]
        r = Reader(recv_exact(self.s, size), flexible)
        if r.i32() != self.corr:
            fail("wrong correlation id")
        r.tags()
        return r

    def raw(self, token):
        self.s.sendall(i32(len(token)) + token)
        size = struct.unpack(">i", recv_exact(self.s, 4))[0]
        return recv_exact(self.s, size)

    def closed(self):
        try:
            return self.s.recv(1) == b""
        except (ConnectionError, socket.timeout, OSError):
            return True

    def handshake(self, mech, version=1):
        r = self.call(17, version, string(mech, False), False)
        return r.i16(), r.array(lambda x: x.string())

    def authenticate(self, token, version=1):
        flexible = version >= 2
        r = self.call(36, version, nbytes(token, flexible) + (TAGS if flexible else b""), flexible)
        err, msg = r.i16(), r.string()
        n = r.uvarint() - 1 if flexible else r.i32()
        data = r.take(n) if n >= 0 else None
        life = r.i64() if version >= 1 else None
        return err, msg, data, life


def plain_login(bootstrap, user, password):
    c = Conn(bootstrap)
    err, mechs = c.handshake("PLAIN")
    if err:
        fail("handshake PLAIN: error %d" % err)
    err, msg, _, _ = c.authenticate(b"\0" + user.encode() + b"\0" + password.encode())
    if err:
        fail("PLAIN login of %s: error %d %s" % (user, err, msg))
    return c


def scram_salted(mech, password, salt, iterations):
    algo = "sha256" if mech == "SCRAM-SHA-256" else "sha512"
    return hashlib.pbkdf2_hmac(algo, password.encode(), salt, iterations)


def alter(c, deletions, upsertions):
    """deletions: [(user, mech)], upsertions: [(user, mech, iterations, salt, salted)]."""
    body = array([string(u, True) + i8(m) + TAGS for u, m in deletions], True)
    body += array([string(u, True) + i8(m) + i32(it) + nbytes(s, True) + nbytes(sp, True) + TAGS
                   for u, m, it, s, sp in upsertions], True) + TAGS
    r = c.call(51, 0, body, True)
    r.i32()
    res = r.array(lambda x: (x.string(), x.i16(), x.string(), x.tags()))
    return {u: (e, m) for u, e, m, _ in res}


def describe(c, users):
    body = array(None if users is None else [string(u, True) + TAGS for u in users], True) + TAGS
    r = c.call(50, 0, body, True)
    r.i32()
    err, msg = r.i16(), r.string()
    res = r.array(lambda x: (x.string(), x.i16(), x.string(),
                             x.array(lambda y: (y.i8(), y.i32(), y.tags())), x.tags()))
    return err, {u: (e, [(m, it) for m, it, _ in (ci or [])]) for u, e, _, ci, _ in res}


def wire(bootstrap):
    # Nothing but ApiVersions and SASL before authentication.
    c = Conn(bootstrap)
    versions = c.call(18, 0, b"", False)
    if versions.i16() != 0:
        fail("ApiVersions before authentication failed")
    keys = {k: (lo, hi) for k, lo, hi in versions.array(lambda x: (x.i16(), x.i16(), x.i16()))}
    for key, rng in ((17, (0, 1)), (36, (0, 2)), (50, (0, 0)), (51, (0, 0))):
        if keys.get(key) != rng:
            fail("api %d advertised as %s, wanted %s" % (key, keys.get(key), rng))
    # A failed exchange is answered, then the connection ends (as Kafka's).
    err, msg, _, _ = c.authenticate(b"\0alice\0alice-secret")
    if err != 34:
        fail("SaslAuthenticate before a handshake: error %d, wanted ILLEGAL_SASL_STATE" % err)
    if not c.closed():
        fail("the connection stayed open after ILLEGAL_SASL_STATE")
    c = Conn(bootstrap)
    err, mechs = c.handshake("GSSAPI")
    if err != 33 or sorted(mechs) != sorted(MECHS):
        fail("unsupported mechanism: error %d mechanisms %s" % (err, mechs))
    if not c.closed():
        fail("the connection stayed open after UNSUPPORTED_SASL_MECHANISM")
    c = Conn(bootstrap)
    c.s.sendall(i32(12) + struct.pack(">hhi", 3, 0, 99) + string("", False))  # Metadata v0
    if not c.closed():
        fail("an unauthenticated Metadata request did not close the connection")
    # Wrong password, framed: SASL_AUTHENTICATION_FAILED with a message.
    c = Conn(bootstrap)
    c.handshake("PLAIN")
    err, msg, _, _ = c.authenticate(b"\0alice\0bad", version=2)
    if err != 58 or not msg:
        fail("wrong PLAIN password: error %d message %r" % (err, msg))
    if not c.closed():
        fail("the connection stayed open after SASL_AUTHENTICATION_FAILED")
    # SCRAM over v1 frames, with a session lifetime of 0 reported.
    c = Conn(bootstrap)
    c.handshake("SCRAM-SHA-512")
    nonce = base64.b64encode(os.urandom(18)).decode()
    first_bare = "n=alice,r=" + nonce
    err, msg, server_first, life = c.authenticate(("n,," + first_bare).encode())
    if err:
        fail("SCRAM client-first: %d %s" % (err, msg))
    attrs = dict(kv.split("=", 1) for kv in server_first.decode().split(","))
    salted = scram_salted("SCRAM-SHA-512", "alice-secret", base64.b64decode(attrs["s"]), int(attrs["i"]))
    client_key = hmac.new(salted, b"Client Key", hashlib.sha512).digest()
    stored = hashlib.sha512(client_key).digest()
    without_proof = "c=biws,r=" + attrs["r"]
    auth_message = ",".join([first_bare, server_first.decode(), without_proof]).encode()
    sig = hmac.new(stored, auth_message, hashlib.sha512).digest()
    proof = base64.b64encode(bytes(a ^ b for a, b in zip(client_key, sig))).decode()
    err, msg, server_final, life = c.authenticate((without_proof + ",p=" + proof).encode())
    server_key = hmac.new(salted, b"Server Key", hashlib.sha512).digest()
    want = "v=" + base64.b64encode(hmac.new(server_key, auth_message, hashlib.sha512).digest()).decode()
    if err or server_final.decode() != want or life != 0:
        fail("SCRAM client-final: %d %s %r lifetime %r" % (err, msg, server_final, life))
    if c.call(18, 0, b"", False).i16() != 0:
        fail("ApiVersions after SCRAM failed")
    # Handshake v0: bare tokens, a bad one closes the connection.
    c = Conn(bootstrap)
    c.handshake("PLAIN", version=0)
    if c.raw(b"\0alice\0alice-secret") != b"":
        fail("raw PLAIN did not answer an empty token")
    # A bare token shorter than a request header (user "a", password "b").
    c = Conn(bootstrap)
    c.handshake("PLAIN", version=0)
    if c.raw(b"\0a\0b") != b"" or c.call(18, 0, b"", False).i16() != 0:
        fail("a 4-byte raw PLAIN token was not accepted")
    c = Conn(bootstrap)
    c.handshake("PLAIN", version=0)
    c.s.sendall(i32(13) + b"\0alice\0wrong!")
    if not c.closed():
        fail("a bad raw PLAIN token did not close the connection")


def session(bootstrap, lifetime_ms):
    """KIP-368: the lifetime is reported, re-authentication extends it, and an
    expired session is closed at its next request."""
    import time
    c = Conn(bootstrap)
    c.handshake("PLAIN")
    err, msg, _, life = c.authenticate(b"\0alice\0alice-secret", version=1)
    if err or life != lifetime_ms:
        fail("session lifetime: error %d, lifetime %r, wanted %d" % (err, life, lifetime_ms))
    metadata = i32(0)  # Metadata v1, no topics
    c.call(3, 1, metadata, False)
    time.sleep(lifetime_ms / 2000)
    err, _ = c.handshake("SCRAM-SHA-256")
    if err:
        fail("re-authentication handshake: error %d" % err)
    err, msg, server_first, _ = c.authenticate(b"n,,n=alice,r=abcdef", version=1)
    if err:
        fail("re-authentication client-first: %d %s" % (err, msg))
    c2 = plain_login(bootstrap, "alice", "alice-secret")
    c2.call(3, 1, metadata, False)  # still valid
    time.sleep(lifetime_ms / 1000 + 0.5)
    c2.s.sendall(i32(14) + struct.pack(">hhi", 3, 1, 5) + string("", False) + metadata)
    if not c2.closed():
        fail("a request after the session expired did not close the connection")
    # A re-authentication with another user is refused.
    c3 = plain_login(bootstrap, "alice", "alice-secret")
    c3.handshake("PLAIN")
    err, msg, _, _ = c3.authenticate(b"\0bob\0bob-secret", version=1)
    if err != 58:
        fail("re-authentication as another user: error %d %s" % (err, msg))


def admin(bootstrap, stage):
    """Creates bob (SCRAM-SHA-256) over the wire, checks it, deletes it."""
    c = plain_login(bootstrap, "alice", "alice-secret")
    if stage == "create":
        salt = os.urandom(16)
        res = alter(c, [], [("bob", 1, 4096, salt, scram_salted("SCRAM-SHA-256", "bob-secret", salt, 4096)),
                            ("carol", 1, 100, salt, b"x" * 32), ("dave", 3, 4096, salt, b"x" * 32)])
        if res != {"bob": (0, None), "carol": (93, res["carol"][1]), "dave": (33, res["dave"][1])}:
            fail("AlterUserScramCredentials upsertions: %s" % res)
        err, res = describe(c, ["bob", "alice", "nobody"])
        if err or res["bob"] != (0, [(1, 4096)]) or res["alice"] != (0, [(1, 4096), (2, 4096)]) \
                or res["nobody"][0] != 91:
            fail("DescribeUserScramCredentials: %d %s" % (err, res))
        ck_roundtrip(bootstrap, "SCRAM-SHA-256", "bob", "bob-secret", "ck-bob-scram")
        ck_roundtrip(bootstrap, "PLAIN", "bob", "bob-secret", "ck-bob-plain")
        errs = ck_refused(bootstrap, "SCRAM-SHA-512", "bob", "bob-secret")
        if not any("uthentication" in str(e) for e in errs):
            fail("bob has no SCRAM-SHA-512 credential but was not refused: %s" % errs)
    elif stage == "after-restart":
        ck_roundtrip(bootstrap, "SCRAM-SHA-256", "bob", "bob-secret", "ck-bob2")
        res = alter(c, [("bob", 1), ("bob2", 1)], [])
        if res["bob"] != (0, None) or res["bob2"][0] != 91:
            fail("AlterUserScramCredentials deletions: %s" % res)
        err, res = describe(c, None)
        if err or sorted(res) != ["a", "alice"]:
            fail("DescribeUserScramCredentials after the deletion: %s" % res)
        errs = ck_refused(bootstrap, "SCRAM-SHA-256", "bob", "bob-secret")
        if not any("uthentication" in str(e) for e in errs):
            fail("deleted bob was not refused: %s" % errs)


def files(data_dir):
    """Credential files hold salted keys, never a password."""
    d = os.path.join(data_dir, "topics/kafka/.meta/users")
    names = sorted(os.listdir(d))
    if "alice.json" not in names or "bob.json" not in names:
        fail("user files: %s" % names)
    for n in names:
        text = open(os.path.join(d, n)).read()
        if "secret" in text:
            fail("%s holds a password" % n)
        doc = json.loads(text)
        for mech, cred in doc["credentials"].items():
            if set(cred) != {"iterations", "salt", "stored_key", "server_key"}:
                fail("%s %s: fields %s" % (n, mech, sorted(cred)))


if __name__ == "__main__":
    cmd, bootstrap = sys.argv[1], sys.argv[2]
    if cmd == "confluent":
        confluent(bootstrap)
    elif cmd == "kafka-python":
        kafka_python(bootstrap)
    elif cmd == "kcat":
        kcat(bootstrap)
    elif cmd == "wire":
        wire(bootstrap)
    elif cmd == "admin":
        admin(bootstrap, sys.argv[3])
    elif cmd == "session":
        session(bootstrap, int(sys.argv[3]))
    elif cmd == "files":
        files(bootstrap)
    else:
        fail("unknown command " + cmd)
