/**
 * Rows that re-asking will not make valid (every reply of two rounds or more the same: a refusal
 * repeated, a field the model cannot write): named with their replies, in the marker (for `status`)
 * and the build log, and asked no more until the request or the schema changes.
 */
import type { InvalidRecord } from '../structured/reask.ts';
import type { BatchRun } from './run-context.ts';

const MAX_NAMED = 20;

/** `abstract_algebra-2: 5 replies, every one refused: I'm sorry… — re-asking will not help; change the request or the schema`. */
export function describeHopeless(customId: string, replies: readonly InvalidRecord[]): string {
  const last = replies.at(-1)!;
  return `${customId}: ${replies.length} replies, every one ${last.kind === 'refusal' ? '' : `${last.kind}: `}${last.message} — asking again will not help; change the request or the schema`;
}

/** Keeps the names in the marker (the newest build's list replaces the last). */
export function recordHopeless(run: BatchRun, described: readonly string[]): void {
  run.ledger.hopeless = described.slice(0, MAX_NAMED);
}
