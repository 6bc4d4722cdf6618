// The MIMOConv acceptance targets, checked on a results table: static MIMONets at their own
// capacity against the WideResNet of the same depth and width trained with the same recipe (the
// paper's worst accuracy delta), the dynamic model against the static model trained for each n,
// each MIMONet's training budget against the WRN's, and the paper's delta and speed-up.

/** One evaluated checkpoint as `mimo results conv` records it. */
export interface ConvResultRow {
  name: string;
  model: string; // e.g. 'mimonet-16-4', 'wrn-16-4'
  binding: string;
  capacity: number;
  dynamic: boolean;
  initial_width: number;
  results: { n: number; accuracy: number; images_per_s: number }[];
  /** Training wall time, and that of the models it started from or learned from (warm start, teacher); null: unknown. */
  train_seconds?: number;
  prerequisite_seconds?: number | null;
}

/**
 * How far (percentage points) a static MIMONet of capacity N may fall below the WRN of the same
 * depth and width at n = N: 1.0 for N = 2, the paper's worst delta (3.2) for N = 4.
 */
export const STATIC_WRN_TOLERANCE_PP: Record<number, number> = { 2: 1.0, 4: 3.2 };
/** A MIMONet's training compute (with what it starts from or learns from) over the WRN's: the paper's 1200 / 200 epochs. */
export const BUDGET_RATIO = 6;
/** How far (accuracy, absolute) the dynamic model may fall below the static model at each n. */
export const DYNAMIC_TOLERANCE = 0.01;
/** The paper's MIMOConv claim vs WideResNet (SPEC §4): accuracy delta range in percentage points. */
export const PAPER_WRN_DELTA_PP = { best: 0.68, worst: -3.18 };

export interface ConvTarget {
  check: string;
  kind: 'difference' | 'ratio'; // what value is: an accuracy difference (MIMONet minus WRN, dynamic minus static), or a budget ratio
  value: number | null; // measured; null: the model is not in the table
  target: string;
  met: boolean | null; // null: cannot be checked yet
}

export interface WrnComparison {
  name: string; n: number; delta_pp: number; speedup: number;
}

const at = (m: ConvResultRow, n: number) => m.results.find((r) => r.n === n);
const depthWidth = (model: string) => model.replace(/^[a-z]+-/, ''); // 'mimonet-16-4' -> '16-4'
const round = (x: number, d: number) => Math.round(x * 10 ** d) / 10 ** d;

/** The targets of every static capacity and every dynamic model's n, met or not (null: model missing). */
export function convTargets(models: ConvResultRow[]): ConvTarget[] {
  const mimo = models.filter((m) => m.binding !== 'none');
  const statics = mimo.filter((m) => !m.dynamic);
  const out: ConvTarget[] = [];
  for (const [N, tol] of Object.entries(STATIC_WRN_TOLERANCE_PP).map(([k, v]) => [Number(k), v] as const)) {
    const found = statics.filter((m) => m.capacity === N && at(m, N));
    const check = `static MIMONet N=${N} at n=${N} vs the WRN`;
    const target = `>= WRN - ${tol.toFixed(1)} pt`;
    if (found.length === 0) out.push({ check, kind: 'difference', value: null, target, met: null });
    for (const m of found) {
      const w = wrnOf(models, m);
      if (!w) { out.push({ check: `${check} (${m.name}; no WRN of its size in the table)`, kind: 'difference', value: null, target, met: null }); continue; }
      const diff = round(at(m, N)!.accuracy - at(w, 1)!.accuracy, 5);
      out.push({ check: `${check} (${m.name} vs ${w.name})`, kind: 'difference', value: diff, target, met: diff * 100 >= -tol - 1e-9 });
    }
  }
  for (const d of mimo.filter((m) => m.dynamic)) {
    for (const { n, accuracy } of d.results) {
      // The static model trained for exactly n inputs, same trunk and binding.
      const s = statics.find((m) => m.capacity === n && m.model === d.model && m.binding === d.binding && m.initial_width === d.initial_width && at(m, n));
      const check = `dynamic ${d.name} at n=${n} vs static N=${n}${s ? ` (${s.name})` : ''}`;
      const target = `>= static - ${DYNAMIC_TOLERANCE * 100} pt`;
      if (!s) out.push({ check, kind: 'difference', value: null, target, met: null });
      else {
        const diff = round(accuracy - at(s, n)!.accuracy, 5);
        out.push({ check, kind: 'difference', value: diff, target, met: diff >= -DYNAMIC_TOLERANCE });
      }
    }
  }
  for (const m of mimo) {
    const w = wrnOf(models, m);
    const check = `budget ${m.name}: training time (with what it starts from) / the WRN's`;
    const own = m.train_seconds, pre = m.prerequisite_seconds, base = w?.train_seconds;
    if (own === undefined || pre === null || pre === undefined || !base) { out.push({ check, kind: 'ratio', value: null, target: `<= ${BUDGET_RATIO}x`, met: null }); continue; }
    const ratio = round((own + pre) / base, 2);
    out.push({ check, kind: 'ratio', value: ratio, target: `<= ${BUDGET_RATIO}x`, met: ratio <= BUDGET_RATIO });
  }
  return out;
}

/** The WRN of the same depth and width as `m`, evaluated at n = 1. */
function wrnOf(models: ConvResultRow[], m: ConvResultRow): ConvResultRow | undefined {
  return models.find((x) => x.model.startsWith('wrn-') && depthWidth(x.model) === depthWidth(m.model) && at(x, 1));
}

/** Each static MIMONet at n = N against the WideResNet of the same depth and width. */
export function wrnComparisons(models: ConvResultRow[]): WrnComparison[] {
  return models.filter((m) => m.binding !== 'none' && !m.dynamic && at(m, m.capacity)).flatMap((m) => {
    const w = wrnOf(models, m);
    if (!w) return [];
    const mine = at(m, m.capacity)!, base = at(w, 1)!;
    return [{ name: m.name, n: m.capacity, delta_pp: round((mine.accuracy - base.accuracy) * 100, 2), speedup: round(mine.images_per_s / base.images_per_s, 2) }];
  });
}
