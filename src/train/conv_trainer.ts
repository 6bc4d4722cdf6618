/**
 * MIMOConv training (SPEC §2): the reference recipe — superposition batches of batch·N
 * images, N passes per epoch, mixup, the binding and isometry regularisers, clipping at
 * clipNorm, the gradient-norm filter, SGD with one-cycle learning rate and momentum, and
 * static or dynamic (sup-low / sup-frequency) operating points — and the recipe options on
 * top (a validation hold-out, label smoothing, Nesterov, warm start, distillation from a
 * teacher; conv_config.ts names the recipes) — with a checkpoint per
 * epoch (atomic) and resumption that reproduces an uninterrupted run: every random draw
 * is derived from (seed, epoch, pass, step), never from how long the process has run.
 */
import * as tf from '@tensorflow/tfjs';
import { appendFileSync, existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { deriveSeed, holdOut, loadImageDataset, Rng, trainPipeline, type ImageDataset } from '../data/index.js';
import { MimoConvNet, operatingPoints, type MimoConvConfig } from '../models/mimoconv/index.js';
import { resolveTrainConfig, type TrainConvConfig } from './conv_config.js';
import { loadConvCheckpoint, saveConvCheckpoint, type ConvCheckpointMeta, type EpochMetrics, type TrainState } from '../checkpoint/conv.js';
import { evaluateConv } from './evaluate_conv.js';
import { mixup } from './mixup.js';
import { oneCycle } from './one_cycle.js';
import { calibrateFromTraining } from './calibrate.js';
import { convTrainStep } from './conv_step.js';
import { Sgd } from './sgd.js';
import { warmStart } from './warm_start.js';
import { mayStartUnit, type TimeLimit } from './time_limit.js';

export interface TrainConvOptions {
  model: Partial<MimoConvConfig>;
  train: Partial<TrainConvConfig>;
  /** Checkpoint path, rewritten after every epoch. */
  out: string;
  dataDir: string;
  /** Continue from `out` if it exists. */
  resume?: boolean;
  /** JSONL metrics log (one line per epoch). */
  log?: string;
  /** Stop after this many epochs in this process (the run stays resumable). */
  maxEpochs?: number;
  /** Start an epoch only if it should end (checkpoint written) within this budget. */
  timeLimit?: TimeLimit;
  onStep?: (info: { step: number; totalSteps: number; loss: number; epoch: number }) => void;
  onEpoch?: (m: EpochMetrics) => void;
  /** Datasets already in memory (tests). */
  data?: { train: ImageDataset; test: ImageDataset };
}

export interface TrainConvResult {
  out: string;
  model: MimoConvConfig;
  train: TrainConvConfig;
  state: TrainState;
  history: EpochMetrics[];
  /** Set when this process stopped early because the next epoch would overrun --time-limit. */
  stoppedByTimeLimit: boolean;
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, v) => a + v, 0) / xs.length : 0);

/**
 * Trains a MIMOConv network (or the WRN baseline) on CIFAR-10/100 as `mimo train conv` does:
 * the recipe's schedule, a checkpoint after every epoch (resumable with `resume`), callbacks
 * per step and per epoch.
 *
 * @example
 * import { initBackend, resolveDataDir, trainConv } from 'mimonets';
 * await initBackend();
 * const r = await trainConv({
 *   model: { depth: 10, width: 1, initialWidth: 1, capacity: 2 },
 *   train: { epochs: 1, trainImages: 512, testImages: 256 },   // a quick look; drop these for a real run
 *   out: '.cache/example-train.ckpt', dataDir: resolveDataDir(),
 *   onEpoch: (m) => console.log(`epoch ${m.epoch}: n=2 test accuracy ${(100 * m.eval[0].accuracy).toFixed(1)}%`),
 * });
 * console.log(r.state.epoch, r.history.length); // 1 1
 */
