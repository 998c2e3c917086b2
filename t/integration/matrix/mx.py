"""What the Python matrix drivers share: the spec they produce from, the
canonical dump line they print for every record consumed, and the step lines
t/integration/matrix.sh reads (see harness.py for both formats).

Every driver takes the same commands:
  setup   BOOTSTRAP TOPIC PARTITIONS            steps metadata, create
  produce BOOTSTRAP TOPIC SPEC BATCH...         step produce_<codec> per batch
  consume BOOTSTRAP OUT TOPIC=N0,N1...          step consume (assign, from the beginning)
  group   BOOTSTRAP GROUP OUT TOPIC=N0,N1...    step group (subscribe, commit, committed offsets)
  seek    BOOTSTRAP TOPIC PARTITION TS END OUT  step seek (offset for TS, then read up to END)
"""

import os
import sys
import time

# KELP_TIME_FACTOR stretches every wait when kelpd runs slowly (valgrind).
WAIT_S = 30 * int(os.environ.get("KELP_TIME_FACTOR", "1"))
CODECS = ("none", "gzip", "snappy", "lz4", "zstd")


class StepFailed(Exception):
    pass


def fail(what):
    raise StepFailed(what)


def step(name, status, detail=""):
    print("step %s %s %s" % (name, status, detail), flush=True)


def run_step(name, fn, *args):
    """Run one step; an exception is that step's failure, reported, not fatal."""
    try:
        detail = fn(*args)
        step(name, "ok", detail or "")
        return True
    except StepFailed as e:
        step(name, "fail", str(e))
    except Exception as e:  # a client error is a failed step too
        step(name, "fail", "%s: %s" % (type(e).__name__, e))
    return False


def unhex(tok):
    if tok == "-":
        return None
    return bytes.fromhex(tok[1:])


def tohex(b):
    return "-" if b is None else "x" + bytes(b).hex()


def read_spec(path):
    """[(codec, [record])] with record = dict(partition, ts, key, value, headers)."""
    batches = []
    with open(path) as f:
        for line in f:
            t = line.split()
            if not t:
                continue
            if t[0] == "batch":
                batches.append((t[1], []))
            else:
                hs = t[5:]
                batches[-1][1].append({
                    "partition": int(t[1]), "ts": int(t[2]), "key": unhex(t[3]), "value": unhex(t[4]),
                    "headers": [(unhex(hs[i]).decode(), unhex(hs[i + 1])) for i in range(0, len(hs), 2)]})
    return batches


def dump_line(topic, partition, offset, ts, key, value, headers):
    h = " ".join("%s %s" % (tohex(n.encode() if isinstance(n, str) else n), tohex(v)) for n, v in headers)
    return ("%s %d %d %d %s %s %s" % (topic, partition, offset, ts, tohex(key), tohex(value), h)).rstrip() + "\n"


def parse_topics(args):
    """TOPIC=N0,N1 ... -> {topic: [count per partition]}"""
    out = {}
    for a in args:
        topic, counts = a.split("=")
        out[topic] = [int(n) for n in counts.split(",")]
    return out


class Collector:
    """Records consumed until every partition reached its count."""

    def __init__(self, topics):
        self.want = {(t, p): n for t, ns in topics.items() for p, n in enumerate(ns)}
        self.next = {tp: 0 for tp in self.want}
        self.lines = []

    def add(self, topic, partition, offset, ts, key, value, headers):
        tp = (topic, partition)
        if tp not in self.want:
            fail("record from unexpected %s[%d]" % tp)
        if offset != self.next[tp]:
            if offset < self.next[tp]:
                return  # a re-delivery after a rebalance
            fail("%s[%d]: offset %d where %d was next" % (topic, partition, offset, self.next[tp]))
        if offset >= self.want[tp]:
            fail("%s[%d]: extra record at offset %d" % (topic, partition, offset))
        self.next[tp] = offset + 1
        self.lines.append(dump_line(topic, partition, offset, ts, key, value, headers))

    def done(self):
        return all(self.next[tp] >= n for tp, n in self.want.items())

    def missing(self):
        return ", ".join("%s[%d] %d/%d" % (t, p, self.next[(t, p)], n)
                         for (t, p), n in sorted(self.want.items()) if self.next[(t, p)] < n)

    def write(self, path):
        with open(path, "w") as f:
            f.writelines(self.lines)


def deadline():
    return time.monotonic() + WAIT_S


def main(commands):
    """commands: {name: fn(args)}; the usage and unknown commands exit 2."""
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        print("usage: %s %s ARGS..." % (sys.argv[0], "|".join(commands)), file=sys.stderr)
        sys.exit(2)
    commands[sys.argv[1]](sys.argv[2:])
