// Kelp console: one page with four views chosen by the URL hash. The admin
// JSON routes are read every few seconds, GET /metrics every second (for
// the throughput rates). Elements tests look at carry ids and data-*
// attributes holding raw numbers next to the formatted text.
import { ApiError, getJson, getMetricsText } from './api.js';
import { LineChart } from './chart.js';
import { formatByteRate, formatBytes, formatDuration, formatInt, formatRate, formatTime } from './format.js';
import { byLabel, counterRates, parsePrometheus, sumMetric } from './prom.js';

const API_INTERVAL_MS = 3000;
const METRICS_INTERVAL_MS = 1000;
const VIEWS = ['overview', 'topics', 'groups', 'throughput'];

const COUNTERS = {
  bytesIn: 'kelp_topic_bytes_in_total',
  bytesOut: 'kelp_topic_bytes_out_total',
  recordsIn: 'kelp_topic_records_in_total',
  recordsOut: 'kelp_topic_records_out_total',
};

const state = {
  config: null,
  topics: [], // each with .detail from GET /v1/topics/<name> (or null)
  groups: [], // each with .detail from GET /v1/groups/<id> (or null)
  metrics: null, // the last scrape (Map), null when /metrics is missing
  metricsState: 'pending',
  scrape: null, // {t, counters: {bytesIn: Map topic -> value, ...}}
  rates: null, // {bytesIn: Map topic -> per second, ...}
  open: new Set(), // expanded rows, kept across refreshes
  errors: new Map(), // source -> message shown in the banner
};

const $ = (sel) => document.querySelector(sel);

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null) continue;
    if (k === 'class') node.className = v;
    else if (k.startsWith('data-')) node.setAttribute(k, String(v));
    else node[k] = v;
  }
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}

// ---- errors ---------------------------------------------------------------

function setError(source, err) {
  if (err) {
    let text = err.message || String(err);
    if (err instanceof ApiError && err.status === 401) {
      text += '. The console needs admin_auth basic_users (or no admin_auth): a browser cannot send a bearer token.';
    }
    state.errors.set(source, text);
  } else {
    state.errors.delete(source);
  }
  const banner = $('#error-banner');
  if (state.errors.size === 0) {
    banner.hidden = true;
    banner.textContent = '';
    return;
  }
  banner.hidden = false;
  banner.textContent = 'Admin API error: ' + [...state.errors.values()].join(' · ');
}

// ---- data -----------------------------------------------------------------

async function refreshApi() {
  try {
    const [config, topicList, groupList] = await Promise.all([
      getJson('/v1/config'),
      getJson('/v1/topics'),
      getJson('/v1/groups'),
    ]);
    // Details per topic and group; one that vanished in between is skipped.
    const topics = await Promise.all(
      (topicList.topics || []).map(async (t) => ({
        ...t,
        detail: await getJson('/v1/topics/' + encodeURIComponent(t.name)).catch(() => null),
      })),
    );
    const groups = await Promise.all(
      (groupList.groups || []).map(async (g) => ({
        ...g,
        detail: await getJson('/v1/groups/' + encodeURIComponent(g.group_id)).catch(() => null),
      })),
    );
    topics.sort((a, b) => a.name.localeCompare(b.name));
    groups.sort((a, b) => a.group_id.localeCompare(b.group_id));
    state.config = config;
    state.topics = topics;
    state.groups = groups;
    setError('api', null);
    document.body.dataset.loaded = 'true';
    $('#refreshed').textContent = 'updated ' + new Date().toLocaleTimeString('en-GB', { hour12: false });
    renderOverview();
    renderTopics();
    renderGroups();
  } catch (err) {
    setError('api', err);
  }
}

