/**
 * What a SIGINT/SIGTERM means. The first asks the command to stop (a `--wait` stops waiting and
 * exits cleanly: summary printed, lock released; remote batches keep running). A later one means
 * "exit now". Signals close together are the same Ctrl-C arriving twice: `npx tsx pipeline …`
 * relays the terminal's SIGINT to its child, which also gets it directly from the terminal's
 * process group — taking that copy for a second Ctrl-C turned one Ctrl-C into a hard kill.
 */

/** Signals within this long of the first are the same interrupt. */
export const SAME_INTERRUPT_MS = 1_000;

export type InterruptMeaning = 'stop' | 'same-interrupt' | 'exit-now';

/** Classifies each signal by its arrival time (ms). */
export function interruptClassifier(windowMs = SAME_INTERRUPT_MS): (at: number) => InterruptMeaning {
  let first: number | undefined;
  return (at) => {
    if (first === undefined) {
      first = at;
      return 'stop';
    }
    return at - first < windowMs ? 'same-interrupt' : 'exit-now';
  };
}
