/**
 * After a create that got no answer (timeout, dropped connection, 5xx, crash), did the provider
 * make the batch? This is the one place that decides. The batch carries our random intent id in
 * its metadata (or, where the provider keeps no metadata, is known by its size and creation
 * time), so the list is walked (newest first) for it:
 *
 * - found → adopt it: never create a second one;
 * - not found → only conclude "nothing was made" once the list is proven current past our
 *   attempt: it shows a batch we know was created after that attempt (a later confirmed create
 *   of this pipeline), or a generous retry window has passed. A list that lags behind the
 *   creates must not make us create the same batch twice.
 *
 * The walk is bounded by the provider's own clock only through the 24 h window (see poller.ts),
 * so a local clock hours off the provider's does not hide the batch.
 */
import type { ApiError, BatchApi, RemoteBatch } from '../../batch-api/types.ts';
import { err, ok, type Result } from '../../util/result.ts';
import { ms, type Part } from './ledger.ts';
import { refreshBatches, type PollSnapshot } from './poller.ts';

/** With no proof that the list is current, wait this long after the attempt before creating again. */
export const ADOPT_RETRY_WINDOW_MS = 10 * 60_000;

/** Creates this pipeline knows were confirmed: batch id → local time of the create attempt. */
export type ConfirmedCreates = ReadonlyMap<string, number>;

export type Creation = { kind: 'found'; batch: RemoteBatch } | { kind: 'absent' } | { kind: 'unsure'; until: number };

export async function confirmCreation(
  api: BatchApi,
  snapshot: PollSnapshot | undefined,
  part: Part,
  confirmed: ConfirmedCreates,
  now: number,
  claimed: ReadonlySet<string> = new Set(),
): Promise<Result<Creation, ApiError>> {
  const intentAt = ms(part.intentAt);
  const attemptAt = part.createAttemptAt ? ms(part.createAttemptAt) : intentAt;
  const usable = snapshot && snapshot.takenAt > attemptAt && snapshot.coveredIntentsSince <= intentAt;
  let snap = usable ? snapshot : undefined;
  if (!snap) {
    const walked = await refreshBatches(api, { ids: new Set(), intentsSince: intentAt }, now);
    if (!walked.ok) return err(walked.error);
    snap = walked.value;
  }
  const batch = api.traits.metadata
    ? snap.byIntent.get(part.intent)
    : findBySizeAndTime(snap, part, attemptAt, claimed);
  if (batch) return ok({ kind: 'found', batch });
  if (now - attemptAt >= ADOPT_RETRY_WINDOW_MS) return ok({ kind: 'absent' });
  for (const id of snap.batches.keys()) {
    const at = confirmed.get(id);
    if (at !== undefined && at > attemptAt) return ok({ kind: 'absent' });
  }
  return ok({ kind: 'unsure', until: attemptAt + ADOPT_RETRY_WINDOW_MS });
}

/** How far a batch's creation time may be from our attempt's and still be taken for it (clock skew included). */
export const SIZE_MATCH_WINDOW_MS = 60 * 60_000;

/**
 * Providers without batch metadata (Anthropic): the batch made from this part has exactly its
 * number of requests and was created around our attempt, and no other part of this pipeline has
 * claimed it. Of several, the one closest in time.
 */
function findBySizeAndTime(
  snap: PollSnapshot,
  part: Part,
  attemptAt: number,
  claimed: ReadonlySet<string>,
): RemoteBatch | undefined {
  let best: RemoteBatch | undefined;
  let bestGap = SIZE_MATCH_WINDOW_MS;
  for (const b of snap.batches.values()) {
    if (claimed.has(b.id) || b.requestCounts.total !== part.requests) continue;
    const gap = Math.abs(b.createdAt - attemptAt);
    if (gap <= bestGap) {
      best = b;
      bestGap = gap;
    }
  }
  return best;
}

/** Confirmed creates recorded in ledgers: parts whose create was answered (not adopted). */
export function confirmedCreatesOf(parts: readonly Part[], into: Map<string, number>): void {
  for (const p of parts) if (p.batchId && !p.adopted && p.createAttemptAt) into.set(p.batchId, ms(p.createAttemptAt));
}
