"""Hostile clients against a running kelpd, over raw sockets: broken frames,
lying lengths and counts, bad versions, names, CRCs and sizes, unknown
tagged fields, slow and idle clients, connection floods. Each hostile case
gets a Kafka error or a closed connection, a healthy client is served after
it, and no stored file changes (every file under DATA is hashed before and
after, except the healthy client's own topic).

kelpd runs with max_connections 20, connections_max_idle_ms 1500,
max_request_bytes 1 MiB and message_max_bytes 64 KiB (bad_input_load.sh).

usage: bad_input_load.py HOST:PORT DATA_DIR KELPD_PID
"""
import hashlib
import os
import socket
import struct
import sys
import threading
import time

from kafka_raw import Reader, TAGS, array, crc32c, i8, i16, i32, i64, record_batch, string, uvarint

HOST, PORT = sys.argv[1].rsplit(":", 1)
DATA = sys.argv[2]
PID = int(sys.argv[3])
MAX_CONNECTIONS = 20
IDLE_MS = 1500
MAX_REQUEST = 1 << 20
MESSAGE_MAX = 64 << 10
HEALTHY = "healthy-load"
VICTIM = "victim"
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failures.append(what)


def connect(timeout=10):
    return socket.create_connection((HOST, int(PORT)), timeout=timeout)


def frame(api_key, version, corr, body, flexible=False, header_tags=TAGS, client_id="bad-load"):
    hdr = struct.pack(">hhi", api_key, version, corr) + string(client_id, False)
    if flexible:
        hdr += header_tags
    payload = hdr + body
    return i32(len(payload)) + payload


def recv_exact(s, n):
    out = b""
    while len(out) < n:
        chunk = s.recv(n - len(out))
        if not chunk:
            raise EOFError("closed after %d of %d bytes" % (len(out), n))
        out += chunk
    return out


def read_response(s):
    return recv_exact(s, struct.unpack(">i", recv_exact(s, 4))[0])


def closed_by_server(s, timeout=10):
    """True when the server closes the connection (EOF or reset) in time."""
    s.settimeout(timeout)
    try:
        while True:
            data = s.recv(65536)
            if not data:
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False


def answered(s, corr):
    """The response to corr, as a Reader after the correlation id (None when closed)."""
    try:
        body = read_response(s)
    except (EOFError, ConnectionResetError, socket.timeout):
        return None
    r = Reader(body, False)
    return r if r.i32() == corr else None


# ---- stored files ---------------------------------------------------------

EXCLUDED = os.path.join(DATA, "topics", "kafka", HEALTHY)


def snapshot():
    """{relative path: sha256} of every file and directory under DATA but the healthy topic's."""
    out = {}
    for root, dirs, files in os.walk(DATA):
        if root == EXCLUDED or root.startswith(EXCLUDED + os.sep):
            dirs[:] = []
            continue
        for d in dirs:
            p = os.path.join(root, d)
            if p != EXCLUDED:
                out[os.path.relpath(p, DATA) + "/"] = "dir"
        for f in files:
            p = os.path.join(root, f)
            h = hashlib.sha256()
            try:
                with open(p, "rb") as fh:
                    h.update(fh.read())
            except FileNotFoundError:
                continue
            out[os.path.relpath(p, DATA)] = h.hexdigest()
    return out


# ---- the healthy client -----------------------------------------------------

def produce_v3(topic, partition, records, acks=-1):
    body = i16(-1) + struct.pack(">hi", acks, 5000)
    body += i32(1) + string(topic, False) + i32(1) + i32(partition) + i32(len(records)) + records
    return body


def produce_error(r):
    """(partition, error) of a one-partition Produce v3 answer."""
    r.i32()
    r.string()
    r.i32()
    return r.i32(), r.i16()


healthy_count = 0


