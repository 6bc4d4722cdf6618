/**
 * Learning curves: accuracy after every epoch, one line per model and operating point, so a
 * reader sees how far each model got with the budget it had and whether it was still
 * climbing. Pure: curves in, SVG text out.
 *
 * @example
 * const svg = learningCurvesSvg([
 *   { name: 'WRN-16-4', points: [{ epoch: 1, accuracy: 0.42 }, { epoch: 2, accuracy: 0.61 }] },
 *   { name: 'MIMONet-16-4 N=4, n=4', points: [{ epoch: 1, accuracy: 0.3 }, { epoch: 2, accuracy: 0.45 }] },
 * ]);
 * svg.startsWith('<svg'); // true; the last point of each line is labelled with its accuracy
 */
import { niceScale, type Scale } from './axis.js';
import { lineChartSvg } from './line_chart.js';

export interface LearningCurve {
  name: string;
  /** Accuracy in [0, 1] after each epoch (epochs counted from 1). */
  points: { epoch: number; accuracy: number }[];
}

export interface LearningCurvesOptions {
  title?: string;
  footnote?: string;
  width?: number;
  height?: number;
  /** Default 'Test accuracy (%)'. */
  yLabel?: string;
}

export const LEARNING_CURVES_DEFAULTS = { title: 'Accuracy per epoch', width: 800, height: 500, xLabel: 'Epoch', yLabel: 'Test accuracy (%)' } as const;

function validate(curves: LearningCurve[], width: number, height: number): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 320 || height < 240) {
    throw new Error(`learningCurvesSvg: size ${width}x${height} is too small or not whole pixels; use at least 320x240`);
  }
  if (curves.length === 0) throw new Error('learningCurvesSvg: no curves to plot; pass at least one model with a training history');
  for (const c of curves) {
    if (c.points.length === 0) throw new Error(`learningCurvesSvg: curve '${c.name}' has no points (no epoch evaluated yet)`);
    for (const p of c.points) {
      if (!Number.isInteger(p.epoch) || p.epoch < 1) throw new Error(`learningCurvesSvg: curve '${c.name}': epoch ${p.epoch} must be a whole number >= 1`);
      if (!Number.isFinite(p.accuracy) || p.accuracy < 0 || p.accuracy > 1) {
        throw new Error(`learningCurvesSvg: curve '${c.name}' epoch ${p.epoch}: accuracy must be a fraction in [0, 1], got ${p.accuracy}`);
      }
    }
  }
}

/** The plot as a standalone SVG document. */
export function learningCurvesSvg(curves: LearningCurve[], opts: LearningCurvesOptions = {}): string {
  const W = opts.width ?? LEARNING_CURVES_DEFAULTS.width, H = opts.height ?? LEARNING_CURVES_DEFAULTS.height;
  validate(curves, W, H);
  const series = curves.map((c) => {
    const pts = [...c.points].sort((a, b) => a.epoch - b.epoch);
    return {
      name: c.name,
      points: pts.map((p, i) => ({
        x: p.epoch, y: p.accuracy * 100, data: { epoch: p.epoch },
        label: i === pts.length - 1 ? `${(p.accuracy * 100).toFixed(1)}%` : undefined,
        tip: `${c.name}, epoch ${p.epoch}: ${(p.accuracy * 100).toFixed(2)}%`,
      })),
    };
  });
  const yScale = (ys: number[]): Scale => {
    const lo = Math.min(...ys), hi = Math.max(...ys);
    const pad = Math.max((hi - lo) * 0.08, 1);
    return niceScale(Math.max(0, lo - pad), Math.min(100, hi + pad), 6);
  };
  const xScale = (xs: number[]): Scale => {
    const s = niceScale(0, Math.max(...xs), 8);
    return s.step < 1 ? niceScale(0, Math.max(...xs, 2), 2) : s;
  };
  return lineChartSvg(series, {
    title: opts.title ?? LEARNING_CURVES_DEFAULTS.title, footnote: opts.footnote ?? '', width: W, height: H,
    xLabel: LEARNING_CURVES_DEFAULTS.xLabel, yLabel: opts.yLabel ?? LEARNING_CURVES_DEFAULTS.yLabel, yScale, xScale, markerRadius: 3,
  });
}
