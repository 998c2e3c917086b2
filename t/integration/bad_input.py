"""Bad input against a running kelpd, over raw sockets: malformed frames
close only their own connection, bad fields get Kafka's error codes, invalid
topic names never reach the file system, a corrupt batch stores nothing.

The requests here are written byte by byte on purpose: they must be able to
say things no well-behaved client library would.

usage: bad_input.py HOST:PORT DATA_DIR
"""
import os
import socket
import struct
import sys

HOST, PORT = sys.argv[1].rsplit(":", 1)
DATA = sys.argv[2]
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def connect():
    s = socket.create_connection((HOST, int(PORT)), timeout=10)
    return s


def frame(api_key, version, corr, body, client_id=b"bad-input", header_v2=False):
    hdr = struct.pack(">hhi", api_key, version, corr) + struct.pack(">h", len(client_id)) + client_id
    if header_v2:
        hdr += b"\x00"  # empty tagged fields
    payload = hdr + body
    return struct.pack(">i", len(payload)) + payload


def read_response(s):
    size = struct.unpack(">i", recv_exact(s, 4))[0]
    return recv_exact(s, size)


def recv_exact(s, n):
    out = b""
    while len(out) < n:
        chunk = s.recv(n - len(out))
        if not chunk:
            raise EOFError("connection closed after %d of %d bytes" % (len(out), n))
        out += chunk
    return out


def closed_by_server(s):
    try:
        return s.recv(1) == b""
    except (ConnectionResetError, socket.timeout):
        return False if isinstance(sys.exc_info()[1], socket.timeout) else True


def kstr(s):
    return struct.pack(">h", len(s)) + s


def metadata_v1(names):
    return struct.pack(">i", len(names)) + b"".join(kstr(n) for n in names)


def parse_metadata_v1_topics(body):
    # correlation id, brokers[], controller_id, topics[]
    pos = 4
    (nb,) = struct.unpack_from(">i", body, pos)
    pos += 4
    for _ in range(nb):
        pos += 4
        (hl,) = struct.unpack_from(">h", body, pos)
        pos += 2 + hl + 4
        (rl,) = struct.unpack_from(">h", body, pos)
        pos += 2 + max(rl, 0)
    pos += 4
    (nt,) = struct.unpack_from(">i", body, pos)
    pos += 4
    topics = {}
    for _ in range(nt):
        (err,) = struct.unpack_from(">h", body, pos)
        pos += 2
        (nl,) = struct.unpack_from(">h", body, pos)
        name = body[pos + 2 : pos + 2 + nl]
        pos += 2 + nl + 1  # name, is_internal
        (np_,) = struct.unpack_from(">i", body, pos)
        pos += 4
        for _ in range(np_):
            pos += 2 + 4 + 4
            for _arr in range(2):
                (n,) = struct.unpack_from(">i", body, pos)
                pos += 4 + 4 * n
        topics[name] = err
    return topics


def healthy():
    s = connect()
    s.sendall(frame(18, 0, 42, b""))
    body = read_response(s)
    s.close()
    return struct.unpack_from(">ih", body, 0) == (42, 0)


# 1. Negative and oversized frame lengths close the connection.
for label, raw in (("negative length", struct.pack(">i", -1)),
                   ("length over max_request_bytes", struct.pack(">i", 200 * 1024 * 1024)),
                   ("length shorter than a header", struct.pack(">i", 3) + b"abc")):
    s = connect()
    s.sendall(raw)
    check(closed_by_server(s), "%s closes the connection" % label)
    s.close()
check(healthy(), "server still answers after bad frame lengths")

# 2. An unknown API key closes the connection; a truncated body too.
s = connect()
s.sendall(frame(9999, 0, 1, b""))
check(closed_by_server(s), "unknown api key closes the connection")
s = connect()
s.sendall(frame(3, 1, 2, struct.pack(">i", 5)))  # five topics announced, none sent
check(closed_by_server(s), "truncated Metadata body closes the connection")

# 3. ApiVersions with a version from the future: error 35 in v0 layout.
s = connect()
s.sendall(frame(18, 99, 7, b"\x00", header_v2=True))
body = read_response(s)
corr, err, n = struct.unpack_from(">ihi", body, 0)
keys = {struct.unpack_from(">hhh", body, 10 + 6 * i)[0]: struct.unpack_from(">hhh", body, 10 + 6 * i)[1:] for i in range(n)}
check(corr == 7 and err == 35, "ApiVersions v99 answered with UNSUPPORTED_VERSION (35)")
check(keys.get(18) == (0, 4), "the v0 answer lists ApiVersions 0-4 so the client can retry")
s.close()

