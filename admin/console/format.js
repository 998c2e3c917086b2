// Number formatting shared by the views.

const intFormat = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const oneDecimal = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1, minimumFractionDigits: 0 });

// 1234567 -> "1,234,567"; missing values show as a dash.
export function formatInt(n) {
  if (n === null || n === undefined || Number.isNaN(n)) return '—';
  return intFormat.format(n);
}

const byteUnits = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

// Binary units: 1536 -> "1.5 KiB".
export function formatBytes(n) {
  if (n === null || n === undefined || Number.isNaN(n)) return '—';
  let v = Math.abs(n);
  let u = 0;
  while (v >= 1024 && u < byteUnits.length - 1) {
    v /= 1024;
    u++;
  }
  const text = u === 0 ? intFormat.format(v) : v >= 100 ? intFormat.format(v) : oneDecimal.format(v);
  return (n < 0 ? '-' : '') + text + ' ' + byteUnits[u];
}

export function formatByteRate(n) {
  return formatBytes(n) + '/s';
}

// Rates below 10/s keep a decimal so a slow trickle does not read as zero.
export function formatRate(n) {
  if (n === null || n === undefined || Number.isNaN(n)) return '—';
  return (Math.abs(n) < 10 ? oneDecimal.format(n) : intFormat.format(n)) + '/s';
}

// Seconds -> "3d 4h", "5h 12m", "7m 3s", "42s".
export function formatDuration(seconds) {
  if (seconds === null || seconds === undefined || Number.isNaN(seconds) || seconds < 0) return '—';
  const s = Math.floor(seconds);
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m ${s % 60}s`;
  return `${s}s`;
}

// Milliseconds since the epoch -> local date and time, "—" when absent.
export function formatTime(ms) {
  if (!ms || ms < 0) return '—';
  return new Date(ms).toLocaleString('en-GB', { hour12: false });
}
