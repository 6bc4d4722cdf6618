import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { generatePathfinder } from '../../data/pathfinder.js';
import { encodeGrayPng } from '../../util/png.js';
import { UsageError } from '../args.js';
import type { Command } from '../command.js';

export const dataPathfinder: Command = {
  path: ['data', 'pathfinder'],
  summary: 'Write a contact sheet (PNG) of generated Pathfinder images: positives (markers joined) and negatives alternate.',
  options: {
    out: { type: 'string', default: 'docs/pathfinder.png', help: 'PNG path' },
    samples: { type: 'number', default: 8, help: 'images (4 per row)' },
    'contour-length': { type: 'number', default: 14, help: '14 hard, 9 intermediate, 6 baseline' },
    seed: { type: 'number', default: 1, help: 'seed' },
    zoom: { type: 'number', default: 4, help: 'pixel magnification' },
  },
  async run(args) {
    const n = args.samples as number, zoom = args.zoom as number;
    if (!Number.isInteger(n) || n < 1 || !Number.isInteger(zoom) || zoom < 1) throw new UsageError('--samples and --zoom must be whole numbers >= 1');
    const imgs = generatePathfinder(n, { seed: args.seed as number, contourLength: args['contour-length'] as number });
    const S = 32, cols = Math.min(4, n), rows = Math.ceil(n / cols), gap = 2;
    const W = cols * (S * zoom + gap) - gap, H = rows * (S * zoom + gap) - gap;
    const sheet = new Uint8Array(W * H).fill(60); // grey gaps between tiles
    imgs.forEach((im, k) => {
      const ox = (k % cols) * (S * zoom + gap), oy = Math.floor(k / cols) * (S * zoom + gap);
      for (let y = 0; y < S * zoom; y++) for (let x = 0; x < S * zoom; x++) sheet[(oy + y) * W + ox + x] = im.pixels[Math.floor(y / zoom) * S + Math.floor(x / zoom)];
    });
    mkdirSync(dirname(args.out as string), { recursive: true });
    writeFileSync(args.out as string, encodeGrayPng(sheet, W, H));
    return { json: { out: args.out, labels: imgs.map((i) => i.label), width: W, height: H }, text: `${args.out}: ${n} images, labels ${imgs.map((i) => i.label).join(' ')}` };
  },
};
