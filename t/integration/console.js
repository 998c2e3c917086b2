// Drives chromium through playwright-core against the console of a running
// kelpd (t/integration/console.sh prepares the data): node console.js PHASE
// with PHASE static | live | auth. KELP_CONSOLE_URL is the admin endpoint's
// base URL, KELP_WORK the directory for screenshots.
'use strict';
const fs = require('fs');
const path = require('path');
const { chromium } = require('playwright-core');

const BASE = process.env.KELP_CONSOLE_URL;
const WORK = process.env.KELP_WORK;
const VIEWPORT = { width: 1280, height: 800 };

function fail(message) {
  throw new Error(message);
}

function expectEqual(what, got, want) {
  if (String(got) !== String(want)) fail(`${what}: expected ${JSON.stringify(want)}, got ${JSON.stringify(got)}`);
  console.log(`console.js: ok: ${what} = ${JSON.stringify(got)}`);
}

// A screenshot must be a real PNG of the viewport's size with some content.
async function screenshot(page, name) {
  const file = path.join(WORK, name);
  await page.screenshot({ path: file });
  const png = fs.readFileSync(file);
  const signature = '89504e470d0a1a0a';
  if (png.subarray(0, 8).toString('hex') !== signature) fail(`${name} is not a PNG`);
  if (png.subarray(12, 16).toString('latin1') !== 'IHDR') fail(`${name} has no IHDR chunk first`);
  const width = png.readUInt32BE(16);
  const height = png.readUInt32BE(20);
  if (width !== VIEWPORT.width || height !== VIEWPORT.height) {
    fail(`${name} is ${width}x${height}, not ${VIEWPORT.width}x${VIEWPORT.height}`);
  }
  if (png.length <= 10 * 1024) fail(`${name} is only ${png.length} bytes: an empty page?`);
  console.log(`console.js: ok: ${name} ${width}x${height}, ${png.length} bytes`);
}

async function open(browser, options = {}) {
  const context = await browser.newContext({ viewport: VIEWPORT, ...options });
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (err) => page.errors.push(err.message));
  return page;
}

// Waits for the page's first complete load of the admin API.
async function loaded(page, hash) {
  await page.goto(`${BASE}/console/${hash}`);
  await page.waitForSelector('body[data-loaded="true"]', { timeout: 15000 });
}

const text = (page, sel) => page.$eval(sel, (n) => n.textContent.trim());
const attr = (page, sel, name) => page.$eval(sel, (n, a) => n.getAttribute(a), name);

function noPageErrors(page) {
  if (page.errors.length) fail(`JavaScript errors in the page: ${page.errors.join('; ')}`);
}

