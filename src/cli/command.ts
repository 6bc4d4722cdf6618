import { UsageError, type OptSpecs, type Parsed } from './args.js';
import { timeLimitFromMinutes, type TimeLimit } from '../train/time_limit.js';

/** What a command returns: the JSON object (printed last with --json) and text for people. */
export interface CommandResult {
  json: Record<string, unknown>;
  text: string;
}

/** One `mimo` subcommand. The CLI only parses arguments and calls the library. */
export interface Command {
  /** Words after `mimo`, e.g. ['bench', 'kernels']. */
  path: string[];
  summary: string;
  options: OptSpecs;
  run(args: Parsed): Promise<CommandResult>;
}

/** Options shared by commands that compute. */
export const BACKEND_OPTS: OptSpecs = {
  backend: { type: 'string', help: 'tfjs backend: native (oneDNN) or cpu (pure JS)', env: 'MIMO_BACKEND' },
  threads: { type: 'number', help: 'oneDNN threads (default: all cores)', env: 'MIMO_THREADS' },
};

export const DATA_OPTS: OptSpecs = {
  'data-dir': { type: 'string', help: 'folder with the datasets in their official formats (default: <package>/.cache/data)', env: 'MIMO_DATA_DIR' },
};

/** Formats rows as an aligned text table. */
export function table(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const w = header.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  return cells.map((r) => r.map((c, i) => c.padEnd(w[i])).join('  ')).join('\n');
}

/** The training commands' wall-clock budget (minutes from now), checked before each checkpointed unit. */
export function timeLimitOption(v: unknown): TimeLimit | undefined {
  try {
    return timeLimitFromMinutes(v as number | undefined);
  } catch (e) {
    throw new UsageError((e as Error).message); // a bad option value: exit 2
  }
}
