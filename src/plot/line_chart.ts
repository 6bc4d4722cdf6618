/**
 * A line chart as a standalone SVG document: one polyline with markers per series, optional
 * per-point labels placed where they cover nothing else, a legend placed where it covers no
 * data, grid, ticks, axis titles and a footnote. Pure: series in, SVG text out. The operating
 * points and the learning curves are both drawn with it.
 */
import { formatTick, type Scale } from './axis.js';
import type { Point, Rect, Segment } from './geometry.js';
import { markerSvg, seriesColor, seriesMarker } from './marks.js';
import { placeLabel, placeLegend } from './placement.js';
import { escapeXml, fitText, FONT_FAMILY, px, textWidth } from './svg.js';

/** One point: position in data units, an optional label beside it, its tooltip and data-* attributes. */
export interface ChartPoint {
  x: number;
  y: number;
  label?: string;
  tip: string;
  data?: Record<string, string | number>;
}

export interface ChartSeries {
  name: string;
  /** Drawn in this order. */
  points: ChartPoint[];
}

export interface LineChartOptions {
  title: string;
  footnote: string;
  width: number;
  height: number;
  xLabel: string;
  yLabel: string;
  /** The y axis from the data's y values. */
  yScale: (ys: number[]) => Scale;
  /** The x axis from the data's x values and the plot area's width in pixels. */
  xScale: (xs: number[], width: number) => Scale;
  /** Marker radius (default 4.5). */
  markerRadius?: number;
}

const FS = { title: 16, axisTitle: 13, tick: 12, label: 11, legend: 12, footnote: 10 };

export function lineChartSvg(series: ChartSeries[], opts: LineChartOptions): string {
  const W = opts.width, H = opts.height, MARKER_R = opts.markerRadius ?? 4.5;
  const { title, footnote, xLabel, yLabel } = opts;
  const all = series.flatMap((s) => s.points);
  // Margins hold the title, the tick labels, the axis titles and the footnote.
  const pad = 14;
  const ys = opts.yScale(all.map((p) => p.y)), yTicks = ys.ticks.map((t) => formatTick(t, ys.decimals));
  const left = pad + FS.axisTitle + 10 + Math.max(...yTicks.map((t) => textWidth(t, FS.tick))) + 8;
  const xs = opts.xScale(all.map((p) => p.x), W - left - pad - 20), xTicks = xs.ticks.map((t) => formatTick(t, xs.decimals));
  const right = pad + textWidth(xTicks[xTicks.length - 1], FS.tick) / 2;
  const top = title ? pad + FS.title + 16 : pad + 8;
  const bottom = 8 + FS.tick + 10 + FS.axisTitle + (footnote ? 12 + FS.footnote : 0) + pad;
  const area: Rect = { x: left, y: top, w: W - left - right, h: H - top - bottom };
  const X = (v: number) => area.x + ((v - xs.lo) / (xs.hi - xs.lo)) * area.w;
  const Y = (v: number) => area.y + area.h - ((v - ys.lo) / (ys.hi - ys.lo)) * area.h;

  const placed = series.map((s) => s.points.map((p) => ({ ...p, px: X(p.x), py: Y(p.y) })));
  const points: Point[] = placed.flat().map((p) => ({ x: p.px, y: p.py }));
  const segments: Segment[] = placed.flatMap((ps) => ps.slice(1).map((p, i): Segment => [{ x: ps[i].px, y: ps[i].py }, { x: p.px, y: p.py }]));

  // Legend: a sample line with the marker, then the name, one row per series.
  const rowH = 20, sample = 30;
  const names = series.map((s) => fitText(s.name, area.w * 0.6 - sample - 24, FS.legend));
  const legendW = 10 + sample + 8 + Math.max(...names.map((n) => textWidth(n, FS.legend))) + 10;
  const legendH = 8 + rowH * names.length;
  const legend = placeLegend(legendW, legendH, area, points, segments);

  // Labels go where they cover no other label, marker or the legend, and preferably no line.
  const obstacles = { boxes: [legend, ...points.map((p) => ({ x: p.x - MARKER_R, y: p.y - MARKER_R, w: 2 * MARKER_R, h: 2 * MARKER_R }))], segments };
  const labels = placed.map((ps) => ps.filter((p) => p.label !== undefined).map((p) => {
    const text = p.label as string;
    const spot = placeLabel({ x: p.px, y: p.py }, textWidth(text, FS.label), FS.label, MARKER_R, area, obstacles, FS.label);
    obstacles.boxes.push(spot.box);
    return { text, ...spot };
  }));

  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="${FONT_FAMILY}" role="img">`);
  out.push(`<title>${escapeXml(title || yLabel)}</title>`);
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
  series.forEach((s, i) => {
    const pts = placed[i].map((p) => `${px(p.px)},${px(p.py)}`).join(' ');
    out.push(`<polyline class="series-line" data-series="${i}" points="${pts}" fill="none" stroke="${seriesColor(i)}" stroke-width="2.2" stroke-linejoin="round" stroke-linecap="round"/>`);
  });
  series.forEach((s, i) => {
    out.push(`<g class="series" data-series="${i}" data-name="${escapeXml(s.name)}">`);
    for (const p of placed[i]) {
      const data = Object.entries(p.data ?? {}).map(([k, v]) => ` data-${k}="${escapeXml(String(v))}"`).join('');
      out.push(`<g class="point"${data} transform="translate(${px(p.px)} ${px(p.py)})"><title>${escapeXml(p.tip)}</title>${markerSvg(seriesMarker(i), MARKER_R, seriesColor(i))}</g>`);
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
