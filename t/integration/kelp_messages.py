"""The messages the Python client tests produce, and the checks on what comes back.

Message i is rebuilt from i alone: a test writes a manifest of where each
message landed (partition, offset) when it produces, and checks consumed
messages against the manifest and the rebuilt messages, also after a restart.
"""

import json
import sys
import time

PARTITIONS = 4


class CheckFailed(Exception):
    pass


def fail(what):
    raise CheckFailed(what)


def build(count, base_ts, null_header=True):
    """The messages: even ones name their partition, odd ones go by key.

    Keys repeat (every 7th message shares one) so that keyed partitioning
    can be checked: one key, one partition. Timestamps are unique and grow.
    """
    messages = []
    for i in range(count):
        headers = [
            ("idx", str(i).encode()),
            ("kind", b"explicit" if i % 2 == 0 else b"keyed"),
            ("bin", bytes([0x00, 0xFF, i & 0xFF, 0x7F])),
            ("empty", b""),
        ]
        if null_header:
            headers.append(("null", None))
        value = ("value-%05d:" % i).encode() + bytes((i + k) % 256 for k in range((i * 37) % 300))
        messages.append({
            "i": i,
            "key": ("key-%03d" % (i % 7 if i % 2 else i)).encode(),
            "value": value,
            "headers": headers,
            "partition": (i // 2) % PARTITIONS if i % 2 == 0 else None,
            "timestamp": base_ts + 10 * i,
        })
    return messages


def base_timestamp(count):
    return int(time.time() * 1000) - 10 * count - 60000


def write_manifest(path, count, base_ts, landings):
    """landings: {i: (partition, offset)} from the delivery results."""
    if len(landings) != count:
        fail("%d of %d messages were acknowledged" % (len(landings), count))
    with open(path, "w") as f:
        json.dump({"count": count, "base_ts": base_ts,
                   "landings": [list(landings[i]) for i in range(count)]}, f)


def read_manifest(path, null_header=True):
    with open(path) as f:
        m = json.load(f)
    messages = build(m["count"], m["base_ts"], null_header)
    for msg, (partition, offset) in zip(messages, m["landings"]):
        msg["landed"] = (partition, offset)
    return messages


def check_landings(messages):
    """Explicit partitions are honoured, one key maps to one partition, and
    each partition's offsets run 0, 1, 2, ... in produce order."""
    key_partition = {}
    per_partition = {p: [] for p in range(PARTITIONS)}
    for m in messages:
        partition, offset = m["landed"]
        if partition not in per_partition:
            fail("message %d landed in partition %r" % (m["i"], partition))
        if m["partition"] is not None and partition != m["partition"]:
            fail("message %d: sent to partition %d, landed in %d" % (m["i"], m["partition"], partition))
        if m["partition"] is None:
            if key_partition.setdefault(m["key"], partition) != partition:
                fail("key %r landed in partitions %d and %d" % (m["key"], key_partition[m["key"]], partition))
        per_partition[partition].append(m)
    for p, ms in per_partition.items():
        offsets = [m["landed"][1] for m in ms]
        if sorted(offsets) != list(range(len(ms))):
            fail("partition %d: offsets %s are not 0..%d" % (p, offsets[:20], len(ms) - 1))
        if [m["i"] for m in sorted(ms, key=lambda m: m["landed"][1])] != [m["i"] for m in ms]:
            fail("partition %d: offsets are not in produce order" % p)
    return per_partition


def expected_by_partition(messages):
    per_partition = {p: [] for p in range(PARTITIONS)}
    for m in sorted(messages, key=lambda m: m["landed"]):
        per_partition[m["landed"][0]].append(m)
    return per_partition


def compare(expected, got, what):
    """expected: a message from build(); got: dict with partition, offset,
    key, value, headers (list of (str, bytes|None)), and timestamp (None when
    the client does not expose it)."""
    i = expected["i"]
    if (got["partition"], got["offset"]) != expected["landed"]:
        fail("%s: message %d expected at %s, got partition %d offset %d"
             % (what, i, expected["landed"], got["partition"], got["offset"]))
    for field in ("key", "value", "headers"):
        if got[field] != expected[field]:
            fail("%s: message %d: %s differs: got %r, expected %r"
                 % (what, i, field, got[field], expected[field]))
    if got.get("timestamp") is not None and got["timestamp"] != expected["timestamp"]:
        fail("%s: message %d: timestamp %d, expected %d" % (what, i, got["timestamp"], expected["timestamp"]))


def offset_for_timestamp_case(messages):
    """A timestamp in the middle of the busiest partition, and the offset a
    lookup must find for it (the first offset at or after it)."""
    per_partition = expected_by_partition(messages)
    partition = max(per_partition, key=lambda p: len(per_partition[p]))
    middle = per_partition[partition][len(per_partition[partition]) // 2]
    return partition, middle["timestamp"] - 5, middle["landed"][1]


def main(run):
    """Run a test step; a failed check prints why and exits 1."""
    try:
        run(sys.argv[1:])
    except CheckFailed as e:
        print("FAIL: %s" % e, file=sys.stderr)
        sys.exit(1)
