/**
 * What the state store keeps per target, and the check a record read back must pass. Checked by
 * hand rather than with a schema library: a no-op build reads one record per target and nothing
 * else would load zod on that path (the record is the engine's own, written by this code).
 */

export interface FileStamp {
  sha256: string;
  mtimeMs: number;
  size: number;
}

export interface TargetRecord {
  version: 1;
  target: string;
  rule: string;
  /** Hash of the stage's canonical config alone, to explain "config changed". */
  configHash: string;
  /** Hash of config + input contents: the target is up to date when this still matches. */
  fingerprint: string;
  inputs: Record<string, FileStamp>;
  output?: FileStamp;
  builtAt?: number;
  usage?: { input: number; output: number };
  costUsd?: number;
  /** Built, but a later build must run it again (e.g. requests to retry), and why. */
  retry?: string;
  /**
   * Not built: its remote work is in flight. The record keeps what its inputs were when that work
   * was sent, so the next `status` or build stats them (and hashes only one that changed) rather
   * than hashing every request file again; it never makes the target up to date. Its fingerprint
   * is empty, so an llmake that does not know this field cannot find it up to date either.
   */
  inFlight?: true;
  /** Set when the last run failed; the target is then stale and retried by the next build. */
  failure?: {
    reason: string;
    message: string;
    file?: string;
    line?: number;
    details?: string[];
    at: number;
  };
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isString = (v: unknown): v is string => typeof v === 'string';
const optional = (v: unknown, check: (v: unknown) => boolean) => v === undefined || check(v);

export function isFileStamp(v: unknown): v is FileStamp {
  return isObject(v) && isString(v.sha256) && isNumber(v.mtimeMs) && isNumber(v.size);
}

function isFailure(v: unknown): boolean {
  return (
    isObject(v) &&
    isString(v.reason) &&
    isString(v.message) &&
    isNumber(v.at) &&
    optional(v.file, isString) &&
    optional(v.line, isNumber) &&
    optional(v.details, (d) => Array.isArray(d) && d.every(isString))
  );
}

/** True when `v` (parsed JSON) is a whole, current-version record; anything else reads as "no record". */
export function isTargetRecord(v: unknown): v is TargetRecord {
  return (
    isObject(v) &&
    v.version === 1 &&
    isString(v.target) &&
    isString(v.rule) &&
    isString(v.configHash) &&
    isString(v.fingerprint) &&
    isObject(v.inputs) &&
    Object.values(v.inputs).every(isFileStamp) &&
    optional(v.output, isFileStamp) &&
    optional(v.builtAt, isNumber) &&
    optional(v.usage, (u) => isObject(u) && isNumber(u.input) && isNumber(u.output)) &&
    optional(v.costUsd, isNumber) &&
    optional(v.retry, isString) &&
    optional(v.inFlight, (f) => f === true) &&
    optional(v.failure, isFailure)
  );
}
