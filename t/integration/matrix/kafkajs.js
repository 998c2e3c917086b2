'use strict'
// kafkajs in the client compatibility matrix (commands: see mx.py). kafkajs
// consumes only in consumer groups: `consume` reports the standalone step
// unsupported and reads through a group of its own, committing nothing.

const { Kafka, CompressionTypes, logLevel } = require('kafkajs')
const mx = require('./mx')

const CODECS = { none: CompressionTypes.None, gzip: CompressionTypes.GZIP, snappy: CompressionTypes.Snappy, lz4: CompressionTypes.LZ4, zstd: CompressionTypes.ZSTD }

const kafka = bootstrap => new Kafka({ clientId: 'mx-kafkajs', brokers: [bootstrap], logLevel: logLevel.NOTHING, connectionTimeout: 10000 * mx.FACTOR, requestTimeout: 30000 * mx.FACTOR })

async function setup ([bootstrap, topic, partitions]) {
  const admin = kafka(bootstrap).admin()
  await admin.connect()
  await mx.runStep('metadata', async () => {
    const cluster = await admin.describeCluster()
    const brokers = cluster.brokers.map(b => `${b.host}:${b.port}`)
    if (!brokers.includes(bootstrap)) mx.fail(`brokers ${brokers}, not ${bootstrap}`)
    return `brokers=${brokers} topics=${(await admin.listTopics()).length}`
  })
  await mx.runStep('create', async () => {
    if (!await admin.createTopics({ topics: [{ topic, numPartitions: Number(partitions), replicationFactor: 1 }], waitForLeaders: true })) mx.fail('createTopics answered false')
    const md = await admin.fetchTopicMetadata({ topics: [topic] })
    if (md.topics[0].partitions.length !== Number(partitions)) mx.fail(`after create: ${JSON.stringify(md)}`)
  })
  await admin.disconnect()
}

// Headers as kafkajs takes them: an object; a repeated name becomes an array.
function headerObject (headers) {
  const out = {}
  for (const [k, v] of headers) {
    if (!(k in out)) out[k] = v
    else out[k] = [].concat(out[k], v)
  }
  return out
}

const headerList = h => Object.entries(h || {}).flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map(x => [k, x]))

async function produce ([bootstrap, topic, spec, ...which]) {
  const batches = mx.readSpec(spec)
  const producer = kafka(bootstrap).producer()
  await producer.connect()
  for (const b of which.map(Number)) {
    const { codec, records } = batches[b]
    try {
      await producer.send({
        topic,
        acks: -1,
        compression: CODECS[codec],
        messages: records.map(r => ({ key: r.key, value: r.value, headers: headerObject(r.headers), partition: r.partition, timestamp: String(r.ts) }))
      })
      mx.step('produce_' + codec, 'ok')
    } catch (e) {
      // kafkajs ships only gzip; the other codecs are plugins
      mx.step('produce_' + codec, /not implemented/i.test(e.message) ? 'unsupported' : 'fail', e.message)
    }
  }
  await producer.disconnect()
}

// Consume in GROUP until the collector is done; seekTo: [{topic, partition, offset}].
async function groupRead (bootstrap, group, topics, col, seekTo, options) {
  const consumer = kafka(bootstrap).consumer({ groupId: group, sessionTimeout: 10000 * mx.FACTOR, heartbeatInterval: 1000, maxWaitTimeInMs: 200, ...options })
  await consumer.connect()
  let failure = null
  consumer.on(consumer.events.CRASH, ({ payload }) => { failure = failure || payload.error })
  try {
    for (const topic of topics) await consumer.subscribe({ topic, fromBeginning: !seekTo })
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ topic, partition, message: m }) => {
        try {
          col.add(topic, partition, m.offset, m.timestamp, m.key, m.value, headerList(m.headers))
        } catch (e) { failure = failure || e }
      }
    })
    for (const s of seekTo || []) consumer.seek(s)
    await mx.until(() => failure || col.done(), () => col.missing())
    if (failure) throw failure
    return consumer
  } catch (e) {
    await consumer.disconnect()
    throw e
  }
}

async function consume ([bootstrap, out, ...topicArgs]) {
  const topics = mx.parseTopics(topicArgs)
  const col = new mx.Collector(topics)
  mx.step('consume', 'unsupported', 'kafkajs consumes in groups only')
  try {
    // no retries: a batch it cannot decode fails at once
    const consumer = await groupRead(bootstrap, `mx-kafkajs-read-${process.pid}`, Object.keys(topics), col, null, { retry: { retries: 0 } })
    await consumer.disconnect()
  } catch (e) {
    // Batches of a codec kafkajs lacks cannot be read at all.
    if (/not implemented/i.test(e.message)) mx.step('cross', 'unsupported', e.message)
    else console.error('group read:', e)
  }
  col.write(out)
}

async function group ([bootstrap, groupId, out, ...topicArgs]) {
  const topics = mx.parseTopics(topicArgs)
  const col = new mx.Collector(topics)
  await mx.runStep('group', async () => {
    try {
      const consumer = await groupRead(bootstrap, groupId, Object.keys(topics), col)
      const offsets = Object.entries(topics).flatMap(([topic, ns]) => ns.map((n, partition) => ({ topic, partition, offset: String(n) })))
      await consumer.commitOffsets(offsets)
      await consumer.disconnect()
      const admin = kafka(bootstrap).admin()
      await admin.connect()
      const got = await admin.fetchOffsets({ groupId, topics: Object.keys(topics) })
      await admin.disconnect()
      for (const { topic, partitions } of got) {
        for (const { partition, offset } of partitions) {
          if (Number(offset) !== topics[topic][partition]) mx.fail(`${topic}[${partition}]: committed ${offset}`)
        }
      }
    } finally {
      col.write(out)
    }
  })
}

async function seek ([bootstrap, topic, partition, ts, end, out]) {
  partition = Number(partition)
  const want = {}
  want[topic] = Array.from({ length: partition + 1 }, (_, p) => p === partition ? Number(end) : 0)
  const col = new mx.Collector(want)
  await mx.runStep('seek', async () => {
    const admin = kafka(bootstrap).admin()
    await admin.connect()
    const found = (await admin.fetchTopicOffsetsByTimestamp(topic, Number(ts))).find(o => o.partition === partition)
    await admin.disconnect()
    if (!found || Number(found.offset) < 0) mx.fail(`no offset for ${ts}: ${JSON.stringify(found)}`)
    col.next.set(`${topic}/${partition}`, Number(found.offset))
    try {
      const consumer = await groupRead(bootstrap, `mx-kafkajs-seek-${process.pid}`, [topic], col, [{ topic, partition, offset: found.offset }])
      await consumer.disconnect()
    } finally {
      col.write(out)
    }
    return `offset=${found.offset}`
  })
}

mx.main({ setup, produce, consume, group, seek })
