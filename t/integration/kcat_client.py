"""kcat: -L -J metadata, -P with -K: keys and -H headers (explicit partitions
and keyed), -C -e -J to read back, -Q for offsets (earliest, latest, and by
timestamp).

usage: kcat_client.py produce|verify BOOTSTRAP TOPIC STATE
       kcat_client.py timestamps BOOTSTRAP TOPIC MANIFEST
The state file keeps what was produced and, after the first verify, where
every message was found; later verifies (after a restart) must find
exactly the same. `timestamps` checks -Q against a topic that
t/clients/produce_consume filled with explicit timestamps (its MANIFEST).
"""

import json
import os
import subprocess

import kelp_messages as km

BATCH = 25
WAIT_S = 60


def kcat(bootstrap, *args, stdin=None):
    cmd = ["kcat", "-b", bootstrap, "-q", "-X", "socket.timeout.ms=%d" % (WAIT_S * 1000)] + list(args)
    r = subprocess.run(cmd, input=stdin, capture_output=True, timeout=WAIT_S * 2)
    if r.returncode != 0:
        km.fail("%s exited with %d: %s" % (" ".join(cmd), r.returncode, r.stderr.decode(errors="replace")))
    return r.stdout.decode()


def check_metadata(bootstrap, topic):
    md = json.loads(kcat(bootstrap, "-L", "-J", "-t", topic))
    brokers = {b["id"]: b["name"] for b in md["brokers"]}
    if bootstrap not in brokers.values():
        km.fail("kcat -L lists brokers %s, not %s" % (brokers, bootstrap))
    topics = [t for t in md["topics"] if t["topic"] == topic]
    if len(topics) != 1 or "error" in topics[0]:
        km.fail("kcat -L for %s: %r" % (topic, md["topics"]))
    partitions = topics[0]["partitions"]
    if sorted(p["partition"] for p in partitions) != list(range(km.PARTITIONS)):
        km.fail("topic %s: partitions %r" % (topic, partitions))
    for p in partitions:
        if "error" in p or p["leader"] not in brokers:
            km.fail("topic %s partition %r" % (topic, p))
    print("kcat -L: broker %s listed; topic %s has %d partitions" % (bootstrap, topic, km.PARTITIONS))


def batches():
    """8 batches of 25: one per partition with -p, then 4 placed by key."""
    out = []
    for b in range(8):
        explicit = b < km.PARTITIONS
        name = "e%d" % b if explicit else "k%d" % (b - km.PARTITIONS)
        headers = [["batch", name], ["src", "kcat"], ["empty", ""], ["null", None]]
        messages = []
        for n in range(BATCH):
            key = "ekey-%d-%02d" % (b, n) if explicit else "user-%d" % (n % 5)
            value = "value %s/%02d: colons:kept, unicode \u00fc\u00f1\u00ef, tab\tend" % (name, n)
            messages.append({"key": key, "payload": value})
        out.append({"partition": b if explicit else None, "headers": headers, "messages": messages})
    return out


def produce(bootstrap, topic, state_path):
    produced = batches()
    for batch in produced:
        args = ["-P", "-t", topic, "-K:", "-X", "acks=all", "-X", "linger.ms=5"]
        if batch["partition"] is not None:
            args += ["-p", str(batch["partition"])]
        for name, value in batch["headers"]:
            args += ["-H", name if value is None else "%s=%s" % (name, value)]
        lines = "".join("%s:%s\n" % (m["key"], m["payload"]) for m in batch["messages"])
        kcat(bootstrap, *args, stdin=lines.encode())
    with open(state_path, "w") as f:
        json.dump({"batches": produced}, f)
    print("kcat -P: produced %d messages to %s in %d runs" % (BATCH * len(produced), topic, len(produced)))
    check_metadata(bootstrap, topic)


def consume(bootstrap, topic):
    out = kcat(bootstrap, "-C", "-t", topic, "-o", "beginning", "-e", "-J")
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def check_consumed(produced, got):
    """Every message once, placed as asked, in produce order per partition."""
    by_partition = {p: [] for p in range(km.PARTITIONS)}
    for m in got:
        if m["partition"] not in by_partition:
            km.fail("message from partition %r" % m["partition"])
        by_partition[m["partition"]].append(m)
    position = {p: 0 for p in range(km.PARTITIONS)}
    key_partition = {}
    total = 0
    for batch in produced:
        for want in batch["messages"]:
            total += 1
            candidates = [batch["partition"]] if batch["partition"] is not None else \
                [p for p in range(km.PARTITIONS) if position[p] < len(by_partition[p]) and
                 by_partition[p][position[p]]["payload"] == want["payload"]]
            if len(candidates) != 1 or position[candidates[0]] >= len(by_partition[candidates[0]]):
                km.fail("message %r not found next in any partition" % want["payload"])
            p = candidates[0]
            m = by_partition[p][position[p]]
            if m["offset"] != position[p]:
                km.fail("partition %d: offset %d where %d was expected" % (p, m["offset"], position[p]))
            expected_headers = [x for h in batch["headers"] for x in h]
            for field, expected in (("key", want["key"]), ("payload", want["payload"]),
                                    ("headers", expected_headers), ("tstype", "create")):
                if m.get(field) != expected:
                    km.fail("partition %d offset %d: %s is %r, expected %r" % (p, m["offset"], field, m.get(field), expected))
            if batch["partition"] is None and key_partition.setdefault(want["key"], p) != p:
                km.fail("key %s landed in partitions %d and %d" % (want["key"], key_partition[want["key"]], p))
            position[p] += 1
    if len(got) != total:
        km.fail("consumed %d messages, produced %d" % (len(got), total))
    return {p: len(ms) for p, ms in by_partition.items()}, by_partition


