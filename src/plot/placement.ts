/**
 * Greedy placement of a legend box and of small point labels where they hide the least:
 * every candidate position is scored by what it would cover (other labels, markers, the
 * legend, lines) and the cheapest wins. Greedy is enough for a handful of points per series,
 * and it keeps the plot readable without hand-tuned offsets per data set.
 */
import { pointInRect, rectContains, rectsOverlap, segmentHitsRect, type Point, type Rect, type Segment } from './geometry.js';

/** What is already drawn: boxes must not be covered, segments preferably not. */
export interface Obstacles {
  boxes: Rect[];
  segments: Segment[];
}

/** A placed text: its box, and where to put an SVG <text> with text-anchor `anchor`. */
export interface PlacedText {
  box: Rect;
  x: number;
  baseline: number;
  anchor: 'start' | 'middle' | 'end';
}

/** Puts a w×h legend into one corner of `area` (inset by `inset`), the one covering the least data. */
export function placeLegend(w: number, h: number, area: Rect, points: Point[], segments: Segment[], inset = 10): Rect {
  const left = area.x + inset, right = area.x + area.w - inset - w;
  const top = area.y + inset, bottom = area.y + area.h - inset - h;
  // Order of preference on ties: accuracy-vs-throughput curves fall from top-left to
  // bottom-right, so the top-right and bottom-left corners are usually empty.
  const corners: Rect[] = [
    { x: right, y: top, w, h }, { x: left, y: bottom, w, h }, { x: right, y: bottom, w, h }, { x: left, y: top, w, h },
  ];
  let best = corners[0], bestCost = Infinity;
  corners.forEach((c, i) => {
    const grown = { x: c.x - 6, y: c.y - 6, w: c.w + 12, h: c.h + 12 };
    const cost = points.filter((p) => pointInRect(p, grown)).length * 10 + segments.filter((s) => segmentHitsRect(s, grown)).length * 3 + i * 0.1;
    if (cost < bestCost) { best = c; bestCost = cost; }
  });
  return best;
}

/**
 * Places a w×h text label next to a marker of radius r at p, inside `area` when possible.
 * fontSize sets where the baseline sits in the box.
 */
export function placeLabel(p: Point, w: number, h: number, r: number, area: Rect, obstacles: Obstacles, fontSize: number): PlacedText {
  const g = r + 2;
  // Preference order: above-right first, outside a falling curve.
  const candidates: { box: Rect; anchor: PlacedText['anchor'] }[] = [
    { box: { x: p.x + g - 2, y: p.y - g - h + 2, w, h }, anchor: 'start' },
    { box: { x: p.x + g + 1, y: p.y - h / 2, w, h }, anchor: 'start' },
    { box: { x: p.x - w / 2, y: p.y - g - h, w, h }, anchor: 'middle' },
    { box: { x: p.x - g - w + 2, y: p.y + g - 2, w, h }, anchor: 'end' },
    { box: { x: p.x + g - 2, y: p.y + g - 2, w, h }, anchor: 'start' },
    { box: { x: p.x - g - w + 2, y: p.y - g - h + 2, w, h }, anchor: 'end' },
    { box: { x: p.x - g - w - 1, y: p.y - h / 2, w, h }, anchor: 'end' },
    { box: { x: p.x - w / 2, y: p.y + g, w, h }, anchor: 'middle' },
  ];
  let best = candidates[0], bestCost = Infinity;
  candidates.forEach((c, i) => {
    const cost = obstacles.boxes.filter((b) => rectsOverlap(b, c.box)).length * 100
      + obstacles.segments.filter((s) => segmentHitsRect(s, c.box)).length * 20
      + (rectContains(area, c.box) ? 0 : 50) + i;
    if (cost < bestCost) { best = c; bestCost = cost; }
  });
  const { box, anchor } = best;
  const x = anchor === 'start' ? box.x : anchor === 'end' ? box.x + box.w : box.x + box.w / 2;
  // Labels are digits and lower case: the glyphs sit in the box's top 80%.
  return { box, x, baseline: box.y + (box.h + fontSize * 0.72) / 2, anchor };
}
