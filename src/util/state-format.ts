/**
 * The format of the state llmake keeps beside a job: the state log (`.pipeline/targets.log`), the
 * request cache (`.pipeline/cache/`), the spend log (`.pipeline/spend.jsonl`), the learned provider
 * limits (`.pipeline/provider-limits.json`) and the markers (a batch rule's ledger, an online
 * rule's journal). One number for all of them, raised when any of them changes in a way an older
 * llmake would misread (README, "Versions and compatibility").
 *
 * How each file carries it: a JSON-lines file (the state log, a journal, a request cache, the
 * spend log) starts with the line STATE_HEADER; a JSON file (a ledger, the provider limits) has
 * a `version` field. Files written before the format was recorded (llmake 0.1.0's JSON-lines
 * files) have no header: they are format 1.
 *
 * Every reader checks the format first, in O(1) (the first line, the one field): an older one is
 * read, and migrated where the file is rewritten; a newer one is refused before anything is
 * written, so what a newer llmake left is never overwritten or misread. The refusal is thrown
 * (NewerStateError): it has to stop whatever was reading, through code that has no other way to
 * fail; the CLI reports it as a usage error (exit 2) and a stage that meets one fails its target
 * with it, leaving the file as it is.
 *
 * Raising it means teaching every reader each format before it (or migrating on read):
 * test/state/fixtures/ keeps a job's state as each version of llmake left it, and
 * test/state/format.test.ts reads every one of them back.
 */
export const STATE_FORMAT = 1;

/** The first line of every JSON-lines state file this llmake creates. */
export const STATE_HEADER = `{"state_format":${STATE_FORMAT}}`;

/** A state file written in a format this llmake does not know (a newer one). */
export class NewerStateError extends Error {
  constructor(
    /** The file, absolute (callers show it relative to what the user knows). */
    readonly file: string,
    readonly format: unknown,
  ) {
    super(newerStateMessage(file, format));
  }
}

/** The message for `shown` (the file as the user should see it). */
export function newerStateMessage(shown: string, format: unknown): string {
  return `${shown} was written by a newer llmake (state format ${JSON.stringify(format)}; this llmake reads format ${STATE_FORMAT} and older): upgrade llmake to use this state`;
}

/** What to do about it, and that nothing was touched. */
export const NEWER_STATE_DETAILS = [
  'upgrade: npm install --save-dev llmake@latest (or run the llmake that wrote it)',
  'nothing was changed: the file is left as it is',
];

/** A format this llmake reads: none recorded (written before formats were, so format 1), or 1..STATE_FORMAT. */
export function isKnownFormat(format: unknown): boolean {
  return (
    format === undefined || (Number.isInteger(format) && (format as number) >= 1 && (format as number) <= STATE_FORMAT)
  );
}

/** Throws NewerStateError unless `format` is one this llmake reads. */
export function checkFormat(format: unknown, file: string): void {
  if (!isKnownFormat(format)) throw new NewerStateError(file, format);
}

/**
 * Whether `value` (the parsed first line of a JSON-lines state file) is its header: then the
 * reader skips it. Throws NewerStateError when the header names a format this llmake does not know.
 */
export function isStateHeader(value: unknown, file: string): boolean {
  if (typeof value !== 'object' || value === null || !('state_format' in value)) return false;
  checkFormat(value.state_format ?? null, file);
  return true;
}

/** The same for a first line not parsed yet; a line torn by a crash is not a header (it is skipped as torn). */
export function isStateHeaderLine(line: string, file: string): boolean {
  if (line === STATE_HEADER) return true; // this format's, as written: no JSON to parse on a no-op
  if (!line.startsWith('{"state_format":')) return false;
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return false;
  }
  return isStateHeader(value, file);
}
