/**
 * One line of the state log. A record that a no-op can settle by stamps alone (built, no
 * failure, no retry, nothing in flight) is written with what that check reads in front, tab-separated, then the whole
 * record as JSON:
 *
 *   target ⇥ configHash ⇥ builtAt ⇥ usage.input ⇥ usage.output ⇥ costUsd ⇥ output.mtimeMs ⇥
 *   output.size ⇥ n ⇥ (input ⇥ mtimeMs ⇥ size) × n ⇥ {record JSON}
 *
 * so a no-op over tens of thousands of targets (and `status`) splits short strings instead of
 * parsing and validating every record's JSON, which kept each record alive for the collector to
 * copy. The JSON is parsed only when a target needs its whole record (it is not up to date, or
 * its input hashes are needed). Any other record, a removal, or a record whose paths hold a tab or
 * a newline is plain JSON: a line starting with `{` (as every line of the log's first version).
 * JSON.stringify never writes a raw tab or newline, so the JSON part is always the last field.
 */
import type { FileStamp, TargetRecord } from './target-record.ts';

/** What a stamped line says without its JSON: enough to prove the target up to date, and report it. */
export interface RecordStamps {
  configHash: string;
  builtAt?: number;
  usage?: { input: number; output: number };
  costUsd?: number;
  output: { mtimeMs: number; size: number };
  /** The recorded inputs in recorded order (the rule's order when the record was written). */
  inputs: readonly { path: string; mtimeMs: number; size: number }[];
}

const FIXED_FIELDS = 9;
const unsafe = (text: string) => text.includes('\t') || text.includes('\n');

/** The record's line, without its newline. */
export function encodeRecordLine(record: TargetRecord): string {
  const json = JSON.stringify(record);
  const out = record.output;
  const inputs = Object.entries(record.inputs);
  const plain =
    !out ||
    record.failure ||
    record.retry ||
    record.inFlight ||
    unsafe(record.target) ||
    record.target.startsWith('{') ||
    inputs.some(([p]) => unsafe(p));
  if (plain) return json;
  const fields: (string | number)[] = [
    record.target,
    record.configHash,
    record.builtAt ?? '',
    record.usage?.input ?? '',
    record.usage?.output ?? '',
    record.costUsd ?? '',
    out.mtimeMs,
    out.size,
    inputs.length,
  ];
  for (const [input, stamp] of inputs) fields.push(input, stamp.mtimeMs, stamp.size);
  fields.push(json);
  return fields.join('\t');
}

/**
 * The stamps of a stamped line, given its part before the JSON (without the tab in front of the
 * JSON); undefined when they are damaged (hand-edited, torn). The caller checks that the line
 * ends with its JSON whole.
 */
export function decodeStamps(prefix: string): RecordStamps | undefined {
  const f = prefix.split('\t');
  const n = Number(f[8]);
  if (!Number.isInteger(n) || f.length !== FIXED_FIELDS + 3 * n) return undefined;
  const inputs: { path: string; mtimeMs: number; size: number }[] = [];
  for (let i = 0; i < n; i++) {
    const at = FIXED_FIELDS + 3 * i;
    inputs.push({ path: f[at]!, mtimeMs: Number(f[at + 1]), size: Number(f[at + 2]) });
  }
  const stamps: RecordStamps = {
    configHash: f[1]!,
    output: { mtimeMs: Number(f[6]), size: Number(f[7]) },
    inputs,
  };
  if (f[2]) stamps.builtAt = Number(f[2]);
  if (f[3] && f[4]) stamps.usage = { input: Number(f[3]), output: Number(f[4]) };
  if (f[5]) stamps.costUsd = Number(f[5]);
  return stamps;
}

/** The stamps of a record already parsed (a plain line, or one written in this process). */
export function stampsOfRecord(record: TargetRecord): RecordStamps | undefined {
  if (!record.output || record.failure || record.retry || record.inFlight) return undefined;
  return {
    configHash: record.configHash,
    ...(record.builtAt !== undefined ? { builtAt: record.builtAt } : {}),
    ...(record.usage ? { usage: record.usage } : {}),
    ...(record.costUsd !== undefined ? { costUsd: record.costUsd } : {}),
    output: record.output,
    inputs: Object.entries(record.inputs).map(([p, s]: [string, FileStamp]) => ({
      path: p,
      mtimeMs: s.mtimeMs,
      size: s.size,
    })),
  };
}
