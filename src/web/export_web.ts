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
import { copyFileSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
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

/** Writes the folder (into a temporary sibling first, then renamed into place). Returns its files and total size. */
export function exportWeb(net: MimoConvNet, meta: ConvCheckpointMeta, outDir: string, opts: ExportWebOptions): { files: string[]; bytes: number } {
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

  const tmp = `${outDir.replace(/\/+$/, '')}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(join(tmp, 'lib', 'mimonets'), { recursive: true });
  try {
    writeFileSync(join(tmp, 'model.json'), JSON.stringify(manifest));
    writeFileSync(join(tmp, 'weights.bin'), new Uint8Array(weights.buffer));
    writeFileSync(join(tmp, 'samples.json'), JSON.stringify({ dataset: meta.train.dataset, images: opts.samples }));
    copyFileSync(join(root, 'web', 'export', 'index.html'), join(tmp, 'index.html'));
    copyFileSync(join(root, 'web', 'export', 'node-stub.js'), join(tmp, 'lib', 'node-stub.js'));
    copyFileSync(tfjs, join(tmp, 'lib', 'tf.fesm.min.js'));
    for (const file of moduleClosure(join(here, 'runtime.js'))) {
      const dest = join(tmp, 'lib', 'mimonets', relative(distSrc, file));
      mkdirSync(dirname(dest), { recursive: true });
      copyFileSync(file, dest);
    }
    rmSync(outDir, { recursive: true, force: true });
    renameSync(tmp, outDir);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  const files: string[] = [];
  let bytes = 0;
  const list = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) list(p);
      else {
        files.push(relative(outDir, p));
        bytes += statSync(p).size;
      }
    }
  };
  list(outDir);
  return { files: files.sort(), bytes };
}
