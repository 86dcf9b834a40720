/**
 * Polling in bulk: one walk of the provider's batch list (newest first, 100 per page) refreshes
 * every in-flight batch of the build, so n batches cost ⌈n/100⌉ calls instead of n. The same walk
 * finds batches whose creation was never confirmed (by `metadata.pipeline_intent`). Only ids the
 * walk did not reach are retrieved one by one.
 */
import type { ApiError, BatchApi, RemoteBatch } from '../../providers/batch-api.ts';
import { err, ok, type Result } from '../../util/result.ts';

/**
 * Our intent times come from the local clock, the provider's `created_at` from its own, and the
 * two may be hours apart. A batch cannot run longer than its 24 h window, so a walk for
 * unconfirmed creates goes back a full window before the intent: any skew under a day is covered.
 */
export const INTENT_LOOKBACK_MS = 24 * 60 * 60_000;
const PAGE = 100;

export interface PollSnapshot {
  takenAt: number;
  /** Batches seen, by id (in the list, or retrieved one by one when the walk did not reach them). */
  batches: Map<string, RemoteBatch>;
  /** Ids seen in the list itself: only these show how current a lagging list is (adoption.ts). */
  listed: Set<string>;
  /** Batches seen that carry `metadata.pipeline_intent`, by that intent. */
  byIntent: Map<string, RemoteBatch>;
  /** The walk saw every batch created at or after this time (-Infinity: the whole list). */
  coveredSince: number;
  /** Unconfirmed creates with an intent written at or after this (local) time would have been seen. */
  coveredIntentsSince: number;
  /** Ids the provider does not know (404 on retrieve). */
  missing: Set<string>;
}

export function emptySnapshot(now: number): PollSnapshot {
  return {
    takenAt: now,
    batches: new Map(),
    listed: new Set(),
    byIntent: new Map(),
    coveredSince: Number.POSITIVE_INFINITY,
    coveredIntentsSince: Number.POSITIVE_INFINITY,
    missing: new Set(),
  };
}

export interface WalkGoal {
  /** In-flight batch ids to refresh, with the oldest one's creation time. */
  ids: ReadonlySet<string>;
  oldestCreatedAt?: number | undefined;
  /** Also look for unconfirmed creations whose intent was written at or after this time. */
  intentsSince?: number | undefined;
}

/** Walks the list until the goal is met, then retrieves what it missed. */
export async function refreshBatches(
  api: BatchApi,
  goal: WalkGoal,
  now: number,
): Promise<Result<PollSnapshot, ApiError>> {
  const snap = emptySnapshot(now);
  const unfound = new Set(goal.ids);
  const since = goal.intentsSince !== undefined ? goal.intentsSince - INTENT_LOOKBACK_MS : undefined;
  const floor = Math.min(goal.oldestCreatedAt ?? Number.POSITIVE_INFINITY, since ?? Number.POSITIVE_INFINITY);
  if (goal.ids.size > 0 || since !== undefined) {
    let after: string | undefined;
    // Early stops rely on the list being newest first (as OpenAI's is); a provider that orders it
    // otherwise is walked to the end, so an unconfirmed batch is never missed.
    let newestFirst = true;
    let previous = Number.POSITIVE_INFINITY;
    let oldestSeen = Number.POSITIVE_INFINITY;
    for (;;) {
      const page = await api.listBatches({ limit: PAGE, ...(after ? { after } : {}) });
      if (!page.ok) return err(page.error);
      for (const b of page.value.data) {
        snap.batches.set(b.id, b);
        snap.listed.add(b.id);
        unfound.delete(b.id);
        const intent = b.metadata.pipeline_intent;
        if (intent && !snap.byIntent.has(intent)) snap.byIntent.set(intent, b);
        if (b.createdAt > previous) newestFirst = false;
        previous = b.createdAt;
        oldestSeen = Math.min(oldestSeen, b.createdAt);
      }
      const last = page.value.data.at(-1);
      if (page.value.next === undefined || !last) {
        snap.coveredSince = Number.NEGATIVE_INFINITY;
        break;
      }
      if (!newestFirst) {
        after = page.value.next;
        continue;
      }
      snap.coveredSince = oldestSeen;
      const intentsDone = since === undefined || oldestSeen < since;
      if (unfound.size === 0 && intentsDone) break;
      // Newest first: once a page reaches past the oldest batch we look for, the rest is older.
      if (last.createdAt < floor) break;
      after = page.value.next;
    }
  }
  if (snap.coveredSince === Number.NEGATIVE_INFINITY) snap.coveredIntentsSince = Number.NEGATIVE_INFINITY;
  else if (goal.intentsSince !== undefined && snap.coveredSince <= since!) snap.coveredIntentsSince = goal.intentsSince;
  for (const id of unfound) {
    const one = await api.retrieveBatch(id);
    if (one.ok) snap.batches.set(id, one.value);
    else if (one.error.kind === 'not-found') snap.missing.add(id);
    else return err(one.error);
  }
  return ok(snap);
}