async function staticPhase(browser) {
  const page = await open(browser);

  // Topics with their partitions and offsets.
  await loaded(page, '#topics');
  expectEqual('topic rows', await page.$$eval('#topics-table tr[data-topic]', (rows) => rows.map((r) => r.dataset.topic).join(',')), 'audit,orders');
  expectEqual('orders name cell', await text(page, 'tr[data-topic="orders"] td:nth-child(1)'), 'orders');
  expectEqual('orders partitions', await text(page, 'tr[data-topic="orders"] td:nth-child(2)'), '3');
  expectEqual('audit partitions', await text(page, 'tr[data-topic="audit"] td:nth-child(2)'), '1');
  expectEqual('orders end offsets (shown)', await text(page, 'tr[data-topic="orders"] [data-field="end-offsets"]'), '1,000');
  expectEqual('orders end offsets', await attr(page, 'tr[data-topic="orders"]', 'data-end-offsets'), 1000);
  expectEqual('audit end offsets', await attr(page, 'tr[data-topic="audit"]', 'data-end-offsets'), 200);
  const ends = await page.$$eval('tr[data-topic-partition^="orders/"]', (rows) =>
    rows.map((r) => Number(r.dataset.logEndOffset)));
  expectEqual('orders partition rows', ends.length, 3);
  expectEqual('orders partition end offsets sum', ends.reduce((a, b) => a + b, 0), 1000);
  if (ends.some((e) => e === 0)) fail(`keyed records should reach every partition: ${ends}`);
  await page.click('tr[data-topic="orders"]');
  if (!(await page.isVisible('tr[data-topic-partition="orders/0"]'))) fail('clicking orders shows no partitions');
  await screenshot(page, 'console-topics.png');

  // Consumer groups and lag.
  await page.click('a[data-nav="groups"]');
  await page.waitForSelector('#view-groups:not([hidden])');
  expectEqual('group rows', await page.$$eval('#groups-table tr[data-group]', (rows) => rows.map((r) => r.dataset.group).join(',')), 'billing');
  expectEqual('billing lag', await attr(page, 'tr[data-group="billing"]', 'data-lag'), 150);
  expectEqual('billing lag (shown)', await text(page, 'tr[data-group="billing"] [data-field="lag"]'), '150');
  expectEqual('billing state', await attr(page, 'tr[data-group="billing"]', 'data-state'), 'Empty');
  expectEqual('billing members', await attr(page, 'tr[data-group="billing"]', 'data-members'), 0);
  expectEqual('billing audit/0 lag', await attr(page, 'tr[data-group-partition="billing/audit/0"]', 'data-lag'), 150);
  await page.click('tr[data-group="billing"]');
  await screenshot(page, 'console-groups.png');

  // The overview's counts.
  await page.click('a[data-nav="overview"]');
  await page.waitForSelector('#view-overview:not([hidden])');
  expectEqual('overview topics', await text(page, '#ov-topics'), '2');
  expectEqual('overview partitions', await text(page, '#ov-partitions'), '4');
  expectEqual('overview groups', await text(page, '#ov-groups'), '1');
  expectEqual('overview records', await text(page, '#ov-records'), '1,200');
  const config = await (await page.request.get(`${BASE}/v1/config`)).json();
  expectEqual('overview broker', await text(page, '#ov-broker'), config.listen);
  await page.waitForFunction(() => document.querySelector('#ov-version').textContent !== '—', null, { timeout: 5000 });
  const version = await text(page, '#ov-version');
  if (!/^\d+\.\d+/.test(version)) fail(`overview version ${version}`);
  const connections = await attr(page, '#ov-connections', 'data-value');
  if (connections === '' || !(Number(connections) >= 0)) fail(`overview connections ${connections}`);
  if (!(await page.isHidden('#error-banner'))) fail(`error banner shown: ${await text(page, '#error-banner')}`);
  await screenshot(page, 'console-overview.png');
  noPageErrors(page);

  // A failing admin API shows the banner; a missing /metrics says so.
  const broken = await open(browser);
  await broken.route('**/v1/topics', (route) =>
    route.fulfill({ status: 500, contentType: 'application/json', body: '{"error":"disk on fire"}' }));
  await broken.route('**/metrics', (route) =>
    route.fulfill({ status: 404, contentType: 'application/json', body: '{"error":"no such endpoint"}' }));
  await broken.goto(`${BASE}/console/#throughput`);
  await broken.waitForSelector('#error-banner:not([hidden])', { timeout: 10000 });
  const banner = await text(broken, '#error-banner');
  if (!banner.includes('/v1/topics') || !banner.includes('HTTP 500') || !banner.includes('disk on fire')) {
    fail(`error banner says: ${banner}`);
  }
  console.log(`console.js: ok: error banner: ${banner}`);
  await broken.waitForSelector('#metrics-status[data-state="unavailable"]', { timeout: 10000 });
  const status = await text(broken, '#metrics-status');
  if (!status.includes('metrics unavailable')) fail(`metrics status says: ${status}`);
  console.log(`console.js: ok: without /metrics: ${status}`);
  noPageErrors(broken);
}

