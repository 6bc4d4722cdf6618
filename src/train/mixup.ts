/**
 * Mixup (SPEC §2.4) on a whole loader batch before superposition: x ← λx + (1−λ)x[π],
 * loss = λ·CE(out, y) + (1−λ)·CE(out, y[π]), with λ ~ Beta(α, α) once per batch.
 */
import { Rng } from '../data/index.js';

/** A standard normal draw (Box–Muller). */
function normal(rng: Rng): number {
  let u = rng.next();
  while (u <= 0) u = rng.next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
}

/** Gamma(shape, 1) by Marsaglia–Tsang (boosted for shape < 1). */
export function sampleGamma(shape: number, rng: Rng): number {
  if (shape < 1) {
    let u = rng.next();
    while (u <= 0) u = rng.next();
    return sampleGamma(shape + 1, rng) * Math.pow(u, 1 / shape);
  }
  const d = shape - 1 / 3, c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number, v: number;
    do {
      x = normal(rng);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = rng.next();
    if (u < 1 - 0.0331 * x * x * x * x || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

/** λ ~ Beta(α, α); α = 0 means no mixup (λ = 1). */
export function sampleBeta(alpha: number, rng: Rng): number {
  if (alpha <= 0) return 1;
  const a = sampleGamma(alpha, rng), b = sampleGamma(alpha, rng);
  return a / (a + b);
}

export interface MixedBatch {
  x: Float32Array;
  lambda: number;
  /** y[π]: the partner labels. */
  yPerm: Int32Array;
}

/**
 * Mixes images of a batch ([B, ...] flattened, `perImage` floats each) with a random
 * permutation of itself. Returns new arrays; the inputs are left as they are.
 */
export function mixup(x: Float32Array, y: Int32Array, perImage: number, alpha: number, rng: Rng): MixedBatch {
  const b = y.length;
  const lambda = sampleBeta(alpha, rng);
  const perm = Int32Array.from({ length: b }, (_, i) => i);
  for (let i = b - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = perm[i]; perm[i] = perm[j]; perm[j] = t;
  }
  const yPerm = Int32Array.from(perm, (p) => y[p]);
  if (lambda === 1) return { x, lambda, yPerm };
  const out = new Float32Array(x.length);
  for (let i = 0; i < b; i++) {
    const a = i * perImage, p = perm[i] * perImage;
    for (let k = 0; k < perImage; k++) out[a + k] = lambda * x[a + k] + (1 - lambda) * x[p + k];
  }
  return { x: out, lambda, yPerm };
}
