#!/usr/bin/env -S node --import tsx
/**
 * Entry point: `npx tsx pipeline <command>` from the repo root, or `pipeline <command>` through
 * package.json's bin. Wires the process (argv, streams, signals) to the CLI and sets the exit code.
 */
import { main } from './src/cli/main.ts';
import { outputFor } from './src/report/terminal.ts';

const controller = new AbortController();
let interrupted = 0;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    interrupted += 1;
    // First Ctrl-C: stop waiting and finish cleanly (remote batches keep running). Second: now.
    if (interrupted > 1) process.exit(130);
    controller.abort(new Error(`interrupted by ${signal}`));
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
