/**
 * A command's declaration: its options (node:util parseArgs) with one-line descriptions, from
 * which `--help` is generated, and its action. Argv is a parameter, so tests run commands
 * in-process as well as in a subprocess.
 */
import { parseArgs } from 'node:util';
import type { Output } from '../report/terminal.ts';
import type { Clock } from '../util/clock.ts';

export interface OptionSpec {
  type: 'boolean' | 'string';
  short?: string;
  multiple?: boolean;
  description: string;
  /** Placeholder shown in help for string options. */
  value?: string;
}

export interface Io {
  stdout: Output;
  stderr: Output;
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Aborted on Ctrl-C / SIGTERM. */
  signal: AbortSignal;
  /** Time for polling and waiting; tests inject a fast clock. Default: the system clock. */
  clock?: Clock;
}

export interface Command {
  name: string;
  summary: string;
  usage: string;
  options: Record<string, OptionSpec>;
  /** Extra help text after the options. */
  notes?: string;
  run(args: ParsedArgs, io: Io): Promise<number>;
}

export interface ParsedArgs {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

export const COMMON_OPTIONS: Record<string, OptionSpec> = {
  config: { type: 'string', short: 'C', value: 'PATH', description: 'config file (default: pipeline.config.ts)' },
  help: { type: 'boolean', short: 'h', description: 'show this help' },
};

export function parseCommandArgs(
  command: Command,
  argv: string[],
): { ok: true; args: ParsedArgs } | { ok: false; message: string } {
  const options = { ...COMMON_OPTIONS, ...command.options };
  try {
    const parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: Object.fromEntries(
        Object.entries(options).map(([name, o]) => [
          name,
          { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.multiple ? { multiple: true } : {}) },
        ]),
      ),
    });
    return { ok: true, args: { values: parsed.values as ParsedArgs['values'], positionals: parsed.positionals } };
  } catch (error) {
    return { ok: false, message: (error as Error).message };
  }
}

export function helpText(command: Command): string {
  const options = { ...command.options, ...COMMON_OPTIONS };
  const rows = Object.entries(options).map(([name, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : '    '}--${name}${o.type === 'string' ? ` ${o.value ?? 'VALUE'}` : ''}`;
    return [flag, o.description] as const;
  });
  const width = Math.max(...rows.map(([f]) => f.length));
  return [
    `Usage: pipeline ${command.usage}`,
    '',
    command.summary,
    '',
    'Options:',
    ...rows.map(([f, d]) => `  ${f.padEnd(width)}  ${d}`),
    ...(command.notes ? ['', command.notes] : []),
    '',
  ].join('\n');
}

export function stringOption(args: ParsedArgs, name: string): string | undefined {
  const v = args.values[name];
  return typeof v === 'string' ? v : undefined;
}

export function flag(args: ParsedArgs, name: string): boolean {
  return args.values[name] === true;
}

/** A non-negative number option, or an error message naming the flag. */
export function numberOption(
  args: ParsedArgs,
  name: string,
): { ok: true; value: number | undefined } | { ok: false; message: string } {
  const raw = stringOption(args, name);
  if (raw === undefined) return { ok: true, value: undefined };
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0)
    return { ok: false, message: `--${name} takes a non-negative number, got '${raw}'` };
  return { ok: true, value };
}
