/**
 * Choosing the number of superposed inputs n for the next micro-batch.
 *
 * One set of weights serves every n that divides the capacity N: n = 1 is the most
 * accurate and the slowest per image, n = N the fastest. The `auto` policy picks the most
 * accurate n that still clears the queue within the latency budget, so an idle server
 * answers at n = 1 and a saturated one at n = N. Pure functions: the batcher feeds them the
 * queue and a cost model measured on this machine.
 */

export type Policy = { kind: 'auto'; maxLatencyMs: number } | { kind: 'fixed'; n: number };

/** Seconds for one forward pass of k images at n: overhead + k·perImage (fit per n). */
export interface PassCost {
  overheadS: number;
  perImageS: number;
}

export type CostModel = ReadonlyMap<number, PassCost>;

/** Parses `--policy auto|n=K` (K among the model's operating points). */
export function parsePolicy(text: string, points: readonly number[], maxLatencyMs: number): Policy {
  if (text === 'auto') return { kind: 'auto', maxLatencyMs };
  const m = /^n=(\d+)$/.exec(text);
  if (!m) throw new Error(`--policy '${text}': use 'auto' or 'n=K' with K one of ${points.join(', ')}`);
  const n = Number(m[1]);
  if (!points.includes(n)) throw new Error(`--policy n=${n}: the model serves n in {${points.join(', ')}} (the divisors of its capacity with batch-norm statistics)`);
  return { kind: 'fixed', n };
}

/** Estimated seconds to classify k images at n. */
export function passSeconds(cost: CostModel, n: number, k: number): number {
  const c = cost.get(n);
  if (!c) return Infinity;
  return c.overheadS + k * c.perImageS;
}

/**
 * The n for a batch drawn from a queue of `queued` images whose oldest has waited
 * `waitedMs`: fixed policies return their n; `auto` returns the smallest n (best accuracy)
 * whose pass over the whole queue ends within the budget left, else the largest n.
 */
export function chooseN(policy: Policy, points: readonly number[], cost: CostModel, queued: number, waitedMs: number): number {
  if (policy.kind === 'fixed') return policy.n;
  const sorted = [...points].sort((a, b) => a - b);
  const leftS = Math.max(0, policy.maxLatencyMs - waitedMs) / 1000;
  for (const n of sorted) {
    if (passSeconds(cost, n, queued) <= leftS) return n;
  }
  return sorted[sorted.length - 1];
}

/**
 * How k images are cut into forward passes at n: as many full groups of n as fit, then
 * the remainder at the largest operating points that fit it (e.g. 7 at n=4 with points
 * 1, 2, 4 → 4 at n=4, 2 at n=2, 1 at n=1). Every image is classified at the n reported.
 * A pass whose count is not a multiple of its n (only when 1 is not served) is padded.
 */
export function splitPlan(k: number, n: number, points: readonly number[]): { n: number; count: number }[] {
  const plan: { n: number; count: number }[] = [];
  const desc = [...points].filter((p) => p <= n).sort((a, b) => b - a);
  let left = k;
  for (const p of desc) {
    const count = Math.floor(left / p) * p;
    if (count > 0) plan.push({ n: p, count });
    left -= count;
  }
  // Without n = 1 (a model served only at its trained n): the last pass is padded with
  // repeats of its own images by the runner, and the extra outputs are dropped.
  if (left > 0) plan.push({ n: Math.min(...points), count: left });
  return plan;
}

/**
 * Fits overhead and per-image time of one n from timings of two batch sizes
 * (k1 < k2 images); the per-image time is at least 0 and the overhead at least 0.
 */
export function fitCost(k1: number, s1: number, k2: number, s2: number): PassCost {
  const perImageS = Math.max(0, (s2 - s1) / (k2 - k1));
  return { overheadS: Math.max(0, s1 - perImageS * k1), perImageS };
}
