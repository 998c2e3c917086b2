// A kafkajs group consumer for t/integration/group_driver.py: prints
// "assigned P,P,..." after every rebalance (GROUP_JOIN) and
// "msg PARTITION OFFSET VALUE" per message, commits each message before it
// takes the next, and on SIGTERM disconnects (commit, leave the group).
//
// usage: node group_kafkajs.js BOOTSTRAP TOPIC GROUP
'use strict';
const { Kafka, logLevel } = require('kafkajs');

const [bootstrap, topic, group] = process.argv.slice(2);
const kafka = new Kafka({ clientId: 'kelp-group-test', brokers: [bootstrap], logLevel: logLevel.ERROR });
const consumer = kafka.consumer({ groupId: group, sessionTimeout: 10000, heartbeatInterval: 1000, rebalanceTimeout: 20000 });

const out = line => process.stdout.write(line + '\n');

consumer.on(consumer.events.GROUP_JOIN, e => {
  const parts = (e.payload.memberAssignment[topic] || []).slice().sort((a, b) => a - b);
  out('assigned ' + parts.join(','));
});

async function main() {
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ partition, message }) => {
      out(`msg ${partition} ${message.offset} ${message.value.toString()}`);
      const next = (BigInt(message.offset) + 1n).toString();
      await consumer.commitOffsets([{ topic, partition, offset: next }]);
    },
  });
}

let stopping = false;
process.on('SIGTERM', () => {
  if (stopping) return;
  stopping = true;
  consumer.disconnect().then(() => process.exit(0), err => {
    console.error('disconnect failed:', err);
    process.exit(1);
  });
});

main().catch(err => {
  console.error(err);
  process.exit(1);
});
