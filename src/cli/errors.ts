/** How usage and config errors are shown: the message, the details indented, exit code 2. */
import path from 'node:path';
import type { Output } from '../report/terminal.ts';
import { paint } from '../report/terminal.ts';
import { NEWER_STATE_DETAILS, newerStateMessage, type NewerStateError } from '../util/state-format.ts';
import type { UsageError } from './project.ts';

import { EXIT_USAGE } from '../report/exit-codes.ts';

export { EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_PENDING, EXIT_USAGE } from '../report/exit-codes.ts';

export function reportUsageError(out: Output, error: UsageError): number {
  const head = error.message.startsWith('Error:') ? error.message : `pipeline: ${error.message}`;
  out.write(`${paint(out, 'red', head)}\n${error.details.map((d) => `  ${d}\n`).join('')}`);
  return EXIT_USAGE;
}

/** A state file a newer llmake wrote: named relative to the working directory, exit code 2. */
export function reportNewerState(out: Output, error: NewerStateError, cwd: string): number {
  const shown = path.relative(cwd, error.file) || error.file;
  return reportUsageError(out, { message: newerStateMessage(shown, error.format), details: [...NEWER_STATE_DETAILS] });
}
