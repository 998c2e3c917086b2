'use strict'
// kafkajs: metadata (admin.fetchTopicMetadata, admin.describeCluster), produce
// with keys, headers, explicit timestamps and acks=all (producer.send), and
// offsets (admin.fetchTopicOffsets, admin.fetchTopicOffsetsByTimestamp).
//
// kafkajs consumes only through consumer groups, which the server does not
// offer yet, so what kafkajs produced is read back with kcat (-C -e -J).
//
// usage: node kafkajs_test.js produce|verify BOOTSTRAP TOPIC STATE

const fs = require('fs')
const { execFileSync } = require('child_process')
const { Kafka, Partitioners, logLevel } = require('kafkajs')

const PARTITIONS = 4
const COUNT = 200
const BATCH = 20

class CheckFailed extends Error {}
const fail = what => { throw new CheckFailed(what) }

// Message i: even ones name their partition, odd ones go by key (keys repeat).
function build (baseTs) {
  const messages = []
  for (let i = 0; i < COUNT; i++) {
    messages.push({
      i,
      key: i % 2 ? `user-${i % 7}` : `ekey-${i}`,
      value: `kafkajs value ${i}: ` + 'x'.repeat((i * 37) % 300),
      headers: { idx: String(i), kind: i % 2 ? 'keyed' : 'explicit', multi: ['a', 'b'], empty: '' },
      partition: i % 2 ? undefined : Math.floor(i / 2) % PARTITIONS,
      timestamp: String(baseTs + 10 * i)
    })
  }
  return messages
}

// The headers as kcat -J prints them: a flat [name, value, ...] list.
const flatHeaders = h => Object.entries(h).flatMap(([k, v]) => [].concat(v).flatMap(x => [k, x]))

function client (bootstrap) {
  return new Kafka({
    clientId: 'kelp-test',
    brokers: [bootstrap],
    logLevel: logLevel.WARN,
    connectionTimeout: 10000,
    requestTimeout: 30000
  })
}

async function checkMetadata (admin, bootstrap, topic) {
  const cluster = await admin.describeCluster()
  const brokers = cluster.brokers.map(b => `${b.host}:${b.port}`)
  if (!brokers.includes(bootstrap)) fail(`describeCluster lists ${brokers}, not ${bootstrap}`)
  const md = await admin.fetchTopicMetadata({ topics: [topic] })
  if (md.topics.length !== 1 || md.topics[0].name !== topic) fail(`fetchTopicMetadata: ${JSON.stringify(md)}`)
  const parts = md.topics[0].partitions
  const ids = parts.map(p => p.partitionId).sort()
  if (JSON.stringify(ids) !== JSON.stringify([0, 1, 2, 3])) fail(`topic ${topic} has partitions ${ids}`)
  const nodeIds = cluster.brokers.map(b => b.nodeId)
  for (const p of parts) {
    if (p.partitionErrorCode !== 0 || !nodeIds.includes(p.leader)) fail(`partition ${JSON.stringify(p)}`)
  }
  console.log(`metadata: broker ${bootstrap} listed; topic ${topic} has ${parts.length} partitions`)
}

async function produce (bootstrap, topic, statePath) {
  const kafka = client(bootstrap)
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: true })
  await producer.connect()
  const baseTs = Date.now() - 10 * COUNT - 60000
  const messages = build(baseTs)
  const sends = []
  for (let b = 0; b < COUNT; b += BATCH) {
    const batch = messages.slice(b, b + BATCH)
    const result = await producer.send({
      topic,
      acks: -1,
      messages: batch.map(({ key, value, headers, partition, timestamp }) => ({ key, value, headers, partition, timestamp }))
    })
    for (const r of result) {
      if (r.errorCode !== 0) fail(`producer.send: partition ${r.partition} error ${r.errorCode}`)
    }
    sends.push({ first: b, results: result.map(r => ({ partition: r.partition, baseOffset: Number(r.baseOffset) })) })
  }
  await producer.disconnect()
  fs.writeFileSync(statePath, JSON.stringify({ baseTs, sends }))
  console.log(`produced ${COUNT} messages to ${topic} in ${sends.length} sends, acks=all`)
  const admin = kafka.admin()
  await admin.connect()
  await checkMetadata(admin, bootstrap, topic)
  await admin.disconnect()
}

function readBack (bootstrap, topic) {
  const out = execFileSync('kcat', ['-b', bootstrap, '-q', '-C', '-t', topic, '-o', 'beginning', '-e', '-J'],
    { encoding: 'utf8', timeout: 120000 })
  return out.split('\n').filter(l => l.trim()).map(l => JSON.parse(l))
}

