"""The compatibility matrix's side of t/integration/matrix.sh: the records
each producer sends, what every consumer must dump, the table, and a
recording proxy for the protocol versions.

usage: harness.py clients                    the clients, in the table's order
       harness.py spec CLIENT FILE           the records CLIENT produces
       harness.py topics WORK                TOPIC=N0,N1 for every producer's topic
       harness.py seekargs WORK CLIENT       TOPIC PARTITION TS END for CLIENT's seek step
       harness.py check WORK OUT             compare, write the markdown table to OUT
       harness.py proxy LISTEN TARGET LOG    forward LISTEN to TARGET, log api versions
       harness.py readme README TABLE        exit 1 when README's matrix section differs

Spec (one producer's records, in produce order; tokens are "x" + hex, "-" null):
  batch CODEC
  rec PARTITION TIMESTAMP KEY VALUE [HEADER-NAME HEADER-VALUE]...
Dump (one line per record a consumer got, as any driver prints it):
  TOPIC PARTITION OFFSET TIMESTAMP KEY VALUE [HEADER-NAME HEADER-VALUE]...
Step lines from drivers: "step NAME ok|fail|unsupported DETAIL".
"""

import json
import os
import select
import socket
import struct
import sys
import threading
import time

PARTITIONS = 2
CODECS = ("none", "gzip", "snappy", "lz4", "zstd")
BEFORE_RESTART = (0, 1)  # batch indexes produced before kelpd restarts; the rest after
PER_BATCH = 4

# (key, label); the order of the table's rows.
CLIENTS = [
    ("librdkafka", "librdkafka 2.0.2 (C)"),
    ("kcat", "kcat 1.7.1"),
    ("kafka_python", "kafka-python 2.0.2"),
    ("confluent_kafka", "confluent-kafka-python 1.7.0"),
    ("sarama_2_0", "Sarama 1.22.1, `V2_0_0_0`"),
    ("sarama_2_2", "Sarama 1.22.1, `V2_2_0_0`"),
    ("confluent_kafka_go", "confluent-kafka-go 0.11.6"),
    ("kafkajs", "kafkajs 2.2.4"),
    ("node_rdkafka", "node-rdkafka 3.6.1 (librdkafka 2.12.0)"),
]
COLUMNS = [("metadata", "metadata"), ("create", "create topic")] + \
    [("produce_" + c, c) for c in CODECS] + \
    [("consume", "assign"), ("group", "group + commit"), ("seek", "offsets by time"),
     ("restart", "restart"), ("cross", "reads all")]
# What each client genuinely lacks; every other cell must be ok.
UNSUPPORTED = {
    "kcat": {"create"},                                   # no admin API: the harness creates the topic
    "kafkajs": {"produce_snappy", "produce_lz4", "produce_zstd",  # only gzip is built in
                "consume",                                # consumes in groups only
                "cross"},                                 # so cannot read the others' snappy, lz4, zstd
}
VERSION_APIS = [(18, "ApiVersions"), (3, "Metadata"), (19, "CreateTopics"), (0, "Produce"),
                (1, "Fetch"), (2, "ListOffsets"), (10, "FindCoordinator"), (11, "JoinGroup"),
                (14, "SyncGroup"), (8, "OffsetCommit"), (9, "OffsetFetch")]


def topic_of(client):
    return "mx-" + client


def x(b):
    return "-" if b is None else "x" + b.hex()


# ---- the records -----------------------------------------------------------

