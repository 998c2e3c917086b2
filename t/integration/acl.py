"""ACL clients for acl.sh: DescribeAcls/CreateAcls/DeleteAcls on the wire at
every advertised version and through kafka-python's KafkaAdminClient, and
what the authorizer lets alice and bob (plain users) do with kcat,
confluent-kafka and kafka-python; admin is a super user."""

import glob
import os
import struct
import subprocess
import sys
import time

from kafka_raw import ATTR_TRANSACTIONAL, TAGS, array, i8, i16, i32, nbytes, record_batch, string
from sasl import plain_login

PASSWORDS = {"admin": "admin-secret", "alice": "alice-secret", "bob": "bob-secret"}

TOPIC, GROUP, CLUSTER, TXN = 2, 3, 4, 5
ANY, MATCH, LITERAL, PREFIXED = 1, 2, 3, 4
OP_ANY, OP_ALL, READ, WRITE, CREATE, DESCRIBE = 1, 2, 3, 4, 5, 8
PERM_ANY, DENY, ALLOW = 1, 2, 3

TRANSACTIONAL_ID_AUTHORIZATION_FAILED = 53
TOPIC_AUTHORIZATION_FAILED = 29
GROUP_AUTHORIZATION_FAILED = 30
CLUSTER_AUTHORIZATION_FAILED = 31
INVALID_REQUEST = 42
SECURITY_DISABLED = 54


