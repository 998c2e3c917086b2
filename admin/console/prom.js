// A parser for the Prometheus text exposition format (version 0.0.4), enough
// for kelpd's GET /metrics: samples with labels, comments and HELP/TYPE
// lines skipped, optional timestamps ignored.

function parseValue(text) {
  switch (text) {
    case '+Inf': return Infinity;
    case '-Inf': return -Infinity;
    case 'NaN': return NaN;
    default: return Number(text);
  }
}

// Reads `{a="x",b="y"}` starting at text[i] === '{'; returns [labels, next index].
function parseLabels(text, i) {
  const labels = {};
  i++;
  while (i < text.length) {
    while (text[i] === ' ' || text[i] === ',') i++;
    if (text[i] === '}') return [labels, i + 1];
    const eq = text.indexOf('=', i);
    if (eq < 0) throw new Error('label without a value');
    const name = text.slice(i, eq).trim();
    i = eq + 1;
    if (text[i] !== '"') throw new Error('label value is not quoted');
    i++;
    let value = '';
    while (i < text.length && text[i] !== '"') {
      if (text[i] === '\\' && i + 1 < text.length) {
        const c = text[i + 1];
        value += c === 'n' ? '\n' : c;
        i += 2;
      } else {
        value += text[i++];
      }
    }
    if (text[i] !== '"') throw new Error('unterminated label value');
    labels[name] = value;
    i++;
  }
  throw new Error('unterminated label set');
}

// Returns a Map of metric name -> array of {labels, value}.
export function parsePrometheus(text) {
  const metrics = new Map();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line[0] === '#') continue;
    let i = 0;
    while (i < line.length && line[i] !== '{' && line[i] !== ' ' && line[i] !== '\t') i++;
    const name = line.slice(0, i);
    let labels = {};
    try {
      if (line[i] === '{') [labels, i] = parseLabels(line, i);
    } catch {
      continue; // one malformed line should not hide the others
    }
    const fields = line.slice(i).trim().split(/\s+/);
    if (!name || fields.length === 0 || fields[0] === '') continue;
    const value = parseValue(fields[0]);
    if (!metrics.has(name)) metrics.set(name, []);
    metrics.get(name).push({ labels, value });
  }
  return metrics;
}

// The sum of a metric's samples whose labels match `where` (all when empty).
export function sumMetric(metrics, name, where = {}) {
  const samples = metrics.get(name);
  if (!samples) return null;
  let total = 0;
  for (const s of samples) {
    if (Object.entries(where).every(([k, v]) => s.labels[k] === v)) total += s.value;
  }
  return total;
}

// Groups a metric's samples by one label: Map of label value -> summed value.
export function byLabel(metrics, name, label) {
  const out = new Map();
  for (const s of metrics.get(name) || []) {
    const key = s.labels[label] ?? '';
    out.set(key, (out.get(key) || 0) + s.value);
  }
  return out;
}

// Per-second rates of counters between two scrapes. Keys are label values
// (e.g. topic names); a counter that went down (kelpd restarted) counts
// from zero rather than showing a negative rate.
export function counterRates(prev, cur, seconds) {
  const out = new Map();
  if (!prev || seconds <= 0) return out;
  for (const [key, value] of cur) {
    const before = prev.get(key);
    if (before === undefined) continue;
    const delta = value >= before ? value - before : value;
    out.set(key, delta / seconds);
  }
  return out;
}
