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
import { lineChartSvg, type ChartSeries } from './line_chart.js';
import { textWidth } from './svg.js';

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

const FS_TICK = 12;

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
export function xScale(ips: number[], width: number, tickFont: number): Scale {
  const lo = Math.min(...ips), hi = Math.max(...ips);
  if (hi === 0) return niceScale(0, 1, 6);
  const from = lo < 0.5 * hi || lo === hi ? 0 : Math.max(0, lo - (hi - lo) * 0.15);
  let s = niceScale(from, hi + (hi - from) * 0.06, 6);
  for (let target = 5; target >= 2; target--) {
    const widest = Math.max(...s.ticks.map((t) => textWidth(formatTick(t, s.decimals), tickFont)));
    if ((widest + 10) * s.ticks.length <= width) break;
    s = niceScale(from, hi + (hi - from) * 0.06, target);
  }
  return s;
}

/** The plot as a standalone SVG document (fonts: DejaVu Sans, then any sans-serif). */
export function operatingPointsSvg(series: OperatingPointSeries[], opts: OperatingPointsPlotOptions = {}): string {
  const W = opts.width ?? PLOT_DEFAULTS.width, H = opts.height ?? PLOT_DEFAULTS.height;
  validate(series, W, H);
  const chart: ChartSeries[] = series.map((s) => ({
    name: s.name,
    points: [...s.points].sort((a, b) => a.n - b.n).map((p) => ({
      x: p.images_per_s, y: p.accuracy * 100, label: `n=${p.n}`, data: { n: p.n },
      tip: `${s.name}, n=${p.n}: ${(p.accuracy * 100).toFixed(2)}% at ${formatTick(p.images_per_s, 0)} images/s`,
    })),
  }));
  return lineChartSvg(chart, {
    title: opts.title ?? PLOT_DEFAULTS.title, footnote: opts.footnote ?? '', width: W, height: H,
    xLabel: opts.xLabel ?? PLOT_DEFAULTS.xLabel, yLabel: opts.yLabel ?? PLOT_DEFAULTS.yLabel, yScale, xScale: (xs, w) => xScale(xs, w, FS_TICK),
  });
}
