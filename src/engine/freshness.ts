/**
 * Is a target up to date, and if not, why? (ninja's `RecomputeOutputDirty` + explanations.)
 * Up to date = the output exists with its recorded content, and the fingerprint of the stage
 * config and the current input contents matches the recorded one.
 */
import path from 'node:path';
import type { FileStamps } from './file-stamps.ts';
import { configHash, fingerprintOf, type StageIdentity } from './fingerprint.ts';
import type { FileStamp, RecordStamps, TargetRecord } from './state-store.ts';

export type Freshness =
  | {
      fresh: true;
      fingerprint: string;
      inputs: Record<string, FileStamp>;
      outputStamp: FileStamp;
      recordStale: boolean;
    }
  | {
      fresh: false;
      fingerprint: string;
      inputs: Record<string, FileStamp>;
      reasons: string[];
      missingInputs: string[];
    };

export interface FreshnessQuery {
  root: string;
  target: string;
  /** Input paths relative to the root. */
  inputs: readonly string[];
  /** Where inputs really are (differs from root/input in a dry run, for inputs rebuilt in a scratch dir). */
  locate: (input: string) => string;
  stage: StageIdentity;
  record: TargetRecord | undefined;
  stamps: FileStamps;
}

/** What the fast path reads of a target: its record's stamps, and the whole record when input hashes are needed. */
export interface StampsQuery {
  root: string;
  target: string;
  /** Input paths relative to the root, in the rule's order. */
  inputs: readonly string[];
  stage: StageIdentity;
  /** The record's stamps (undefined: no record, or one that failed or must be retried). */
  recorded: RecordStamps | undefined;
  /** The whole record, read only when its inputs are recorded in another order than the rule's. */
  record: () => TargetRecord | undefined;
  stamps: FileStamps;
}

/**
 * The no-op fast path, synchronous and without hashing: true when the record proves the target up
 * to date because every input and the output still has the mtime and size it recorded (so the
 * recorded hashes stand) and the fingerprint of those still matches. False means "run the full
 * check" (which may find it fresh after hashing), never "stale".
 */
export function isFreshByStamps(q: StampsQuery): boolean {
  const recorded = q.recorded;
  if (!recorded || recorded.configHash !== configHash(q.stage)) return false;
  if (!sameStat(q.stamps.statUnder(q.root, q.target), recorded.output)) return false;
  // A record's fingerprint is the one of its config hash and its inputs, in the order they are
  // recorded (the rule's order). When both match, so does the fingerprint: hashing it again per
  // target was a visible share of a large no-op. Inputs recorded otherwise are checked in full.
  let inOrder = recorded.inputs.length === q.inputs.length;
  for (let i = 0; i < q.inputs.length; i++) {
    const input = q.inputs[i]!;
    let known: { mtimeMs: number; size: number } | undefined = recorded.inputs[i];
    if (recorded.inputs[i]?.path !== input) {
      inOrder = false;
      known = recorded.inputs.find((r) => r.path === input);
    }
    if (!known || !sameStat(q.stamps.statUnder(q.root, input), known)) return false;
  }
  if (inOrder) return true;
  const record = q.record();
  if (!record) return false;
  const inputs = q.inputs.map((input) => ({ path: input, sha256: record.inputs[input]!.sha256 }));
  return fingerprintOf(q.stage, inputs) === record.fingerprint;
}

function sameStat(stat: { mtimeMs: number; size: number } | undefined, known: Omit<FileStamp, 'sha256'>): boolean {
  return stat !== undefined && stat.mtimeMs === known.mtimeMs && stat.size === known.size;
}

export async function checkFreshness(q: FreshnessQuery): Promise<Freshness> {
  // A target with a missing input can neither be up to date nor run: its other inputs are not
  // hashed (a merge waiting for its batch's results would hash its 100 MB source on every status).
  const missingInputs: string[] = [];
  for (const input of q.inputs) if (!(await q.stamps.stat(q.locate(input)))) missingInputs.push(input);
  // The fingerprint is not computed: such a target is neither run nor recorded.
  if (missingInputs.length > 0) return missing(missingInputs, '', {});

  const reasons: string[] = [];
  const inputs: Record<string, FileStamp> = {};
  for (const input of q.inputs) {
    const stamp = await q.stamps.stamp(q.locate(input), q.record?.inputs[input]);
    if (!stamp) return missing([input], '', inputs); // deleted since the stat above
    inputs[input] = stamp;
    const before = q.record?.inputs[input];
    if (q.record && !q.record.failure && before?.sha256 !== stamp.sha256)
      reasons.push(before ? `input ${input} changed` : `input ${input} is new`);
  }
  const fingerprint = fingerprintOf(
    q.stage,
    q.inputs.map((i) => ({ path: i, sha256: inputs[i]!.sha256 })),
  );

  const record = q.record;
  if (!record) return { fresh: false, fingerprint, inputs, reasons: ['never built'], missingInputs };
  if (record.failure)
    return {
      fresh: false,
      fingerprint,
      inputs,
      reasons: [`last run failed: ${record.failure.message}`],
      missingInputs,
    };
  if (record.retry) return { fresh: false, fingerprint, inputs, reasons: [record.retry], missingInputs };
  if (record.configHash !== configHash(q.stage)) reasons.unshift('stage configuration changed');
  // Remote work in flight: not built yet, whatever else is true (its inputs changed, or not).
  if (record.inFlight)
    return {
      fresh: false,
      fingerprint,
      inputs,
      reasons: reasons.length > 0 ? reasons : ['never built'],
      missingInputs,
    };

  const outputStamp = await q.stamps.stamp(path.join(q.root, q.target), record.output);
  if (!outputStamp) reasons.unshift('output missing');
  else if (record.output && outputStamp.sha256 !== record.output.sha256) reasons.unshift('output was modified');

  if (reasons.length === 0 && record.fingerprint !== fingerprint) reasons.push('fingerprint changed');
  if (reasons.length > 0 || !outputStamp) return { fresh: false, fingerprint, inputs, reasons, missingInputs };
  const recordStale =
    outputStamp !== record.output || Object.entries(inputs).some(([input, stamp]) => record.inputs[input] !== stamp);
  return { fresh: true, fingerprint, inputs, outputStamp, recordStale };
}

function missing(missingInputs: string[], fingerprint: string, inputs: Record<string, FileStamp>): Freshness {
  return {
    fresh: false,
    fingerprint,
    inputs,
    reasons: missingInputs.map((i) => `input ${i} is missing`),
    missingInputs,
  };
}
