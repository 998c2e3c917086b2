"""Runs `kcat -G` as a group_driver.py consumer: kcat's messages go to
stdout as "msg PARTITION OFFSET VALUE", and the rebalance notices kcat
prints on stderr become "assigned P,P,..." lines. SIGTERM is passed on to
kcat, which then commits and leaves the group.

usage: group_kcat.py BOOTSTRAP TOPIC GROUP"""

import re
import signal
import subprocess
import sys
import threading

bootstrap, topic, group = sys.argv[1:4]
kcat = subprocess.Popen(
    ["kcat", "-u", "-b", bootstrap, "-G", group, topic, "-f", "msg %p %o %s\\n",
     "-X", "auto.offset.reset=earliest", "-X", "auto.commit.interval.ms=100",
     "-X", "session.timeout.ms=10000", "-X", "heartbeat.interval.ms=1000"],
    stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
lock = threading.Lock()
rebalance = re.compile(r"rebalanced \(memberid [^)]*\): (assigned|revoked): (.*)")
partition = re.compile(r"\[(\d+)\]")


def emit(line):
    with lock:
        sys.stdout.write(line)
        sys.stdout.flush()


def pump_stderr():
    for raw in kcat.stderr:
        line = raw.decode(errors="replace")
        sys.stderr.write(line)
        sys.stderr.flush()
        m = rebalance.search(line)
        if m:
            parts = partition.findall(m.group(2)) if m.group(1) == "assigned" else []
            emit("assigned %s\n" % ",".join(parts))


signal.signal(signal.SIGTERM, lambda *_: kcat.send_signal(signal.SIGTERM))
errors = threading.Thread(target=pump_stderr)
errors.start()
for raw in kcat.stdout:
    emit(raw.decode(errors="replace"))
errors.join()
sys.exit(kcat.wait())
