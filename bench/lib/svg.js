/**
 * A small line-chart writer for the benchmark plots (SVG 1.1, no dependencies): one or more
 * panels in rows, each with a log or linear x axis, a linear y axis from 0 (or log with logY), one polyline
 * with point markers per series and a legend. Values that are not finite are skipped.
 *
 *   svgCharts([{ title, xLabel, yLabel, logX: true, series: [{ name, points: [[x, y], ...] }] }])
 */
'use strict';

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b'];
const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const fmt = (v) => {
  const a = Math.abs(v);
  if (a >= 1e6) return `${+(v / 1e6).toPrecision(3)}M`;
  if (a >= 1e3) return `${+(v / 1e3).toPrecision(3)}k`;
  return String(+v.toPrecision(3));
};

/** Round-ish ticks from 0 to at least max. */
function linTicks(max) {
  if (!(max > 0)) return [0, 1];
  const raw = max / 5;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out = [];
  for (let v = 0; v < max + step * 0.999; v += step) out.push(+v.toPrecision(12));
  return out;
}

function panel(p, ox, oy, W, H) {
  const m = { l: 62, r: 14, t: 30, b: 44 };
  const iw = W - m.l - m.r;
  const ih = H - m.t - m.b;
  const pts = p.series.flatMap((s) => s.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y) && (!p.logX || x > 0) && (!p.logY || y > 0));
  const xs = pts.map(([x]) => x);
  const xmin = xs.length ? Math.min(...xs) : 1;
  const xmax = xs.length ? Math.max(...xs) : 10;
  const ys = pts.map(([, y]) => y).filter((y) => !p.logY || y > 0);
  let yt;
  if (p.logY) {
    const lo = Math.floor(Math.log10(ys.length ? Math.min(...ys) : 1));
    const hi = Math.ceil(Math.log10(ys.length ? Math.max(...ys) : 10));
    yt = [];
    for (let e = lo; e <= Math.max(hi, lo + 1); e++) yt.push(10 ** e);
  } else yt = linTicks(ys.length ? Math.max(...ys) : 1);
  const ymin = p.logY ? yt[0] : 0;
  const ymax = yt[yt.length - 1] || 1;
  const ly = (y) => (p.logY ? Math.log10(y) : y);
  const lx = (x) => (p.logX ? Math.log10(x) : x);
  const span = lx(xmax) - lx(xmin) || 1;
  const X = (x) => ox + m.l + ((lx(x) - lx(xmin)) / span) * iw;
  const Y = (y) => oy + m.t + ih - ((ly(y) - ly(ymin)) / (ly(ymax) - ly(ymin) || 1)) * ih;
  const out = [];
  out.push(`<text x="${ox + W / 2}" y="${oy + 18}" text-anchor="middle" font-weight="bold">${esc(p.title)}</text>`);
  out.push(`<rect x="${ox + m.l}" y="${oy + m.t}" width="${iw}" height="${ih}" fill="none" stroke="#999"/>`);
  for (const v of yt) {
    out.push(`<line x1="${ox + m.l}" x2="${ox + m.l + iw}" y1="${Y(v).toFixed(1)}" y2="${Y(v).toFixed(1)}" stroke="#eee"/>`);
    out.push(`<text x="${ox + m.l - 5}" y="${(Y(v) + 4).toFixed(1)}" text-anchor="end">${fmt(v)}</text>`);
  }
  const xticks = [...new Set(xs)].sort((a, b) => a - b);
  for (const v of xticks) out.push(`<text x="${X(v).toFixed(1)}" y="${oy + m.t + ih + 16}" text-anchor="middle">${fmt(v)}</text>`);
  out.push(`<text x="${ox + m.l + iw / 2}" y="${oy + H - 8}" text-anchor="middle">${esc(p.xLabel)}${p.logX ? ' (log)' : ''}</text>`);
  out.push(`<text transform="translate(${ox + 14},${oy + m.t + ih / 2}) rotate(-90)" text-anchor="middle">${esc(p.yLabel)}${p.logY ? ' (log)' : ''}</text>`);
  p.series.forEach((s, i) => {
    const c = s.color || COLORS[i % COLORS.length];
    const sp = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y) && (!p.logX || x > 0) && (!p.logY || y > 0));
    if (sp.length > 1) out.push(`<polyline fill="none" stroke="${c}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5,3"' : ''} points="${sp.map(([x, y]) => `${X(x).toFixed(1)},${Y(y).toFixed(1)}`).join(' ')}"/>`);
    for (const [x, y] of sp) out.push(`<circle cx="${X(x).toFixed(1)}" cy="${Y(y).toFixed(1)}" r="3" fill="${c}"><title>${esc(`${s.name}: ${fmt(x)} -> ${fmt(y)}`)}</title></circle>`);
    const ly = oy + m.t + 14 + i * 15;
    out.push(`<line x1="${ox + m.l + 8}" x2="${ox + m.l + 26}" y1="${ly - 4}" y2="${ly - 4}" stroke="${c}" stroke-width="2"/>`);
    out.push(`<text x="${ox + m.l + 30}" y="${ly}">${esc(s.name)}</text>`);
  });
  return out.join('\n');
}

/** SVG text of the panels laid out in rows of `columns` (each panel `width` x `height`). */
function svgCharts(panels, { width = 420, height = 300, columns = panels.length } = {}) {
  const cols = Math.max(1, Math.min(columns, panels.length));
  const W = width * cols;
  const H = height * Math.ceil(panels.length / cols);
  const body = panels.map((p, i) => panel(p, (i % cols) * width, Math.floor(i / cols) * height, width, height)).join('\n');
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">\n` +
    `<rect width="100%" height="100%" fill="white"/>\n${body}\n</svg>\n`
  );
}

module.exports = { svgCharts, linTicks };
