'use strict'
// node-rdkafka (librdkafka 2.12 inside) in the client compatibility matrix
// (commands: see mx.py).

const Kafka = require('node-rdkafka')
const mx = require('./mx')

const CLIENT_ID = 'mx-node_rdkafka'
const OFFSET_BEGINNING = -2

const call = (obj, method, ...args) => new Promise((resolve, reject) =>
  obj[method](...args, (err, res) => err ? reject(err) : resolve(res)))

function connected (client) {
  return new Promise((resolve, reject) => client.connect({ timeout: mx.WAIT_MS }, err => err ? reject(err) : resolve(client)))
}

async function setup ([bootstrap, topic, partitions]) {
  const producer = await connected(new Kafka.Producer({ 'bootstrap.servers': bootstrap, 'client.id': CLIENT_ID }))
  await mx.runStep('metadata', async () => {
    const md = await call(producer, 'getMetadata', { timeout: mx.WAIT_MS })
    const brokers = md.brokers.map(b => `${b.host}:${b.port}`)
    if (!brokers.includes(bootstrap)) mx.fail(`brokers ${brokers}, not ${bootstrap}`)
    return `brokers=${brokers} topics=${md.topics.length}`
  })
  await mx.runStep('create', async () => {
    const admin = Kafka.AdminClient.create({ 'bootstrap.servers': bootstrap, 'client.id': CLIENT_ID })
    try {
      await call(admin, 'createTopic', { topic, num_partitions: Number(partitions), replication_factor: 1 }, mx.WAIT_MS)
    } finally {
      admin.disconnect()
    }
    const md = await call(producer, 'getMetadata', { topic, timeout: mx.WAIT_MS })
    const t = md.topics.find(x => x.name === topic)
    if (!t || t.partitions.length !== Number(partitions)) mx.fail(`after create: ${JSON.stringify(t)}`)
  })
  await new Promise(resolve => producer.disconnect(resolve))
}

async function produce ([bootstrap, topic, spec, ...which]) {
  const batches = mx.readSpec(spec)
  for (const b of which.map(Number)) {
    const { codec, records } = batches[b]
    await mx.runStep('produce_' + codec, async () => {
      const producer = new Kafka.Producer({
        'bootstrap.servers': bootstrap, 'client.id': CLIENT_ID, acks: 'all', 'compression.codec': codec, 'linger.ms': 5, dr_cb: true
      })
      let delivered = 0
      let failure = null
      producer.on('delivery-report', (err) => { if (err) failure = failure || err; else delivered++ })
      producer.setPollInterval(20)
      await connected(producer)
      try {
        for (const r of records) {
          producer.produce(topic, r.partition, r.value, r.key, r.ts, null, r.headers.map(([k, v]) => ({ [k]: v })))
        }
        await mx.until(() => failure || delivered === records.length, () => `${delivered} of ${records.length} delivered`)
        if (failure) throw failure
      } finally {
        await new Promise(resolve => producer.disconnect(resolve))
      }
    })
  }
}

const headerList = hs => (hs || []).flatMap(h => Object.entries(h))

function consumer (bootstrap, group) {
  return new Kafka.KafkaConsumer({
    'bootstrap.servers': bootstrap, 'client.id': CLIENT_ID, 'group.id': group, 'enable.auto.commit': false
  }, { 'auto.offset.reset': 'earliest' })
}

async function drain (c, col) {
  const deadline = Date.now() + mx.WAIT_MS
  while (!col.done()) {
    if (Date.now() > deadline) mx.fail(`timed out, missing ${col.missing()}`)
    const msgs = await call(c, 'consume', 100)
    for (const m of msgs) col.add(m.topic, m.partition, m.offset, m.timestamp, m.key, m.value, headerList(m.headers))
  }
}

async function consume ([bootstrap, out, ...topicArgs]) {
  const topics = mx.parseTopics(topicArgs)
  const col = new mx.Collector(topics)
  await mx.runStep('consume', async () => {
    const c = await connected(consumer(bootstrap, 'mx-node_rdkafka-assign'))
    try {
      c.setDefaultConsumeTimeout(200)
      c.assign(Object.entries(topics).flatMap(([topic, ns]) => ns.map((_, partition) => ({ topic, partition, offset: OFFSET_BEGINNING }))))
      await drain(c, col)
    } finally {
      col.write(out)
      await new Promise(resolve => c.disconnect(resolve))
    }
  })
}

async function group ([bootstrap, groupId, out, ...topicArgs]) {
  const topics = mx.parseTopics(topicArgs)
  const col = new mx.Collector(topics)
  await mx.runStep('group', async () => {
    const c = await connected(consumer(bootstrap, groupId))
    try {
      c.setDefaultConsumeTimeout(200)
      c.subscribe(Object.keys(topics))
      await drain(c, col)
      const offsets = Object.entries(topics).flatMap(([topic, ns]) => ns.map((n, partition) => ({ topic, partition, offset: n })))
      c.commitSync(offsets)
      const got = await call(c, 'committed', offsets.map(({ topic, partition }) => ({ topic, partition })), mx.WAIT_MS)
      for (const g of got) {
        if (g.offset !== topics[g.topic][g.partition]) mx.fail(`${g.topic}[${g.partition}]: committed ${g.offset}`)
      }
    } finally {
      col.write(out)
      await new Promise(resolve => c.disconnect(resolve))
    }
  })
}

async function seek ([bootstrap, topic, partition, ts, end, out]) {
  partition = Number(partition)
  const want = {}
  want[topic] = Array.from({ length: partition + 1 }, (_, p) => p === partition ? Number(end) : 0)
  const col = new mx.Collector(want)
  await mx.runStep('seek', async () => {
    const c = await connected(consumer(bootstrap, 'mx-node_rdkafka-assign'))
    try {
      c.setDefaultConsumeTimeout(200)
      const [found] = await call(c, 'offsetsForTimes', [{ topic, partition, offset: Number(ts) }], mx.WAIT_MS)
      if (!found || found.offset < 0) mx.fail(`no offset for ${ts}: ${JSON.stringify(found)}`)
      col.next.set(`${topic}/${partition}`, found.offset)
      c.assign([{ topic, partition, offset: found.offset }])
      await drain(c, col)
      return `offset=${found.offset}`
    } finally {
      col.write(out)
      await new Promise(resolve => c.disconnect(resolve))
    }
  })
}

mx.main({ setup, produce, consume, group, seek })
