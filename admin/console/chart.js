// A small time-series line chart drawn on a <canvas>: a rolling window of
// points per series, an autoscaled y axis with formatted ticks and a legend.

export class LineChart {
  // series: [{name, color}]; format: y value -> tick label.
  // floor: the least top of the y axis, so an idle chart keeps readable ticks;
  // binary: ticks at round multiples of 1024 (for bytes).
  constructor(canvas, { series, format, windowSeconds = 60, floor = 1, binary = false }) {
    this.canvas = canvas;
    this.floor = floor;
    this.binary = binary;
    this.series = series;
    this.format = format;
    this.windowMs = windowSeconds * 1000;
    this.points = []; // {t, values: [...]} oldest first
    this.message = null;
  }

  push(t, values) {
    this.points.push({ t, values });
    const oldest = t - this.windowMs;
    while (this.points.length > 2 && this.points[0].t < oldest) this.points.shift();
    this.message = null;
    this.draw();
  }

  // A text drawn instead of the lines (e.g. "metrics unavailable").
  showMessage(text) {
    this.message = text;
    this.draw();
  }

  latest() {
    return this.points.length ? this.points[this.points.length - 1].values : null;
  }

  draw() {
    const canvas = this.canvas;
    const ratio = window.devicePixelRatio || 1;
    const width = canvas.clientWidth || 600;
    const height = canvas.clientHeight || 220;
    // Size the backing store to the displayed size so lines stay sharp.
    if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
      canvas.width = Math.round(width * ratio);
      canvas.height = Math.round(height * ratio);
    }
    const ctx = canvas.getContext('2d');
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, width, height);
    const style = getComputedStyle(canvas);
    const ink = style.getPropertyValue('--chart-ink').trim() || '#445';
    const grid = style.getPropertyValue('--chart-grid').trim() || '#e4e7ee';
    ctx.font = '12px system-ui, sans-serif';

    const left = 78;
    const right = 12;
    const top = 28;
    const bottom = 24;
    const plotW = width - left - right;
    const plotH = height - top - bottom;

    this.drawLegend(ctx, left, ink);

    if (this.message) {
      ctx.fillStyle = ink;
      ctx.textAlign = 'center';
      ctx.textBaseline = 'middle';
      ctx.fillText(this.message, left + plotW / 2, top + plotH / 2);
      return;
    }

    let max = 0;
    for (const p of this.points) for (const v of p.values) if (Number.isFinite(v) && v > max) max = v;
    const yMax = niceCeiling(Math.max(max, this.floor), this.binary);
    const now = this.points.length ? this.points[this.points.length - 1].t : Date.now();
    const tMin = now - this.windowMs;
    const x = (t) => left + ((t - tMin) / this.windowMs) * plotW;
    const y = (v) => top + plotH - (v / yMax) * plotH;

    // Grid and y ticks.
    ctx.strokeStyle = grid;
    ctx.fillStyle = ink;
    ctx.lineWidth = 1;
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    const ticks = 4;
    for (let i = 0; i <= ticks; i++) {
      const v = (yMax / ticks) * i;
      const yy = Math.round(y(v)) + 0.5;
      ctx.beginPath();
      ctx.moveTo(left, yy);
      ctx.lineTo(left + plotW, yy);
      ctx.stroke();
      ctx.fillText(this.format(v), left - 8, yy);
    }
    // x labels: seconds ago.
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    const span = this.windowMs / 1000;
    for (let s = 0; s <= span; s += span / 4) {
      ctx.fillText(s === 0 ? 'now' : `-${s}s`, x(now - s * 1000), top + plotH + 6);
    }

    // Lines.
    ctx.lineWidth = 2;
    ctx.lineJoin = 'round';
    this.series.forEach((serie, idx) => {
      ctx.strokeStyle = serie.color;
      ctx.beginPath();
      let started = false;
      for (const p of this.points) {
        const v = p.values[idx];
        if (!Number.isFinite(v)) {
          started = false;
          continue;
        }
        if (started) ctx.lineTo(x(p.t), y(v));
        else ctx.moveTo(x(p.t), y(v));
        started = true;
      }
      ctx.stroke();
    });
  }

  drawLegend(ctx, left, ink) {
    let lx = left;
    ctx.textAlign = 'left';
    ctx.textBaseline = 'middle';
    const latest = this.latest();
    this.series.forEach((serie, idx) => {
      ctx.fillStyle = serie.color;
      ctx.fillRect(lx, 8, 12, 12);
      ctx.fillStyle = ink;
      const value = latest && !this.message ? `  ${this.format(latest[idx])}` : '';
      const label = `${serie.name}${value}`;
      ctx.fillText(label, lx + 18, 14);
      lx += 18 + ctx.measureText(label).width + 24;
    });
  }
}

// The smallest 1, 2 or 5 times a power of ten at or above v (1 for 0); with
// binary, of v counted in its binary unit (KiB, MiB, ...).
function niceCeiling(v, binary = false) {
  if (!(v > 0)) return 1;
  if (binary && v >= 1024) {
    const unit = Math.pow(1024, Math.floor(Math.log(v) / Math.log(1024)));
    return niceCeiling(v / unit) * unit;
  }
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 5, 10]) if (v <= m * p) return m * p;
  return 10 * p;
}
