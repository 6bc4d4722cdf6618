// The project's long training runs: name, checkpoint, mimo arguments (without --out / --resume).
// Shared by scripts/train-queue.mjs (trains them) and scripts/results.mjs (tabulates them).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { readCheckpointMeta } = await import(join(root, 'dist', 'src', 'checkpoint', 'index.js'));

/** The meta of a run's checkpoint (path relative to the repository), or null when absent or unreadable. */
export function runMeta(path) {
  if (!existsSync(join(root, path))) return null;
  try {
    return readCheckpointMeta(join(root, path));
  } catch {
    return null;
  }
}

/** Whether a checkpoint's meta (or null) says its training is finished. */
export const isDone = (meta) => meta?.state?.done === true;

/** Whether a run's checkpoint says its training is finished. */
export const finished = (path) => isDone(runMeta(path));

/**
 * The options of a run script: `values` names options that take a value, `flags` those that do
 * not. Returns `{ help: true }` when --help or -h is anywhere, else `{ options }` (option name
 * without dashes -> value string, or true for a flag) or `{ error }` naming the first unknown
 * option or missing value; the scripts refuse before any work, since a mistyped option must not
 * start hours of training or overwrite results tables.
 */
export function parseScriptArgs(argv, { values = [], flags = [] }) {
  if (argv.includes('--help') || argv.includes('-h')) return { help: true };
  const options = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (values.includes(a)) {
      const v = argv[i + 1];
      if (v === undefined || v.startsWith('--')) return { error: `${a} needs a value` };
      options[a.slice(2)] = v;
      i++;
    } else if (flags.includes(a)) {
      options[a.slice(2)] = true;
    } else {
      return { error: `unknown option ${a}` };
    }
  }
  return { options };
}

const conv = ['train', 'conv', '--model', 'mimonet-16-4', '--initial-width', '2', '--binding', 'hrr', '--epochs', '15', '--mixup', '0'];
const fromN1 = ['--init-from', 'models/mimonet-16-4-N1.ckpt', '--teacher', 'models/mimonet-16-4-N1.ckpt'];
const former = (task, scheme, grid, extra = []) => ['train', 'former', '--task', task, '--scheme', scheme, '--grid', String(grid), ...extra];
// F-S of SPEC §5.2: ListOps-mini, d=64, hid=128, H=2, Dh=32, 2 layers, R=64 (the trainer's defaults).
const fs = ['--steps', '12000', '--batch', '32', '--lr', '1e-3', '--warmup', '600', '--eval-every', '1000', '--eval-batches', '32'];

// Full-length LRA tasks (SPEC §3.9; ListOps 2000 tokens, Image / Pathfinder 1024, Text 1000) on the
// F-S model, sized so the Performer trains in ~1.5 h on one core: ~0.5 s per step at L≈1000 and
// ~1.1 s at L=2000 (measured with --threads 1 on an idle machine; since the dropout kernel the
// Image steps take 0.27-0.39 s pinned to one core); att. M=N=4 keeps the first 15 % of its steps
// at M=N=2 (SPEC §5.2 E5).
const lraBase = (steps) => ['--steps', String(steps), '--batch', '32', '--lr', '1e-3', '--warmup', String(Math.round(steps * 0.05)), '--eval-every', '500', '--eval-batches', '32'];
const lra = (task, steps) => {
  const base = lraBase(steps);
  return [
    [`lra-${task}-performer`, `models/lra/${task}-performer.ckpt`, former(task, 'performer', 1, base)],
    [`lra-${task}-att2`, `models/lra/${task}-att2.ckpt`, former(task, 'att', 2, base)],
    [`lra-${task}-att4`, `models/lra/${task}-att4.ckpt`, former(task, 'att', 4, [...base, '--mimo-warmup', String(Math.round(steps * 0.15))])],
    [`lra-${task}-attmlp2`, `models/lra/${task}-attmlp2.ckpt`, former(task, 'attmlp', 2, base)],
  ];
};

export const JOBS = [
  ['mimonet-16-4-N4', 'models/mimonet-16-4-N4.ckpt', [...conv, '--capacity', '4']],
  ['mimonet-16-4-N4-dyn', 'models/mimonet-16-4-N4-dyn.ckpt', [...conv, '--capacity', '4', '--sup-low', '1', '--sup-frequency', '0.8']],
  ['lra-listops-mini-performer', 'models/lra/listops-mini-performer.ckpt', former('listops-mini', 'performer', 1, fs)],
  ['lra-listops-mini-att2', 'models/lra/listops-mini-att2.ckpt', former('listops-mini', 'att', 2, fs)],
  ['lra-listops-mini-att4', 'models/lra/listops-mini-att4.ckpt', former('listops-mini', 'att', 4, [...fs, '--mimo-warmup', '1800'])],
  ['lra-listops-mini-attmlp2', 'models/lra/listops-mini-attmlp2.ckpt', former('listops-mini', 'attmlp', 2, fs)],
  ['wrn-16-4', 'models/wrn-16-4.ckpt', ['train', 'conv', '--model', 'wrn-16-4', '--initial-width', '1', '--binding', 'none', '--capacity', '1', '--epochs', '15', '--mixup', '0']],
  ['mimonet-16-4-N1', 'models/mimonet-16-4-N1.ckpt', [...conv, '--capacity', '1']],
  ['mimonet-16-4-N2', 'models/mimonet-16-4-N2.ckpt', [...conv, '--capacity', '2']],
  ...lra('image', 9000),
  ...lra('text', 9000),
  ...lra('pathfinder', 9000),
  ...lra('listops', 4000),
  // Not in SPEC's recipe: att. M=N=2 did not leave chance on ListOps in 4000 steps, while the Performer
  // left it between steps 1000 and 1500. Does starting as a Performer (the warm-up halves M=N=2 to 1) help?
  ['lra-listops-att2-warm', 'models/lra/listops-att2-warm.ckpt', former('listops', 'att', 2, [...lraBase(4000), '--mimo-warmup', '1500'])],
  // Issue 23, second generation: what the recipe benchmark (results/recipes.md) found fastest, at full
  // size. Warm start from the committed N=1 MIMONet (stem, trunk, classifier; fresh keys and unbinding)
  // and distillation from it; its 8.2 training hours count in each budget (mimo results conv adds them).
  ['mimonet-16-4-N4-kd', 'models/mimonet-16-4-N4-kd.ckpt', [...conv.slice(0, -4), '--epochs', '12', '--mixup', '0', '--capacity', '4', ...fromN1]],
  ['mimonet-16-4-N2-kd', 'models/mimonet-16-4-N2-kd.ckpt', [...conv.slice(0, -4), '--epochs', '12', '--mixup', '0', '--capacity', '2', ...fromN1]],
  ['mimonet-16-4-N4-dyn-kd', 'models/mimonet-16-4-N4-dyn-kd.ckpt', [...conv.slice(0, -4), '--epochs', '12', '--mixup', '0', '--capacity', '4', '--sup-low', '1', '--sup-frequency', '0.8', ...fromN1]],
  // The control: distillation is not specific to superposition, so the WRN baseline gets it too (the
  // same teacher, the WRN's own 15-epoch recipe), and the deltas compare like with like.
  ['wrn-16-4-kd', 'models/wrn-16-4-kd.ckpt', ['train', 'conv', '--model', 'wrn-16-4', '--initial-width', '1', '--binding', 'none', '--capacity', '1', '--epochs', '15', '--mixup', '0', '--teacher', 'models/mimonet-16-4-N1.ckpt']],
];