// Where each message landed, checked against what was sent and what
// producer.send answered.
function checkReadBack (state, got) {
  const messages = build(state.baseTs)
  const byValue = new Map(got.map(m => [m.payload, m]))
  if (got.length !== COUNT || byValue.size !== COUNT) fail(`read back ${got.length} messages, produced ${COUNT}`)
  const next = [0, 0, 0, 0]
  const keyPartition = new Map()
  for (const want of messages) {
    const m = byValue.get(want.value)
    if (!m) fail(`message ${want.i} not found`)
    const p = m.partition
    if (want.partition !== undefined && p !== want.partition) fail(`message ${want.i}: sent to partition ${want.partition}, found in ${p}`)
    if (want.partition === undefined) {
      if (!keyPartition.has(want.key)) keyPartition.set(want.key, p)
      if (keyPartition.get(want.key) !== p) fail(`key ${want.key} found in partitions ${keyPartition.get(want.key)} and ${p}`)
    }
    if (m.offset !== next[p]) fail(`message ${want.i}: partition ${p} offset ${m.offset}, expected ${next[p]} (produce order)`)
    next[p]++
    const checks = [['key', want.key], ['headers', flatHeaders(want.headers)], ['ts', Number(want.timestamp)], ['tstype', 'create']]
    for (const [field, expected] of checks) {
      if (JSON.stringify(m[field]) !== JSON.stringify(expected)) {
        fail(`message ${want.i}: ${field} is ${JSON.stringify(m[field])}, expected ${JSON.stringify(expected)}`)
      }
    }
  }
  // producer.send reported, per partition, the offset of the first message of each send.
  for (const send of state.sends) {
    for (const r of send.results) {
      const first = messages.slice(send.first, send.first + BATCH).map(w => byValue.get(w.value)).find(m => m.partition === r.partition)
      if (!first || first.offset !== r.baseOffset) fail(`send of messages ${send.first}..: partition ${r.partition} baseOffset ${r.baseOffset}, found ${first && first.offset}`)
    }
  }
  return next
}

async function verify (bootstrap, topic, statePath) {
  const state = JSON.parse(fs.readFileSync(statePath, 'utf8'))
  const kafka = client(bootstrap)
  const admin = kafka.admin()
  await admin.connect()
  await checkMetadata(admin, bootstrap, topic)

  const got = readBack(bootstrap, topic)
  const counts = checkReadBack(state, got)
  const seen = got.map(({ broker, ...rest }) => rest).sort((a, b) => a.partition - b.partition || a.offset - b.offset)
  if (state.seen && JSON.stringify(state.seen) !== JSON.stringify(seen)) fail('messages differ from the first read')
  state.seen = seen
  fs.writeFileSync(statePath, JSON.stringify(state))
  console.log(`read back with kcat: ${got.length} messages identical and in produce order`)

  const offsets = await admin.fetchTopicOffsets(topic)
  for (const o of offsets) {
    if (o.low !== '0' || o.high !== String(counts[o.partition]) || o.offset !== o.high) {
      fail(`fetchTopicOffsets partition ${o.partition}: ${JSON.stringify(o)}, expected low 0 high ${counts[o.partition]}`)
    }
  }
  if (process.env.KELP_TEST_MOCK) {
    console.log('offsets: earliest/latest right; timestamp lookup not checked on the mock')
  } else {
    const probe = state.baseTs + 10 * (COUNT / 2) - 5
    const byTs = await admin.fetchTopicOffsetsByTimestamp(topic, probe)
    for (const { partition, offset } of byTs) {
      const later = got.filter(m => m.partition === partition && m.ts >= probe).map(m => m.offset)
      const want = later.length ? Math.min(...later) : counts[partition]
      if (offset !== String(want)) fail(`fetchTopicOffsetsByTimestamp(${probe}) partition ${partition}: ${offset}, expected ${want}`)
    }
    console.log(`offsets: earliest/latest right; timestamp ${probe} found in every partition`)
  }
  await admin.disconnect()
}

async function main () {
  const [mode, bootstrap, topic, statePath] = process.argv.slice(2)
  const run = { produce, verify }[mode]
  if (!run || !statePath) fail('usage: kafkajs_test.js produce|verify BOOTSTRAP TOPIC STATE')
  await run(bootstrap, topic, statePath)
}

main().catch(e => {
  console.error(e instanceof CheckFailed ? `FAIL: ${e.message}` : e)
  process.exit(1)
})
