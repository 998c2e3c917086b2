"""Clients of t/integration/crash.sh: an idempotent acks=all producer and a
committing group consumer that each live as long as one kelpd, and the
checks run after every crash.

Record i of partition p written by the producer of kelpd lifetime L has
sequence number L * LIFE + i, key "p:seq" and value "p:seq:FILLER:CRC"
(CRC: crc32 of what precedes it), so every check needs only the log and the
acknowledgement files.

usage: crash.py schedule SEED KILLS STORAGE
       crash.py create BOOTSTRAP TOPIC PARTITIONS
       crash.py produce BOOTSTRAP TOPIC PARTITIONS LIFETIME STATE_DIR COMPRESSION LINGER_MS
       crash.py consume BOOTSTRAP TOPIC GROUP LIFETIME STATE_DIR
       crash.py verify BOOTSTRAP TOPIC PARTITIONS GROUP STATE_DIR
       crash.py summary STATE_DIR
"""
import glob
import os
import random
import signal
import sys
import time
import zlib

LIFE = 1000000          # sequence numbers a lifetime may use per partition
RATE = 2500             # records per second the producer aims at
FILLER = os.urandom(1 << 17)


def fail(what):
    print("FAIL: " + what, flush=True)
    sys.exit(1)


def schedule(seed, kills, storage):
    """One line per kelpd lifetime: what to do to it, drawn from the seed so
    that a run can be replayed."""
    r = random.Random(seed)
    for n in range(1, kills + 1):
        early = 1 if r.random() < 0.12 else 0       # kill before anything is acknowledged
        x = r.random()
        if x < 0.3:
            wait = r.randint(0, 100)                # right after the first flushes
        elif x < 0.8:
            wait = r.randint(100, 1200)
        else:
            wait = r.randint(1200, 2500)
        mid, mid_at, between = "none", 0, "none"
        if storage == "filer":
            mid = r.choice(["none", "restart", "fail", "drop", "delay", "fail-all"])
            mid_at = r.randint(0, wait) if mid != "none" else 0
            between = r.choice(["none", "none", "down", "restart"])
        compression = r.choice(["none", "none", "lz4", "zstd", "gzip"])
        linger = r.choice([0, 1, 5, 20])
        print(n, early, wait, mid, mid_at, between, compression, linger)


def value_of(p, seq, r):
    head = b"%d:%d:" % (p, seq)
    n = r.randint(0, 300) if r.random() < 0.98 else r.randint(8000, 60000)
    start = r.randint(0, len(FILLER) - n)
    body = head + FILLER[start:start + n]
    return body + b":%08x" % (zlib.crc32(body) & 0xffffffff)


def check_value(p, offset, key, value):
    """The record's own checksum, key and partition; returns its sequence number."""
    body, _, crc = value.rpartition(b":")
    if not body or len(crc) != 8 or int(crc, 16) != zlib.crc32(body) & 0xffffffff:
        fail("partition %d offset %d: the payload checksum does not match (%d bytes)" % (p, offset, len(value)))
    fields = body.split(b":", 2)
    vp, seq = int(fields[0]), int(fields[1])
    if vp != p:
        fail("partition %d offset %d holds a record produced to partition %d" % (p, offset, vp))
    if key != b"%d:%d" % (p, seq):
        fail("partition %d offset %d: key %r does not match the value (seq %d)" % (p, offset, key, seq))
    return seq


class Stop:
    """SIGTERM ends a client at its next poll."""

    def __init__(self):
        self.stop = False
        signal.signal(signal.SIGTERM, self.handle)

    def handle(self, *_):
        self.stop = True


