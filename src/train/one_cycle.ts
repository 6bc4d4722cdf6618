/**
 * PyTorch's OneCycleLR (two phases, `three_phase=False`), as a pure function of the step:
 * the learning rate rises from maxLr/divFactor to maxLr over the first pctStart of the
 * run and falls to maxLr/divFactor/finalDivFactor by the last step, while the momentum
 * (SGD's, or Adam's β1) moves the opposite way between maxMomentum and baseMomentum.
 */
export interface OneCycleConfig {
  maxLr: number;
  totalSteps: number;
  /** Default 0.3. */
  pctStart?: number;
  /** Default 25. */
  divFactor?: number;
  /** Default 1e4. */
  finalDivFactor?: number;
  /** Default 'cos'. */
  anneal?: 'cos' | 'linear';
  /** Default 0.85. */
  baseMomentum?: number;
  /** Default 0.95. */
  maxMomentum?: number;
}

function annealFn(kind: 'cos' | 'linear') {
  return kind === 'cos'
    ? (start: number, end: number, pct: number) => end + ((start - end) / 2) * (Math.cos(Math.PI * pct) + 1)
    : (start: number, end: number, pct: number) => (end - start) * pct + start;
}

/**
 * The learning rate and momentum for optimiser step `step` (0-based; the scheduler
 * advances after every batch, applied or skipped).
 *
 * @example
 * oneCycle({ maxLr: 0.2, totalSteps: 1000 }, 0); // { lr: 0.008, momentum: 0.95 }
 */
export function oneCycle(c: OneCycleConfig, step: number): { lr: number; momentum: number } {
  const pct0 = c.pctStart ?? 0.3, div = c.divFactor ?? 25, fdiv = c.finalDivFactor ?? 1e4;
  const baseM = c.baseMomentum ?? 0.85, maxM = c.maxMomentum ?? 0.95;
  if (!Number.isInteger(step) || step < 0 || step > c.totalSteps) {
    throw new Error(`oneCycle: step ${step} outside 0..${c.totalSteps} (the schedule was built for ${c.totalSteps} steps)`);
  }
  const initial = c.maxLr / div, min = initial / fdiv;
  const anneal = annealFn(c.anneal ?? 'cos');
  const phases = [
    { end: pct0 * c.totalSteps - 1, lr: [initial, c.maxLr], m: [maxM, baseM] },
    { end: c.totalSteps - 1, lr: [c.maxLr, min], m: [baseM, maxM] },
  ];
  let start = 0;
  for (let i = 0; i < phases.length; i++) {
    const p = phases[i];
    if (step <= p.end || i === phases.length - 1) {
      // A phase of length 0 (e.g. pctStart·totalSteps = 1) is already at its end value.
      const pct = p.end > start ? (step - start) / (p.end - start) : 1;
      return { lr: anneal(p.lr[0], p.lr[1], pct), momentum: anneal(p.m[0], p.m[1], pct) };
    }
    start = p.end;
  }
  throw new Error('unreachable');
}
