/**
 * Series colours and marker shapes. The colours are the Okabe–Ito palette, chosen to stay
 * distinguishable with the common colour-vision deficiencies; each series also gets its own
 * marker shape so the plot still reads in greyscale. Yellow comes last: it is faint on white.
 */

export const PALETTE = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000', '#F0E442'];

export type MarkerShape = 'circle' | 'square' | 'triangle' | 'diamond' | 'triangle-down';
export const MARKERS: MarkerShape[] = ['circle', 'square', 'triangle', 'diamond', 'triangle-down'];

export function seriesColor(i: number): string {
  return PALETTE[i % PALETTE.length];
}

export function seriesMarker(i: number): MarkerShape {
  return MARKERS[i % MARKERS.length];
}

/** SVG for a marker centred on (0, 0) with radius r (shapes scaled to look equally big). */
export function markerSvg(shape: MarkerShape, r: number, fill: string): string {
  const style = `fill="${fill}" stroke="#fff" stroke-width="1.5"`;
  const f = (v: number) => String(Math.round(v * 100) / 100);
  switch (shape) {
    case 'circle': return `<circle r="${f(r)}" ${style}/>`;
    case 'square': { const s = r * 0.9; return `<rect x="${f(-s)}" y="${f(-s)}" width="${f(2 * s)}" height="${f(2 * s)}" ${style}/>`; }
    case 'diamond': { const s = r * 1.25; return `<path d="M0 ${f(-s)}L${f(s)} 0L0 ${f(s)}L${f(-s)} 0Z" ${style}/>`; }
    case 'triangle': { const s = r * 1.3; return `<path d="M0 ${f(-s)}L${f(s * 0.87)} ${f(s * 0.5)}L${f(-s * 0.87)} ${f(s * 0.5)}Z" ${style}/>`; }
    case 'triangle-down': { const s = r * 1.3; return `<path d="M0 ${f(s)}L${f(s * 0.87)} ${f(-s * 0.5)}L${f(-s * 0.87)} ${f(-s * 0.5)}Z" ${style}/>`; }
  }
}
