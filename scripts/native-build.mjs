// Shared by setup.mjs and the npm `install` hook: build the oneDNN addon with node-gyp.
// Returns a reason string when it cannot be built, so callers can fall back to cpu.
import { existsSync, statSync, readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';

export const DNNL_HEADER = '/usr/include/oneapi/dnnl/dnnl.hpp';

export function addonPath(root) {
  return join(root, 'build', 'Release', 'mimo_native.node');
}

/** True when the built addon is older than its sources (or missing). */
export function addonStale(root) {
  const out = addonPath(root);
  if (!existsSync(out)) return true;
  const built = statSync(out).mtimeMs;
  const srcs = [join(root, 'binding.gyp'), ...readdirSync(join(root, 'native')).map((f) => join(root, 'native', f))];
  return srcs.some((f) => statSync(f).mtimeMs > built);
}

function nodeGyp(root) {
  const local = join(root, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  if (existsSync(local)) return [process.execPath, [local]];
  if (process.env.npm_config_node_gyp) return [process.execPath, [process.env.npm_config_node_gyp]];
  return ['node-gyp', []];
}

/** Builds the addon; returns '' on success or why it failed. */
export function buildAddon(root, { quiet = false } = {}) {
  if (!existsSync(DNNL_HEADER)) {
    return `oneDNN headers missing (${DNNL_HEADER}): apt-get install -y libdnnl-dev`;
  }
  const [cmd, pre] = nodeGyp(root);
  // Build against the headers of the running Node when npm has not said where they are (e.g.
  // `node scripts/setup.mjs` run directly): node-gyp would otherwise try to download them.
  const prefix = dirname(dirname(process.execPath));
  const nodedir = !process.env.npm_config_nodedir && existsSync(join(prefix, 'include', 'node', 'node.h')) ? [`--nodedir=${prefix}`] : [];
  const r = spawnSync(cmd, [...pre, 'rebuild', '--jobs', 'max', ...nodedir], { cwd: root, stdio: quiet ? 'pipe' : ['ignore', 'inherit', 'inherit'], encoding: 'utf8' });
  if (r.status !== 0) {
    const tail = quiet ? `\n${(r.stderr || '').split('\n').slice(-15).join('\n')}` : '';
    return `node-gyp rebuild failed (exit ${r.status ?? r.error?.message})${tail}`;
  }
  return '';
}