async function refreshMetrics() {
  let text;
  try {
    text = await getMetricsText();
  } catch (err) {
    state.metricsState = 'error';
    setError('metrics', err);
    renderMetricsState(err.message);
    return;
  }
  setError('metrics', null);
  if (text === null) {
    state.metrics = null;
    state.metricsState = 'unavailable';
    renderMetricsState();
    return;
  }
  const metrics = parsePrometheus(text);
  const t = performance.now();
  const counters = {};
  for (const [key, name] of Object.entries(COUNTERS)) counters[key] = byLabel(metrics, name, 'topic');
  const prev = state.scrape;
  if (prev) {
    const seconds = (t - prev.t) / 1000;
    const rates = {};
    for (const key of Object.keys(COUNTERS)) rates[key] = counterRates(prev.counters[key], counters[key], seconds);
    state.rates = rates;
  }
  state.scrape = { t, counters };
  state.metrics = metrics;
  state.metricsState = 'ok';
  document.body.dataset.metricsScrapes = String(Number(document.body.dataset.metricsScrapes || 0) + 1);
  renderMetricsState();
  renderThroughput();
  renderOverview();
  renderTopicRates();
}

// ---- lag --------------------------------------------------------------------

// End offsets by "topic/partition" from the topic details.
function endOffsets() {
  const ends = new Map();
  for (const t of state.topics) {
    for (const p of t.detail?.partitions || []) ends.set(`${t.name}/${p.partition}`, p.log_end_offset);
  }
  return ends;
}

// Per-partition lag of a group: the end offset minus the committed offset.
// Without offsets in the JSON, kelp_group_lag from /metrics is used.
function groupLag(group, ends) {
  const offsets = group.detail?.offsets;
  if (Array.isArray(offsets) && offsets.length > 0) {
    const parts = offsets.map((o) => {
      const end = ends.get(`${o.topic}/${o.partition}`) ?? o.high_watermark;
      let lag = null;
      if (Number.isFinite(end) && Number.isFinite(o.committed_offset)) {
        lag = o.committed_offset >= 0 ? Math.max(0, end - o.committed_offset) : end;
      }
      return { ...o, end, lag };
    });
    const total = parts.reduce((sum, p) => sum + (p.lag ?? 0), 0);
    return { total, parts };
  }
  if (state.metrics) {
    const total = sumMetric(state.metrics, 'kelp_group_lag', { group: group.group_id });
    if (total !== null) return { total, parts: [] };
  }
  return { total: null, parts: [] };
}

// ---- views ------------------------------------------------------------------

function setValue(sel, value, text) {
  const node = $(sel);
  node.dataset.value = value === null || value === undefined ? '' : String(value);
  node.textContent = text;
}

function metricSamples(name) {
  return state.metrics?.get(name) || [];
}

function renderOverview() {
  const cfg = state.config;
  if (cfg) {
    const listen = cfg.listen || '';
    const port = listen.slice(listen.lastIndexOf(':') + 1);
    const broker = cfg.advertised_host ? `${cfg.advertised_host}:${port}` : listen;
    $('#ov-broker').textContent = broker || '—';
    $('#ov-broker').dataset.value = broker;
    // Port 0 in the configuration: the kernel chose one when kelpd started.
    const note = port === '0' ? ' · ephemeral port' : '';
    $('#ov-node').textContent = `node id ${cfg.node_id ?? '—'}${note} · admin ${location.host}`;
  }
  const partitions = state.topics.reduce((n, t) => n + (t.partitions || 0), 0);
  const size = state.topics.reduce((n, t) => n + (t.size_bytes || 0), 0);
  const records = state.topics.reduce((n, t) => n + (t.offset_span || 0), 0);
  setValue('#ov-topics', state.topics.length, formatInt(state.topics.length));
  setValue('#ov-partitions', partitions, formatInt(partitions));
  setValue('#ov-groups', state.groups.length, formatInt(state.groups.length));
  $('#ov-size').textContent = formatBytes(size);
  $('#ov-records').textContent = formatInt(records);
  const states = new Map();
  for (const g of state.groups) states.set(g.state, (states.get(g.state) || 0) + 1);
  $('#ov-group-states').textContent =
    states.size === 0 ? 'none' : [...states].map(([s, n]) => `${formatInt(n)} ${s}`).join(' · ');

  const version = metricSamples('kelp_build_info')[0]?.labels.version;
  $('#ov-version').textContent = version || '—';
  const connections = state.metrics ? sumMetric(state.metrics, 'kelp_connections') : null;
  setValue('#ov-connections', connections, formatInt(connections));
  // Uptime only when kelpd exports it (either way of saying it).
  let uptime = null;
  const up = state.metrics ? sumMetric(state.metrics, 'kelp_uptime_seconds') : null;
  const started = state.metrics ? sumMetric(state.metrics, 'process_start_time_seconds') : null;
  if (up !== null) uptime = up;
  else if (started) uptime = Date.now() / 1000 - started;
  $('#ov-uptime').textContent = formatDuration(uptime);
  $('#ov-uptime-label').hidden = uptime === null;

  const total = (key) => (state.rates ? [...state.rates[key].values()].reduce((a, b) => a + b, 0) : null);
  $('#ov-bytes-in').textContent = state.rates ? formatByteRate(total('bytesIn')) : '—';
  $('#ov-bytes-out').textContent = state.rates ? formatByteRate(total('bytesOut')) : '—';
  $('#ov-records-in').textContent = formatRate(total('recordsIn'));
  $('#ov-records-out').textContent = formatRate(total('recordsOut'));
}

