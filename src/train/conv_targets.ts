// The MIMOConv acceptance targets, checked on a results table: static MIMONets at their own
// capacity against fixed accuracies, the dynamic model against the static model trained for each
// n, and every MIMONet against the plain WideResNet (the paper's accuracy delta and speed-up).

/** One evaluated checkpoint as `mimo results conv` records it. */
export interface ConvResultRow {
  name: string;
  model: string; // e.g. 'mimonet-16-4', 'wrn-16-4'
  binding: string;
  capacity: number;
  dynamic: boolean;
  initial_width: number;
  results: { n: number; accuracy: number; images_per_s: number }[];
}

/** Test accuracy a static MIMONet of capacity N should reach at n = N (the issue's targets). */
export const STATIC_TARGETS: Record<number, number> = { 1: 0.92, 2: 0.91, 4: 0.89 };
/** How far (accuracy, absolute) the dynamic model may fall below the static model at each n. */
export const DYNAMIC_TOLERANCE = 0.01;
/** The paper's MIMOConv claim vs WideResNet (SPEC §4): accuracy delta range in percentage points. */
export const PAPER_WRN_DELTA_PP = { best: 0.68, worst: -3.18 };

export interface ConvTarget {
  check: string;
  kind: 'accuracy' | 'difference'; // what value is: a test accuracy, or dynamic minus static accuracy
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
  for (const [N, goal] of Object.entries(STATIC_TARGETS).map(([k, v]) => [Number(k), v] as const)) {
    const found = statics.filter((m) => m.capacity === N && at(m, N));
    const check = `static MIMONet N=${N}: test accuracy at n=${N}`;
    if (found.length === 0) out.push({ check, kind: 'accuracy', value: null, target: `>= ${goal * 100}%`, met: null });
    for (const m of found) {
      const acc = at(m, N)!.accuracy;
      out.push({ check: `${check} (${m.name})`, kind: 'accuracy', value: acc, target: `>= ${goal * 100}%`, met: acc >= goal });
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
  return out;
}

/** Each static MIMONet at n = N against the WideResNet of the same depth and width. */
export function wrnComparisons(models: ConvResultRow[]): WrnComparison[] {
  return models.filter((m) => m.binding !== 'none' && !m.dynamic && at(m, m.capacity)).flatMap((m) => {
    const w = models.find((x) => x.model.startsWith('wrn-') && depthWidth(x.model) === depthWidth(m.model) && at(x, 1));
    if (!w) return [];
    const mine = at(m, m.capacity)!, base = at(w, 1)!;
    return [{ name: m.name, n: m.capacity, delta_pp: round((mine.accuracy - base.accuracy) * 100, 2), speedup: round(mine.images_per_s / base.images_per_s, 2) }];
  });
}
