/**
 * Learning curves from MIMOConv checkpoints: each stores its per-epoch evaluation history, so
 * the curves need no extra files. One curve per model and evaluated operating point.
 */
import { basename } from 'node:path';
import { readCheckpointMeta } from '../checkpoint/index.js';
import { CONV_CHECKPOINT_KIND, type ConvCheckpointMeta } from '../checkpoint/conv.js';
import type { LearningCurve } from './learning_curves.js';

/** Curves and the split they were measured on ('test', or 'validation' for runs with --val-images). */
export function learningCurvesFromCheckpoints(paths: string[]): { curves: LearningCurve[]; split: 'test' | 'validation' } {
  if (paths.length === 0) throw new Error('learning curves: no checkpoints given; pass --checkpoints a.ckpt,b.ckpt');
  const curves: LearningCurve[] = [];
  const splits = new Set<'test' | 'validation'>();
  for (const path of paths) {
    const meta = readCheckpointMeta(path) as unknown as ConvCheckpointMeta;
    if (meta.kind !== CONV_CHECKPOINT_KIND) throw new Error(`${path}: a '${String(meta.kind)}' checkpoint; learning curves are drawn for MIMOConv checkpoints`);
    splits.add((meta.train.valImages ?? 0) > 0 ? 'validation' : 'test');
    const m = meta.model, dyn = meta.train.supLow !== null && meta.train.supLow !== m.capacity;
    const base = m.arch === 'wrn' ? `WRN-${m.depth}-${m.width}` : `MIMONet-${m.depth}-${m.width} ${dyn ? 'dynamic ' : ''}N=${m.capacity}`;
    const ns = [...new Set(meta.history.flatMap((h) => h.eval.map((e) => e.n)))].sort((a, b) => b - a);
    for (const n of ns) {
      curves.push({
        name: ns.length > 1 || m.capacity > 1 ? `${base}, n=${n}` : base,
        points: meta.history.flatMap((h) => h.eval.filter((e) => e.n === n).map((e) => ({ epoch: h.epoch, accuracy: e.accuracy }))),
      });
    }
    if (ns.length === 0) throw new Error(`${path} (${basename(path)}): no evaluated epoch in its history yet`);
  }
  if (splits.size > 1) throw new Error('learning curves: some checkpoints were evaluated on the test set and some on a validation hold-out (--val-images); plot them separately');
  return { curves, split: [...splits][0] };
}