// A clickable row and its hidden detail row, open state kept by key.
function expandable(tbody, key, row, detail, columns) {
  row.classList.add('expandable');
  const detailRow = el('tr', { class: 'detail' }, el('td', { colSpan: columns }, detail));
  detailRow.hidden = !state.open.has(key);
  row.classList.toggle('open', state.open.has(key));
  row.addEventListener('click', () => {
    if (state.open.has(key)) state.open.delete(key);
    else state.open.add(key);
    detailRow.hidden = !state.open.has(key);
    row.classList.toggle('open', state.open.has(key));
  });
  tbody.append(row, detailRow);
}

function renderTopics() {
  const tbody = $('#topics-table tbody');
  tbody.replaceChildren();
  $('#topics-empty').hidden = state.topics.length > 0;
  for (const t of state.topics) {
    const parts = t.detail?.partitions || [];
    const start = parts.reduce((n, p) => n + p.log_start_offset, 0);
    const end = parts.reduce((n, p) => n + p.log_end_offset, 0);
    const row = el(
      'tr',
      {
        'data-topic': t.name,
        'data-partitions': t.partitions,
        'data-size-bytes': t.size_bytes,
        'data-end-offsets': t.detail ? end : '',
      },
      el('td', {}, t.name),
      el('td', { class: 'num' }, formatInt(t.partitions)),
      el('td', { class: 'num', title: `${formatInt(t.size_bytes)} bytes` }, formatBytes(t.size_bytes)),
      el('td', { class: 'num' }, t.detail ? formatInt(start) : '—'),
      el('td', { class: 'num', 'data-field': 'end-offsets' }, t.detail ? formatInt(end) : '—'),
      el('td', { class: 'num' }, formatInt(t.offset_span)),
      el('td', { class: 'num', 'data-rate': 'bytes-in' }, '—'),
      el('td', { class: 'num', 'data-rate': 'bytes-out' }, '—'),
    );
    const inner = el(
      'table',
      { class: 'inner' },
      el(
        'thead',
        {},
        el('tr', {}, ...['Partition', 'Start offset', 'High watermark', 'End offset', 'Size'].map((h, i) =>
          el('th', { class: i ? 'num' : '' }, h))),
      ),
      el(
        'tbody',
        {},
        ...parts.map((p) =>
          el(
            'tr',
            { 'data-topic-partition': `${t.name}/${p.partition}`, 'data-log-end-offset': p.log_end_offset },
            el('td', {}, String(p.partition)),
            el('td', { class: 'num' }, formatInt(p.log_start_offset)),
            el('td', { class: 'num' }, formatInt(p.high_watermark)),
            el('td', { class: 'num' }, formatInt(p.log_end_offset)),
            el('td', { class: 'num' }, formatBytes(p.size_bytes)),
          )),
      ),
    );
    expandable(tbody, 'topic:' + t.name, row, inner, 8);
  }
  renderTopicRates();
}

