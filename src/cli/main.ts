#!/usr/bin/env node
/**
 * `mimo`: the mimonets command line. Subcommands live in ./commands; this file only
 * dispatches, prints results (one JSON object last with --json) and maps errors to
 * exit codes (2: how the command was called, 1: anything else).
 */
import { parseArgs, usage, UsageError } from './args.js';
import type { Command } from './command.js';
import { COMMANDS } from './commands/index.js';

function find(argv: string[]): { cmd: Command; rest: string[] } | undefined {
  // Longest path first, so `bench kernels` wins over a hypothetical `bench`.
  const sorted = [...COMMANDS].sort((a, b) => b.path.length - a.path.length);
  for (const cmd of sorted) {
    if (cmd.path.every((w, i) => argv[i] === w)) return { cmd, rest: argv.slice(cmd.path.length) };
  }
  return undefined;
}

function overview(): string {
  const width = Math.max(20, ...COMMANDS.map((c) => c.path.join(' ').length + 2));
  const rows = COMMANDS.map((c) => `  ${c.path.join(' ').padEnd(width)}${c.summary}`);
  return `usage: mimo <command> [options]    (mimo <command> --help for its options)\n\ncommands:\n${rows.join('\n')}\n`;
}

export async function main(argv: string[]): Promise<number> {
  const json = argv.includes('--json');
  const found = find(argv);
  try {
    if (!found) {
      if (argv.length === 0 || argv[0] === '--help' || argv[0] === 'help') {
        process.stdout.write(overview());
        if (json) process.stdout.write(JSON.stringify({ commands: COMMANDS.map((c) => c.path.join(' ')) }) + '\n');
        return 0;
      }
      throw new UsageError(`unknown command '${argv.filter((a) => !a.startsWith('--')).join(' ')}'\n\n${overview()}`);
    }
    const { cmd, rest } = found;
    const name = cmd.path.join(' ');
    const args = parseArgs(rest, cmd.options, `mimo ${name}`);
    if (args.help) {
      process.stdout.write(usage(name, cmd.summary, cmd.options));
      if (json) process.stdout.write(JSON.stringify({ command: name, options: Object.keys(cmd.options) }) + '\n');
      return 0;
    }
    if (args._.length > 0) throw new UsageError(`'mimo ${name}' takes no positional arguments, got '${args._.join(' ')}'`);
    const result = await cmd.run(args);
    if (json) process.stdout.write(JSON.stringify(result.json) + '\n');
    else process.stdout.write(result.text + '\n');
    return 0;
  } catch (e) {
    const err = e as Error;
    const code = err instanceof UsageError ? 2 : 1;
    process.stderr.write(`mimo: ${err.message}\n`);
    if (process.env.MIMO_DEBUG && err.stack) process.stderr.write(err.stack + '\n');
    if (json) process.stdout.write(JSON.stringify({ error: err.message.split('\n')[0], exit_code: code }) + '\n');
    return code;
  }
}

main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