# 4. Invalid topic names: INVALID_TOPIC_EXCEPTION (17), nothing on disk.
bad_names = [b"..", b".", b"a/b", b"x" * 250, b".meta", b"bad\x00name", b"sp ace"]
s = connect()
s.sendall(frame(3, 1, 3, metadata_v1(bad_names + [b"fine-topic"])))
topics = parse_metadata_v1_topics(read_response(s))
s.close()
for n in bad_names:
    check(topics.get(n) == 17, "Metadata for %r gets INVALID_TOPIC_EXCEPTION" % n)
check(topics.get(b"fine-topic") == 0, "a valid name in the same request is auto-created")
entries = sorted(os.listdir(os.path.join(DATA, "topics", "kafka")))
check(entries == [".meta", "fine-topic"], "only the valid topic reached the file system: %r" % entries)

# 5. A record batch with a wrong CRC: CORRUPT_MESSAGE (2), nothing stored.
def produce_v3(topic, partition, records, acks=-1):
    body = struct.pack(">h", -1) + struct.pack(">hi", acks, 5000)
    body += struct.pack(">i", 1) + kstr(topic) + struct.pack(">i", 1)
    body += struct.pack(">i", partition) + struct.pack(">i", len(records)) + records
    return body

# attributes, timestamp delta, offset delta, key null (-1), value length 1, "x", no headers
record = bytes([0x00, 0x00, 0x00, 0x01, 0x02, ord("x"), 0x00])
record = bytes([len(record) * 2]) + record  # zigzag length prefix
after_crc = struct.pack(">hiqqqhii", 0, 0, 1000, 1000, -1, -1, -1, 1) + record
batch = struct.pack(">qi", 0, 4 + 1 + 4 + len(after_crc)) + struct.pack(">ib", 0, 2) + struct.pack(">I", 0xdeadbeef) + after_crc
s = connect()
s.sendall(frame(0, 3, 9, produce_v3(b"fine-topic", 0, batch)))
body = read_response(s)
# corr, topics[1]: name, partitions[1]: index, error, base_offset, log_append_time
pos = 4 + 4
(nl,) = struct.unpack_from(">h", body, pos)
pos += 2 + nl + 4
index, error = struct.unpack_from(">ih", body, pos)
check(index == 0 and error == 2, "a batch with a bad CRC gets CORRUPT_MESSAGE (got %d)" % error)
s.close()
seg = os.path.join(DATA, "topics", "kafka", "fine-topic", "0", "%020d.log" % 0)
check(not os.path.exists(seg) or os.path.getsize(seg) == 0, "nothing was written to the partition log")


# The same batch with its real CRC-32C is accepted at offset 0: the CRC was the only fault.
def crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 & -(crc & 1))
    return crc ^ 0xFFFFFFFF

good = batch[:17] + struct.pack(">I", crc32c(after_crc)) + after_crc
s = connect()
s.sendall(frame(0, 3, 10, produce_v3(b"fine-topic", 0, good)))
body = read_response(s)
index, error, base = struct.unpack_from(">ihq", body, 4 + 4 + 2 + len(b"fine-topic") + 4)
check(error == 0 and base == 0, "the batch with a correct CRC is stored at offset 0 (error %d, base %d)" % (error, base))
s.close()

# With acks=0 no answer can carry an error: a refused batch closes the
# connection (as Kafka), an accepted one leaves it open.
s = connect()
s.sendall(frame(0, 3, 11, produce_v3(b"fine-topic", 0, batch, acks=0)))
check(closed_by_server(s), "an acks=0 batch with a bad CRC closes the connection")
s = connect()
s.sendall(frame(0, 3, 12, produce_v3(b"fine-topic", 0, good, acks=0)))
s.sendall(frame(18, 0, 13, b""))
body = read_response(s)
check(struct.unpack_from(">ih", body, 0) == (13, 0), "after an accepted acks=0 batch the connection still answers")
s.close()

# 6. Group APIs with hostile names never touch a path outside the offsets tree.
def offset_commit_v2(group, topic, partition, offset):
    # group, generation -1, member "", retention -1, topics[1]: name, partitions[1]
    body = kstr(group) + struct.pack(">i", -1) + kstr(b"") + struct.pack(">q", -1)
    body += struct.pack(">i", 1) + kstr(topic) + struct.pack(">i", 1)
    body += struct.pack(">iq", partition, offset) + kstr(b"")
    return body


