/**
 * The process around the CLI: wires argv, streams and signals to `main` and sets the exit code.
 * Importing this module runs the command. It is what every entry starts (pipeline.ts,
 * bin/pipeline.js), and the entry point of the prebuilt bundle (scripts/bundle-cli.ts).
 */
import './heap-growth.ts';
import { EXIT_INTERRUPTED } from './errors.ts';
import { interruptClassifier } from './interrupts.ts';
import { main } from './main.ts';
import { outputFor } from '../report/terminal.ts';

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