def query(bootstrap, topic, partition, ts):
    out = kcat(bootstrap, "-Q", "-t", "%s:%d:%d" % (topic, partition, ts)).strip()
    prefix = "%s [%d] offset " % (topic, partition)
    if not out.startswith(prefix):
        km.fail("kcat -Q %s:%d:%d printed %r" % (topic, partition, ts, out))
    return int(out[len(prefix):])


def check_watermarks(bootstrap, topic, counts):
    for p, n in counts.items():
        low, high = query(bootstrap, topic, p, -2), query(bootstrap, topic, p, -1)
        if (low, high) != (0, n):
            km.fail("partition %d: earliest %d latest %d, expected 0 and %d" % (p, low, high, n))


def verify(bootstrap, topic, state_path):
    with open(state_path) as f:
        state = json.load(f)
    check_metadata(bootstrap, topic)
    got = consume(bootstrap, topic)
    counts, by_partition = check_consumed(state["batches"], got)
    # Partitions interleave differently from one read to the next.
    seen = sorted(({k: v for k, v in m.items() if k != "broker"} for m in got),
                  key=lambda m: (m["partition"], m["offset"]))
    if "seen" in state and state["seen"] != seen:
        diff = [(a, b) for a, b in zip(state["seen"], seen) if a != b][:3]
        km.fail("consumed messages differ from the first read: %r" % diff)
    state["seen"] = seen
    with open(state_path, "w") as f:
        json.dump(state, f)
    print("kcat -C: %d messages identical and in order in every partition" % len(got))
    check_watermarks(bootstrap, topic, counts)
    if os.environ.get("KELP_TEST_MOCK"):
        print("kcat -Q: earliest/latest right; timestamp lookup not checked on the mock")
        return
    # kcat stamps messages with the time of sending: many share one, so the
    # answer is the first offset whose timestamp is at or after the probe.
    p = max(counts, key=lambda q: counts[q])
    ts = by_partition[p][counts[p] // 2]["ts"]
    want = min(m["offset"] for m in by_partition[p] if m["ts"] >= ts)
    found = query(bootstrap, topic, p, ts)
    if found != want:
        km.fail("kcat -Q %s:%d:%d gave offset %d, expected %d" % (topic, p, ts, found, want))
    print("kcat -Q: earliest/latest right; timestamp %d -> offset %d" % (ts, found))


def timestamps(bootstrap, topic, manifest):
    """-Q against messages with explicit, unique timestamps."""
    with open(manifest) as f:
        f.readline()
        rows = [tuple(int(x) for x in line.split()) for line in f if line.strip()]
    per_partition = {p: sorted((o, ts) for _, q, o, ts in rows if q == p) for p in range(km.PARTITIONS)}
    check_watermarks(bootstrap, topic, {p: len(v) for p, v in per_partition.items()})
    if os.environ.get("KELP_TEST_MOCK"):
        print("kcat -Q: timestamp lookup not checked on the mock")
        return
    for p, rows_p in per_partition.items():
        if not rows_p:
            continue
        offset, ts = rows_p[len(rows_p) // 2]
        for probe in (ts, ts - 5):
            found = query(bootstrap, topic, p, probe)
            if found != offset:
                km.fail("kcat -Q %s:%d:%d gave offset %d, expected %d" % (topic, p, probe, found, offset))
        last_ts = rows_p[-1][1]
        found = query(bootstrap, topic, p, last_ts + 1000)
        if found != -1:
            km.fail("kcat -Q %s:%d:%d (after the last message) gave %d, expected -1" % (topic, p, last_ts + 1000, found))
    print("kcat -Q: explicit timestamps found in every partition of %s" % topic)


def run(args):
    mode, bootstrap, topic, path = args
    {"produce": produce, "verify": verify, "timestamps": timestamps}[mode](bootstrap, topic, path)


if __name__ == "__main__":
    km.main(run)
