/**
 * The command line: argv → command → exit code. It only wires things together; commands hold
 * the logic and the engine never prints.
 */
import { createRequire } from 'node:module';
import { helpText, parseCommandArgs, type Io } from './command.ts';
import { COMMAND_LOADERS, COMMAND_SUMMARIES, type CommandName } from './command-list.ts';
import { EXIT_USAGE, reportNewerState } from './errors.ts';
import { exitCodesLine } from '../report/exit-codes.ts';
import { NewerStateError } from '../util/state-format.ts';
import { PACKAGE_NAME } from '../package-name.ts';

const COMMANDS = Object.entries(COMMAND_SUMMARIES).map(([name, summary]) => ({ name, summary }));

function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'pipeline — a make-like build tool for LLM batch jobs',
    '',
    'Usage: pipeline <command> [targets...] [options]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    "Run `pipeline <command> --help` for a command's options.",
    exitCodesLine(),
    '',
  ].join('\n');
}

/** The version of the package this code came with (its own package.json, found by self-reference). */
function packageVersion(): string {
  return (createRequire(import.meta.url)(`${PACKAGE_NAME}/package.json`) as { version: string }).version;
}

export async function main(argv: readonly string[], io: Io): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
    (name === undefined ? io.stderr : io.stdout).write(mainHelp());
    return name === undefined ? EXIT_USAGE : 0;
  }
  if (name === '--version' || name === '-V') {
    io.stdout.write(`pipeline ${packageVersion()}\n`);
    return 0;
  }
  if (!Object.hasOwn(COMMAND_LOADERS, name)) {
    const { nearest } = await import('../graph/select.ts');
    const hint = nearest(
      name,
      COMMANDS.map((c) => c.name),
    );
    io.stderr.write(
      `pipeline: unknown command '${name}'${hint ? ` (did you mean '${hint}'?)` : ''}\nRun \`pipeline --help\` for the list of commands.\n`,
    );
    return EXIT_USAGE;
  }
  const command = await COMMAND_LOADERS[name as CommandName]();
  if (command.name === 'emulator') return command.run({ values: {}, positionals: rest }, io);
  const parsed = parseCommandArgs(command, rest);
  if (!parsed.ok) {
    io.stderr.write(
      `pipeline ${command.name}: ${parsed.message}\nRun \`pipeline ${command.name} --help\` for its options.\n`,
    );
    return EXIT_USAGE;
  }
  if (parsed.args.values.help === true) {
    io.stdout.write(helpText(command));
    return 0;
  }
  try {
    return await command.run(parsed.args, io);
  } catch (error) {
    // Met in a state file after the command began (a journal, the spend log…); nothing was written to it.
    if (error instanceof NewerStateError) return reportNewerState(io.stderr, error, io.cwd);
    throw error;
  }
}
