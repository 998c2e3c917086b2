"""SSL listener clients for tls.sh: confluent-kafka, kafka-python and kcat
with a client certificate, and the connections that must be refused (no
certificate, one from another CA, plaintext). Certificates are in
$KELP_TLS_DIR (written by tls.sh): ca.pem, alice.pem/alice.key,
rogue.pem/rogue.key."""

import os
import socket
import ssl
import subprocess
import sys
import uuid

DIR = os.environ["KELP_TLS_DIR"]
CA = os.path.join(DIR, "ca.pem")


def fail(msg):
    print("tls.py: FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def cert(who):
    return os.path.join(DIR, who + ".pem"), os.path.join(DIR, who + ".key")


def ck_conf(bootstrap, who, protocol="SSL"):
    conf = {"bootstrap.servers": bootstrap, "security.protocol": protocol, "ssl.ca.location": CA,
            "socket.timeout.ms": 5000}
    if who:
        pem, key = cert(who)
        conf.update({"ssl.certificate.location": pem, "ssl.key.location": key})
    return conf


def confluent_roundtrip(bootstrap, topic):
    from confluent_kafka import Consumer, Producer, TopicPartition
    p = Producer(ck_conf(bootstrap, "alice"))
    values = [("ck-%d" % i).encode() * (i * 5000 + 1) for i in range(6)]  # records of several TLS records
    done = []
    for v in values:
        p.produce(topic, v, key=b"k", partition=0, on_delivery=lambda e, m: done.append(e))
    if p.flush(30) != 0 or any(done) or len(done) != len(values):
        fail("confluent-kafka over SSL: produce failed: %s" % done)
    c = Consumer(dict(ck_conf(bootstrap, "alice"), **{"group.id": "g-" + topic, "enable.auto.commit": False}))
    c.assign([TopicPartition(topic, 0, 0)])
    got = []
    for _ in range(100):
        m = c.poll(0.5)
        if m is None:
            continue
        if m.error():
            fail("confluent-kafka over SSL: consume: %s" % m.error())
        got.append(m.value())
        if len(got) == len(values):
            break
    c.close()
    if got != values:
        fail("confluent-kafka over SSL: consumed %d records, wanted %d" % (len(got), len(values)))


def confluent_refused(bootstrap, who, protocol="SSL"):
    from confluent_kafka import KafkaException
    from confluent_kafka.admin import AdminClient
    a = AdminClient(ck_conf(bootstrap, who, protocol))
    try:
        a.list_topics(timeout=6)
    except KafkaException:
        return
    fail("confluent-kafka %s with %s: metadata succeeded" % (protocol, who or "no certificate"))


def kp_conf(bootstrap, who):
    conf = {"bootstrap_servers": bootstrap, "security_protocol": "SSL", "ssl_cafile": CA,
            "ssl_check_hostname": True, "api_version": (2, 5, 0)}
    if who:
        pem, key = cert(who)
        conf.update({"ssl_certfile": pem, "ssl_keyfile": key})
    return conf


def kafka_python_roundtrip(bootstrap, topic):
    import kafka
    values = [("kp-%d" % i).encode() * (i * 7000 + 1) for i in range(5)]
    p = kafka.KafkaProducer(**kp_conf(bootstrap, "alice"))
    for v in values:
        p.send(topic, v, partition=0).get(timeout=30)
    p.close()
    c = kafka.KafkaConsumer(**kp_conf(bootstrap, "alice"), consumer_timeout_ms=10000)
    tp = kafka.TopicPartition(topic, 0)
    c.assign([tp])
    c.seek(tp, 0)
    got = [m.value for _, m in zip(range(len(values)), c)]
    c.close()
    if got != values:
        fail("kafka-python over SSL: consumed %d records, wanted %d" % (len(got), len(values)))


def kafka_python_refused(bootstrap, who):
    import kafka
    import kafka.errors
    try:
        p = kafka.KafkaProducer(**dict(kp_conf(bootstrap, who), max_block_ms=4000, request_timeout_ms=4000))
        p.send("kp-refused", b"x").get(timeout=8)
    except (kafka.errors.KafkaError, ConnectionError, OSError, ssl.SSLError):
        return
    fail("kafka-python with %s produced over SSL" % (who or "no certificate"))


def kcat_args(bootstrap, who):
    args = ["kcat", "-b", bootstrap, "-X", "security.protocol=SSL", "-X", "ssl.ca.location=" + CA]
    if who:
        pem, key = cert(who)
        args += ["-X", "ssl.certificate.location=" + pem, "-X", "ssl.key.location=" + key]
    return args


def kcat_roundtrip(bootstrap, topic):
    lines = ["kc-%d-%s" % (i, "x" * (i * 9000)) for i in range(4)]
    subprocess.run(kcat_args(bootstrap, "alice") + ["-P", "-t", topic, "-p", "0"],
                   input=("\n".join(lines) + "\n").encode(), check=True, timeout=60)
    out = subprocess.run(kcat_args(bootstrap, "alice") + ["-C", "-t", topic, "-p", "0", "-o", "beginning", "-e", "-q"],
                         capture_output=True, check=True, timeout=60).stdout.decode().split()
    if out != lines:
        fail("kcat over SSL: consumed %d lines, wanted %d" % (len(out), len(lines)))


def kcat_refused(bootstrap, who):
    r = subprocess.run(kcat_args(bootstrap, who) + ["-L", "-m", "4"], capture_output=True, timeout=60)
    if r.returncode == 0:
        fail("kcat with %s read metadata over SSL" % (who or "no certificate"))


def plaintext_refused(bootstrap):
    """A plaintext ApiVersions to the TLS port gets no Kafka answer."""
    host, port = bootstrap.rsplit(":", 1)
    s = socket.create_connection((host, int(port)), timeout=10)
    s.sendall(b"\0\0\0\x0e\0\x12\0\0\0\0\0\x01\0\x04kelp")
    try:
        data = s.recv(64)
    except (ConnectionError, socket.timeout):
        data = b""
    s.close()
    if data[:4] == b"\0\0\0\x00" or (len(data) >= 8 and data[4:8] == b"\0\0\0\x01"):
        fail("a plaintext request on the SSL listener was answered: %r" % data)


def server_subject(bootstrap):
    """Prints the subject CN of the certificate the listener serves."""
    host, port = bootstrap.rsplit(":", 1)
    ctx = ssl.create_default_context(cafile=CA)
    pem, key = cert("alice")
    ctx.load_cert_chain(pem, key)
    with socket.create_connection((host, int(port)), timeout=10) as raw:
        with ctx.wrap_socket(raw, server_hostname=host) as s:
            subject = dict(x[0] for x in s.getpeercert()["subject"])
            print(subject["commonName"])


def kp_admin(bootstrap, who):
    import kafka.admin
    # The admin client probes the broker even with api_version set; a TLS
    # handshake under valgrind takes longer than its default 2 s.
    return kafka.admin.KafkaAdminClient(**dict(kp_conf(bootstrap, who), request_timeout_ms=10000,
                                               api_version_auto_timeout_ms=15000))


def acl_principals(bootstrap):
    """The client certificate's subject is the principal ACLs name."""
    import kafka.admin as ka
    from confluent_kafka import Producer
    topic = "tls-acl-" + uuid.uuid4().hex[:6]
    admin = kp_admin(bootstrap, "admin")
    admin.create_topics([ka.NewTopic(topic, 1, 1)])
    alice = "User:CN=alice,O=Kelp Test"
    acls = [ka.ACL(principal=alice, host="*", operation=op, permission_type=ka.ACLPermissionType.ALLOW,
                   resource_pattern=ka.ResourcePattern(ka.ResourceType.TOPIC, topic))
            for op in (ka.ACLOperation.WRITE, ka.ACLOperation.DESCRIBE)]
    res = admin.create_acls(acls)
    if res["failed"] or len(res["succeeded"]) != 2:
        fail("create_acls for %s: %r" % (alice, res))
    admin.close()

    def produce(who):
        p = Producer(dict(ck_conf(bootstrap, who), **{"message.timeout.ms": 8000}))
        out = []
        p.produce(topic, b"from " + who.encode(), partition=0, on_delivery=lambda e, m: out.append(e))
        p.flush(15)
        return out[0] if out else "no delivery report"

    err = produce("alice")
    if err is not None:
        fail("alice, allowed by an ACL on her certificate's subject, could not produce: %s" % err)
    err = produce("bob")
    if err is None or "TOPIC_AUTHORIZATION_FAILED" not in str(err.name() if hasattr(err, "name") else err):
        fail("bob, without an ACL, was not refused with TOPIC_AUTHORIZATION_FAILED: %s" % err)


def clients(bootstrap):
    run = uuid.uuid4().hex[:6]
    confluent_roundtrip(bootstrap, "tls-ck-" + run)
    kafka_python_roundtrip(bootstrap, "tls-kp-" + run)
    kcat_roundtrip(bootstrap, "tls-kc-" + run)


def refused(bootstrap, mode):
    # mode "required": no certificate is refused too; "requested": it is let in.
    for who in ("rogue",) + ((None,) if mode == "required" else ()):
        confluent_refused(bootstrap, who)
        kafka_python_refused(bootstrap, who)
        kcat_refused(bootstrap, who)
    confluent_refused(bootstrap, None, "PLAINTEXT")
    plaintext_refused(bootstrap)


if __name__ == "__main__":
    cmd, bootstrap = sys.argv[1], sys.argv[2]
    if cmd == "clients":
        clients(bootstrap)
    elif cmd == "refused":
        refused(bootstrap, sys.argv[3])
    elif cmd == "subject":
        server_subject(bootstrap)
    elif cmd == "acl":
        acl_principals(bootstrap)
    else:
        fail("unknown command " + cmd)
