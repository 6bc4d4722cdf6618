/**
 * Monte-Carlo check of the score-interference bound of SPEC §4.4 (our Proposition A,
 * not the paper's theorem, which is not available): with bipolar keys β, the superposed
 * score ⟨q̃_n, k̃_m⟩ equals ⟨q_mn, k_mn⟩ plus an error E_mn with
 *
 *   E[E] = 0,  Var(E) = Σ_{(i,j)≠(m,n)} ‖q_in ⊙ k_mj‖²,
 *   P(|E| ≥ t) ≤ 2·exp(−t² / (2 Σ_d a_d²)),  a_d = Σ_{(i,j)≠(m,n)} |q_in,d · k_mj,d|.
 *
 * For each (D, M=N) it draws fixed unit queries and keys, then many key sets β, and
 * compares the measured standard deviation and tail frequency with the prediction.
 */
import { Rng } from '../../data/index.js';

export interface InterferenceRow {
  d: number;
  m: number;
  n: number;
  trials: number;
  measured_mean: number;
  measured_std: number;
  predicted_std: number;
  /** measured / predicted standard deviation. */
  std_ratio: number;
  delta: number;
  /** Hoeffding radius: P(|E| ≥ bound) ≤ delta. */
  bound: number;
  /** Observed P(|E| ≥ bound). */
  tail_frequency: number;
  holds: boolean;
}

function gauss(rng: Rng): number {
  let u = rng.next();
  while (u <= 0) u = rng.next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
}

function unit(d: number, rng: Rng): Float64Array {
  const v = Float64Array.from({ length: d }, () => gauss(rng));
  const nrm = Math.sqrt(v.reduce((a, x) => a + x * x, 0));
  return v.map((x) => x / nrm);
}

/** One (D, M=N) case: cell (0, 0), `trials` key draws for one fixed set of queries and keys. */
export function interferenceCase(d: number, mn: number, trials: number, seed: number, delta = 0.05): InterferenceRow {
  const rng = new Rng(seed);
  const M = mn, N = mn;
  const q = Array.from({ length: M * N }, () => unit(d, rng)); // q[i·N + j] = q_ij
  const k = Array.from({ length: M * N }, () => unit(d, rng));
  const m0 = 0, n0 = 0;
  // Cross terms of cell (m0, n0): query of cell (i, n0) against key of cell (m0, j), (i, j) ≠ (m0, n0).
  const pairs: [number, number][] = [];
  for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) if (i !== m0 || j !== n0) pairs.push([i * N + n0, m0 * N + j]);
  let variance = 0;
  const a = new Float64Array(d);
  for (const [qi, kj] of pairs) {
    for (let t = 0; t < d; t++) {
      const prod = q[qi][t] * k[kj][t];
      variance += prod * prod;
      a[t] += Math.abs(prod);
    }
  }
  const sumA2 = a.reduce((s, x) => s + x * x, 0);
  const bound = Math.sqrt(2 * Math.log(2 / delta) * sumA2);
  let s1 = 0, s2 = 0, tail = 0;
  const beta = new Int8Array(M * N * d);
  for (let trial = 0; trial < trials; trial++) {
    for (let i = 0; i < beta.length; i++) beta[i] = rng.next() < 0.5 ? -1 : 1;
    // E = Σ_pairs Σ_t β_{query cell,t} β_{key cell,t} q_t k_t
    let e = 0;
    for (const [qi, kj] of pairs) {
      const bq = qi * d, bk = kj * d;
      for (let t = 0; t < d; t++) e += beta[bq + t] * beta[bk + t] * q[qi][t] * k[kj][t];
    }
    s1 += e;
    s2 += e * e;
    if (Math.abs(e) >= bound && pairs.length > 0) tail++;
  }
  const mean = s1 / trials, std = Math.sqrt(Math.max(0, s2 / trials - mean * mean));
  const predicted = Math.sqrt(variance);
  const ratio = predicted > 0 ? std / predicted : std === 0 ? 1 : Infinity;
  const tailFreq = tail / trials;
  // Monte-Carlo slack: the std estimate has relative error ~1/√(2·trials).
  const slack = 4 / Math.sqrt(2 * trials);
  const holds = tailFreq <= delta && Math.abs(ratio - 1) <= slack && Math.abs(mean) <= 4 * predicted / Math.sqrt(trials) + 1e-12;
  return { d, m: M, n: N, trials, measured_mean: mean, measured_std: std, predicted_std: predicted, std_ratio: ratio, delta, bound, tail_frequency: tailFreq, holds };
}