def produce(bootstrap, topic, partitions, lifetime, state, compression, linger):
    from confluent_kafka import Producer
    stop = Stop()
    r = random.Random(lifetime)
    out = open(os.path.join(state, "acked.%d" % lifetime), "w")
    errors = []

    def on_delivery(err, msg):
        if err:
            errors.append("%s [%s]" % (err, msg.key()))
            return
        p, seq = (int(x) for x in msg.key().split(b":"))
        if p != msg.partition():
            errors.append("record %d:%d delivered to partition %d" % (p, seq, msg.partition()))
        out.write("%d %d %d\n" % (p, seq, msg.offset()))

    prod = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True, "acks": "all",
                     "linger.ms": linger, "compression.type": compression,
                     "message.timeout.ms": 300000, "retry.backoff.ms": 50,
                     "reconnect.backoff.ms": 50, "reconnect.backoff.max.ms": 200})
    nxt = [lifetime * LIFE] * partitions
    sent = 0
    t0 = time.time()
    while not stop.stop and not errors:
        due = min(int((time.time() - t0) * RATE) - sent, 200)
        for _ in range(max(due, 0)):
            p = sent % partitions
            try:
                prod.produce(topic, key=b"%d:%d" % (p, nxt[p]), value=value_of(p, nxt[p], r),
                             partition=p, on_delivery=on_delivery)
            except BufferError:
                break
            nxt[p] += 1
            sent += 1
        prod.poll(0.005)
        out.flush()
    # Reports already received count as acknowledged; the broker is gone.
    prod.poll(0)
    out.close()
    print("lifetime %d: sent %d, %s" % (lifetime, sent, "errors: %s" % errors[:3] if errors else "no errors"),
          flush=True)
    os._exit(1 if errors else 0)


def consume(bootstrap, topic, group, lifetime, state):
    from confluent_kafka import Consumer, KafkaException
    stop = Stop()
    out = open(os.path.join(state, "commits.%d" % lifetime), "w")
    errors = []

    def on_commit(err, parts):
        if err is not None:
            return  # a commit the dying broker did not answer
        for tp in parts:
            if tp.error is None and tp.offset >= 0:
                out.write("%d %d\n" % (tp.partition, tp.offset))

    # Static membership: the next lifetime's consumer takes this one's place
    # at once instead of waiting out the dead member's session.
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "group.instance.id": "crash-consumer",
                  "session.timeout.ms": 6000, "enable.auto.commit": False, "auto.offset.reset": "earliest",
                  "check.crcs": True, "on_commit": on_commit, "reconnect.backoff.ms": 50,
                  "reconnect.backoff.max.ms": 200})
    c.subscribe([topic])
    last = {}
    consumed = 0
    next_commit = time.time()
    while not stop.stop and not errors:
        for m in c.consume(200, 0.02):
            if m.error():
                if m.error().retriable() or not m.error().fatal():
                    continue
                errors.append(str(m.error()))
                break
            seq = check_value(m.partition(), m.offset(), m.key(), m.value())
            if last.get(m.partition(), -1) >= seq:
                errors.append("partition %d: seq %d read after %d" % (m.partition(), seq, last[m.partition()]))
            last[m.partition()] = seq
            consumed += 1
        if time.time() >= next_commit:
            next_commit = time.time() + 0.1
            try:
                c.commit(asynchronous=True)
            except KafkaException:
                pass  # nothing consumed since the last commit
        out.flush()
    c.poll(0)
    out.close()
    print("lifetime %d: consumed %d, %s" % (lifetime, consumed, "errors: %s" % errors[:3] if errors else "no errors"),
          flush=True)
    os._exit(1 if errors else 0)


def read_pairs(pattern):
    """{lifetime: [fields of each complete line]} of STATE/acked.* or commits.*."""
    out = {}
    for path in glob.glob(pattern):
        life = int(path.rsplit(".", 1)[1])
        with open(path) as f:
            out[life] = [[int(x) for x in line.split()] for line in f if line.endswith("\n")]
    return out


