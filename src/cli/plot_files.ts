/** Plot files written by commands (mimo plot ..., mimo demo): the format from the extension, atomic writes. */
import { extname } from 'node:path';
import { writeFileAtomic } from '../util/atomic_write.js';
import { UsageError } from './args.js';

/** 'svg' or 'png' from a path's extension; any other is a usage error naming --flag. */
export function formatOf(path: string, flag: string): 'svg' | 'png' {
  const ext = extname(path).toLowerCase();
  if (ext === '.svg' || ext === '.png') return ext.slice(1) as 'svg' | 'png';
  throw new UsageError(`--${flag} ${path}: the extension picks the format and must be .svg or .png, got '${ext || '(none)'}'`);
}

/** Writes the SVG (or its PNG rendering) to `out` and optionally a PNG beside it, each atomically. */
export async function writePlot(svg: string, out: string, format: 'svg' | 'png', png: string | undefined): Promise<void> {
  // resvg is loaded only when a PNG is asked for, so other commands never pay for it.
  const toPng = format === 'png' || png ? (await import('../plot/svg_to_png.js')).svgToPng : undefined;
  writeFileAtomic(out, format === 'svg' ? svg : toPng!(svg));
  if (png) writeFileAtomic(png, toPng!(svg));
}