def offset_commit_error(body):
    # corr, topics[1]: name, partitions[1]: index, error
    (nl,) = struct.unpack_from(">h", body, 8)
    return struct.unpack_from(">ih", body, 8 + 2 + nl + 4)


for label, group, topic, want in (("group ../../escape", b"../../escape", b"fine-topic", 0),
                                   ("topic ../escape", b"g1", b"../escape", 3),
                                   ("unknown partition", b"g1", b"fine-topic", 3),
                                   ("empty group id", b"", b"fine-topic", 24)):
    s = connect()
    s.sendall(frame(8, 2, 11, offset_commit_v2(group, topic, 0 if label != "unknown partition" else 99, 1)))
    index, error = offset_commit_error(read_response(s))
    check(error == want, "OffsetCommit with %s gets error %d (got %d)" % (label, want, error))
    s.close()
meta = os.path.join(DATA, "topics", "kafka", ".meta", "consumer_offsets")
check(sorted(os.listdir(meta)) == ["..%2F..%2Fescape"], "only the encoded group directory exists: %r" % os.listdir(meta))
check(not os.path.exists(os.path.join(DATA, "topics", "escape")), "nothing escaped the offsets tree")

# A JoinGroup that is cut short closes the connection; a bad session timeout gets INVALID_SESSION_TIMEOUT (26).
s = connect()
s.sendall(frame(11, 1, 12, kstr(b"g2") + struct.pack(">i", 10000)))
check(closed_by_server(s), "truncated JoinGroup closes the connection")
s = connect()
join = kstr(b"g2") + struct.pack(">ii", 1, 1000) + kstr(b"") + kstr(b"consumer")
join += struct.pack(">i", 1) + kstr(b"range") + struct.pack(">i", 0)
s.sendall(frame(11, 1, 13, join))
body = read_response(s)
check(struct.unpack_from(">ih", body, 0) == (13, 26), "JoinGroup with a 1 ms session gets INVALID_SESSION_TIMEOUT")
s.close()

# 7. The describe APIs: a body cut short (or announcing more than it holds)
# closes the connection; a cursor with a negative partition is still answered.
def uvarint(n):
    out = b""
    while n >= 0x80:
        out += bytes([(n & 0x7F) | 0x80])
        n >>= 7
    return out + bytes([n])


for label, api, version, flexible, body in (
        ("DescribeTopicPartitions announcing 5 topics", 75, 0, True, uvarint(6)),
        ("DescribeTopicPartitions without its partition limit", 75, 0, True, uvarint(1)),
        ("DescribeTopicPartitions with half a cursor", 75, 0, True,
         uvarint(1) + struct.pack(">i", 10) + b"\x01" + uvarint(4) + b"abc"),
        ("DescribeLogDirs announcing 3 topics", 35, 2, True, uvarint(4)),
        ("DescribeLogDirs announcing 10^9 partitions", 35, 1, False,
         struct.pack(">i", 1) + kstr(b"fine-topic") + struct.pack(">i", 10 ** 9)),
        ("OffsetForLeaderEpoch announcing 2 topics", 23, 2, False, struct.pack(">i", 2)),
        ("OffsetForLeaderEpoch with half a partition", 23, 4, True,
         struct.pack(">i", -1) + uvarint(2) + uvarint(11) + b"fine-topic" + uvarint(2) + struct.pack(">i", 0))):
    s = connect()
    s.sendall(frame(api, version, 14, body, header_v2=flexible))
    check(closed_by_server(s), "truncated %s closes the connection" % label)
    s.close()
s = connect()
cursor = b"\x01" + uvarint(len(b"fine-topic") + 1) + b"fine-topic" + struct.pack(">i", -5) + b"\x00"
s.sendall(frame(75, 0, 15, uvarint(1) + struct.pack(">i", 1) + cursor + b"\x00", header_v2=True))
body = read_response(s)
s.close()
# corr, header tags, throttle, topics[1]: error, name, id, is_internal, partitions[1]: error, index
pos = 4 + 1 + 4 + 1 + 2
name = body[pos + 1:pos + body[pos]]
pos += body[pos] + 16 + 1
npart = body[pos] - 1
index = struct.unpack_from(">i", body, pos + 1 + 2)[0] if npart > 0 else None
check(struct.unpack_from(">i", body, 0)[0] == 15 and name == b"fine-topic" and npart == 1 and index == 0,
      "DescribeTopicPartitions with a cursor at partition -5 is answered from partition 0 (%r %d %r)"
      % (name, npart, index))

