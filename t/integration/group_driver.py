"""Consumer-group scenario shared by the group_*.sh tests.

One client library at a time, as separate consumer processes in one group
on a 6-partition topic. A consumer process is started with the command line
the test gives (a template with {bootstrap}, {topic}, {group}, {name}) and
runs until SIGTERM, when it commits and leaves the group. It prints to
stdout, flushing each line:

    assigned P,P,...          after every rebalance (empty after a revoke: "assigned")
    msg PARTITION OFFSET VALUE  for every message it consumed

Messages are produced with kcat, each value unique. The scenario:

  run:     3 consumers; every partition owned by exactly one of them; one
           leaves, the other 2 own all 6; it comes back, 3 own all 6; more
           messages in every phase; all consumers stop.
  resume:  (after the test restarted kelpd) more messages, one consumer: it
           reads exactly the new ones, so committed offsets survived.
  verify:  every produced value consumed exactly once over both steps.

usage: group_driver.py run|resume|verify BOOTSTRAP TOPIC GROUP WORKDIR -- CONSUMER-TEMPLATE...
"""

import os
import signal
import subprocess
import sys
import time

PARTITIONS = set(range(6))
SETTLE_TIMEOUT = 60.0   # seconds for a group to settle or messages to arrive
STOP_TIMEOUT = 30.0


def fail(msg):
    sys.stderr.write("group_driver: FAIL: %s\n" % msg)
    raise SystemExit(1)


def log(msg):
    sys.stdout.write("group_driver: %s\n" % msg)
    sys.stdout.flush()


