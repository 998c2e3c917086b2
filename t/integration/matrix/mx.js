'use strict'
// What the JavaScript matrix drivers share: the spec, the dump lines and the
// step lines (formats: harness.py; commands: mx.py).

const fs = require('fs')

// KELP_TIME_FACTOR stretches every wait when kelpd runs slowly (valgrind).
const FACTOR = parseInt(process.env.KELP_TIME_FACTOR || '1', 10) || 1
const WAIT_MS = 30000 * FACTOR

class StepFailed extends Error {}
const fail = what => { throw new StepFailed(what) }

function step (name, status, detail) {
  process.stdout.write(`step ${name} ${status} ${String(detail || '').replace(/\n/g, ' ')}\n`)
}

async function runStep (name, fn) {
  try {
    step(name, 'ok', await fn())
  } catch (e) {
    step(name, 'fail', e instanceof StepFailed ? e.message : String(e && e.stack ? e.stack.split('\n')[0] : e))
  }
}

const unhex = tok => tok === '-' ? null : Buffer.from(tok.slice(1), 'hex')
const tohex = b => b === null || b === undefined ? '-' : 'x' + Buffer.from(b).toString('hex')

function readSpec (path) {
  const batches = []
  for (const line of fs.readFileSync(path, 'utf8').split('\n')) {
    const t = line.split(' ').filter(Boolean)
    if (!t.length) continue
    if (t[0] === 'batch') {
      batches.push({ codec: t[1], records: [] })
      continue
    }
    const headers = []
    for (let i = 5; i + 1 < t.length; i += 2) headers.push([unhex(t[i]).toString(), unhex(t[i + 1])])
    batches[batches.length - 1].records.push({
      partition: Number(t[1]), ts: Number(t[2]), key: unhex(t[3]), value: unhex(t[4]), headers
    })
  }
  return batches
}

function parseTopics (args) {
  const out = {}
  for (const a of args) {
    const [topic, counts] = a.split('=')
    out[topic] = counts.split(',').map(Number)
  }
  return out
}

// The records consumed until every partition reached its count.
class Collector {
  constructor (topics) {
    this.want = new Map()
    this.next = new Map()
    for (const [t, ns] of Object.entries(topics)) {
      ns.forEach((n, p) => { this.want.set(`${t}/${p}`, n); this.next.set(`${t}/${p}`, 0) })
    }
    this.lines = []
  }

  add (topic, partition, offset, ts, key, value, headers) {
    const k = `${topic}/${partition}`
    if (!this.want.has(k)) fail(`record from unexpected ${k}`)
    offset = Number(offset)
    if (offset < this.next.get(k)) return // a re-delivery
    if (offset !== this.next.get(k) || offset >= this.want.get(k)) fail(`${k}: offset ${offset} where ${this.next.get(k)} was next`)
    this.next.set(k, offset + 1)
    const hs = headers.map(([n, v]) => `${tohex(Buffer.from(n))} ${tohex(v)}`).join(' ')
    this.lines.push(`${topic} ${partition} ${offset} ${Number(ts)} ${tohex(key)} ${tohex(value)}${hs ? ' ' + hs : ''}\n`)
  }

  done () {
    for (const [k, n] of this.want) if (this.next.get(k) < n) return false
    return true
  }

  missing () {
    return [...this.want].filter(([k, n]) => this.next.get(k) < n).map(([k, n]) => `${k} ${this.next.get(k)}/${n}`).join(', ')
  }

  write (path) { fs.writeFileSync(path, this.lines.join('')) }
}

// Resolves once done() holds, polling; fails after WAIT_MS.
async function until (done, what) {
  const deadline = Date.now() + WAIT_MS
  while (!done()) {
    if (Date.now() > deadline) fail(`timed out: ${what()}`)
    await new Promise(resolve => setTimeout(resolve, 50))
  }
}

function main (commands) {
  const [cmd, ...args] = process.argv.slice(2)
  if (!commands[cmd]) {
    console.error(`usage: ${process.argv[1]} ${Object.keys(commands).join('|')} ARGS...`)
    process.exit(2)
  }
  commands[cmd](args).then(() => process.exit(0), e => { console.error(e); process.exit(1) })
}

module.exports = { FACTOR, WAIT_MS, StepFailed, fail, step, runStep, unhex, tohex, readSpec, parseTopics, Collector, until, main }
