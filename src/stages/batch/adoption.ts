/**
 * After a create that got no answer (timeout, dropped connection, 5xx, crash), did the provider
 * make the batch? This is the one place that decides. The batch carries our random intent id in
 * its metadata, so the list is walked (newest first) for it:
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
  const batch = snap.byIntent.get(part.intent);
  if (batch) return ok({ kind: 'found', batch });
  if (now - attemptAt >= ADOPT_RETRY_WINDOW_MS) return ok({ kind: 'absent' });
  // Only the list's own entries prove it current: a batch retrieved by id because the list left it
  // out says nothing of what the list shows (it made a lagging list look current: a second create).
  for (const id of snap.listed) {
    const at = confirmed.get(id);
    if (at !== undefined && at > attemptAt) return ok({ kind: 'absent' });
  }
  return ok({ kind: 'unsure', until: attemptAt + ADOPT_RETRY_WINDOW_MS });
}

/** Confirmed creates recorded in ledgers: parts whose create was answered (not adopted). */
export function confirmedCreatesOf(parts: readonly Part[], into: Map<string, number>): void {
  for (const p of parts) if (p.batchId && !p.adopted && p.createAttemptAt) into.set(p.batchId, ms(p.createAttemptAt));
}