async function livePhase(browser) {
  const page = await open(browser);
  await loaded(page, '#throughput');
  await page.waitForSelector('#metrics-status[data-state="ok"]', { timeout: 10000 });
  // Rates need two scrapes a second apart, and the producer some time.
  await page.waitForFunction(() => {
    const d = document.querySelector('#view-throughput').dataset;
    return Number(d.bytesInRate) > 0 && Number(d.recordsInRate) > 0 &&
      Number(d.bytesOutRate) > 0 && Number(d.recordsOutRate) > 0;
  }, null, { timeout: 30000, polling: 250 });
  const d = await page.$eval('#view-throughput', (n) => ({ ...n.dataset }));
  console.log(`console.js: ok: cluster rates ${JSON.stringify(d)}`);
  await page.waitForFunction(() => Number(document.querySelector('#rates-table tr[data-topic="orders"]')?.dataset.bytesInRate) > 0,
    null, { timeout: 10000 });
  console.log('console.js: ok: orders has a non-zero bytes-in rate');
  // A few more points so the lines show in the screenshot.
  await page.waitForFunction(() => Number(document.body.dataset.metricsScrapes) >= 8, null, { timeout: 20000 });
  await screenshot(page, 'console-throughput.png');

  // The live consumer is a member of its group; its connections count.
  await page.click('a[data-nav="groups"]');
  await page.waitForSelector('tr[data-group="live-readers"][data-members="1"]', { timeout: 30000 });
  console.log('console.js: ok: live-readers has 1 member');
  await page.click('a[data-nav="overview"]');
  await page.waitForFunction(() => Number(document.querySelector('#ov-connections').dataset.value) >= 1, null, { timeout: 10000 });
  console.log(`console.js: ok: overview connections ${await attr(page, '#ov-connections', 'data-value')}`);
  noPageErrors(page);
}

async function authPhase(browser) {
  // Without credentials chromium gets the 401 and then gives the
  // navigation up (ERR_INVALID_AUTH_CREDENTIALS): look at the response.
  const anonymous = await open(browser);
  const statuses = [];
  anonymous.on('response', (r) => {
    if (new URL(r.url()).pathname === '/console/') statuses.push(r.status());
  });
  const refused = await anonymous.goto(`${BASE}/console/`).catch((err) => err);
  expectEqual('GET /console/ without credentials', statuses.join(','), '401');
  if (!(refused instanceof Error) && refused.status() !== 401) fail(`the page loaded: ${refused.status()}`);

  const page = await open(browser, {
    httpCredentials: { username: process.env.KELP_CONSOLE_USER, password: process.env.KELP_CONSOLE_PASSWORD },
  });
  const response = await page.goto(`${BASE}/console/#topics`);
  expectEqual('GET /console/ with Basic credentials', response.status(), 200);
  await page.waitForSelector('body[data-loaded="true"]', { timeout: 15000 });
  expectEqual('orders partitions with auth', await text(page, 'tr[data-topic="orders"] td:nth-child(2)'), '3');
  await page.waitForSelector('#metrics-status[data-state="ok"]', { state: 'attached', timeout: 10000 });
  if (!(await page.isHidden('#error-banner'))) fail(`error banner with auth: ${await text(page, '#error-banner')}`);
  await screenshot(page, 'console-auth.png');
  noPageErrors(page);
}

const phases = { static: staticPhase, live: livePhase, auth: authPhase };

async function main() {
  const phase = phases[process.argv[2]];
  if (!phase || !BASE || !WORK) {
    console.error('usage: KELP_CONSOLE_URL=http://HOST:PORT KELP_WORK=DIR node console.js static|live|auth');
    process.exit(2);
  }
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox'] });
  try {
    await phase(browser);
  } finally {
    await browser.close();
  }
}

main().catch((err) => {
  console.error(`console.js: FAIL: ${err.message}`);
  process.exit(1);
});
