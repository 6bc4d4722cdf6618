/**
 * The accuracy-vs-throughput plot of a MIMOConv model's operating points: superposing n
 * inputs per forward pass multiplies images/s by about n and costs some accuracy, so each
 * model is a polyline from n=1 (slow, most accurate) towards larger n. Pure: series in,
 * SVG text out, so the CLI writes it to a file and the HTTP server can serve the same plot.
 *
 * @example
 * const svg = operatingPointsSvg([{ name: 'WRN-16-4 (MBAT, N=4)', points: [
 *   { n: 1, accuracy: 0.93, images_per_s: 1200 },
 *   { n: 2, accuracy: 0.91, images_per_s: 2300 },
 *   { n: 4, accuracy: 0.86, images_per_s: 4200 },
 * ] }], { title: 'CIFAR-10: accuracy vs throughput per operating point' });
 * svg.startsWith('<svg'); // true; one <polyline> per series, points labelled n=1, n=2, n=4
 */
import { formatTick, niceScale, type Scale } from './axis.js';
import type { Point, Rect, Segment } from './geometry.js';
import { markerSvg, seriesColor, seriesMarker } from './marks.js';
import { placeLabel, placeLegend } from './placement.js';
import { escapeXml, fitText, FONT_FAMILY, px, textWidth } from './svg.js';

/** One measured operating point: n superposed inputs, test accuracy in [0, 1], images/s. */
export interface OperatingPoint {
  n: number;
  accuracy: number;
  images_per_s: number;
}

/** One model: its name (legend entry) and its operating points, in any order. */
export interface OperatingPointSeries {
  name: string;
  points: OperatingPoint[];
}

export interface OperatingPointsPlotOptions {
  /** Heading above the plot (default: PLOT_DEFAULTS.title; '' for none). */
  title?: string;
  /** Small grey line under the plot, e.g. the machine and date of the measurement. */
  footnote?: string;
  /** Size in pixels (default 800×500; at least 320×240). */
  width?: number;
  height?: number;
  xLabel?: string;
  yLabel?: string;
}

export const PLOT_DEFAULTS = {
  title: 'Accuracy vs throughput per operating point',
  width: 800,
  height: 500,
  xLabel: 'Throughput (images/s)',
  yLabel: 'Test accuracy (%)',
} as const;

const FS = { title: 16, axisTitle: 13, tick: 12, label: 11, legend: 12, footnote: 10 };
const MARKER_R = 4.5;

/** Throws on anything the plot cannot show honestly (the message names the series and point). */
function validate(series: OperatingPointSeries[], width: number, height: number): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 320 || height < 240) {
    throw new Error(`operatingPointsSvg: size ${width}x${height} is too small or not whole pixels; use at least 320x240`);
  }
  if (series.length === 0) throw new Error('operatingPointsSvg: no series to plot; pass at least one model with results');
  for (const s of series) {
    if (s.points.length === 0) throw new Error(`operatingPointsSvg: series '${s.name}' has no points; every model needs at least one operating point`);
    const seen = new Set<number>();
    for (const p of s.points) {
      const at = `operatingPointsSvg: series '${s.name}' point n=${p.n}`;
      if (!Number.isInteger(p.n) || p.n < 1) throw new Error(`${at}: n must be a whole number >= 1`);
      if (seen.has(p.n)) throw new Error(`${at}: n=${p.n} appears twice; keep one measurement per operating point`);
      seen.add(p.n);
      if (!Number.isFinite(p.accuracy) || p.accuracy < 0 || p.accuracy > 1) {
        throw new Error(`${at}: accuracy must be a fraction in [0, 1], got ${p.accuracy}${p.accuracy > 1 && p.accuracy <= 100 ? ' (a percentage? divide by 100)' : ''}`);
      }
      if (!Number.isFinite(p.images_per_s) || p.images_per_s < 0) throw new Error(`${at}: images_per_s must be a number >= 0, got ${p.images_per_s}`);
    }
  }
}

/** Accuracy axis in %: a little room above and below the data, within [0, 100]. */
function yScale(acc: number[]): Scale {
  const lo = Math.min(...acc), hi = Math.max(...acc);
  const pad = Math.max((hi - lo) * 0.12, 1);
  return niceScale(Math.max(0, lo - pad), Math.min(100, hi + pad), 6);
}

/**
 * Throughput axis: from 0 (so the n-fold speed-ups read as ratios) unless the data sit far
 * from it, with as many ticks as fit in `width` pixels without their labels touching.
 */