def healthy(what):
    """ApiVersions and an acks=all produce into the healthy topic, on a new connection."""
    global healthy_count
    ok = False
    try:
        s = connect()
        s.sendall(frame(18, 0, 42, b""))
        r = answered(s, 42)
        ok = r is not None and r.i16() == 0
        batch = record_batch([(None, b"healthy %d" % healthy_count, [])], int(time.time() * 1000))
        s.sendall(frame(0, 3, 43, produce_v3(HEALTHY, 0, batch)))
        r = answered(s, 43)
        ok = ok and r is not None and produce_error(r) == (0, 0)
        s.close()
    except OSError as e:
        print("     healthy client: %s" % e)
        ok = False
    healthy_count += 1
    check(ok, "a healthy client is served after %s" % what)


def hostile(what, run):
    """run(): a list of (condition, description); files must not change, a healthy client follows."""
    before = snapshot()
    for cond, desc in run():
        check(cond, "%s: %s" % (what, desc))
    healthy(what)
    after = snapshot()
    changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    check(not changed, "%s: no stored file changed %r" % (what, changed[:5]))


def sent_then_closed(data, shut_write=False):
    s = connect()
    try:
        s.sendall(data)
    except (BrokenPipeError, ConnectionResetError):
        return True
    if shut_write:
        s.shutdown(socket.SHUT_WR)
    r = closed_by_server(s)
    s.close()
    return r


def fd_count():
    return len(os.listdir("/proc/%d/fd" % PID))


def fds_back_to(baseline, what, limit=10.0):
    deadline = time.time() + limit
    n = fd_count()
    while n > baseline and time.time() < deadline:
        time.sleep(0.05)
        n = fd_count()
    check(n <= baseline, "%s: kelpd's descriptors come back down (%d, before %d)" % (what, n, baseline))


# ---- setup ------------------------------------------------------------------

def metadata_v1(names):
    return i32(len(names)) + b"".join(i16(len(n)) + n for n in names)


s = connect()
s.sendall(frame(3, 1, 1, metadata_v1([HEALTHY.encode(), VICTIM.encode()])))
check(answered(s, 1) is not None, "setup: the healthy and victim topics are created")
s.close()
good_batch = record_batch([(b"k", b"v", [])], int(time.time() * 1000))
s = connect()
s.sendall(frame(0, 3, 2, produce_v3(VICTIM, 0, good_batch)))
r = answered(s, 2)
check(r is not None and produce_error(r) == (0, 0), "setup: one batch stored in the victim topic")
s.close()
healthy("setup")
time.sleep(0.5)  # the victim's write is synced before the first snapshot
fd_baseline = fd_count()

# ---- frames -----------------------------------------------------------------

hostile("truncated frames", lambda: [
    (sent_then_closed(b"\x00\x00", shut_write=True), "half a length prefix, then EOF, closes"),
    (sent_then_closed(i32(20) + b"\x00\x12\x00", shut_write=True), "a header cut short, then EOF, closes"),
    (sent_then_closed(frame(3, 1, 5, metadata_v1([b"victim"]))[:-3], shut_write=True),
     "a body cut short, then EOF, closes"),
    (sent_then_closed(i32(MAX_REQUEST) + b"\x00" * 1000, shut_write=True),
     "a 1 MiB frame cut short at 1000 bytes, then EOF, closes"),
])


def cut_and_vanish():
    # The client goes away mid-frame without waiting for anything.
    for data in (i32(100) + b"\x00\x03", frame(3, 1, 6, metadata_v1([b"victim"]))[:12]):
        s = connect()
        s.sendall(data)
        s.close()
    return [(True, "clients that vanish mid-frame")]


hostile("vanishing clients", cut_and_vanish)

hostile("length prefixes", lambda: [
    (sent_then_closed(i32(-1)), "-1 closes"),
    (sent_then_closed(i32(-2 ** 31)), "-2^31 closes"),
    (sent_then_closed(i32(0)), "0 closes"),
    (sent_then_closed(i32(2 ** 31 - 1)), "2^31-1 closes"),
    (sent_then_closed(i32(MAX_REQUEST + 1) + b"\x00" * 64), "max_request_bytes + 1 closes"),
    (sent_then_closed(struct.pack(">I", 0xFFFFFFF0)), "0xFFFFFFF0 closes"),
])


