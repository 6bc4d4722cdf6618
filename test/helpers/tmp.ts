// Per-test temporary folders, removed when the test file finishes.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { after } from 'node:test';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Returns a maker of fresh empty folders (one per case, so cases cannot see each other's files). */
export function tempDirs(prefix: string): () => string {
  const root = mkdtempSync(join(tmpdir(), prefix));
  after(() => rmSync(root, { recursive: true, force: true }));
  let counter = 0;
  return () => {
    const d = join(root, `case${counter++}`);
    mkdirSync(d, { recursive: true });
    return d;
  };
}
