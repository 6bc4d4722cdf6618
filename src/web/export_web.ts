/**
 * `mimo export web`: a static folder that classifies images in the browser with TensorFlow.js,
 * no server code needed (any static file server, e.g. `python3 -m http.server --directory DIR`, or GitHub Pages):
 *   index.html        the page (web/export/index.html)
 *   model.json        config, parameter and statistics offsets, normalisation, class names
 *   weights.bin       float32 parameters and batch-norm statistics for every n
 *   samples.json      test images of the model's dataset (PNG data URLs) to try, when available
 *   lib/              TensorFlow.js (tf.fesm.min.js), mimonets' runtime and forward pass (the
 *                     same compiled modules Node runs), and a stub for the Node-only imports
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ConvCheckpointMeta } from '../checkpoint/conv.js';
import { defaultNormalization } from '../data/pipeline.js';
import type { MimoConvNet } from '../models/mimoconv/model.js';
import { packageRoot } from '../util/package_root.js';
import type { WebModelManifest } from './runtime.js';

/** The compiled modules a browser needs, starting from the runtime: its relative-import closure. */
function moduleClosure(entry: string): string[] {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const m of readFileSync(file, 'utf8').matchAll(/(?:import|export)[^'"]*?from\s*['"](\.[^'"]+)['"]/g)) visit(resolve(dirname(file), m[1]));
  };
  visit(entry);
  return [...seen];
}

export interface WebSample {
  index: number;
  class: number;
  label: string;
  /** data:image/png;base64,… */
  png: string;
}

export interface ExportWebOptions {
  /** Where the checkpoint came from (recorded in model.json). */
  checkpoint: string;
  samples: WebSample[];
  classNames: string[];
}

/** One file of the folder: its path inside it and its bytes. */
export interface WebAsset {
  path: string;
  data: Uint8Array;
}

/** Every file of the folder, in memory (what `mimo serve` offers under /web/, and exportWeb writes). */
export function webAssets(net: MimoConvNet, meta: ConvCheckpointMeta, opts: ExportWebOptions): WebAsset[] {
  const root = packageRoot();
  if (!root) throw new Error('mimo export web: cannot find the mimonets package folder (its web/ and dist/ are copied into the export)');
  const here = dirname(fileURLToPath(import.meta.url)); // dist/src/web
  const distSrc = resolve(here, '..');
  const tfjs = join(dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs/package.json')), 'dist', 'tf.fesm.min.js');

  // Weights: parameters in layout order, then each n's statistics (mean then variance per layer).
  const chunks: Float32Array[] = [];
  let offset = 0;
  const put = (v: Float32Array) => {
    chunks.push(v);
    const at = offset;
    offset += v.length;
    return at;
  };
  const params = net.layout.params.map((p) => ({ name: p.name, shape: p.shape, offset: put(net.params[p.name].dataSync() as Float32Array) }));
  const stats = [...net.bnStats.keys()].sort((a, b) => a - b).map((n) => ({
    n,
    layers: Object.entries(net.bnStats.get(n)!).map(([name, s]) => {
      const at = put(s.mean.dataSync() as Float32Array);
      put(s.variance.dataSync() as Float32Array);
      return { name, offset: at, length: 2 * s.mean.size };
    }),
  }));
  if (stats.length === 0) throw new Error(`${opts.checkpoint} has no batch-norm statistics for any n; run mimo calibrate --checkpoint ${opts.checkpoint}`);
  const weights = new Float32Array(offset);
  let at = 0;
  for (const c of chunks) {
    weights.set(c, at);
    at += c.length;
  }
  const norm = defaultNormalization(meta.train.dataset);
  const manifest: WebModelManifest = {
    format: 'mimonets-web', version: 1, config: net.config, params, stats,
    normalization: { mean: [...norm.mean], std: [...norm.std] }, classNames: opts.classNames, imageSize: 32,
    ...(meta.operatingPoints ? { operatingPoints: meta.operatingPoints } : {}),
    source: { checkpoint: opts.checkpoint, exported: new Date().toISOString() },
  };
  const text = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
  return [
    { path: 'index.html', data: readFileSync(join(root, 'web', 'export', 'index.html')) },
    { path: 'model.json', data: text(manifest) },
    { path: 'weights.bin', data: new Uint8Array(weights.buffer) },
    { path: 'samples.json', data: text({ dataset: meta.train.dataset, images: opts.samples }) },
    { path: 'lib/node-stub.js', data: readFileSync(join(root, 'web', 'export', 'node-stub.js')) },
    { path: 'lib/tf.fesm.min.js', data: readFileSync(tfjs) },
    ...moduleClosure(join(here, 'runtime.js')).map((file) => ({ path: `lib/mimonets/${relative(distSrc, file).split(sep).join('/')}`, data: readFileSync(file) })),
  ];
}

/** Writes the folder (into a temporary sibling first, then renamed into place). Returns its files and total size. */
export function exportWeb(net: MimoConvNet, meta: ConvCheckpointMeta, outDir: string, opts: ExportWebOptions): { files: string[]; bytes: number } {
  const assets = webAssets(net, meta, opts);
  const tmp = `${outDir.replace(/\/+$/, '')}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  try {
    for (const a of assets) {
      mkdirSync(dirname(join(tmp, a.path)), { recursive: true });
      writeFileSync(join(tmp, a.path), a.data);
    }
    rmSync(outDir, { recursive: true, force: true });
    renameSync(tmp, outDir);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  return { files: assets.map((a) => a.path).sort(), bytes: assets.reduce((t, a) => t + a.data.length, 0) };
}
