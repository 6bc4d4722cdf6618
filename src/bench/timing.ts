/**
 * Median wall-clock seconds of at least `reps` calls of fn, after one untimed warm-up call;
 * fast functions are repeated until `minSeconds` have been timed (at most 100 calls), so a
 * 50 ms pass is not judged on three noisy samples.
 */
export function medianSeconds(fn: () => void, reps: number, minSeconds = 0): number {
  fn();
  const ts: number[] = [];
  let total = 0;
  while (ts.length < reps || (total < minSeconds && ts.length < 100)) {
    const t = performance.now();
    fn();
    const dt = (performance.now() - t) / 1000;
    ts.push(dt);
    total += dt;
  }
  return median(ts);
}

/** The median of a non-empty list (the upper one of the middle two for even lengths). */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}
