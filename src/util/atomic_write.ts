import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** Writes a text or binary file atomically: `<path>.tmp` first, then a rename; creates the folder. */
export function writeFileAtomic(path: string, body: string | Uint8Array): void {
  const full = resolve(path);
  mkdirSync(dirname(full), { recursive: true });
  writeFileSync(full + '.tmp', body);
  renameSync(full + '.tmp', full);
}

/** Writes `<base>.json` (pretty, one space) and `<base>.md`, each atomically. */
export function writeResults(base: string, json: unknown, md: string): void {
  writeFileAtomic(base + '.json', JSON.stringify(json, null, 1) + '\n');
  writeFileAtomic(base + '.md', md);
}
