"""A kafka-python group consumer for group_driver.py: prints "assigned
P,P,..." after every rebalance and "msg PARTITION OFFSET VALUE" per message,
commits synchronously after each batch it printed and when partitions are
revoked, and on SIGTERM closes (commit, leave the group).

usage: group_kafka_python.py BOOTSTRAP TOPIC GROUP"""

import signal
import sys

from kafka import ConsumerRebalanceListener, KafkaConsumer

bootstrap, topic, group = sys.argv[1:4]
stopping = []
signal.signal(signal.SIGTERM, lambda *_: stopping.append(1))

consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=group, auto_offset_reset="earliest",
                         enable_auto_commit=False, session_timeout_ms=10000, heartbeat_interval_ms=1000)


class Listener(ConsumerRebalanceListener):
    def on_partitions_revoked(self, revoked):
        if revoked:
            consumer.commit()
        print("assigned", flush=True)

    def on_partitions_assigned(self, assigned):
        print("assigned " + ",".join(str(p.partition) for p in sorted(assigned)), flush=True)


consumer.subscribe([topic], listener=Listener())
while not stopping:
    batches = consumer.poll(timeout_ms=200)
    for tp, messages in batches.items():
        for m in messages:
            print("msg %d %d %s" % (m.partition, m.offset, m.value.decode()), flush=True)
    if batches:
        consumer.commit()
consumer.close()
