/**
 * Pathfinder (LRA): 32×32 images with two marker dots that are (label 1) or are not
 * (label 0) joined by a curved dashed path, among distractor paths. A re-implementation
 * of the generator's idea with the LRA settings where they apply (SPEC §3.9): paddles of
 * length 2 with margin 1, contour length 14 (hard) / 9 (intermediate) / 6 (baseline),
 * marker radius 1.5, antialiasing at 2x, continuity 1.0, distractors of length
 * contour/3, 20 // that many distractor snakes, paddle contrast 0.75.
 *
 * A snake is a chain of paddles; each paddle turns from the last by at most `continuity`
 * radians. Positive images put the markers at both ends of one snake; negative images
 * put one marker at an end of each of two snakes of half the contour length (so the
 * markers are never joined).
 */
import { Rng } from './rng.js';

export interface PathfinderOptions {
  /** Paddles in the main path: 14 hard, 9 intermediate, 6 baseline. */
  contourLength?: number;
  size?: number;
  seed: number;
}

export interface PathfinderImage {
  /** size×size grayscale, row-major. */
  pixels: Uint8Array;
  label: 0 | 1;
}

const SCALE = 2; // antialias_scale
const PADDLE = 2, MARGIN = 1, MARKER_R = 1.5, CONTINUITY = 1.0, PADDING = 1, CONTRAST = 0.75;

type Pt = [number, number];

/** A snake of `n` paddles from a random start, staying inside the padded canvas; null if it left. */
function snake(n: number, size: number, rng: Rng, start?: Pt, angle?: number): { segments: [Pt, Pt][]; ends: [Pt, Pt] } | null {
  let p: Pt = start ?? [PADDING + rng.next() * (size - 2 * PADDING), PADDING + rng.next() * (size - 2 * PADDING)];
  let a = angle ?? rng.next() * 2 * Math.PI;
  const first = p;
  const segments: [Pt, Pt][] = [];
  for (let i = 0; i < n; i++) {
    if (i > 0) a += (rng.next() * 2 - 1) * CONTINUITY;
    const q: Pt = [p[0] + PADDLE * Math.cos(a), p[1] + PADDLE * Math.sin(a)];
    segments.push([p, q]);
    p = [q[0] + MARGIN * Math.cos(a), q[1] + MARGIN * Math.sin(a)];
    for (const c of [q, p]) if (c[0] < PADDING || c[1] < PADDING || c[0] > size - PADDING || c[1] > size - PADDING) return null;
  }
  return { segments, ends: [first, segments[segments.length - 1][1]] };
}

function drawSegment(canvas: Float32Array, w: number, [a, b]: [Pt, Pt], value: number): void {
  // Thickness 0.5 px at output scale, drawn at 2x: distance to the segment under 0.5.
  const [ax, ay, bx, by] = [a[0] * SCALE, a[1] * SCALE, b[0] * SCALE, b[1] * SCALE];
  const minX = Math.floor(Math.min(ax, bx) - 1), maxX = Math.ceil(Math.max(ax, bx) + 1);
  const minY = Math.floor(Math.min(ay, by) - 1), maxY = Math.ceil(Math.max(ay, by) + 1);
  const dx = bx - ax, dy = by - ay, len2 = dx * dx + dy * dy;
  for (let y = Math.max(0, minY); y <= Math.min(w - 1, maxY); y++) {
    for (let x = Math.max(0, minX); x <= Math.min(w - 1, maxX); x++) {
      const t = Math.max(0, Math.min(1, ((x + 0.5 - ax) * dx + (y + 0.5 - ay) * dy) / len2));
      const ex = ax + t * dx - (x + 0.5), ey = ay + t * dy - (y + 0.5);
      if (ex * ex + ey * ey <= 0.5 * 0.5 * SCALE * SCALE) canvas[y * w + x] = Math.max(canvas[y * w + x], value);
    }
  }
}

function drawMarker(canvas: Float32Array, w: number, c: Pt): void {
  const cx = c[0] * SCALE, cy = c[1] * SCALE, r = MARKER_R * SCALE;
  for (let y = Math.max(0, Math.floor(cy - r)); y <= Math.min(w - 1, Math.ceil(cy + r)); y++) {
    for (let x = Math.max(0, Math.floor(cx - r)); x <= Math.min(w - 1, Math.ceil(cx + r)); x++) {
      if ((x + 0.5 - cx) ** 2 + (y + 0.5 - cy) ** 2 <= r * r) canvas[y * w + x] = 1;
    }
  }
}

/** One image with the given label. */
export function pathfinderImage(label: 0 | 1, rng: Rng, contourLength = 14, size = 32): PathfinderImage {
  const w = size * SCALE;
  for (;;) {
    const canvas = new Float32Array(w * w);
    const paths: [Pt, Pt][][] = [];
    let markers: Pt[];
    if (label === 1) {
      const s = snake(contourLength, size, rng);
      if (!s) continue;
      paths.push(s.segments);
      markers = s.ends;
    } else {
      const half = Math.max(2, Math.round(contourLength / 2));
      const s1 = snake(half, size, rng), s2 = snake(half, size, rng);
      if (!s1 || !s2) continue;
      // The two markers must be far enough apart to be told from one short path.
      const [m1, m2] = [s1.ends[0], s2.ends[0]];
      if (Math.hypot(m1[0] - m2[0], m1[1] - m2[1]) < 7) continue; // seed_distance
      paths.push(s1.segments, s2.segments);
      markers = [m1, m2];
    }
    const distractorLength = Math.max(1, Math.floor(contourLength / 3));
    const distractors = Math.floor(20 / distractorLength);
    for (let i = 0, tries = 0; i < distractors && tries < 200; tries++) {
      const s = snake(distractorLength, size, rng);
      if (s) { paths.push(s.segments); i++; }
    }
    for (const p of paths) for (const seg of p) drawSegment(canvas, w, seg, CONTRAST);
    for (const m of markers) drawMarker(canvas, w, m);
    // Downsample 2x2 (antialiasing).
    const pixels = new Uint8Array(size * size);
    for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) {
      const v = canvas[2 * y * w + 2 * x] + canvas[2 * y * w + 2 * x + 1] + canvas[(2 * y + 1) * w + 2 * x] + canvas[(2 * y + 1) * w + 2 * x + 1];
      pixels[y * size + x] = Math.round((v / 4) * 255);
    }
    return { pixels, label };
  }
}

/** count images, labels alternating 1, 0 (balanced), deterministic for the seed. */
export function generatePathfinder(count: number, o: PathfinderOptions): PathfinderImage[] {
  const rng = new Rng(o.seed);
  return Array.from({ length: count }, (_, i) => pathfinderImage(i % 2 === 0 ? 1 : 0, rng, o.contourLength ?? 14, o.size ?? 32));
}
