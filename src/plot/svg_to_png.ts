/**
 * SVG → PNG with resvg (Rust, no browser). Text uses the system fonts; DejaVu Sans is
 * named explicitly so that plots look the same wherever it is installed (it is on most
 * Linux systems) and the generic 'sans-serif' maps to it.
 *
 * @example
 * const png = svgToPng('<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20"/>');
 * png.subarray(1, 4).toString(); // 'PNG'
 */
import { existsSync } from 'node:fs';
import { Resvg, type ResvgRenderOptions } from '@resvg/resvg-js';

export const DEJAVU_DIR = '/usr/share/fonts/truetype/dejavu';

export interface SvgToPngOptions {
  /** Pixel scale relative to the SVG's own width/height (default 1; 2 for high-DPI screens). */
  scale?: number;
  /** Colour behind transparent parts (default: transparent). */
  background?: string;
}

/** PNG bytes of an SVG document. */
export function svgToPng(svg: string, opts: SvgToPngOptions = {}): Buffer {
  const scale = opts.scale ?? 1;
  if (!(scale > 0) || !Number.isFinite(scale)) throw new Error(`svgToPng: scale must be a number > 0, got ${scale}`);
  const dejavu = existsSync(DEJAVU_DIR);
  const options: ResvgRenderOptions = {
    fitTo: scale === 1 ? { mode: 'original' } : { mode: 'zoom', value: scale },
    font: { loadSystemFonts: true, ...(dejavu ? { defaultFontFamily: 'DejaVu Sans', sansSerifFamily: 'DejaVu Sans' } : {}) },
    logLevel: 'off',
  };
  if (opts.background) options.background = opts.background;
  return new Resvg(svg, options).render().asPng();
}