def versions_and_keys():
    out = []
    s = connect()
    s.sendall(frame(18, 99, 7, b"\x00", flexible=True))
    r = answered(s, 7)
    out.append((r is not None and r.i16() == 35, "ApiVersions v99 gets UNSUPPORTED_VERSION"))
    s.close()
    s = connect()
    s.sendall(frame(18, -1, 8, b""))
    r = answered(s, 8)
    out.append((r is not None and r.i16() == 35, "ApiVersions v-1 gets UNSUPPORTED_VERSION"))
    s.close()
    for label, key, version in (("Metadata v99", 3, 99), ("Produce v-1", 0, -1), ("Fetch v32767", 1, 32767),
                                ("api key 9999", 9999, 0), ("api key -1", -1, 0), ("api key 32767", 32767, 3)):
        out.append((sent_then_closed(frame(key, version, 9, b"\x00" * 16)), "%s closes" % label))
    return out


hostile("api versions and keys", versions_and_keys)


def batch_with(records_bytes=None, crc=None, size=None):
    """A one-record batch into the victim; crc/size override the real ones."""
    b = bytearray(record_batch([(None, records_bytes or b"x", [])], int(time.time() * 1000)))
    if crc is not None:
        b[17:21] = struct.pack(">I", crc)
    if size is not None:
        b[8:12] = struct.pack(">i", size)
    return bytes(b)


def produce_case(batch, want, label, acks=-1):
    s = connect()
    s.sendall(frame(0, 3, 11, produce_v3(VICTIM, 0, batch, acks)))
    if acks == 0:
        return (closed_by_server(s), "%s with acks=0 closes" % label)
    r = answered(s, 11)
    got = produce_error(r) if r else None
    s.close()
    wants = want if isinstance(want, tuple) else (want,)
    return (got is not None and got[0] == 0 and got[1] in wants, "%s gets error %r (got %r)" % (label, want, got))


hostile("record batches", lambda: [
    produce_case(batch_with(crc=0), 2, "a zero CRC"),
    produce_case(batch_with(crc=crc32c(b"other") ), 2, "a wrong CRC"),
    produce_case(batch_with(crc=1), 2, "a wrong CRC", acks=0),
    produce_case(batch_with(b"y" * (MESSAGE_MAX + 100)), 10, "a batch beyond message_max_bytes (MESSAGE_TOO_LARGE)"),
    produce_case(batch_with(b"y" * (MESSAGE_MAX + 100)), 10, "a batch beyond message_max_bytes", acks=0),
    produce_case(batch_with(size=200), 2, "a batch length beyond the records field"),
    produce_case(batch_with(size=10 ** 6), (2, 10), "a batch length beyond the records field and the limit"),
    produce_case(batch_with(size=-5), 2, "a negative batch length"),
    produce_case(batch_with()[:40], 2, "half a batch header"),
])

BAD_TOPICS = [b"..", b".", b"/", b"a/b", b"bad\x00name", b"x" * 250, b""]


def bad_topic_names():
    out = []
    s = connect()
    s.sendall(frame(3, 1, 12, metadata_v1(BAD_TOPICS)))
    r = answered(s, 12)
    s.close()
    errors = {}
    if r:
        for _ in range(r.i32()):
            r.i32(), r.string(), r.i32(), r.string()
        r.i32()
        for _ in range(r.i32()):
            err, name = r.i16(), r.take(r.i16())
            r.i8()
            for _p in range(r.i32()):
                r.i16(), r.i32(), r.i32()
                r.take(4 * r.i32())
                r.take(4 * r.i32())
            errors[name] = err
    for n in BAD_TOPICS:
        out.append((errors.get(n) == 17, "Metadata for %r gets INVALID_TOPIC_EXCEPTION (%r)" % (n[:20], errors.get(n))))
    # CreateTopics v2: name, partitions, replication, assignments[], configs[]; timeout, validate_only
    topics = [i16(len(n)) + n + i32(1) + i16(1) + i32(0) + i32(0) for n in BAD_TOPICS]
    s = connect()
    s.sendall(frame(19, 2, 13, i32(len(topics)) + b"".join(topics) + i32(5000) + i8(0)))
    r = answered(s, 13)
    s.close()
    created = {}
    if r:
        r.i32()
        for _ in range(r.i32()):
            name = r.take(r.i16())
            created[name] = r.i16()
            r.string()
    for n in BAD_TOPICS:
        out.append((created.get(n) == 17, "CreateTopics %r gets INVALID_TOPIC_EXCEPTION (%r)" % (n[:20], created.get(n))))
    for n in BAD_TOPICS:
        s = connect()
        body = i16(-1) + struct.pack(">hi", -1, 5000) + i32(1) + i16(len(n)) + n + i32(1) + i32(0)
        body += i32(len(good_batch)) + good_batch
        s.sendall(frame(0, 3, 14, body))
        r = answered(s, 14)
        got = None
        if r:
            r.i32()
            r.take(r.i16())
            r.i32()
            got = (r.i32(), r.i16())
        s.close()
        out.append((got is not None and got[1] in (3, 17), "Produce to %r is refused (%r)" % (n[:20], got)))
    return out


