/**
 * After a create that got no answer (timeout, dropped connection, 5xx, crash), did the provider
 * make the batch? This is the one place that decides. The batch carries our random intent id in
 * its metadata (or a name the provider keeps), so the list is walked (newest first) for it. Where
 * the provider keeps nothing of ours (Anthropic), size and creation time only name candidates — two lost creates of the same size, or
 * a provider clock hours off ours, make them ambiguous — and a candidate is adopted only once its
 * results prove it ours by custom ids (proof.ts); until it has ended the part waits:
 *
 * - the ledger says the create's request never left (`createNotSent`) → absent, nothing to look for;
 * - found → adopt it: never create a second one;
 * - a candidate not provable yet (still running) → wait for it, whatever the time: it may be ours;
 * - not found → only conclude "nothing was made" once the list is proven current past our
 *   attempt: it shows a batch we know was created after that attempt (a later confirmed create
 *   of this pipeline), or a generous retry window has passed. A list that lags behind the
 *   creates must not make us create the same batch twice.
 *
 * The walk is bounded by the provider's own clock only through the 24 h window (see poller.ts),
 * so a local clock hours off the provider's does not hide the batch.
 */
import type { ApiError, BatchApi, RemoteBatch } from '../../providers/batch-api.ts';
import { TERMINAL_STATUSES } from '../../providers/batch-api.ts';
import { err, ok, type Result } from '../../util/result.ts';
import { ms, type Part } from './ledger.ts';
import { INTENT_LOOKBACK_MS, refreshBatches, type PollSnapshot } from './poller.ts';
import { proveByCustomIds } from './proof.ts';

/** With no proof that the list is current, wait this long after the attempt before creating again. */
export const ADOPT_RETRY_WINDOW_MS = 10 * 60_000;

/** Creates this pipeline knows were confirmed: batch id → local time of the create attempt. */
export type ConfirmedCreates = ReadonlyMap<string, number>;

export type Creation =
  | { kind: 'found'; batch: RemoteBatch }
  | { kind: 'absent' }
  | { kind: 'unsure'; until: number }
  /** No metadata: batches of the part's size that may be its, to be proven by their results once they end. */
  | { kind: 'unproven'; candidates: RemoteBatch[] };

/** The custom ids of the part's requests (its local copy), or undefined when they cannot be known. */
export type OwnIds = () => Promise<ReadonlySet<string> | undefined>;

export async function confirmCreation(
  api: BatchApi,
  snapshot: PollSnapshot | undefined,
  part: Part,
  confirmed: ConfirmedCreates,
  now: number,
  claimed: ReadonlySet<string> = new Set(),
  ownIds?: OwnIds,
): Promise<Result<Creation, ApiError>> {
  // Its ledger said so before the request could leave this process: no batch came of the attempt.
  if (part.createNotSent) return ok({ kind: 'absent' });
  const intentAt = ms(part.intentAt);
  const attemptAt = part.createAttemptAt ? ms(part.createAttemptAt) : intentAt;
  const usable = snapshot && snapshot.takenAt > attemptAt && snapshot.coveredIntentsSince <= intentAt;
  let snap = usable ? snapshot : undefined;
  if (!snap) {
    const walked = await refreshBatches(api, { ids: new Set(), intentsSince: intentAt }, now);
    if (!walked.ok) return err(walked.error);
    snap = walked.value;
  }
  if (api.traits.findsLostCreates !== 'size-and-time') {
    const batch = snap.byIntent.get(part.intent);
    if (batch) return ok({ kind: 'found', batch });
  } else {
    const proven = await proveCandidates(api, candidatesOf(snap, part, attemptAt, claimed), ownIds);
    if (!proven.ok) return err(proven.error);
    if (proven.value) return ok(proven.value);
  }
  if (now - attemptAt >= ADOPT_RETRY_WINDOW_MS) return ok({ kind: 'absent' });
  // Only the list's own entries prove it current: a batch retrieved by id because the list left it
  // out says nothing of what the list shows (it made a lagging list look current: a second create).
  for (const id of snap.listed) {
    const at = confirmed.get(id);
    if (at !== undefined && at > attemptAt) return ok({ kind: 'absent' });
  }
  return ok({ kind: 'unsure', until: attemptAt + ADOPT_RETRY_WINDOW_MS });
}

/**
 * Providers without batch metadata (Anthropic): the batches that may have been made from this part
 * — exactly its number of requests, created within a day of our attempt (the same allowance for
 * clock skew as the list walk's), claimed by no part of this pipeline — closest in time first.
 */
function candidatesOf(snap: PollSnapshot, part: Part, attemptAt: number, claimed: ReadonlySet<string>): RemoteBatch[] {
  const gap = (b: RemoteBatch) => Math.abs(b.createdAt - attemptAt);
  return [...snap.batches.values()]
    .filter((b) => !claimed.has(b.id) && b.requestCounts.total === part.requests && gap(b) <= INTENT_LOOKBACK_MS)
    .sort((a, b) => gap(a) - gap(b));
}

/** The candidate whose results are the part's; else those that cannot be judged yet; else nothing. */
async function proveCandidates(
  api: BatchApi,
  candidates: readonly RemoteBatch[],
  ownIds: OwnIds | undefined,
): Promise<Result<Creation | undefined, ApiError>> {
  if (candidates.length === 0) return ok(undefined);
  const ids = ownIds ? await ownIds() : undefined;
  const running: RemoteBatch[] = [];
  for (const batch of candidates) {
    if (!TERMINAL_STATUSES.has(batch.status)) {
      running.push(batch);
      continue;
    }
    // Without the part's own ids (its local copy is gone) nothing can be proven: never adopt on a guess.
    if (!ids) continue;
    const proof = batch.outputFileId ? await proveByCustomIds(api, batch.outputFileId, ids) : undefined;
    if (!proof) continue; // ended without results to show: nothing anyone can collect
    if (!proof.ok) return err(proof.error);
    if (proof.value === 'ours') return ok({ kind: 'found', batch });
    // `theirs` is another's; `unprovable` (results gone) cannot be collected by anyone: either way not adopted.
  }
  return ok(running.length > 0 ? { kind: 'unproven', candidates: running } : undefined);
}

/** Confirmed creates recorded in ledgers: parts whose create was answered (not adopted). */
export function confirmedCreatesOf(parts: readonly Part[], into: Map<string, number>): void {
  for (const p of parts) if (p.batchId && !p.adopted && p.createAttemptAt) into.set(p.batchId, ms(p.createAttemptAt));
}
