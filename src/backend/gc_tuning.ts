/**
 * V8 garbage-collector setting for multi-threaded native work.
 *
 * Every tensor's values live in an ArrayBuffer that V8 frees only when it collects the
 * wrapper, so a training step's gigabytes of short-lived buffers keep V8's major GC busy.
 * By default V8 marks on a helper thread (concurrent marking); on a 2-core machine that
 * thread competes with the addon's OpenMP threads, which then wait at their barriers for a
 * core. Measured here (AMD EPYC, 2 cores, 2 threads, `node [--no-concurrent-marking]
 * dist/src/cli/main.js bench conv --model mimonet-16-4 --n 4`): training step 2.99 s ->
 * 1.94 s, inference 796 -> 1200 images/s; a MIMOFormer Performer forward 105 -> 61 ms.
 * With one thread and a spare core the helper thread has a core of its own and marking
 * concurrently is slightly faster (3.09 vs 3.26 s per step); pinned to one core (`taskset
 * -c 0`, how the training queue runs two jobs side by side) it is not: conv training step
 * (mimonet-16-4, n=4, batch 32) 1.44 -> 1.12 s, MIMOFormer Performer step (L=1024, batch
 * 32) 0.54 -> 0.45 s without it. So the flag is set whenever the addon's threads use every
 * core this process may run on (os.availableParallelism follows the CPU affinity).
 *
 * MIMO_CONCURRENT_MARKING=1 keeps V8's default.
 */
import { availableParallelism } from 'node:os';
import v8 from 'node:v8';

let applied = false;

/**
 * Turns V8's concurrent marking off (once per process) when the addon's threads leave no
 * core free (`cores`: the cores this process may use, by default from its CPU affinity).
 */
export function tuneGarbageCollector(threads: number, cores = availableParallelism()): boolean {
  if (applied) return true;
  if (threads < cores || process.env.MIMO_CONCURRENT_MARKING === '1') return false;
  v8.setFlagsFromString('--no-concurrent-marking');
  applied = true;
  return true;
}