function renderTopicRates() {
  for (const row of document.querySelectorAll('#topics-table tr[data-topic]')) {
    const topic = row.dataset.topic;
    const cell = (k) => row.querySelector(`[data-rate="${k}"]`);
    if (!state.rates) continue;
    cell('bytes-in').textContent = formatByteRate(state.rates.bytesIn.get(topic) ?? 0);
    cell('bytes-out').textContent = formatByteRate(state.rates.bytesOut.get(topic) ?? 0);
  }
}

function renderGroups() {
  const tbody = $('#groups-table tbody');
  tbody.replaceChildren();
  $('#groups-empty').hidden = state.groups.length > 0;
  const ends = endOffsets();
  for (const g of state.groups) {
    const lag = groupLag(g, ends);
    const members = g.detail?.members || [];
    const row = el(
      'tr',
      {
        'data-group': g.group_id,
        'data-state': g.state,
        'data-members': g.member_count,
        'data-lag': lag.total ?? '',
      },
      el('td', {}, g.group_id),
      el('td', {}, el('span', { class: `pill ${g.state}` }, g.state)),
      el('td', {}, [g.protocol_type, g.protocol].filter(Boolean).join(' / ') || '—'),
      el('td', { class: 'num' }, formatInt(g.generation)),
      el('td', { class: 'num' }, formatInt(g.member_count)),
      el('td', { class: `num${lag.total > 0 ? ' lag-high' : ''}`, 'data-field': 'lag' }, formatInt(lag.total)),
    );
    const memberTable = el(
      'table',
      { class: 'inner' },
      el('thead', {}, el('tr', {}, ...['Member', 'Client', 'Host', 'Assignment'].map((h) => el('th', {}, h)))),
      el(
        'tbody',
        {},
        ...(members.length
          ? members.map((m) =>
            el(
              'tr',
              { 'data-member': m.member_id ?? m.id ?? '' },
              el('td', {}, (m.member_id ?? m.id ?? '') + (m.leader ? ' (leader)' : '')),
              el('td', {}, m.client_id ?? '—'),
              el('td', {}, m.client_host ?? m.host ?? '—'),
              el('td', {}, assignmentText(m.assignment)),
            ))
          : [el('tr', {}, el('td', { colSpan: 4, class: 'muted' }, 'no members'))]),
      ),
    );
    const offsetTable = el(
      'table',
      { class: 'inner' },
      el('thead', {}, el('tr', {}, ...['Topic', 'Partition', 'Committed', 'End offset', 'Lag', 'Committed at'].map(
        (h, i) => el('th', { class: i >= 1 && i <= 4 ? 'num' : '' }, h)))),
      el(
        'tbody',
        {},
        ...lag.parts.map((p) =>
          el(
            'tr',
            { 'data-group-partition': `${g.group_id}/${p.topic}/${p.partition}`, 'data-lag': p.lag ?? '' },
            el('td', {}, p.topic),
            el('td', { class: 'num' }, String(p.partition)),
            el('td', { class: 'num' }, formatInt(p.committed_offset)),
            el('td', { class: 'num' }, formatInt(p.end)),
            el('td', { class: 'num' }, formatInt(p.lag)),
            el('td', {}, formatTime(p.committed_at)),
          )),
      ),
    );
    expandable(tbody, 'group:' + g.group_id, row, el('div', {}, el('h2', {}, 'Members'), memberTable,
      el('h2', {}, 'Committed offsets'), offsetTable), 6);
  }
}

function assignmentText(assignment) {
  if (!Array.isArray(assignment) || assignment.length === 0) return '—';
  return assignment.map((a) => `${a.topic} [${(a.partitions || []).join(', ')}]`).join('; ');
}