export async function trainConv(o: TrainConvOptions): Promise<TrainConvResult> {
  let net: MimoConvNet;
  let train: TrainConvConfig;
  let state: TrainState;
  let history: EpochMetrics[];
  let operating: ConvCheckpointMeta['operatingPoints'];
  let sgdState: Record<string, { shape: number[]; values: Float32Array }> = {};
  if (o.resume && existsSync(o.out)) {
    const loaded = loadConvCheckpoint(o.out, o.model);
    net = loaded.net;
    // A resumed run keeps its recipe; only the number of epochs may be extended.
    for (const [k, v] of Object.entries(o.train)) {
      const was = (loaded.meta.train as unknown as Record<string, unknown>)[k];
      if (k !== 'epochs' && v !== undefined && v !== was) {
        net.dispose();
        throw new Error(`${o.out}: cannot change ${k} on resume (checkpoint has ${JSON.stringify(was)}, asked for ${JSON.stringify(v)}); drop the option or start a new run with another --out`);
      }
    }
    // (loadConvCheckpoint fills in the recipe and dataset of checkpoints from before those options.)
    train = resolveTrainConfig({ ...loaded.meta.train, ...(o.train.epochs !== undefined ? { epochs: o.train.epochs } : {}) }, net.config.capacity);
    state = loaded.meta.state;
    history = loaded.meta.history;
    sgdState = loaded.sgdState;
  } else {
    net = new MimoConvNet(o.model, o.train.seed ?? 42);
    train = resolveTrainConfig(o.train, net.config.capacity);
    if (train.initFrom) {
      try {
        warmStart(net, train.initFrom);
      } catch (e) {
        net.dispose();
        throw e;
      }
    }
    state = { epoch: 0, step: 0, avgNormPrev: null, trainSeconds: 0, done: false };
    history = [];
  }
  const cfg = net.config, N = cfg.capacity;
  const teacher = train.teacher ? loadTeacher(train.teacher, net) : null;
  const sgd = new Sgd(net.params, { weightDecay: train.weightDecay, noDecay: net.noDecay(), nesterov: train.nesterov });
  if (Object.keys(sgdState).length) sgd.load(sgdState);
  try {
    const all = o.data ?? { train: loadImageDataset(o.dataDir, train.dataset, 'train'), test: loadImageDataset(o.dataDir, train.dataset, 'test') };
    if (all.train.numClasses !== cfg.classes) {
      throw new Error(`the model has ${cfg.classes} classes, ${all.train.name} has ${all.train.numClasses}: start a new run with --dataset ${all.train.name} (it sets the classes)`);
    }
    // With a validation hold-out, every evaluation (per epoch and the final operating points) is on it.
    const split = holdOut(all.train, train.valImages);
    const data = { train: split.train, eval: split.val ?? all.test };
    const subset = train.trainImages > 0 ? Int32Array.from({ length: Math.min(train.trainImages, data.train.count) }, (_, i) => i) : undefined;
    const pipe = trainPipeline(data.train, { batchSize: train.batch * N, seed: train.seed, augment: true, indices: subset });
    const stepsPerPass = pipe.batchesPerEpoch;
    if (stepsPerPass === 0) throw new Error(`training set of ${pipe.size} images is smaller than one loader batch of ${train.batch * N} (batch ${train.batch} x N=${N}); lower --batch`);
    const totalSteps = train.epochs * N * stepsPerPass;
    const schedule = { maxLr: train.lr, totalSteps };
    const lowN = train.supLow ?? N;
    const evalNs = [...new Set([N, lowN])];
    const perImage = data.train.height * data.train.width * data.train.channels;
    let epochsThisRun = 0, stoppedByTimeLimit = false;
    while (state.epoch < train.epochs && epochsThisRun < (o.maxEpochs ?? Infinity)) {
      if (!mayStartUnit(o.timeLimit, history.at(-1)?.seconds)) {
        stoppedByTimeLimit = true;
        break;
      }
      const t0 = performance.now();
      const e = state.epoch;
      const losses: number[] = [], accs: number[] = [], norms: number[] = [], accepted: number[] = [];
      let lr = 0, rBind = 0, rIso = 0;
      const stepTime = new Map<number, { steps: number; ms: number }>(); // per n: a dynamic run's slow steps cost N/n times a fast one
      for (let pass = 0; pass < N; pass++) {
        let k = 0;
        for (const b of pipe.batches(e * N + pass)) {
          const rng = new Rng(deriveSeed(train.seed, 7, e, pass, k++));
          const n = train.supLow !== null && rng.next() > train.supFrequency ? lowN : N;
          const mixed = mixup(b.x, b.y, perImage, train.mixupAlpha, rng);
          const sched = oneCycle(schedule, state.step);
          lr = sched.lr;
          // The filter: steps whose gradient norm reaches gradFilter x last epoch's mean are skipped.
          const normLimit = train.gradFilter > 0 && state.avgNormPrev !== null ? train.gradFilter * state.avgNormPrev : Infinity;
          const ts = performance.now();
          const shape: [number, number, number, number] = [b.size, data.train.height, data.train.width, data.train.channels];
          // The teacher sees the same (mixed, augmented) images, one at a time (n = 1), with its running statistics.
          const teacherLogits = teacher ? tf.tidy(() => teacher.forward(tf.tensor4d(mixed.x, shape), 1, { training: false }).logits.dataSync() as Float32Array) : undefined;
          const r = convTrainStep(net, sgd, { x: mixed.x, shape, y: b.y, yPerm: mixed.yPerm, lambda: mixed.lambda, n, teacherLogits }, {
            bindingReg: train.bindingReg, isometryReg: train.isometryReg, clipNorm: train.clipNorm, normLimit, lr: sched.lr, momentum: sched.momentum,
            labelSmoothing: train.labelSmoothing, distill: { weight: train.distillWeight, temperature: train.distillTemperature },
          });
          const st = stepTime.get(n) ?? { steps: 0, ms: 0 };
          stepTime.set(n, { steps: st.steps + 1, ms: st.ms + performance.now() - ts });
          state.step++;
          losses.push(r.loss); accs.push(r.accuracy); norms.push(r.norm);
          if (r.applied) accepted.push(r.norm);
          rBind = r.rBind; rIso = r.rIso;
          if (!Number.isFinite(r.loss)) throw new Error(`training diverged: loss ${r.loss} at epoch ${e + 1}, step ${state.step}; lower --lr (now ${train.lr})`);
          o.onStep?.({ step: state.step, totalSteps, loss: r.loss, epoch: e + 1 });
        }
      }
      if (accepted.length) state.avgNormPrev = mean(accepted);
      // An n with no training step yet (possible early in a dynamic run) has no statistics to evaluate with.
      const evalRes = evalNs.filter((n) => net.hasStats(n)).map((n) => {
        const er = evaluateConv(net, data.eval, n, { images: train.testImages });
        return { n, accuracy: round(er.accuracy, 5), loss: round(er.loss, 5) };
      });
      const seconds = (performance.now() - t0) / 1000;
      state.trainSeconds += seconds;
      state.epoch++;
      epochsThisRun++;
      const m: EpochMetrics = {
        epoch: state.epoch, steps: losses.length, train_loss: round(mean(losses), 5), train_accuracy: round(mean(accs), 5),
        grad_norm: round(mean(norms.filter(Number.isFinite)), 4), skipped: losses.length - accepted.length, lr: lr, r_bind: round(rBind, 6), r_iso: round(rIso, 4),
        seconds: round(seconds, 2),
        step_seconds: [...stepTime].sort((a, b) => b[0] - a[0]).map(([n, t]) => ({ n, steps: t.steps, mean: round(t.ms / t.steps / 1000, 3) })),
        eval: evalRes,
      };
      history.push(m);
      if (state.epoch === train.epochs) {
        // Operating points never trained at get batch-norm statistics from training batches.
        for (const n of operatingPoints(cfg).filter((q) => !net.hasStats(q))) {
          calibrateFromTraining(net, data.train, n, { seed: train.seed, batches: train.calibrationBatches, batch: train.batch, indices: subset });
        }
        state.done = true;
        // The operating points a server offers: accuracy on the evaluation set (the test set, or the
        // validation hold-out of --val-images) and images/s at every n.
        operating = operatingPoints(cfg).map((n) => {
          const er = evaluateConv(net, data.eval, n, { images: train.testImages });
          return { n, accuracy: round(er.accuracy, 5), images_per_s: Math.round(er.images_per_s) };
        });
      }
      mkdirSync(dirname(o.out), { recursive: true });
      saveConvCheckpoint(o.out, net, { train, state, history, ...(operating ? { operatingPoints: operating } : {}) }, sgd.state());
      if (o.log) appendFileSync(o.log, JSON.stringify(m) + '\n');
      o.onEpoch?.(m);
    }
    return { out: o.out, model: cfg, train, state, history, stoppedByTimeLimit };
  } finally {
    sgd.dispose();
    net.dispose();
    teacher?.dispose();
  }
}

/** The distillation teacher: a trained MIMOConv checkpoint with the student's classes, run at n = 1. */
function loadTeacher(path: string, student: MimoConvNet): MimoConvNet {
  let t: MimoConvNet;
  try {
    t = loadConvCheckpoint(path).net;
  } catch (e) {
    student.dispose();
    throw new Error(`--teacher ${path}: ${(e as Error).message}`);
  }
  const why = t.config.classes !== student.config.classes ? `has ${t.config.classes} classes, the student ${student.config.classes}`
    : !t.hasStats(1) ? 'has no batch-norm statistics for n=1 (calibrate them: mimo calibrate --n 1)' : null;
  if (why) {
    t.dispose();
    student.dispose();
    throw new Error(`--teacher ${path}: the teacher ${why}`);
  }
  return t;
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}
