/**
 * The types a config's transform functions see. Kept apart from the code that runs them (and free
 * of node imports) because the generated option types import them: a config's declarations then
 * need nothing of the engine.
 */

/** A record as the config's functions see it: any JSON object (loosely typed so configs read naturally). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type JsonRecord = Record<string, any>;

/** Where a record came from, for the function (and for messages). */
export interface RecordAt {
  /** Input path relative to the pipeline root. */
  file: string;
  /** 1-based line number. */
  line: number;
  /** The target's wildcard values (`{subject: 'anatomy'}`). */
  bindings: Readonly<Record<string, string>>;
}

export type RecordOutput = JsonRecord | readonly JsonRecord[] | null | undefined;
export type RecordFn = (record: JsonRecord, at: RecordAt) => RecordOutput | Promise<RecordOutput>;

export interface TransformFiles {
  /** The target's inputs, relative to the pipeline root, in the rule's order (all of them for a fan-in rule). */
  inputs: readonly string[];
  /** The records of one input (by index or root-relative path; the first by default), streamed. */
  records(input?: number | string): AsyncIterable<JsonRecord>;
  bindings: Readonly<Record<string, string>>;
}

/** Records (an array, an iterable or an async iterable), or any JSON value for a `.json` output. */
export type WholeFileFn = (files: TransformFiles) => unknown;