hostile("invalid topic names", bad_topic_names)

BAD_GROUPS = [b"..", b".", b"/", b"../../x", b"g\x00g", b"g" * 250, b""]


def bad_group_names():
    out = []
    for g in BAD_GROUPS:
        # OffsetFetch v1: group, topics[1]: name, partitions[1]
        s = connect()
        s.sendall(frame(9, 1, 15, i16(len(g)) + g + i32(1) + string(VICTIM, False) + i32(1) + i32(0)))
        r = answered(s, 15)
        got = None
        if r:
            r.i32()
            r.string()
            r.i32()
            part, offset = r.i32(), r.i64()
            r.string()
            got = (offset, r.i16())
        s.close()
        out.append((got is not None and got[0] == -1 and got[1] in (0, 24),
                    "OffsetFetch for group %r answers no offset (%r)" % (g[:20], got)))
        # JoinGroup v1 with a session timeout below the minimum: nothing is created.
        join = i16(len(g)) + g + struct.pack(">ii", 1, 1000) + string("", False) + string("consumer", False)
        join += i32(1) + string("range", False) + i32(0)
        s = connect()
        s.sendall(frame(11, 1, 16, join))
        r = answered(s, 16)
        err = r.i16() if r else None
        s.close()
        # An empty id is INVALID_GROUP_ID as in Kafka; Kelp refuses a NUL byte the same way.
        want = (24,) if g == b"" else (24, 26) if b"\x00" in g else (26,)
        out.append((err in want, "JoinGroup for group %r gets error %r (%r)" % (g[:20], want, err)))
        # DescribeGroups v0
        s = connect()
        s.sendall(frame(15, 0, 17, i32(1) + i16(len(g)) + g))
        r = answered(s, 17)
        out.append((r is not None, "DescribeGroups for group %r is answered" % g[:20]))
        s.close()
    return out


hostile("invalid group names", bad_group_names)


def tagged_fields():
    out = []
    unknown = uvarint(2) + uvarint(77) + uvarint(3) + b"abc" + uvarint(10000) + uvarint(0)
    # ApiVersions v3: unknown tags in the header and in the body.
    body = string("kelp-test", True) + string("1.0", True) + unknown
    s = connect()
    s.sendall(frame(18, 3, 18, body, flexible=True, header_tags=unknown))
    try:
        resp = read_response(s)
        r = Reader(resp, True)
        ok = r.i32() == 18 and r.i16() == 0
    except (EOFError, OSError):
        ok = False
    s.close()
    out.append((ok, "ApiVersions v3 with unknown tagged fields is answered"))
    # Metadata v12: topics[1] {id, name, tags(unknown)}, auto-create false, authorized ops false, tags(unknown).
    topic = b"\x00" * 16 + string(VICTIM, True) + unknown
    body = uvarint(2) + topic + i8(0) + i8(0) + unknown
    s = connect()
    s.sendall(frame(3, 12, 19, body, flexible=True, header_tags=unknown))
    try:
        r = Reader(read_response(s), True)
        ok = r.i32() == 19
        r.tags()
        r.i32()
        r.array(lambda b: b.struct(Reader.i32, Reader.string, Reader.i32, Reader.string))
        r.string()
        r.i32()
        topics = r.array(lambda t: (t.i16(), t.string()) + (t.take(16), t.i8(), t.array(lambda p: p.struct(
            Reader.i16, Reader.i32, Reader.i32, Reader.i32, lambda x: x.array(Reader.i32),
            lambda x: x.array(Reader.i32), lambda x: x.array(Reader.i32))), t.i32(), t.tags()))
        ok = ok and topics is not None and [(t[0], t[1]) for t in topics] == [(0, VICTIM)]
    except (EOFError, OSError, ValueError) as e:
        print("     %s" % e)
        ok = False
    s.close()
    out.append((ok, "Metadata v12 with unknown tagged fields everywhere is answered"))
    # A tagged field that claims more bytes than the request holds.
    lying = uvarint(1) + uvarint(5) + uvarint(1000) + b"ab"
    out.append((sent_then_closed(frame(18, 3, 20, string("x", True) + string("1", True) + lying, flexible=True)),
                "a tagged field longer than the request closes"))
    return out