// ---- throughput ---------------------------------------------------------------

let bytesChart;
let recordsChart;

function renderMetricsState(detail) {
  const node = $('#metrics-status');
  node.dataset.state = state.metricsState;
  document.body.dataset.metrics = state.metricsState;
  if (state.metricsState === 'ok') {
    node.textContent = 'live from GET /metrics, every second';
    return;
  }
  const text = state.metricsState === 'unavailable'
    ? 'metrics unavailable: this kelpd has no GET /metrics'
    : `metrics unavailable${detail ? ': ' + detail : ''}`;
  node.textContent = text;
  bytesChart.showMessage('metrics unavailable');
  recordsChart.showMessage('metrics unavailable');
  $('#rates-table tbody').replaceChildren();
}

function renderThroughput() {
  if (!state.rates) return;
  const sum = (m) => [...m.values()].reduce((a, b) => a + b, 0);
  const r = state.rates;
  const now = Date.now();
  const totals = {
    bytesIn: sum(r.bytesIn), bytesOut: sum(r.bytesOut), recordsIn: sum(r.recordsIn), recordsOut: sum(r.recordsOut),
  };
  bytesChart.push(now, [totals.bytesIn, totals.bytesOut]);
  recordsChart.push(now, [totals.recordsIn, totals.recordsOut]);
  for (const [key, value] of Object.entries(totals)) $('#view-throughput').dataset[key + 'Rate'] = String(value);

  const topics = new Set([...r.bytesIn.keys(), ...r.bytesOut.keys(), ...r.recordsIn.keys(), ...r.recordsOut.keys()]);
  const tbody = $('#rates-table tbody');
  tbody.replaceChildren(
    ...[...topics].sort().map((topic) =>
      el(
        'tr',
        { 'data-topic': topic, 'data-bytes-in-rate': r.bytesIn.get(topic) ?? 0 },
        el('td', {}, topic),
        el('td', { class: 'num' }, formatByteRate(r.bytesIn.get(topic) ?? 0)),
        el('td', { class: 'num' }, formatByteRate(r.bytesOut.get(topic) ?? 0)),
        el('td', { class: 'num' }, formatRate(r.recordsIn.get(topic) ?? 0)),
        el('td', { class: 'num' }, formatRate(r.recordsOut.get(topic) ?? 0)),
      )),
  );
}

// ---- navigation -----------------------------------------------------------------

function showView() {
  const name = location.hash.replace(/^#/, '');
  const view = VIEWS.includes(name) ? name : 'overview';
  for (const v of VIEWS) $(`#view-${v}`).hidden = v !== view;
  for (const a of document.querySelectorAll('#nav a')) a.classList.toggle('active', a.dataset.nav === view);
  document.body.dataset.view = view;
  // A canvas hidden while drawn has no size: draw again once shown.
  if (view === 'throughput') {
    bytesChart.draw();
    recordsChart.draw();
  }
}

// Runs fn now and then every interval, never two at once.
function every(interval, fn) {
  const run = async () => {
    try {
      await fn();
    } finally {
      setTimeout(run, interval);
    }
  };
  run();
}

function start() {
  bytesChart = new LineChart($('#chart-bytes'), {
    series: [{ name: 'in', color: '#1f9d74' }, { name: 'out', color: '#3b6fd8' }],
    format: formatByteRate,
    floor: 1024,
    binary: true,
  });
  recordsChart = new LineChart($('#chart-records'), {
    series: [{ name: 'in', color: '#1f9d74' }, { name: 'out', color: '#3b6fd8' }],
    format: formatRate,
    floor: 10,
  });
  window.addEventListener('hashchange', showView);
  window.addEventListener('resize', () => {
    bytesChart.draw();
    recordsChart.draw();
  });
  showView();
  every(API_INTERVAL_MS, refreshApi);
  every(METRICS_INTERVAL_MS, refreshMetrics);
}

start();