# 8. Transactions: a transactional id is any string, yet only its encoded
# directory exists; bad timeouts, ids and partitions get Kafka's errors.
def init_producer_id_v1(txn_id, timeout_ms):
    return (struct.pack(">h", -1) if txn_id is None else kstr(txn_id)) + struct.pack(">i", timeout_ms)


def init_producer_id(txn_id, timeout_ms):
    s = connect()
    s.sendall(frame(22, 1, 16, init_producer_id_v1(txn_id, timeout_ms)))
    body = read_response(s)
    s.close()
    corr, _throttle, error, pid, epoch = struct.unpack_from(">iihqh", body, 0)
    return corr, error, pid, epoch


corr, error, pid, epoch = init_producer_id(b"../../escape", 60000)
check(corr == 16 and error == 0 and pid >= 0 and epoch == 0,
      "InitProducerId for transactional id ../../escape succeeds (%d, pid %d, epoch %d)" % (error, pid, epoch))
txns = os.path.join(DATA, "topics", "kafka", ".meta", "transactions")
check(os.listdir(txns) == ["..%2F..%2Fescape"], "only the encoded transaction directory exists: %r" % os.listdir(txns))
check(os.path.isfile(os.path.join(txns, "..%2F..%2Fescape", "state.json")), "its state.json is written")
check(not os.path.exists(os.path.join(DATA, "topics", "escape")), "nothing escaped the transactions tree")
for label, txn_id, timeout, want in (("a 300-byte transactional id", b"t" * 300, 60000, 42),
                                      ("an empty transactional id", b"", 60000, 42),
                                      ("transaction timeout 0", b"tx-bad", 0, 50),
                                      ("transaction timeout above the maximum", b"tx-bad", 10 ** 9, 50)):
    _, error, pid, _ = init_producer_id(txn_id, timeout)
    check(error == want and pid == -1, "InitProducerId with %s gets error %d (got %d)" % (label, want, error))
_, error, idem1, _ = init_producer_id(None, 0)
_, error2, idem2, _ = init_producer_id(None, 0)
check(error == 0 and error2 == 0 and idem1 >= 0 and idem2 >= 0 and idem1 != idem2 and pid != idem1,
      "idempotent producers get distinct producer ids (%d, %d)" % (idem1, idem2))
s = connect()
s.sendall(frame(22, 1, 17, kstr(b"tx-cut")))
check(closed_by_server(s), "truncated InitProducerId closes the connection")
s.close()

_, _, esc_pid, esc_epoch = init_producer_id(b"../../escape", 60000)
add = kstr(b"../../escape") + struct.pack(">qh", esc_pid, esc_epoch) + struct.pack(">i", 2)
add += kstr(b"../escape") + struct.pack(">ii", 1, 0) + kstr(b"fine-topic") + struct.pack(">ii", 1, 0)
s = connect()
s.sendall(frame(24, 1, 18, add))
body = read_response(s)
s.close()
# corr, throttle, results[2]: name, partitions[1]: index, error
pos, errors = 8 + 4, {}
for _ in range(2):
    (nl,) = struct.unpack_from(">h", body, pos)
    name = body[pos + 2:pos + 2 + nl]
    pos += 2 + nl + 4
    errors[name] = struct.unpack_from(">ih", body, pos)[1]
    pos += 6
check(errors == {b"../escape": 3, b"fine-topic": 55},
      "AddPartitionsToTxn: topic ../escape UNKNOWN_TOPIC_OR_PARTITION, the other OPERATION_NOT_ATTEMPTED (%r)" % errors)
s = connect()
s.sendall(frame(26, 1, 19, kstr(b"never-initialised") + struct.pack(">qhb", 5, 0, 1)))
body = read_response(s)
s.close()
check(struct.unpack_from(">iih", body, 0)[::2] == (19, 49), "EndTxn for an unknown transactional id gets INVALID_PRODUCER_ID_MAPPING")
s = connect()
s.sendall(frame(26, 1, 20, kstr(b"../../escape") + struct.pack(">qhb", esc_pid, esc_epoch - 1 if esc_epoch else 5, 1)))
body = read_response(s)
s.close()
check(struct.unpack_from(">iih", body, 0)[::2] == (20, 47),
      "EndTxn v1 with a stale epoch gets INVALID_PRODUCER_EPOCH (v1 predates PRODUCER_FENCED)")

check(healthy(), "server still serves everyone after all of the above")
if failures:
    sys.exit("%d checks failed" % len(failures))
