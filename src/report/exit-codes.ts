/**
 * The exit codes, in one place: what each means, the rule that picks one for a build, and the
 * words `--help` and the README show for them (a test checks the README's table against this one).
 *
 * The rule is made for loops (`until pipeline build; do [ $? = 75 ] || break; sleep 60; done`):
 * while anything selected is still in flight, queued or backing off, a build exits 75 even if
 * something else failed — stopping then would leave paid batches uncollected — and lists the
 * failures each time. Only when nothing is left to wait for does a failure exit 1.
 */
import type { BuildSummary } from '../engine/events.ts';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;
export const EXIT_PENDING = 75;
export const EXIT_INTERRUPTED = 130;

export interface ExitCodeMeaning {
  code: number;
  /** A few words, for one-line lists (`--help`). */
  short: string;
  /** The full meaning, for the README's table. */
  meaning: string;
}

export const EXIT_CODES: readonly ExitCodeMeaning[] = [
  { code: EXIT_OK, short: 'up to date', meaning: 'every selected target is up to date' },
  {
    code: EXIT_FAILED,
    short: 'a target failed (nothing left to wait for)',
    meaning:
      'a target failed and nothing selected is still in flight: the failures are listed; fix them (or re-run: rows that ran out of attempts get a fresh round)',
  },
  { code: EXIT_USAGE, short: 'usage or config error', meaning: 'usage or config error: nothing was done' },
  {
    code: EXIT_PENDING,
    short: 'work still in flight (run again later)',
    meaning:
      'work is still in flight, queued or backing off (even if another target failed: the failures are listed every time): run the same command again later',
  },
  { code: EXIT_INTERRUPTED, short: 'interrupted', meaning: 'interrupted (Ctrl-C)' },
];

/**
 * A build's exit code: 75 while any target of the build (the selected ones and what they depend
 * on) is pending or waits for one that is, whatever failed beside it; else 1 if any failed; else
 * 0. A dry run exits 0 unless it finds a failure (as `make -n`): what would run is in its output.
 */
export function exitCodeOf(summary: BuildSummary): typeof EXIT_OK | typeof EXIT_FAILED | typeof EXIT_PENDING {
  let failed = false;
  for (const r of summary.results.values()) {
    if (r.state === 'pending' || (r.state === 'blocked' && r.blockedBecause === 'pending')) return EXIT_PENDING;
    if (r.state === 'failed' || r.state === 'blocked') failed = true;
  }
  return failed ? EXIT_FAILED : EXIT_OK;
}

/** One line for `--help`: "Exit codes: 0 up to date, 1 …". */
export function exitCodesLine(codes: readonly number[] = EXIT_CODES.map((c) => c.code)): string {
  const shown = EXIT_CODES.filter((c) => codes.includes(c.code));
  return `Exit codes: ${shown.map((c) => `${c.code} ${c.short}`).join(', ')}.`;
}

/** The README's table (Markdown). */
export function exitCodesTable(): string {
  return ['| exit code | means |', '|---|---|', ...EXIT_CODES.map((c) => `| \`${c.code}\` | ${c.meaning} |`)].join(
    '\n',
  );
}