def fail(msg):
    print("acl.py: FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


# ---- the wire ---------------------------------------------------------------

def describe_acls(c, version, flt):
    """flt: (type, name, pattern, principal, host, op, perm). Returns
    (error, message, [(type, name, pattern, principal, host, op, perm)])."""
    flex = version >= 2
    t, name, pattern, principal, host, op, perm = flt
    body = (i8(t) + string(name, flex) + i8(pattern) + string(principal, flex) + string(host, flex) + i8(op) +
            i8(perm) + (TAGS if flex else b""))
    r = c.call(29, version, body, flex)
    r.i32()
    err, msg = r.i16(), r.string()

    def acl(x):
        a = (x.string(), x.string(), x.i8(), x.i8())
        x.tags()
        return a

    def resource(x):
        res = (x.i8(), x.string(), x.i8())
        acls = x.array(acl)
        x.tags()
        return [res + a for a in acls]

    resources = r.array(resource)
    r.tags()
    r.done()
    return err, msg, [a for res in resources for a in res]


def create_acls(c, version, bindings):
    flex = version >= 2
    items = [i8(t) + string(name, flex) + i8(pattern) + string(principal, flex) + string(host, flex) + i8(op) +
             i8(perm) + (TAGS if flex else b"") for t, name, pattern, principal, host, op, perm in bindings]
    r = c.call(30, version, array(items, flex) + (TAGS if flex else b""), flex)
    r.i32()

    def result(x):
        e = (x.i16(), x.string())
        x.tags()
        return e

    results = r.array(result)
    r.tags()
    r.done()
    return results


def delete_acls(c, version, filters):
    """Returns [(error, message, [binding...])] per filter."""
    flex = version >= 2
    items = [i8(t) + string(name, flex) + i8(pattern) + string(principal, flex) + string(host, flex) + i8(op) +
             i8(perm) + (TAGS if flex else b"") for t, name, pattern, principal, host, op, perm in filters]
    r = c.call(31, version, array(items, flex) + (TAGS if flex else b""), flex)
    r.i32()

    def matching(x):
        err, _ = x.i16(), x.string()
        m = (x.i8(), x.string(), x.i8(), x.string(), x.string(), x.i8(), x.i8())
        x.tags()
        if err:
            fail("DeleteAcls v%d: a matching ACL with error %d" % (version, err))
        return m

    def result(x):
        e = (x.i16(), x.string(), x.array(matching))
        x.tags()
        return e

    results = r.array(result)
    r.tags()
    r.done()
    return results


def metadata_errors(c, topics):
    """Metadata v1 for the named topics: {name: error}."""
    r = c.call(3, 1, array([string(t, False) for t in topics], False), False)
    r.array(lambda x: (x.i32(), x.string(), x.i32(), x.string()))
    r.i32()

    def partition(x):
        x.i16(), x.i32(), x.i32()
        x.array(lambda y: y.i32())
        x.array(lambda y: y.i32())

    def topic(x):
        err, name = x.i16(), x.string()
        x.i8()
        x.array(partition)
        return name, err

    return dict(r.array(topic))


def wire(bootstrap):
    admin = plain_login(bootstrap, "admin", PASSWORDS["admin"])
    r = admin.call(18, 0, b"", False)
    if r.i16():
        fail("ApiVersions failed")
    versions = {k: (lo, hi) for k, lo, hi in r.array(lambda x: (x.i16(), x.i16(), x.i16()))}
    for key in (29, 30, 31):
        if versions.get(key) != (1, 3):
            fail("API %d advertised as %r, wanted (1, 3) as Kafka 4.0" % (key, versions.get(key)))
    for v in (1, 2, 3):
        name = "wire-v%d" % v
        b1 = (TOPIC, name, LITERAL, "User:alice", "*", READ, ALLOW)
        b2 = (GROUP, name + "-", PREFIXED, "User:*", "10.0.0.1", DESCRIBE, DENY)
        res = create_acls(admin, v, [b1, b2])
        if res != [(0, None), (0, None)]:
            fail("CreateAcls v%d: %r" % (v, res))
        # Creating an existing binding again is a success, as in Kafka.
        if create_acls(admin, v, [b1]) != [(0, None)]:
            fail("CreateAcls v%d of an existing binding failed" % v)
        err, msg, acls = describe_acls(admin, v, (ANY, None, ANY, None, None, OP_ANY, PERM_ANY))
        if err or b1 not in acls or b2 not in acls:
            fail("DescribeAcls v%d ANY: error %d %r, %r" % (v, err, msg, acls))
        err, _, acls = describe_acls(admin, v, (TOPIC, name, MATCH, None, None, OP_ANY, PERM_ANY))
        if err or acls != [b1]:
            fail("DescribeAcls v%d MATCH %s: %d %r" % (v, name, err, acls))
        err, _, acls = describe_acls(admin, v, (GROUP, name + "-x", MATCH, None, None, OP_ANY, PERM_ANY))
        if err or acls != [b2]:
            fail("DescribeAcls v%d MATCH a prefixed group: %d %r" % (v, err, acls))
        err, _, acls = describe_acls(admin, v, (GROUP, name + "-x", ANY, None, None, OP_ANY, PERM_ANY))
        if err or acls:
            fail("DescribeAcls v%d ANY compares names exactly: %d %r" % (v, err, acls))
        # Validation: unknown or ANY enums, principals without "User:".
        bad = [(ANY, name, LITERAL, "User:alice", "*", READ, ALLOW),
               (TOPIC, name, MATCH, "User:alice", "*", READ, ALLOW),
               (TOPIC, name, LITERAL, "User:alice", "*", OP_ANY, ALLOW),
               (TOPIC, name, LITERAL, "User:alice", "*", READ, PERM_ANY),
               (TOPIC, name, LITERAL, "alice", "*", READ, ALLOW),
               (TOPIC, "", LITERAL, "User:alice", "*", READ, ALLOW),
               (CLUSTER, "not-the-cluster", LITERAL, "User:alice", "*", CREATE, ALLOW),
               (9, name, LITERAL, "User:alice", "*", READ, ALLOW)]
        for b, (err, msg) in zip(bad, create_acls(admin, v, bad)):
            if err != INVALID_REQUEST or not msg:
                fail("CreateAcls v%d of %r: %d %r, wanted INVALID_REQUEST" % (v, b, err, msg))
        err, _, _ = describe_acls(admin, v, (ANY, None, 0, None, None, OP_ANY, PERM_ANY))
        if err != INVALID_REQUEST:
            fail("DescribeAcls v%d with an unknown pattern type: error %d" % (v, err))
        res = delete_acls(admin, v, [(TOPIC, name, LITERAL, None, None, OP_ANY, PERM_ANY),
                                     (ANY, None, MATCH, "User:*", None, OP_ANY, PERM_ANY),
                                     (ANY, None, ANY, None, None, 0, PERM_ANY)])
        if res[0][:2] != (0, None) or res[0][2] != [b1] or res[1][:2] != (0, None) or res[1][2] != [b2]:
            fail("DeleteAcls v%d: %r" % (v, res))
        if res[2][0] != INVALID_REQUEST:
            fail("DeleteAcls v%d with an unknown operation: %r" % (v, res[2]))
        err, _, acls = describe_acls(admin, v, (ANY, None, ANY, None, None, OP_ANY, PERM_ANY))
        if err or any(a[1].startswith("wire-") for a in acls):
            fail("DescribeAcls v%d after DeleteAcls: %d %r" % (v, err, acls))
        # A plain user may neither describe nor change ACLs.
        alice = plain_login(bootstrap, "alice", PASSWORDS["alice"])
        err, msg, acls = describe_acls(alice, v, (ANY, None, ANY, None, None, OP_ANY, PERM_ANY))
        if err != CLUSTER_AUTHORIZATION_FAILED or acls:
            fail("DescribeAcls v%d as alice: %d %r" % (v, err, acls))
        if [e for e, _ in create_acls(alice, v, [b1])] != [CLUSTER_AUTHORIZATION_FAILED]:
            fail("CreateAcls v%d as alice was not refused" % v)
        if [e for e, _, _ in delete_acls(alice, v, [b1])] != [CLUSTER_AUTHORIZATION_FAILED]:
            fail("DeleteAcls v%d as alice was not refused" % v)


def wire_disabled(bootstrap):
    c = plain_login(bootstrap, "alice", PASSWORDS["alice"])
    for v in (1, 2, 3):
        err, msg, _ = describe_acls(c, v, (ANY, None, ANY, None, None, OP_ANY, PERM_ANY))
        if err != SECURITY_DISABLED:
            fail("DescribeAcls v%d without the authorizer: error %d %r" % (v, err, msg))
        b = (TOPIC, "t", LITERAL, "User:alice", "*", READ, ALLOW)
        if [e for e, _ in create_acls(c, v, [b])] != [SECURITY_DISABLED]:
            fail("CreateAcls v%d without the authorizer was not SECURITY_DISABLED" % v)
        if [e for e, _, _ in delete_acls(c, v, [b])] != [SECURITY_DISABLED]:
            fail("DeleteAcls v%d without the authorizer was not SECURITY_DISABLED" % v)
    # Everyone may do everything: alice describes any topic.
    errs = metadata_errors(c, ["secure", "secret"])
    if any(errs.values()):
        fail("Metadata without the authorizer: %r" % errs)


# ---- kafka-python's admin client -------------------------------------------

def kp_admin(bootstrap, user):
    from kafka.admin import KafkaAdminClient
    return KafkaAdminClient(bootstrap_servers=bootstrap, security_protocol="SASL_PLAINTEXT", sasl_mechanism="PLAIN",
                            sasl_plain_username=user, sasl_plain_password=PASSWORDS[user], request_timeout_ms=20000)


def acl(principal, op, perm, rtype, name, pattern=LITERAL, host="*"):
    from kafka.admin import ACL, ACLOperation, ACLPermissionType, ACLResourcePatternType, ResourcePattern, ResourceType
    return ACL(principal=principal, host=host, operation=ACLOperation(op), permission_type=ACLPermissionType(perm),
               resource_pattern=ResourcePattern(ResourceType(rtype), name, ACLResourcePatternType(pattern)))


def acl_filter(rtype=ANY, name=None, pattern=ANY, principal=None):
    from kafka.admin import (ACLFilter, ACLOperation, ACLPermissionType, ACLResourcePatternType,
                             ResourcePatternFilter, ResourceType)
    return ACLFilter(principal=principal, host=None, operation=ACLOperation.ANY,
                     permission_type=ACLPermissionType.ANY,
                     resource_pattern=ResourcePatternFilter(ResourceType(rtype), name, ACLResourcePatternType(pattern)))


def key(a):
    return (a.principal, a.host, int(a.operation), int(a.permission_type), int(a.resource_pattern.resource_type),
            a.resource_pattern.resource_name, int(a.resource_pattern.pattern_type))


def grant(bootstrap, *acls):
    admin = kp_admin(bootstrap, "admin")
    res = admin.create_acls(list(acls))
    admin.close()
    if res["failed"] or len(res["succeeded"]) != len(acls):
        fail("create_acls: %r" % res)


def revoke(bootstrap, *acls):
    from kafka.admin import ACLFilter, ResourcePatternFilter
    admin = kp_admin(bootstrap, "admin")
    filters = [ACLFilter(principal=a.principal, host=a.host, operation=a.operation, permission_type=a.permission_type,
                         resource_pattern=ResourcePatternFilter(a.resource_pattern.resource_type,
                                                                a.resource_pattern.resource_name,
                                                                a.resource_pattern.pattern_type)) for a in acls]
    res = admin.delete_acls(filters)
    admin.close()
    for (_, matched, err), a in zip(res, acls):
        if err.errno != 0 or [key(m) for m, _ in matched] != [key(a)]:
            fail("delete_acls of %r: %r %r" % (key(a), matched, err))


def described(bootstrap, **kw):
    admin = kp_admin(bootstrap, "admin")
    acls, err = admin.describe_acls(acl_filter(**kw))
    admin.close()
    if err.errno != 0:
        fail("describe_acls: %r" % err)
    return sorted(key(a) for a in acls)


def admin_roundtrip(bootstrap):
    """kafka-python creates, describes and deletes ACLs."""
    from kafka.admin import NewTopic
    admin = kp_admin(bootstrap, "admin")
    admin.create_topics([NewTopic(t, 1, 1) for t in ("secure", "secret", "open", "app-x", "apx-1")])
    admin.close()
    mine = [acl("User:carol", READ, ALLOW, TOPIC, "kp-acl"),
            acl("User:carol", WRITE, DENY, TOPIC, "kp-", PREFIXED),
            acl("User:*", DESCRIBE, ALLOW, GROUP, "kp-group", host="127.0.0.1")]
    grant(bootstrap, *mine)
    got = described(bootstrap, principal="User:carol")
    if got != sorted(key(a) for a in mine[:2]):
        fail("describe_acls by principal: %r" % got)
    got = described(bootstrap, rtype=TOPIC, name="kp-acl", pattern=MATCH)
    if got != sorted(key(a) for a in mine[:2]):
        fail("describe_acls MATCH kp-acl: %r" % got)
    got = described(bootstrap, rtype=GROUP)
    if got != [key(mine[2])]:
        fail("describe_acls of groups: %r" % got)
    revoke(bootstrap, *mine)
    if described(bootstrap):
        fail("ACLs left after delete_acls: %r" % described(bootstrap))
    # A plain user gets CLUSTER_AUTHORIZATION_FAILED from describe_acls.
    import kafka.errors
    alice = kp_admin(bootstrap, "alice")
    try:
        alice.describe_acls(acl_filter())
        fail("alice described the ACLs")
    except kafka.errors.ClusterAuthorizationFailedError:
        pass
    res = alice.create_acls([acl("User:alice", OP_ALL, ALLOW, CLUSTER, "kafka-cluster")])
    if res["succeeded"] or [e.errno for _, e in res["failed"]] != [CLUSTER_AUTHORIZATION_FAILED]:
        fail("alice create_acls: %r" % res)
    alice.close()


# ---- producing: kcat, confluent-kafka, kafka-python -------------------------

def ck_conf(bootstrap, user):
    return {"bootstrap.servers": bootstrap, "security.protocol": "SASL_PLAINTEXT", "sasl.mechanisms": "PLAIN",
            "sasl.username": user, "sasl.password": PASSWORDS[user]}


def kcat_produce(bootstrap, user, topic, value):
    args = ["kcat", "-b", bootstrap, "-X", "security.protocol=SASL_PLAINTEXT", "-X", "sasl.mechanisms=PLAIN",
            "-X", "sasl.username=" + user, "-X", "sasl.password=" + PASSWORDS[user], "-X", "message.timeout.ms=15000",
            "-P", "-t", topic, "-p", "0"]
    r = subprocess.run(args, input=value.encode() + b"\n", capture_output=True, timeout=60)
    return r.returncode, r.stderr.decode(errors="replace")


def ck_produce(bootstrap, user, topic, value):
    """The delivery error code, 0 when delivered."""
    from confluent_kafka import Producer
    result = []
    p = Producer(dict(ck_conf(bootstrap, user), **{"message.timeout.ms": 15000}))
    p.produce(topic, value.encode(), partition=0, on_delivery=lambda err, msg: result.append(err))
    p.flush(30)
    if not result:
        fail("confluent-kafka as %s: no delivery report for %s" % (user, topic))
    return result[0].code() if result[0] else 0


def kp_produce(bootstrap, user, topic, value):
    """None when delivered, else the exception."""
    import kafka
    import kafka.errors
    p = kafka.KafkaProducer(bootstrap_servers=bootstrap, security_protocol="SASL_PLAINTEXT", sasl_mechanism="PLAIN",
                            sasl_plain_username=user, sasl_plain_password=PASSWORDS[user], api_version=(2, 5, 0),
                            max_block_ms=15000, retries=0)
    try:
        p.send(topic, value.encode(), partition=0).get(timeout=30)
        return None
    except kafka.errors.KafkaError as e:
        return e
    finally:
        p.close(timeout=5)


def high_watermark(bootstrap, topic):
    from confluent_kafka import Consumer, TopicPartition
    c = Consumer(dict(ck_conf(bootstrap, "admin"), **{"group.id": "acl-hwm"}))
    lo, hi = c.get_watermark_offsets(TopicPartition(topic, 0), timeout=20)
    c.close()
    return hi


def produce_denied(bootstrap, topic):
    import kafka.errors
    rc, err = kcat_produce(bootstrap, "alice", topic, "kcat-denied")
    if rc == 0 or "authorization failed" not in err.lower():
        fail("kcat as alice produced to %s: status %d %r" % (topic, rc, err[-400:]))
    code = ck_produce(bootstrap, "alice", topic, "ck-denied")
    if code != TOPIC_AUTHORIZATION_FAILED:
        fail("confluent-kafka as alice to %s: delivery error %r, wanted TOPIC_AUTHORIZATION_FAILED" % (topic, code))
    e = kp_produce(bootstrap, "alice", topic, "kp-denied")
    if not isinstance(e, kafka.errors.TopicAuthorizationFailedError):
        fail("kafka-python as alice to %s: %r, wanted TopicAuthorizationFailedError" % (topic, e))
    hwm = high_watermark(bootstrap, topic)
    if hwm != 0:
        fail("%s holds %d records after refused produces" % (topic, hwm))


def produce_allowed(bootstrap, topic, expected_hwm):
    rc, err = kcat_produce(bootstrap, "alice", topic, "kcat-ok")
    if rc != 0:
        fail("kcat as alice with WRITE on %s: status %d %r" % (topic, rc, err[-400:]))
    code = ck_produce(bootstrap, "alice", topic, "ck-ok")
    if code != 0:
        fail("confluent-kafka as alice with WRITE on %s: error %d" % (topic, code))
    e = kp_produce(bootstrap, "alice", topic, "kp-ok")
    if e is not None:
        fail("kafka-python as alice with WRITE on %s: %r" % (topic, e))
    hwm = high_watermark(bootstrap, topic)
    if hwm != expected_hwm:
        fail("%s: high watermark %d, wanted %d" % (topic, hwm, expected_hwm))


def no_records(data_dir, topic):
    logs = glob.glob(os.path.join(data_dir, "topics", "kafka", topic, "*", "*.log"))
    stored = sum(os.path.getsize(f) for f in logs)
    if stored:
        fail("%s: %d bytes in %r after refused produces" % (topic, stored, logs))


def produce(bootstrap):
    # READ (and so DESCRIBE) but no WRITE: the produce itself is refused.
    grant(bootstrap, acl("User:alice", READ, ALLOW, TOPIC, "secure"))
    produce_denied(bootstrap, "secure")


def produce_granted(bootstrap):
    grant(bootstrap, acl("User:alice", WRITE, ALLOW, TOPIC, "secure"))
    produce_allowed(bootstrap, "secure", 3)


# ---- groups, cluster operations, DENY, prefixes -----------------------------

def ck_group_consume(bootstrap, user, topic, group):
    """(error code or 0, values read) of a group consumer."""
    from confluent_kafka import Consumer
    c = Consumer(dict(ck_conf(bootstrap, user), **{"group.id": group, "auto.offset.reset": "earliest",
                                                   "session.timeout.ms": 6000}))
    c.subscribe([topic])
    values, deadline = [], time.time() + 30
    try:
        while time.time() < deadline:
            m = c.poll(1.0)
            if m is None:
                if values:
                    break
                continue
            if m.error():
                if m.error().code() < 0:  # librdkafka's own events, such as partition EOF
                    continue
                return m.error().code(), values
            values.append(m.value())
    finally:
        c.close()
    return 0, values


def group(bootstrap):
    code, values = ck_group_consume(bootstrap, "alice", "secure", "alice-group")
    if code != GROUP_AUTHORIZATION_FAILED or values:
        fail("group consume without a group ACL: error %d, %d values" % (code, len(values)))
    grant(bootstrap, acl("User:alice", READ, ALLOW, GROUP, "alice-group"))
    code, values = ck_group_consume(bootstrap, "alice", "secure", "alice-group")
    if code or len(values) != 3:
        fail("group consume with READ on the group: error %d, %r" % (code, values))


def cluster(bootstrap):
    from confluent_kafka import KafkaException
    from confluent_kafka.admin import AdminClient, NewTopic
    a = AdminClient(ck_conf(bootstrap, "alice"))
    try:
        a.create_topics([NewTopic("alice-made", 1, 1)])["alice-made"].result(30)
        fail("alice created a topic without CREATE")
    except KafkaException as e:
        if e.args[0].code() != TOPIC_AUTHORIZATION_FAILED:
            fail("CreateTopics without CREATE: %r" % e)
    c = plain_login(bootstrap, "alice", PASSWORDS["alice"])
    err, _, _ = describe_acls(c, 3, (ANY, None, ANY, None, None, OP_ANY, PERM_ANY))
    if err != CLUSTER_AUTHORIZATION_FAILED:
        fail("DescribeAcls as alice: error %d" % err)
    # Metadata neither shows nor auto-creates topics she may not describe or create.
    errs = metadata_errors(c, ["secret", "no-such-topic"])
    if errs != {"secret": TOPIC_AUTHORIZATION_FAILED, "no-such-topic": TOPIC_AUTHORIZATION_FAILED}:
        fail("Metadata as alice: %r" % errs)
    grant(bootstrap, acl("User:alice", CREATE, ALLOW, CLUSTER, "kafka-cluster"))
    a.create_topics([NewTopic("alice-made", 1, 1)])["alice-made"].result(30)
    revoke(bootstrap, acl("User:alice", CREATE, ALLOW, CLUSTER, "kafka-cluster"))


def deny(bootstrap):
    """bob may read every topic but "secret": the DENY wins."""
    grant(bootstrap, acl("User:bob", READ, ALLOW, TOPIC, "*"),
          acl("User:bob", OP_ALL, DENY, TOPIC, "secret"))
    deny_check(bootstrap)


def deny_check(bootstrap):
    c = plain_login(bootstrap, "bob", PASSWORDS["bob"])
    errs = metadata_errors(c, ["secure", "open", "secret"])
    if errs != {"secure": 0, "open": 0, "secret": TOPIC_AUTHORIZATION_FAILED}:
        fail("Metadata as bob: %r" % errs)
    from confluent_kafka import Consumer, TopicPartition
    cons = Consumer(dict(ck_conf(bootstrap, "bob"), **{"group.id": "bob-g", "enable.auto.commit": False}))
    cons.assign([TopicPartition("secure", 0, 0)])
    got = []
    deadline = time.time() + 20
    while len(got) < 3 and time.time() < deadline:
        m = cons.poll(1.0)
        if m is not None and not m.error():
            got.append(m.value())
    cons.close()
    if len(got) != 3:
        fail("bob read %r from secure" % got)


def prefixed(bootstrap):
    import kafka.errors
    grant(bootstrap, acl("User:bob", WRITE, ALLOW, TOPIC, "app-", PREFIXED))
    prefixed_check(bootstrap)


def prefixed_check(bootstrap):
    import kafka.errors
    e = kp_produce(bootstrap, "bob", "app-x", "prefixed")
    if e is not None:
        fail("bob with WRITE on prefix app- could not produce to app-x: %r" % e)
    e = kp_produce(bootstrap, "bob", "apx-1", "prefixed")
    if not isinstance(e, kafka.errors.TopicAuthorizationFailedError):
        fail("bob produced to apx-1 outside his prefix: %r" % e)


def raw_produce(c, txn_id, topic, attributes, producer_id=-1):
    """Produce v3 of one batch to partition 0: the partition's error."""
    batch = record_batch([(None, b"raw", [])], int(time.time() * 1000), producer_id=producer_id, producer_epoch=0,
                         base_sequence=0 if producer_id >= 0 else -1, attributes=attributes)
    body = (string(txn_id, False) + i16(-1) + i32(10000) +
            array([string(topic, False) + array([i32(0) + nbytes(batch, False)], False)], False))
    r = c.call(0, 3, body, False)
    res = r.array(lambda x: (x.string(), x.array(lambda y: (y.i32(), y.i16(), y.i64(), y.i64()))))
    return res[0][1][0][1]


def txn(bootstrap):
    """Transactional ids: WRITE on the id, else TRANSACTIONAL_ID_AUTHORIZATION_FAILED."""
    from confluent_kafka import KafkaException, Producer
    c = plain_login(bootstrap, "alice", PASSWORDS["alice"])
    # A transactional batch with WRITE on the topic but not on the id stores nothing.
    err = raw_produce(c, "alice-tx", "secure", ATTR_TRANSACTIONAL, producer_id=4242)
    if err != TRANSACTIONAL_ID_AUTHORIZATION_FAILED:
        fail("transactional produce without WRITE on the id: error %d" % err)
    if high_watermark(bootstrap, "secure") != 3:
        fail("a refused transactional produce was stored")
    p = Producer(dict(ck_conf(bootstrap, "alice"), **{"transactional.id": "alice-tx"}))
    try:
        p.init_transactions(20)
        fail("init_transactions without an ACL on the transactional id succeeded")
    except KafkaException as e:
        if e.args[0].code() != TRANSACTIONAL_ID_AUTHORIZATION_FAILED:
            fail("init_transactions without an ACL: %r" % e)
    grant(bootstrap, acl("User:alice", WRITE, ALLOW, TXN, "alice-tx"))
    p = Producer(dict(ck_conf(bootstrap, "alice"), **{"transactional.id": "alice-tx"}))
    p.init_transactions(20)
    p.begin_transaction()
    p.produce("secure", b"in-txn", partition=0)
    p.commit_transaction(20)
    revoke(bootstrap, acl("User:alice", WRITE, ALLOW, TXN, "alice-tx"))
    # The commit marker follows the record: four records and a marker.
    if high_watermark(bootstrap, "secure") != 5:
        fail("secure after a committed transaction: high watermark %d" % high_watermark(bootstrap, "secure"))




def after_restart(bootstrap):
    got = described(bootstrap)
    want = sorted(key(a) for a in [
        acl("User:alice", READ, ALLOW, TOPIC, "secure"),
        acl("User:alice", WRITE, ALLOW, TOPIC, "secure"),
        acl("User:alice", READ, ALLOW, GROUP, "alice-group"),
        acl("User:bob", READ, ALLOW, TOPIC, "*"),
        acl("User:bob", OP_ALL, DENY, TOPIC, "secret"),
        acl("User:bob", WRITE, ALLOW, TOPIC, "app-", PREFIXED)])
    if got != want:
        fail("ACLs after a restart: %r, wanted %r" % (got, want))
    deny_check(bootstrap)
    prefixed_check(bootstrap)
    if kp_produce(bootstrap, "alice", "secure", "after-restart") is not None:
        fail("alice lost WRITE on secure across the restart")


def acl_file(data_dir):
    import json
    path = os.path.join(data_dir, "topics", "kafka", ".meta", "acls.json")
    doc = json.load(open(path))
    names = sorted((a["principal"], a["operation"], a["permission"], a["name"]) for a in doc["acls"])
    if ("User:bob", "ALL", "DENY", "secret") not in names or len(names) != 6:
        fail("%s: %r" % (path, names))


if __name__ == "__main__":
    cmd, arg = sys.argv[1], sys.argv[2]
    commands = {"wire": wire, "wire-disabled": wire_disabled, "admin": admin_roundtrip, "produce": produce,
                "produce-granted": produce_granted, "group": group, "cluster": cluster, "deny": deny,
                "prefixed": prefixed, "txn": txn, "after-restart": after_restart, "acl-file": acl_file}
    if cmd == "no-records":
        no_records(arg, sys.argv[3])
    elif cmd in commands:
        commands[cmd](arg)
    else:
        fail("unknown command " + cmd)
