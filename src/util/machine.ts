import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';

/** What a CPU is, for the machine line of results: the model name alone ("AMD EPYC") hides the generation and vector width that set the speed. */
export interface CpuInfo {
  model: string;
  cores: number;
  /** x86 family and model numbers (Linux /proc/cpuinfo), null elsewhere. */
  family: number | null;
  modelNumber: number | null;
  /** The widest vector instruction set the kernels can use: AVX-512, AVX2, SSE, or null when unknown. */
  vector: 'AVX-512' | 'AVX2' | 'SSE' | null;
}

/** Parses the first processor block of /proc/cpuinfo text. */
export function parseCpuinfo(text: string): Pick<CpuInfo, 'family' | 'modelNumber' | 'vector'> {
  const field = (name: string) => new RegExp(`^${name}\\s*:\\s*(.*)$`, 'm').exec(text)?.[1]?.trim();
  const num = (v: string | undefined) => (v !== undefined && /^\d+$/.test(v) ? Number(v) : null);
  const flags = field('flags');
  const set = new Set(flags ? flags.split(/\s+/) : []);
  const vector = flags === undefined ? null : set.has('avx512f') ? 'AVX-512' : set.has('avx2') ? 'AVX2' : 'SSE';
  return { family: num(field('cpu family')), modelNumber: num(field('model')), vector };
}

export function cpuInfo(): CpuInfo {
  const c = cpus();
  let parsed: ReturnType<typeof parseCpuinfo> = { family: null, modelNumber: null, vector: null };
  try {
    parsed = parseCpuinfo(readFileSync('/proc/cpuinfo', 'utf8'));
  } catch {
    // not Linux: the model name is all there is
  }
  return { model: c[0]?.model.trim() || 'unknown CPU', cores: c.length, ...parsed };
}

/** "AMD EPYC (family 25, model 1, AVX2), 2 cores" — the machine line of every results table. */
export function machineLine(info: CpuInfo = cpuInfo()): string {
  const detail = [info.family !== null ? `family ${info.family}` : '', info.modelNumber !== null ? `model ${info.modelNumber}` : '', info.vector ?? ''].filter(Boolean);
  return `${info.model}${detail.length ? ` (${detail.join(', ')})` : ''}, ${info.cores} cores`;
}
