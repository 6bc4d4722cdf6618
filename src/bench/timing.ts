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

/**
 * Median wall-clock seconds of each of several functions, timed in interleaved rounds: every
 * round times each function for about minSeconds / rounds (at least one call, after one
 * untimed warm-up call), so a slow spell on a shared machine (another process, a frequency
 * change) lands on all of them alike and their ratios stay comparable. Each function gets at
 * least `reps` timed calls and at most 100.
 */
export function interleavedMedians(fns: (() => void)[], reps: number, minSeconds = 0, rounds = 5): number[] {
  const ts: number[][] = fns.map(() => []);
  const slice = minSeconds / rounds;
  for (let r = 0; r < rounds || ts.some((t) => t.length < reps); r++) {
    fns.forEach((fn, i) => {
      fn();
      let spent = 0;
      do {
        const t = performance.now();
        fn();
        const dt = (performance.now() - t) / 1000;
        ts[i].push(dt);
        spent += dt;
      } while (spent < slice && ts[i].length < 100);
    });
  }
  return ts.map(median);
}

/** interleavedMedians for functions that may be asynchronous (e.g. ONNX Runtime's session.run). */
export async function interleavedMediansAsync(fns: (() => unknown)[], reps: number, minSeconds = 0, rounds = 5): Promise<number[]> {
  const ts: number[][] = fns.map(() => []);
  const slice = minSeconds / rounds;
  for (let r = 0; r < rounds || ts.some((t) => t.length < reps); r++) {
    for (const [i, fn] of fns.entries()) {
      await fn();
      let spent = 0;
      do {
        const t = performance.now();
        await fn();
        const dt = (performance.now() - t) / 1000;
        ts[i].push(dt);
        spent += dt;
      } while (spent < slice && ts[i].length < 100);
    }
  }
  return ts.map(median);
}
