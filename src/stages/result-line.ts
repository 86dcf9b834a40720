/**
 * The one reader of a raw result line, for every consumer — collecting a batch, the request cache,
 * the results tally, the merge and its lookup, the view. Each provider's line format reads its own
 * lines (providers/*, through the registry) into the one normalised outcome (providers/outcome.ts),
 * so no consumer knows a wire format.
 */
import { readAnyResult } from '../providers/registry.ts';
import type { ResultLine } from '../providers/outcome.ts';
import { isRecord } from '../util/is-record.ts';

export type { LineUsage, ReplyEnd, ResultLine } from '../providers/outcome.ts';
export { whyUnusable } from '../providers/outcome.ts';

/** The normalised outcome of a result line, or undefined when it is not one (no id). */
export function readResultLine(value: unknown): ResultLine | undefined {
  return isRecord(value) ? readAnyResult(value) : undefined;
}

/** A provider output line that answered with success. */
export function isSuccessLine(value: unknown): value is Record<string, unknown> {
  return readResultLine(value)?.kind === 'succeeded';
}
