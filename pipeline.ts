#!/usr/bin/env -S node --import tsx
/**
 * Entry point: `npx tsx pipeline <command>` from the repo root, or `pipeline <command>` through
 * package.json's bin. Wires the process (argv, streams, signals) to the CLI and sets the exit code.
 */
import { EXIT_INTERRUPTED } from './src/cli/errors.ts';
import { interruptClassifier } from './src/cli/interrupts.ts';
import { main } from './src/cli/main.ts';
import { outputFor } from './src/report/terminal.ts';

const controller = new AbortController();
const classify = interruptClassifier();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    switch (classify(Date.now())) {
      case 'stop':
        process.stderr.write(`\n${signal}: stopping (Ctrl-C again, a second or more later, exits at once)\n`);
        controller.abort(new Error(`interrupted by ${signal}`));
        return;
      case 'same-interrupt':
        return; // the same Ctrl-C, relayed by a launcher (npx, tsx)
      case 'exit-now':
        // 'exit' handlers still run: the lock is released (src/engine/lock.ts).
        process.stderr.write(`${signal}: exiting now\n`);
        process.exit(EXIT_INTERRUPTED);
    }
  });
}

const code = await main(process.argv.slice(2), {
  stdout: outputFor(process.stdout),
  stderr: outputFor(process.stderr),
  cwd: process.cwd(),
  env: process.env,
  signal: controller.signal,
});
process.exitCode = code;