hostile("unknown tagged fields", tagged_fields)


def lying_counts():
    out = []
    out.append((sent_then_closed(frame(3, 1, 21, i32(10 ** 6) + i16(6) + b"victim")),
                "Metadata announcing 10^6 topics, holding 1, closes"))
    out.append((sent_then_closed(frame(3, 1, 22, i32(2 ** 31 - 1))), "Metadata announcing 2^31-1 topics closes"))
    body = i16(-1) + struct.pack(">hi", -1, 5000) + i32(1) + string(VICTIM, False) + i32(10 ** 8) + i32(0)
    out.append((sent_then_closed(frame(0, 3, 23, body)), "Produce announcing 10^8 partitions closes"))
    body = i16(-1) + struct.pack(">hi", -1, 5000) + i32(1) + string(VICTIM, False) + i32(1) + i32(0) + i32(10 ** 6)
    out.append((sent_then_closed(frame(0, 3, 24, body + b"\x00" * 10)), "Produce records longer than the request closes"))
    # Fetch v4: replica, max_wait, min_bytes, max_bytes, isolation, topics[huge]
    body = struct.pack(">iiiib", -1, 100, 1, 1 << 20, 0) + i32(10 ** 7)
    out.append((sent_then_closed(frame(1, 4, 25, body)), "Fetch announcing 10^7 topics closes"))
    # CreateTopics v5 (flexible): compact array of 2^28 topics
    out.append((sent_then_closed(frame(19, 5, 26, uvarint(1 << 28), flexible=True)),
                "CreateTopics v5 announcing 2^28 topics closes"))
    out.append((sent_then_closed(frame(3, 12, 27, uvarint(1 << 35), flexible=True)),
                "Metadata v12 with an over-long varint count closes"))
    return out


hostile("counts beyond the bytes present", lying_counts)

# ---- slow and idle clients ----------------------------------------------------

def slow_drip():
    out = []
    req = frame(18, 0, 30, b"")
    latencies, stop = [], threading.Event()

    def others():
        while not stop.is_set():
            t0 = time.time()
            try:
                s = connect(timeout=5)
                s.sendall(frame(18, 0, 31, b""))
                ok = answered(s, 31) is not None
                s.close()
            except OSError:
                ok = False
            latencies.append(time.time() - t0 if ok else 99)
            time.sleep(0.02)

    t = threading.Thread(target=others)
    s = connect()
    t.start()
    try:
        for b in req:  # 23 bytes, 40 ms apart: under a second, within the idle limit
            s.send(bytes([b]))
            time.sleep(0.04)
        r = answered(s, 30)
        out.append((r is not None and r.i16() == 0, "a request sent one byte at a time is answered"))
    finally:
        stop.set()
        t.join()
        s.close()
    out.append((len(latencies) >= 5 and max(latencies) < 1.0,
                "others are served meanwhile (%d requests, slowest %.3fs)" % (len(latencies), max(latencies or [99]))))
    return out


hostile("a slow-drip client", slow_drip)