def verify(bootstrap, topic, partitions, group, state):
    from confluent_kafka import Consumer, KafkaError, TopicPartition
    acked = read_pairs(os.path.join(state, "acked.*"))
    commits = read_pairs(os.path.join(state, "commits.*"))
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False,
                  "check.crcs": True, "enable.partition.eof": True, "fetch.wait.max.ms": 50})
    tps = [TopicPartition(topic, p) for p in range(partitions)]
    high = {}
    for tp in tps:
        low, high[tp.partition] = c.get_watermark_offsets(tp, timeout=30)
        if low != 0:
            fail("partition %d starts at %d, not 0" % (tp.partition, low))
    committed = {tp.partition: tp.offset for tp in c.committed(tps, timeout=30)}

    # Committed offsets: within the log, and not behind an acknowledged
    # commit. The latter only where no commit fails (not on the faulty
    # filer): librdkafka retries a failed commit, which may then land after
    # a newer one and take the offset back.
    monotonic = os.environ.get("KELP_TEST_STORAGE", "local") != "filer"
    for p in range(partitions):
        if committed[p] > high[p]:
            fail("partition %d: the group's committed offset %d is ahead of the log end %d"
                 % (p, committed[p], high[p]))
        best = max([o for life in commits.values() for (cp, o) in life if cp == p], default=-1)
        if monotonic and best >= 0 and best > committed[p]:
            fail("partition %d: offset %d was committed (acknowledged) but %d is what the group has"
                 % (p, best, committed[p]))

    c.assign([TopicPartition(topic, p, 0) for p in range(partitions) if high[p] > 0])
    seqs = {p: [] for p in range(partitions)}
    left = set(p for p in range(partitions) if high[p] > 0)
    deadline = time.time() + 90
    while left and time.time() < deadline:
        for m in c.consume(1000, 0.5):
            p = m.partition()
            if m.error():
                if m.error().code() == KafkaError._PARTITION_EOF:
                    if len(seqs[p]) >= high[p]:
                        left.discard(p)
                    continue
                fail("consumer error on partition %s: %s" % (p, m.error()))
            if m.offset() >= high[p]:
                left.discard(p)
                continue
            if m.offset() != len(seqs[p]):
                fail("partition %d: offset %d read after %d records (offsets must be dense)"
                     % (p, m.offset(), len(seqs[p])))
            seqs[p].append(check_value(p, m.offset(), m.key(), m.value()))
            if len(seqs[p]) >= high[p]:
                left.discard(p)
    c.close()
    if left:
        fail("could not read partitions %s up to their log end %s" % (sorted(left), [high[p] for p in sorted(left)]))

    total_acked = 0
    for p in range(partitions):
        s = seqs[p]
        for i in range(1, len(s)):
            if s[i] <= s[i - 1]:
                fail("partition %d: offset %d holds seq %d after seq %d at offset %d (duplicate or reordered)"
                     % (p, i, s[i], s[i - 1], i - 1))
        # Each lifetime's records: a gapless prefix of what it sent, reaching
        # past its last acknowledged one.
        first = {}
        count = {}
        for off, seq in enumerate(s):
            life, idx = divmod(seq, LIFE)
            if life not in first:
                first[life] = off
                count[life] = 0
            if idx != count[life]:
                fail("partition %d offset %d: seq %d of lifetime %d follows %d of its records (gap)"
                     % (p, off, seq, life, count[life]))
            count[life] += 1
        for life, recs in acked.items():
            mine = [(seq % LIFE, off) for (ap, seq, off) in recs if ap == p]
            total_acked += len(mine)
            if not mine:
                continue
            top, top_off = max(mine)
            if count.get(life, 0) <= top:
                fail("partition %d: lifetime %d had seq %d acknowledged (at offset %d), but only %d of its "
                     "records are stored" % (p, life, life * LIFE + top, top_off, count.get(life, 0)))
            for idx, off in mine:
                if first[life] + idx != off:
                    fail("partition %d: seq %d was acknowledged at offset %d but is stored at offset %d"
                         % (p, life * LIFE + idx, off, first[life] + idx))
    print("ok: %s records (%d acknowledged) once each, in order, intact; committed %s <= log end %s"
          % ("+".join(str(len(seqs[p])) for p in range(partitions)), total_acked,
             [committed[p] for p in range(partitions)], [high[p] for p in range(partitions)]), flush=True)


def summary(state):
    acked = read_pairs(os.path.join(state, "acked.*"))
    commits = read_pairs(os.path.join(state, "commits.*"))
    print(sum(len(v) for v in acked.values()), sum(1 for v in acked.values() if v),
          sum(len(v) for v in commits.values()), sum(1 for v in commits.values() if v))


def create(bootstrap, topic, partitions):
    from confluent_kafka.admin import AdminClient, NewTopic
    a = AdminClient({"bootstrap.servers": bootstrap})
    for f in a.create_topics([NewTopic(topic, partitions, 1)]).values():
        f.result(30)


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "schedule":
        schedule(int(args[0]), int(args[1]), args[2])
    elif cmd == "create":
        create(args[0], args[1], int(args[2]))
    elif cmd == "produce":
        produce(args[0], args[1], int(args[2]), int(args[3]), args[4], args[5], int(args[6]))
    elif cmd == "consume":
        consume(args[0], args[1], args[2], int(args[3]), args[4])
    elif cmd == "verify":
        verify(args[0], args[1], int(args[2]), args[3], args[4])
    elif cmd == "summary":
        summary(args[0])
    else:
        fail("unknown command " + cmd)


if __name__ == "__main__":
    main()
