/**
 * Linear axes with "nice" bounds and ticks (steps of 1, 2 or 5 × 10^k), so tick
 * labels are round numbers people can read off.
 *
 * @example
 * niceScale(0, 3720).ticks;  // [0, 1000, 2000, 3000, 4000]
 * formatTick(12500, 0);      // '12,500'
 */

export interface Scale {
  lo: number;
  hi: number;
  step: number;
  ticks: number[];
  /** Decimals every tick label needs (0 for 1000, 1 for 2.5). */
  decimals: number;
}

/** Steps 1, 2 or 5 × 10^k near `raw`; 2.5 is left out because it forces a decimal on every tick. */
function candidateSteps(raw: number): number[] {
  const k = Math.floor(Math.log10(raw));
  return [k - 1, k, k + 1].flatMap((e) => [1, 2, 5].map((f) => f * 10 ** e));
}

function decimalsOf(step: number): number {
  for (let d = 0; d < 10; d++) if (Math.abs(Math.round(step * 10 ** d) - step * 10 ** d) < 1e-6) return d;
  return 10;
}

/**
 * An axis from at most min to at least max, ending on ticks: the step whose tick count is
 * closest to `target` while wasting little of the axis on empty range.
 */
export function niceScale(min: number, max: number, target = 6): Scale {
  if (!Number.isFinite(min) || !Number.isFinite(max) || min > max) throw new Error(`niceScale: bad range [${min}, ${max}]`);
  if (max === min) { const pad = Math.abs(min) * 0.1 || 1; min -= pad; max += pad; }
  let best = { step: 0, lo: 0, hi: 0, count: 0, cost: Infinity };
  for (const step of candidateSteps((max - min) / Math.max(1, target - 1))) {
    const lo = Math.floor(min / step + 1e-9) * step, hi = Math.ceil(max / step - 1e-9) * step;
    const count = Math.round((hi - lo) / step);
    // Too many ticks clutter more than too few help, hence the 1.5.
    const cost = (count > target ? 1.5 : 1) * Math.abs(count - target) + 4 * (1 - (max - min) / (hi - lo));
    if (count >= 2 && cost < best.cost) best = { step, lo, hi, count, cost };
  }
  const { step, lo, count } = best;
  const decimals = decimalsOf(step);
  // Rounding to the step's decimals removes float noise such as 0.30000000000000004.
  const ticks = Array.from({ length: count + 1 }, (_, i) => Number((lo + i * step).toFixed(decimals)));
  return { lo: ticks[0], hi: ticks[count], step, ticks, decimals };
}

/** A tick label: fixed decimals, thousands separated by commas, no '-0'. */
export function formatTick(v: number, decimals: number): string {
  const s = (Math.abs(v) < 0.5 * 10 ** -decimals ? 0 : v).toFixed(decimals);
  const [int, frac] = s.split('.');
  const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return frac === undefined ? grouped : `${grouped}.${frac}`;
}
