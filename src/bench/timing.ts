/** Median wall-clock seconds of `reps` calls of fn, after one untimed warm-up call. */
export function medianSeconds(fn: () => void, reps: number): number {
  fn();
  const ts: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    fn();
    ts.push((performance.now() - t) / 1000);
  }
  ts.sort((a, b) => a - b);
  return ts[Math.floor(ts.length / 2)];
}
