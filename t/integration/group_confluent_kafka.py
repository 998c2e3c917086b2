"""A confluent-kafka-python group consumer for group_driver.py: prints
"assigned P,P,..." after every rebalance and "msg PARTITION OFFSET VALUE"
per message, commits each message synchronously once printed (and again on
revoke), and on SIGTERM closes (commit, leave the group).

usage: group_confluent_kafka.py BOOTSTRAP TOPIC GROUP"""

import signal
import sys

from confluent_kafka import Consumer

bootstrap, topic, group = sys.argv[1:4]
stopping = []
signal.signal(signal.SIGTERM, lambda *_: stopping.append(1))

consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "auto.offset.reset": "earliest",
                     "enable.auto.commit": False, "session.timeout.ms": 10000, "heartbeat.interval.ms": 1000})


def on_assign(c, partitions):
    print("assigned " + ",".join(str(p.partition) for p in sorted(partitions, key=lambda p: p.partition)),
          flush=True)


def on_revoke(c, partitions):
    try:
        c.commit(asynchronous=False)
    except Exception as e:  # nothing stored to commit is not an error here
        sys.stderr.write("commit on revoke: %s\n" % e)
    print("assigned", flush=True)


consumer.subscribe([topic], on_assign=on_assign, on_revoke=on_revoke)
while not stopping:
    m = consumer.poll(0.2)
    if m is None:
        continue
    if m.error():
        sys.stderr.write("consumer error: %s\n" % m.error())
        continue
    print("msg %d %d %s" % (m.partition(), m.offset(), m.value().decode()), flush=True)
    consumer.commit(message=m, asynchronous=False)
consumer.close()
