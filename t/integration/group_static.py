"""Static membership with librdkafka (group.instance.id): a static member
that restarts within its session timeout gets its partitions back without
a rebalance, and a second process that takes a live member's instance id
fences the first (FENCED_INSTANCE_ID).

usage: group_static.py CONSUMER BOOTSTRAP ADMIN TOPIC GROUP WORKDIR"""

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request

consumer, bootstrap, admin, topic, group, work = sys.argv[1:7]
failures = []


def check(cond, what):
    print(("ok: " if cond else "FAIL: ") + what, flush=True)
    if not cond:
        failures.append(what)


class Member:
    def __init__(self, name, instance):
        self.name = name
        self.path = os.path.join(work, "static-%s.out" % name)
        self.proc = subprocess.Popen([consumer, bootstrap, topic, group, instance],
                                     stdout=open(self.path, "w"),
                                     stderr=open(os.path.join(work, "static-%s.err" % name), "w"))

    def lines(self):
        with open(self.path) as f:
            return [l.rstrip("\n") for l in f]

    def assigned(self):
        a = [l for l in self.lines() if l.startswith("assigned")]
        if not a:
            return None
        rest = a[-1][len("assigned"):].strip()
        return set(int(p) for p in rest.split(",") if p)


def wait(what, cond, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if cond():
            return True
        time.sleep(0.2)
    check(False, "timed out waiting for " + what)
    sys.exit(1)


def describe():
    with urllib.request.urlopen("http://%s/v1/groups/%s" % (admin, group)) as r:
        return json.load(r)


m1 = Member("m1", "inst-1")
m2 = Member("m2", "inst-2")
both = lambda a, b: a.assigned() and b.assigned() and not (a.assigned() & b.assigned()) and \
    (a.assigned() | b.assigned()) == set(range(6))
wait("two static members owning all partitions", lambda: both(m1, m2))
g = describe()
check(g["state"] == "Stable" and len(g["members"]) == 2, "group Stable with 2 members")
instances = sorted(m["group_instance_id"] for m in g["members"])
check(instances == ["inst-1", "inst-2"], "members are the static instances: %s" % instances)
generation = g["generation"]
old_id = [m["member_id"] for m in g["members"] if m["group_instance_id"] == "inst-1"][0]
first = m1.assigned()

# Kill without a leave: a static member keeps its place until its session ends.
m1.proc.send_signal(signal.SIGKILL)
m1.proc.wait()
m1b = Member("m1b", "inst-1")
wait("the restarted static member's assignment", lambda: m1b.assigned() is not None)
check(m1b.assigned() == first, "the restarted member got its partitions back: %s" % sorted(m1b.assigned()))
g = describe()
check(g["generation"] == generation, "no rebalance: generation still %d (%d)" % (generation, g["generation"]))
new_id = [m["member_id"] for m in g["members"] if m["group_instance_id"] == "inst-1"][0]
check(new_id != old_id, "the instance has a new member id")
check(len(g["members"]) == 2, "still 2 members")

# A second live process with the same instance id fences the one running.
m1c = Member("m1c", "inst-1")
wait("the fenced member to stop", lambda: m1b.proc.poll() is not None)
check(m1b.proc.returncode == 3 and "fatal FENCED_INSTANCE_ID" in m1b.lines(),
      "the older process was fenced (status %s)" % m1b.proc.returncode)
wait("the newest process's assignment", lambda: m1c.assigned() is not None)
check(m1c.assigned() == first, "the newest process owns the instance's partitions")

for m in (m1c, m2):
    m.proc.send_signal(signal.SIGTERM)
    m.proc.wait(30)
    check(m.proc.returncode == 0, "%s stopped cleanly" % m.name)
if failures:
    sys.exit("%d checks failed" % len(failures))