class Consumer:
    def __init__(self, work, name, argv):
        self.name = name
        self.out_path = os.path.join(work, "consumer-%s.out" % name)
        self.err_path = os.path.join(work, "consumer-%s.err" % name)
        out = open(self.out_path, "a")
        err = open(self.err_path, "a")
        self.proc = subprocess.Popen(argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        out.close()
        err.close()
        self.offset = 0          # bytes of the output already parsed
        self.partial = ""
        self.assigned = None     # the last reported assignment (set of partitions)
        self.values = []

    def poll(self):
        with open(self.out_path) as f:
            f.seek(self.offset)
            data = f.read()
            self.offset = f.tell()
        data = self.partial + data
        lines = data.split("\n")
        self.partial = lines.pop()
        for line in lines:
            if line.startswith("assigned"):
                rest = line[len("assigned"):].strip()
                self.assigned = set(int(p) for p in rest.split(",") if p)
            elif line.startswith("msg "):
                parts = line.split(" ", 3)
                self.values.append(parts[3])
        if self.proc.poll() is not None and self.proc.returncode != 0:
            fail("consumer %s exited with status %d (see %s)" % (self.name, self.proc.returncode, self.err_path))

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            fail("consumer %s did not stop within %ds of SIGTERM" % (self.name, STOP_TIMEOUT))
        if self.proc.returncode != 0:
            fail("consumer %s exited with status %d after SIGTERM (see %s)"
                 % (self.name, self.proc.returncode, self.err_path))
        self.poll()


def produce(bootstrap, topic, prefix, count, work):
    lines = "".join("%s-key-%d:%s-%d\n" % (prefix, i, prefix, i) for i in range(count))
    r = subprocess.run(["kcat", "-b", bootstrap, "-t", topic, "-P", "-K:", "-X", "acks=all"],
                       input=lines.encode(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    if r.returncode != 0:
        fail("kcat could not produce: %s" % r.stderr.decode(errors="replace"))
    with open(os.path.join(work, "produced"), "a") as f:
        for i in range(count):
            f.write("%s-%d\n" % (prefix, i))
    log("produced %d messages %s-*" % (count, prefix))


def wait_until(what, cond, consumers):
    deadline = time.time() + SETTLE_TIMEOUT
    while True:
        for c in consumers:
            c.poll()
        if cond():
            return
        if time.time() > deadline:
            state = ", ".join("%s: assigned %s, %d messages" % (c.name, sorted(c.assigned or []), len(c.values))
                              for c in consumers)
            fail("timed out waiting for %s (%s)" % (what, state))
        time.sleep(0.2)


def owned_exactly_once(consumers):
    sets = [c.assigned for c in consumers]
    if any(s is None or not s for s in sets):
        return False
    union = set()
    for s in sets:
        if union & s:
            return False
        union |= s
    return union == PARTITIONS


def consumed(consumers):
    return set(v for c in consumers for v in c.values)


def wanted(work, prefix):
    with open(os.path.join(work, "produced")) as f:
        return set(v.strip() for v in f if v.startswith(prefix + "-"))


def start(template, bootstrap, topic, group, work, name):
    argv = [a.format(bootstrap=bootstrap, topic=topic, group=group, name=name) for a in template]
    log("starting consumer %s" % name)
    return Consumer(work, name, argv)


def run(bootstrap, topic, group, work, template):
    produce(bootstrap, topic, "a", 600, work)
    cs = [start(template, bootstrap, topic, group, work, n) for n in ("c1", "c2", "c3")]
    wait_until("3 members owning each partition once", lambda: owned_exactly_once(cs), cs)
    log("3 members: %s" % ", ".join("%s %s" % (c.name, sorted(c.assigned)) for c in cs))
    a = wanted(work, "a")
    wait_until("all a-* messages", lambda: a <= consumed(cs), cs)

    leaver = cs.pop()
    leaver.stop()
    log("%s left" % leaver.name)
    wait_until("2 members owning each partition once", lambda: owned_exactly_once(cs), cs)
    log("2 members: %s" % ", ".join("%s %s" % (c.name, sorted(c.assigned)) for c in cs))
    produce(bootstrap, topic, "b", 300, work)
    b = wanted(work, "b")
    wait_until("all b-* messages", lambda: b <= consumed(cs), cs)

    back = start(template, bootstrap, topic, group, work, "c4")
    cs.append(back)
    wait_until("3 members again", lambda: owned_exactly_once(cs), cs)
    log("3 members: %s" % ", ".join("%s %s" % (c.name, sorted(c.assigned)) for c in cs))
    produce(bootstrap, topic, "c", 300, work)
    c_values = wanted(work, "c")
    wait_until("all c-* messages", lambda: c_values <= consumed(cs), cs)
    for c in cs:
        c.stop()
    log("all consumers stopped")


def resume(bootstrap, topic, group, work, template):
    produce(bootstrap, topic, "d", 300, work)
    c = start(template, bootstrap, topic, group, work, "c5")
    d = wanted(work, "d")
    wait_until("all d-* messages", lambda: d <= consumed([c]), [c])
    # Anything older would come right after the assignment, before d-*:
    # give a moment for a wrong re-read to show, then stop.
    time.sleep(2)
    c.stop()
    old = [v for v in c.values if not v.startswith("d-")]
    if old:
        fail("after the restart the group re-read %d committed messages, e.g. %s" % (len(old), old[:5]))
    log("after the restart: %d messages, all new" % len(c.values))


def verify(work):
    produced = []
    with open(os.path.join(work, "produced")) as f:
        produced = [v.strip() for v in f if v.strip()]
    seen = {}
    for fn in sorted(os.listdir(work)):
        if fn.startswith("consumer-") and fn.endswith(".out"):
            with open(os.path.join(work, fn)) as f:
                for line in f:
                    if line.startswith("msg "):
                        v = line.rstrip("\n").split(" ", 3)[3]
                        seen.setdefault(v, []).append(fn)
    missing = [v for v in produced if v not in seen]
    twice = dict((v, fns) for v, fns in seen.items() if len(fns) > 1)
    extra = [v for v in seen if v not in set(produced)]
    if missing:
        fail("%d messages never consumed, e.g. %s" % (len(missing), missing[:5]))
    if twice:
        fail("%d messages consumed more than once, e.g. %s" % (len(twice), list(twice.items())[:3]))
    if extra:
        fail("consumed values nobody produced: %s" % extra[:5])
    log("%d messages, each consumed exactly once" % len(produced))


def main():
    if "--" not in sys.argv or len(sys.argv) < 6:
        sys.exit(__doc__)
    sep = sys.argv.index("--")
    step, bootstrap, topic, group, work = sys.argv[1:6]
    template = sys.argv[sep + 1:]
    if step == "run":
        run(bootstrap, topic, group, work, template)
    elif step == "resume":
        resume(bootstrap, topic, group, work, template)
    elif step == "verify":
        verify(work)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
