/**
 * A small typed argument parser: every command declares its options, and anything
 * undeclared is an error that names the option and lists the known ones.
 */
export type OptType = 'string' | 'number' | 'boolean' | 'list';

export interface OptSpec {
  type: OptType;
  help: string;
  default?: string | number | boolean | string[];
  /** Name of an environment variable consulted when the flag is absent. */
  env?: string;
}

export type OptSpecs = Record<string, OptSpec>;
export type Parsed = Record<string, string | number | boolean | string[] | undefined> & { _: string[] };

/** A mistake in how a command was called: exit code 2, message shown with the usage. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Options every command takes. */
export const COMMON: OptSpecs = {
  json: { type: 'boolean', help: 'print exactly one JSON object as the last stdout line (no progress bar)' },
  help: { type: 'boolean', help: 'show this help' },
};

function convert(name: string, spec: OptSpec, raw: string, where: string): string | number | boolean | string[] {
  switch (spec.type) {
    case 'number': {
      const v = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(v)) throw new UsageError(`--${name} ${where}needs a number, got '${raw}'`);
      return v;
    }
    case 'boolean': {
      if (['1', 'true', 'yes'].includes(raw)) return true;
      if (['0', 'false', 'no'].includes(raw)) return false;
      throw new UsageError(`--${name} ${where}is a switch (true/false), got '${raw}'`);
    }
    case 'list': return raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
    default: return raw;
  }
}

/** Parses argv against specs (COMMON is added). Positionals go to `_`. */
export function parseArgs(argv: string[], specs: OptSpecs, command: string): Parsed {
  const all = { ...COMMON, ...specs };
  const out: Parsed = { _: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) { out._.push(a); continue; }
    let name = a.slice(2), value: string | undefined;
    const eq = name.indexOf('=');
    if (eq >= 0) { value = name.slice(eq + 1); name = name.slice(0, eq); }
    const spec = all[name];
    if (!spec && name.startsWith('no-') && all[name.slice(3)]?.type === 'boolean' && value === undefined) {
      out[name.slice(3)] = false;
      continue;
    }
    if (!spec) {
      const known = Object.keys(all).map((k) => '--' + k).join(', ');
      throw new UsageError(`unknown option --${name} for '${command}' (known: ${known})`);
    }
    if (spec.type === 'boolean' && value === undefined) { out[name] = true; continue; }
    if (value === undefined) {
      if (i + 1 >= argv.length) throw new UsageError(`--${name} needs a value (${spec.help})`);
      value = argv[++i];
    }
    out[name] = convert(name, spec, value, '');
  }
  for (const [name, spec] of Object.entries(all)) {
    if (out[name] !== undefined) continue;
    const fromEnv = spec.env ? process.env[spec.env] : undefined;
    if (fromEnv !== undefined && fromEnv !== '') out[name] = convert(name, spec, fromEnv, `(from ${spec.env}) `);
    else if (spec.default !== undefined) out[name] = spec.default;
  }
  return out;
}

/** Help text for a command. */
export function usage(command: string, summary: string, specs: OptSpecs): string {
  const all = { ...specs, ...COMMON };
  const rows = Object.entries(all).map(([k, s]) => {
    const arg = s.type === 'boolean' ? '' : s.type === 'list' ? ' a,b,..' : ` <${s.type}>`;
    const extra = [s.default !== undefined && s.type !== 'boolean' ? `default ${s.default}` : '', s.env ? `env ${s.env}` : '']
      .filter(Boolean).join('; ');
    return [`  --${k}${arg}`, s.help + (extra ? ` (${extra})` : '')];
  });
  // The help column starts two spaces after the longest option, so no option runs into its text.
  const width = Math.max(30, ...rows.map(([o]) => o.length + 2));
  return `usage: mimo ${command} [options]\n\n${summary}\n\noptions:\n${rows.map(([o, h]) => o.padEnd(width) + h).join('\n')}\n`;
}

/** The entries of o whose values are not undefined (options given on the command line). */
export function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
