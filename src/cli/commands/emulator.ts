/** `pipeline emulator`: serve the built-in Batch API emulator; it parses its own flags. */
import type { Command } from '../command.ts';
import { COMMAND_SUMMARIES } from '../command-list.ts';

export const emulatorCommand: Command = {
  name: 'emulator',
  summary: COMMAND_SUMMARIES.emulator,
  usage: 'emulator [--port N] [--state-dir DIR] [--speed X] [fault options]',
  options: {},
  async run(args, io) {
    const { runEmulatorCommand } = await import('../../emulator/cli.ts');
    return runEmulatorCommand(args.positionals, {
      stdout: { write: (t: string) => io.stdout.write(t) } as NodeJS.WritableStream,
      stderr: { write: (t: string) => io.stderr.write(t) } as NodeJS.WritableStream,
    });
  },
};
