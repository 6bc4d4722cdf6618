/**
 * Warm start of a MIMOConv network from a trained checkpoint of the same architecture,
 * typically of lower capacity N: the stem, the trunk and the classifier are copied, the
 * binding keys (or matrices) and the unbinding layer keep their fresh initialisation, since
 * their shapes depend on N. Batch-norm running statistics are not copied: they belong to
 * the old model's operating points.
 */
import * as tf from '@tensorflow/tfjs';
import type { MimoConvNet } from '../models/mimoconv/index.js';
import { readCheckpoint } from '../checkpoint/index.js';
import { CONV_CHECKPOINT_KIND } from '../checkpoint/conv.js';

/** Parameters that depend on N and so are never copied. */
export function isSlotParam(name: string): boolean {
  return name.startsWith('bind.') || name.startsWith('unbind.');
}

/** Copies every parameter but the binding and unbinding from `path` into `net`; returns the copied names. */
export function warmStart(net: MimoConvNet, path: string): string[] {
  const ck = readCheckpoint(path);
  const meta = ck.meta as { kind?: unknown; model?: { arch?: string; depth?: number; width?: number; initialWidth?: number } };
  if (meta.kind !== CONV_CHECKPOINT_KIND) throw new Error(`--init-from ${path}: a '${String(meta.kind)}' checkpoint, not a MIMOConv one`);
  const c = net.config, m = meta.model ?? {};
  for (const k of ['arch', 'depth', 'width', 'initialWidth'] as const) {
    if (m[k] !== c[k]) {
      throw new Error(`--init-from ${path}: the checkpoint has ${k}=${JSON.stringify(m[k])}, this run ${JSON.stringify(c[k])}; warm start needs the same architecture (only capacity and binding may differ)`);
    }
  }
  const copied: string[] = [];
  for (const [name, v] of Object.entries(net.params)) {
    if (isSlotParam(name)) continue;
    const t = ck.tensors[`param/${name}`];
    if (!t) throw new Error(`--init-from ${path}: parameter '${name}' is missing from the checkpoint`);
    if (t.shape.join(',') !== v.shape.join(',')) throw new Error(`--init-from ${path}: '${name}' is [${t.shape}] there, [${v.shape}] here`);
    tf.tidy(() => v.assign(tf.tensor(t.values, v.shape)));
    copied.push(name);
  }
  return copied;
}
