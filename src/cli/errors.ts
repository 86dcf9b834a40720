/** How usage and config errors are shown: the message, the details indented, exit code 2. */
import type { Output } from '../report/terminal.ts';
import { paint } from '../report/terminal.ts';
import type { UsageError } from './project.ts';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;
export const EXIT_PENDING = 75;
export const EXIT_INTERRUPTED = 130;

export function reportUsageError(out: Output, error: UsageError): number {
  const head = error.message.startsWith('Error:') ? error.message : `pipeline: ${error.message}`;
  out.write(`${paint(out, 'red', head)}\n${error.details.map((d) => `  ${d}\n`).join('')}`);
  return EXIT_USAGE;
}