def idle_limits():
    out = []
    idle = connect()
    partial = connect()
    partial.sendall(frame(18, 0, 32, b"")[:9])
    drip = connect()
    active = connect()
    t0 = time.time()
    closed_at = {}

    def watch(name, s):
        if closed_by_server(s, timeout=6):
            closed_at[name] = time.time() - t0

    # The slow drip sends a byte every 200 ms: never a whole frame within the limit.
    def dripper():
        for b in frame(18, 0, 33, b"")[:20]:
            try:
                drip.send(bytes([b]))
            except OSError:
                return
            time.sleep(0.2)

    watchers = [threading.Thread(target=watch, args=a) for a in (("idle", idle), ("partial", partial))]
    d = threading.Thread(target=dripper)
    for w in watchers:
        w.start()
    d.start()
    active_ok, corr = True, 100
    while time.time() - t0 < 4.0:
        try:
            active.sendall(frame(18, 0, corr, b""))
            active_ok = active_ok and answered(active, corr) is not None
        except OSError:
            active_ok = False
        corr += 1
        time.sleep(0.5)
    for w in watchers:
        w.join()
    d.join()
    drip_closed = closed_by_server(drip, timeout=3)
    lo, hi = IDLE_MS / 1000.0 - 0.1, IDLE_MS / 1000.0 * 1.25 + 1.0
    for name in ("idle", "partial"):
        at = closed_at.get(name)
        out.append((at is not None and lo <= at <= hi,
                    "an %s connection is closed after connections_max_idle_ms (%s s)" % (name, at)))
    out.append((drip_closed, "a frame dripped slower than the limit is closed"))
    out.append((active_ok, "a connection with a request every 500 ms stays open for 4 s"))
    try:
        active.sendall(frame(18, 0, 999, b""))
        out.append((answered(active, 999) is not None, "and still answers"))
    except OSError:
        out.append((False, "and still answers"))
    for s in (idle, partial, drip, active):
        s.close()
    return out


hostile("idle limits", idle_limits)
fds_back_to(fd_baseline, "idle limits")

# ---- connection floods ----------------------------------------------------------

def flood():
    out = []
    socks, admitted, refused = [], [], 0
    for i in range(100):
        try:
            socks.append(connect(timeout=5))
        except OSError:
            refused += 1
    for i, s in enumerate(socks):
        try:
            s.sendall(frame(18, 0, 1000 + i, b""))
        except OSError:
            pass
    for i, s in enumerate(socks):
        if answered(s, 1000 + i) is not None:
            admitted.append(s)
        else:
            refused += 1
            s.close()
    out.append((len(admitted) == MAX_CONNECTIONS,
                "of 100 connections max_connections (%d) are admitted (%d)" % (MAX_CONNECTIONS, len(admitted))))
    out.append((refused == 100 - MAX_CONNECTIONS, "the other %d are refused (%d)" % (100 - MAX_CONNECTIONS, refused)))
    ok = True
    for i, s in enumerate(admitted):
        try:
            s.sendall(frame(18, 0, 2000 + i, b""))
            ok = ok and answered(s, 2000 + i) is not None
        except OSError:
            ok = False
    out.append((ok, "the admitted ones keep working"))
    for s in admitted:
        s.close()
    return out


hostile("a connection flood", flood)
fds_back_to(fd_baseline, "a connection flood")


def flood_of_half_frames():
    # Each admitted connection holds an incomplete 1 MiB frame; the idle limit frees them.
    socks = []
    for _ in range(MAX_CONNECTIONS):
        s = connect()
        s.sendall(i32(MAX_REQUEST) + b"\x00" * 100)
        socks.append(s)
    refused = sent_then_closed(frame(18, 0, 40, b""))
    t0 = time.time()
    closed = all(closed_by_server(s, timeout=5) for s in socks)
    took = time.time() - t0
    for s in socks:
        s.close()
    return [(refused, "a 21st connection is refused"),
            (closed and took < 4, "connections holding partial frames are closed by the idle limit (%.1f s)" % took)]


hostile("a flood of partial frames", flood_of_half_frames)
fds_back_to(fd_baseline, "a flood of partial frames")

healthy("everything")
if failures:
    sys.exit("%d checks failed" % len(failures))