function xScale(ips: number[], width: number): Scale {
  const lo = Math.min(...ips), hi = Math.max(...ips);
  if (hi === 0) return niceScale(0, 1, 6);
  const from = lo < 0.5 * hi || lo === hi ? 0 : Math.max(0, lo - (hi - lo) * 0.15);
  let s = niceScale(from, hi + (hi - from) * 0.06, 6);
  for (let target = 5; target >= 2; target--) {
    const widest = Math.max(...s.ticks.map((t) => textWidth(formatTick(t, s.decimals), FS.tick)));
    if ((widest + 10) * s.ticks.length <= width) break;
    s = niceScale(from, hi + (hi - from) * 0.06, target);
  }
  return s;
}

/** The plot as a standalone SVG document (fonts: DejaVu Sans, then any sans-serif). */
export function operatingPointsSvg(series: OperatingPointSeries[], opts: OperatingPointsPlotOptions = {}): string {
  const W = opts.width ?? PLOT_DEFAULTS.width, H = opts.height ?? PLOT_DEFAULTS.height;
  validate(series, W, H);
  const title = opts.title ?? PLOT_DEFAULTS.title, footnote = opts.footnote ?? '';
  const xLabel = opts.xLabel ?? PLOT_DEFAULTS.xLabel, yLabel = opts.yLabel ?? PLOT_DEFAULTS.yLabel;
  const sorted = series.map((s) => ({ name: s.name, points: [...s.points].sort((a, b) => a.n - b.n) }));
  const all = sorted.flatMap((s) => s.points);
  // Margins hold the title, the tick labels, the axis titles and the footnote.
  const pad = 14;
  const ys = yScale(all.map((p) => p.accuracy * 100)), yTicks = ys.ticks.map((t) => formatTick(t, ys.decimals));
  const left = pad + FS.axisTitle + 10 + Math.max(...yTicks.map((t) => textWidth(t, FS.tick))) + 8;
  const xs = xScale(all.map((p) => p.images_per_s), W - left - pad - 20), xTicks = xs.ticks.map((t) => formatTick(t, xs.decimals));
  const right = pad + textWidth(xTicks[xTicks.length - 1], FS.tick) / 2;
  const top = title ? pad + FS.title + 16 : pad + 8;
  const bottom = 8 + FS.tick + 10 + FS.axisTitle + (footnote ? 12 + FS.footnote : 0) + pad;
  const area: Rect = { x: left, y: top, w: W - left - right, h: H - top - bottom };
  const X = (v: number) => area.x + ((v - xs.lo) / (xs.hi - xs.lo)) * area.w;
  const Y = (v: number) => area.y + area.h - ((v - ys.lo) / (ys.hi - ys.lo)) * area.h;

  const placed = sorted.map((s) => s.points.map((p) => ({ ...p, x: X(p.images_per_s), y: Y(p.accuracy * 100) })));
  const points: Point[] = placed.flat();
  const segments: Segment[] = placed.flatMap((ps) => ps.slice(1).map((p, i): Segment => [ps[i], p]));

  // Legend: a sample line with the marker, then the name, one row per series.
  const rowH = 20, sample = 30;
  const names = sorted.map((s) => fitText(s.name, area.w * 0.6 - sample - 24, FS.legend));
  const legendW = 10 + sample + 8 + Math.max(...names.map((n) => textWidth(n, FS.legend))) + 10;
  const legendH = 8 + rowH * names.length;
  const legend = placeLegend(legendW, legendH, area, points, segments);

  // Labels go where they cover no other label, marker or the legend, and preferably no line.
  const obstacles = { boxes: [legend, ...points.map((p) => ({ x: p.x - MARKER_R, y: p.y - MARKER_R, w: 2 * MARKER_R, h: 2 * MARKER_R }))], segments };
  const labels = placed.map((ps) => ps.map((p) => {
    const text = `n=${p.n}`;
    const spot = placeLabel(p, textWidth(text, FS.label), FS.label, MARKER_R, area, obstacles, FS.label);
    obstacles.boxes.push(spot.box);
    return { text, ...spot };
  }));

  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="${FONT_FAMILY}" role="img">`);
  out.push(`<title>${escapeXml(title || 'Accuracy vs throughput per operating point')}</title>`);
  out.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  // A long title on a narrow plot first shrinks (down to 12 px), then is shortened.
  const titleSize = Math.max(12, Math.min(FS.title, Math.floor(FS.title * (W - 2 * pad) / textWidth(title, FS.title, true))));
  if (title) out.push(`<text class="title" x="${px(W / 2)}" y="${pad + FS.title}" font-size="${titleSize}" font-weight="bold" text-anchor="middle" fill="#222">${escapeXml(fitText(title, W - 2 * pad, titleSize, true))}</text>`);

  // Grid and ticks.
  out.push('<g class="grid" stroke="#e4e4e4" stroke-width="1">');
  for (const t of xs.ticks) out.push(`<line x1="${px(X(t))}" y1="${px(area.y)}" x2="${px(X(t))}" y2="${px(area.y + area.h)}"/>`);
  for (const t of ys.ticks) out.push(`<line x1="${px(area.x)}" y1="${px(Y(t))}" x2="${px(area.x + area.w)}" y2="${px(Y(t))}"/>`);
  out.push('</g>');
  out.push(`<g class="axes" stroke="#444" stroke-width="1"><line x1="${px(area.x)}" y1="${px(area.y + area.h)}" x2="${px(area.x + area.w)}" y2="${px(area.y + area.h)}"/><line x1="${px(area.x)}" y1="${px(area.y)}" x2="${px(area.x)}" y2="${px(area.y + area.h)}"/></g>`);
  out.push(`<g class="ticks" font-size="${FS.tick}" fill="#444">`);
  xs.ticks.forEach((t, i) => out.push(`<text x="${px(X(t))}" y="${px(area.y + area.h + 8 + FS.tick)}" text-anchor="middle">${xTicks[i]}</text>`));
  ys.ticks.forEach((t, i) => out.push(`<text x="${px(area.x - 8)}" y="${px(Y(t) + FS.tick * 0.36)}" text-anchor="end">${yTicks[i]}</text>`));
  out.push('</g>');
  const xTitleY = area.y + area.h + 8 + FS.tick + 10 + FS.axisTitle;
  out.push(`<text class="x-title" x="${px(area.x + area.w / 2)}" y="${px(xTitleY)}" font-size="${FS.axisTitle}" text-anchor="middle" fill="#222">${escapeXml(xLabel)}</text>`);
  out.push(`<text class="y-title" transform="translate(${px(pad + FS.axisTitle * 0.8)} ${px(area.y + area.h / 2)}) rotate(-90)" font-size="${FS.axisTitle}" text-anchor="middle" fill="#222">${escapeXml(yLabel)}</text>`);

  // Lines first, then all markers on top, so no line crosses another series' marker.
  sorted.forEach((s, i) => {
    const pts = placed[i].map((p) => `${px(p.x)},${px(p.y)}`).join(' ');
    out.push(`<polyline class="series-line" data-series="${i}" points="${pts}" fill="none" stroke="${seriesColor(i)}" stroke-width="2.2" stroke-linejoin="round" stroke-linecap="round"/>`);
  });
  sorted.forEach((s, i) => {
    out.push(`<g class="series" data-series="${i}" data-name="${escapeXml(s.name)}">`);
    for (const p of placed[i]) {
      const tip = `${s.name}, n=${p.n}: ${(p.accuracy * 100).toFixed(2)}% at ${formatTick(p.images_per_s, 0)} images/s`;
      out.push(`<g class="point" data-n="${p.n}" transform="translate(${px(p.x)} ${px(p.y)})"><title>${escapeXml(tip)}</title>${markerSvg(seriesMarker(i), MARKER_R, seriesColor(i))}</g>`);
    }
    out.push('</g>');
  });
  // A white halo (stroke painted under the fill) keeps labels legible over grid and lines.
  out.push(`<g class="labels" font-size="${FS.label}" stroke="#fff" stroke-width="3" stroke-linejoin="round" paint-order="stroke">`);
  labels.forEach((ls, i) => ls.forEach((l) => out.push(
    `<text class="point-label" data-series="${i}" x="${px(l.x)}" y="${px(l.baseline)}" text-anchor="${l.anchor}" fill="${seriesColor(i)}">${escapeXml(l.text)}</text>`)));
  out.push('</g>');

  out.push(`<g class="legend" font-size="${FS.legend}">`);
  out.push(`<rect x="${px(legend.x)}" y="${px(legend.y)}" width="${px(legend.w)}" height="${px(legend.h)}" rx="3" fill="#ffffff" fill-opacity="0.92" stroke="#cccccc"/>`);
  names.forEach((n, i) => {
    const cy = legend.y + 4 + rowH * i + rowH / 2, x0 = legend.x + 10;
    out.push(`<line x1="${px(x0)}" y1="${px(cy)}" x2="${px(x0 + sample)}" y2="${px(cy)}" stroke="${seriesColor(i)}" stroke-width="2.2"/>`);
    out.push(`<g transform="translate(${px(x0 + sample / 2)} ${px(cy)})">${markerSvg(seriesMarker(i), MARKER_R, seriesColor(i))}</g>`);
    out.push(`<text x="${px(x0 + sample + 8)}" y="${px(cy + FS.legend * 0.36)}" fill="#222">${escapeXml(n)}</text>`);
  });
  out.push('</g>');

  if (footnote) out.push(`<text class="footnote" x="${pad}" y="${H - pad}" font-size="${FS.footnote}" fill="#777">${escapeXml(fitText(footnote, W - 2 * pad, FS.footnote))}</text>`);
  out.push('</svg>');
  return out.join('\n') + '\n';
}
