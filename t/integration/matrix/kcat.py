"""kcat in the compatibility matrix (commands: see mx.py). kcat has no admin
API (the harness creates its topic), sends lines of text with one header set
per run and no timestamps of its own, and reads with -J."""

import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import mx  # noqa: E402

BASE = ["-X", "client.id=mx-kcat", "-m", "10"]


def kcat(bootstrap, *args, stdin=None):
    cmd = ["kcat", "-b", bootstrap, "-q"] + BASE + list(args)
    r = subprocess.run(cmd, input=stdin, capture_output=True, timeout=mx.WAIT_S)
    if r.returncode != 0:
        mx.fail("%s: status %d: %s" % (" ".join(cmd), r.returncode, r.stderr.decode(errors="replace")[-300:]))
    return r.stdout


def raw(s):
    """-J writes bytes that are not UTF-8 as they are: undo the decoding."""
    return None if s is None else s.encode("utf-8", "surrogateescape")


def records(out, col):
    for line in out.decode("utf-8", "surrogateescape").splitlines():
        if not line.strip():
            continue
        m = json.loads(line)
        hs = m.get("headers") or []
        col.add(m["topic"], m["partition"], m["offset"], m["ts"], raw(m.get("key")), raw(m.get("payload")),
                [(hs[i], raw(hs[i + 1])) for i in range(0, len(hs), 2)])


def setup(args):
    bootstrap, topic = args[:2]

    def metadata():
        md = json.loads(kcat(bootstrap, "-L", "-J"))
        brokers = [b["name"] for b in md["brokers"]]
        if bootstrap not in brokers:
            mx.fail("brokers %s, not %s" % (brokers, bootstrap))
        return "brokers=%s topics=%d" % (",".join(brokers), len(md["topics"]))

    mx.run_step("metadata", metadata)
    mx.step("create", "unsupported", "kcat has no admin API")


def produce(args):
    bootstrap, topic, spec = args[:3]
    batches = mx.read_spec(spec)
    for b in map(int, args[3:]):
        codec, recs = batches[b]

        def send():
            headers = []
            for name, value in recs[0]["headers"]:
                headers += ["-H", "%s=%s" % (name, value.decode())]
            for p in sorted({r["partition"] for r in recs}):
                lines = b"".join(r["key"] + b":" + r["value"] + b"\n" for r in recs if r["partition"] == p)
                kcat(bootstrap, "-P", "-t", topic, "-p", str(p), "-K:", "-z", codec, "-X", "acks=all", *headers,
                     stdin=lines)
        mx.run_step("produce_" + codec, send)


def consume(args):
    bootstrap, out = args[:2]
    topics = mx.parse_topics(args[2:])
    col = mx.Collector(topics)

    def run():
        try:
            for t in (t for t, ns in topics.items() if sum(ns)):
                records(kcat(bootstrap, "-C", "-t", t, "-o", "beginning", "-e", "-J"), col)
            if not col.done():
                mx.fail("missing " + col.missing())
        finally:
            col.write(out)
    mx.run_step("consume", run)


def group(args):
    """-G commits what it consumed (auto commit, and at close); the harness
    checks the committed offsets through kelpd's admin API."""
    bootstrap, group_id, out = args[:3]
    topics = mx.parse_topics(args[3:])
    col = mx.Collector(topics)

    def run():
        try:
            records(kcat(bootstrap, "-G", group_id, *topics, "-e", "-J", "-X", "auto.offset.reset=earliest",
                         "-X", "auto.commit.interval.ms=100"), col)
            if not col.done():
                mx.fail("missing " + col.missing())
        finally:
            col.write(out)
    mx.run_step("group", run)


def seek(args):
    bootstrap, topic, partition, ts, end, out = args[0], args[1], int(args[2]), int(args[3]), int(args[4]), args[5]

    def run():
        got = kcat(bootstrap, "-Q", "-t", "%s:%d:%d" % (topic, partition, ts)).decode().split()
        offset = int(got[-1])
        col = mx.Collector({topic: [end if p == partition else 0 for p in range(partition + 1)]})
        col.next[(topic, partition)] = offset
        try:
            records(kcat(bootstrap, "-C", "-t", topic, "-p", str(partition), "-o", str(offset), "-e", "-J"), col)
            if not col.done():
                mx.fail("missing " + col.missing())
        finally:
            col.write(out)
        return "offset=%d" % offset
    mx.run_step("seek", run)


if __name__ == "__main__":
    mx.main({"setup": setup, "produce": produce, "consume": consume, "group": group, "seek": seek})
