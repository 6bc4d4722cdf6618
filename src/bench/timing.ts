/** Median wall-clock seconds of `reps` calls of fn, after one untimed warm-up call. */
export function medianSeconds(fn: () => void, reps: number): number {
  fn();
  const ts: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    fn();
    ts.push((performance.now() - t) / 1000);
  }
  return median(ts);
}

/** The median of a non-empty list (the upper one of the middle two for even lengths). */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}