def spec(client, path):
    """4 records per codec, alternating between the 2 partitions. kcat sends
    lines of text, one header set per run and the time of sending; the others
    send binary values, headers of their own per record and explicit
    timestamps (unique, increasing, an hour ago)."""
    text_only = client == "kcat"
    base_ts = (int(time.time()) // 60 * 60 - 3600) * 1000
    lines = []
    for b, codec in enumerate(CODECS):
        lines.append("batch %s" % codec)
        for i in range(PER_BATCH):
            n = b * PER_BATCH + i
            key = ("key-%s-%d-\u00fc" % (codec, i)).encode()
            if text_only:
                value = ("%s value %d, colons:kept \u00e9\u00e8 " % (codec, n) * 8).encode()
                headers = [("src", client.encode()), ("batch", codec.encode()), ("dup", b"a"),
                           ("dup", b"b"), ("empty", b"")]
                ts = 0
            else:
                value = ("%s value %d " % (codec, n)).encode() * 8 + bytes([0, 255, 10, 13, n])
                headers = [("src", client.encode()), ("idx", str(n).encode()), ("dup", b"a"),
                           ("dup", b"b"), ("empty", b""),
                           # node-rdkafka sends header values as C strings
                           ("bin", b"b%d" % n if client == "node_rdkafka" else bytes([0, 255, 1, n]))]
                ts = base_ts + 1000 * b + 10 * i
            hs = " ".join("%s %s" % (x(k.encode()), x(v)) for k, v in headers)
            lines.append("rec %d %d %s %s %s" % (i % PARTITIONS, ts, x(key), x(value), hs))
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def read_spec(path):
    batches = []
    with open(path) as f:
        for line in f:
            t = line.split()
            if t[0] == "batch":
                batches.append((t[1], []))
            else:
                batches[-1][1].append(t[1:])
    return batches


def read_steps(work, client):
    """{step: (status, detail)}; a step reported twice keeps its last report."""
    steps = {}
    path = os.path.join(work, client + ".steps")
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                t = line.rstrip("\n").split(" ", 3)
                if len(t) >= 3 and t[0] == "step":
                    steps[t[1]] = (t[2], t[3] if len(t) > 3 else "")
    return steps


def expected(work, client):
    """The dump of the producer's topic (timestamp "*" for kcat), from the
    batches it reported produced: offsets count from 0 in produce order."""
    steps = read_steps(work, client)
    topic = topic_of(client)
    nxt = [0] * PARTITIONS
    lines = []
    for codec, recs in read_spec(os.path.join(work, client + ".spec")):
        if steps.get("produce_" + codec, ("",))[0] != "ok":
            continue
        for p, ts, key, value, *hs in recs:
            p = int(p)
            ts = "*" if client == "kcat" else ts
            lines.append(" ".join([topic, str(p), str(nxt[p]), ts, key, value] + hs))
            nxt[p] += 1
    return sorted_dump(lines), nxt


def dump_key(line):
    t = line.split(" ", 3)
    return (t[0], int(t[1]), int(t[2]))


def sorted_dump(lines):
    return sorted((l.rstrip("\n") for l in lines if l.strip()), key=dump_key)


def read_dump(path):
    if not os.path.exists(path):
        return []
    with open(path, "rb") as f:
        return sorted_dump(f.read().decode("ascii", "replace").splitlines())


def matches(got, want):
    """Line by line; "*" in want matches any timestamp."""
    if len(got) != len(want):
        return False
    for g, w in zip(got, want):
        gt, wt = g.split(" "), w.split(" ")
        if len(gt) != len(wt) or any(a != b and not (i == 3 and b == "*") for i, (a, b) in enumerate(zip(gt, wt))):
            return False
    return True


def first_difference(got, want):
    fields = ["topic", "partition", "offset", "timestamp", "key", "value"]
    for g, w in zip(got, want):
        if not matches([g], [w]):
            gt, wt = g.split(" "), w.split(" ")
            if len(gt) != len(wt):
                return "%s: %d headers, expected %d" % (" ".join(wt[:3]), (len(gt) - 6) // 2, (len(wt) - 6) // 2)
            i = next(i for i, (a, b) in enumerate(zip(gt, wt)) if a != b and not (i == 3 and b == "*"))
            name = fields[i] if i < 6 else "header %d %s" % ((i - 6) // 2, "name" if i % 2 == 0 else "value")
            return "%s: %s is %s, expected %s" % (" ".join(wt[:3]), name, gt[i][:60], wt[i][:60])
    return "%d records, expected %d" % (len(got), len(want))


def topics(work):
    print(" ".join("%s=%s" % (topic_of(c), ",".join(map(str, expected(work, c)[1]))) for c, _ in CLIENTS))


def seek_case(work, client):
    """A timestamp in partition 0 of the client's topic, as its own consume
    dump shows it (kcat's timestamps are only known from there): the middle
    record's. The lookup must give the first offset at or after it."""
    topic = topic_of(client)
    want, counts = expected(work, client)
    got = [l for l in read_dump(os.path.join(work, client + ".consume.dump")) if l.startswith(topic + " 0 ")]
    rows = got if matches(got, [l for l in want if l.startswith(topic + " 0 ")]) else \
        [l for l in want if l.startswith(topic + " 0 ")]
    stamps = [int(l.split(" ")[3]) if l.split(" ")[3] != "*" else 0 for l in rows]
    middle = len(rows) // 2
    ts = stamps[middle] if rows else 0
    first = min([i for i, s in enumerate(stamps) if s >= ts] or [0])
    return topic, 0, ts, counts[0], first, rows[first:]


def seekargs(work, client):
    topic, p, ts, end, _, _ = seek_case(work, client)
    print("%s %d %d %d" % (topic, p, ts, end))


# ---- the verdict -----------------------------------------------------------

def committed(work, client):
    """Committed offsets of the client's group as kelpd's admin API reported them."""
    try:
        with open(os.path.join(work, client + ".group.json")) as f:
            g = json.load(f)
        return {(o["topic"], o["partition"]): o["committed_offset"] for o in g.get("offsets", [])}
    except (OSError, ValueError):
        return {}


def check(work, out):
    problems = []
    cells = {}
    want = {c: expected(work, c) for c, _ in CLIENTS}
    dumps = {c: read_dump(os.path.join(work, c + ".consume.dump")) for c, _ in CLIENTS}
    by_topic = {(c, t): [l for l in dumps[c] if l.startswith(topic_of(t) + " ")] for c, _ in CLIENTS for t, _ in CLIENTS}
    for c, _ in CLIENTS:
        steps = read_steps(work, c)
        row = {}
        why = {}

        def status(name):
            s, d = steps.get(name, ("fail", "not reported"))
            if s != "ok":
                why[name] = d
            return s if s in ("ok", "unsupported") else "fail"

        for name in ["metadata", "create"] + ["produce_" + k for k in CODECS]:
            row[name] = status(name)
        own = by_topic[(c, c)]
        row["consume"] = status("consume")
        if row["consume"] == "ok" and not matches(own, want[c][0]):
            row["consume"] = "fail"
            why["consume"] = "own topic: " + first_difference(own, want[c][0])
        row["group"] = status("group")
        if row["group"] == "ok":
            gd = read_dump(os.path.join(work, c + ".group.dump"))
            offs = committed(work, c)
            wanted = {(topic_of(c), p): n for p, n in enumerate(want[c][1])}
            if not matches(gd, want[c][0]):
                row["group"], why["group"] = "fail", "group dump: " + first_difference(gd, want[c][0])
            elif offs != wanted:
                row["group"], why["group"] = "fail", "kelpd has committed %s, expected %s" % (offs, wanted)
        row["seek"] = status("seek")
        if row["seek"] == "ok":
            _, _, ts, _, first, rows = seek_case(work, c)
            got = read_dump(os.path.join(work, c + ".seek.dump"))
            detail = steps["seek"][1]
            if "offset=%d" % first not in detail.split():
                row["seek"], why["seek"] = "fail", "timestamp %d: %s, expected offset=%d" % (ts, detail, first)
            elif not matches(got, rows):
                row["seek"], why["seek"] = "fail", "read from there: " + first_difference(got, rows)
        after = [row["produce_" + CODECS[b]] for b in range(len(CODECS)) if b not in BEFORE_RESTART]
        row["restart"] = "ok" if "fail" not in after and row["consume"] != "fail" else "fail"
        if row["restart"] == "fail":
            why["restart"] = "produce or consume after the restart failed"
        row["cross"] = "unsupported" if steps.get("cross", ("",))[0] == "unsupported" else "ok"
        for t, _ in CLIENTS:
            if t == c or row["cross"] == "unsupported":
                continue
            got = by_topic[(c, t)]
            # byte-identical across consumers: kcat's timestamps are checked
            # against the most common dump of its topic
            variants = {}
            for other, _ in CLIENTS:
                variants.setdefault(tuple(by_topic[(other, t)]), []).append(other)
            common = max(variants, key=lambda v: len(variants[v]))
            if not matches(got, want[t][0]) or tuple(got) != common:
                row["cross"] = "fail"
                why.setdefault("cross", "topic %s: %s" % (topic_of(t), first_difference(got, want[t][0])
                                                          if not matches(got, want[t][0]) else
                                                          "differs from %s's" % ", ".join(variants[common])))
        for name, _ in COLUMNS:
            expect = "unsupported" if name in UNSUPPORTED.get(c, ()) else "ok"
            if row[name] != expect:
                problems.append("%s %s: %s, expected %s (%s)" % (c, name, row[name], expect, why.get(name, "")))
        cells[c] = row
    write_table(work, cells, out)
    for p in problems:
        print("matrix: FAIL: " + p, file=sys.stderr)
    return 1 if problems else 0


def versions(work):
    """{client: {api_key: {versions}}} from the proxy's log."""
    seen = {}
    path = os.path.join(work, "versions.log")
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                cid, key, ver = line.split()
                if cid.startswith("mx-"):
                    seen.setdefault(cid[3:], {}).setdefault(int(key), set()).add(int(ver))
    return seen


def write_table(work, cells, out):
    mark = {"ok": "ok", "unsupported": "—", "fail": "**FAIL**"}
    lines = ["| client | " + " | ".join(label for _, label in COLUMNS) + " |",
             "|---|" + "---|" * len(COLUMNS)]
    for c, label in CLIENTS:
        lines.append("| %s | " % label + " | ".join(mark[cells[c][n]] for n, _ in COLUMNS) + " |")
    lines += ["", "Request versions each client sent (as Kelp received them):", "",
              "| client | " + " | ".join(name for _, name in VERSION_APIS) + " |",
              "|---|" + "---|" * len(VERSION_APIS)]
    seen = versions(work)
    for c, label in CLIENTS:
        vs = seen.get(c, {})
        lines.append("| %s | " % label + " | ".join(
            "/".join(str(v) for v in sorted(vs[k])) if k in vs else "" for k, _ in VERSION_APIS) + " |")
    with open(out, "w") as f:
        f.write("\n".join(lines) + "\n")


def readme(path, table):
    with open(path) as f:
        text = f.read()
    begin, end = "<!-- matrix:begin -->\n", "<!-- matrix:end -->"
    if begin not in text or end not in text:
        print("matrix: %s has no %s ... %s section" % (path, begin.strip(), end), file=sys.stderr)
        return 1
    section = text.split(begin, 1)[1].split(end, 1)[0]
    with open(table) as f:
        generated = f.read()
    if section.strip("\n") != generated.strip("\n"):
        print("matrix: the README's matrix differs from this run's (scripts/update-matrix.sh %s copies it):" % table,
              file=sys.stderr)
        import difflib
        sys.stderr.writelines(difflib.unified_diff(section.strip("\n").splitlines(True),
                                                   generated.strip("\n").splitlines(True), "README.md", table))
        return 1
    return 0


# ---- the recording proxy ---------------------------------------------------

def proxy(listen, target, log):
    """Every connection is forwarded as is; the request headers flowing to
    the broker (size, api key, version, correlation id, client id) are
    parsed on the way, and each new (client id, api key, version) is logged."""
    lhost, lport = listen.rsplit(":", 1)
    thost, tport = target.rsplit(":", 1)
    seen = set()
    lock = threading.Lock()
    logf = open(log, "a")

    def note(buf):
        while len(buf) >= 4:
            size = struct.unpack(">i", buf[:4])[0]
            if len(buf) < 4 + size:
                break
            frame = bytes(buf[4:4 + size])
            del buf[:4 + size]
            if size < 10:
                continue
            key, ver, _, idlen = struct.unpack(">hhih", frame[:10])
            cid = frame[10:10 + idlen].decode(errors="replace") if idlen > 0 else ""
            with lock:
                if (cid, key, ver) not in seen:
                    seen.add((cid, key, ver))
                    logf.write("%s %d %d\n" % (cid or "-", key, ver))
                    logf.flush()

    def serve(client):
        try:
            upstream = socket.create_connection((thost, int(tport)))
        except OSError:
            client.close()
            return
        buf = bytearray()
        peers = {client: upstream, upstream: client}
        try:
            while True:
                ready, _, _ = select.select(list(peers), [], [])
                for s in ready:
                    data = s.recv(65536)
                    if not data:
                        return
                    if s is client:
                        buf += data
                        note(buf)
                    peers[s].sendall(data)
        except OSError:
            pass
        finally:
            client.close()
            upstream.close()

    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((lhost, int(lport)))
    srv.listen(128)
    print("proxy listening on %s:%d" % srv.getsockname(), flush=True)
    while True:
        conn, _ = srv.accept()
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "clients":
        print(" ".join(c for c, _ in CLIENTS))
    elif cmd == "spec":
        spec(*args)
    elif cmd == "topics":
        topics(*args)
    elif cmd == "seekargs":
        seekargs(*args)
    elif cmd == "check":
        sys.exit(check(*args))
    elif cmd == "proxy":
        proxy(*args)
    elif cmd == "readme":
        sys.exit(readme(*args))
    else:
        sys.exit("unknown command %s" % cmd)


if __name__ == "__main__":
    main()
