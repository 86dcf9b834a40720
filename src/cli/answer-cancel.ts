/**
 * The `build --wait` side of a cancel request (src/engine/cancel-mailbox.ts). The build holds the
 * lock, so `pipeline cancel` cannot act itself; the build does: it runs the stages' `cancel` for
 * the requested targets and stops waiting for those it was waiting for. They stay pending — the
 * build must not send them again in this run — and the next build sends what they had not
 * finished, as after any cancel.
 */
import type { CancelAnswer, CancelMailbox, CancelOutcome, CancelRequest } from '../engine/cancel-mailbox.ts';
import type { BuildSummary, TargetResult } from '../engine/events.ts';
import type { Clock } from '../util/clock.ts';

export interface CancelDesk {
  mailbox: CancelMailbox;
  cancel(targets: readonly string[]): Promise<CancelOutcome[]>;
}

/** How often a waiting build looks for a request (one stat): `cancel` waits up to 30 s for the answer. */
export const REQUEST_CHECK_MS = 1_000;

/** Sleeps `ms`, looking for a cancel request every second; answers whether one is waiting. */
export async function sleepUnlessAsked(
  clock: Clock,
  ms: number,
  signal: AbortSignal,
  desk: CancelDesk | undefined,
): Promise<boolean> {
  if (!desk) {
    await clock.sleep(ms, signal);
    return false;
  }
  const until = clock.now() + ms;
  for (let left = ms; left > 0; left = until - clock.now()) {
    await clock.sleep(Math.min(REQUEST_CHECK_MS, left), signal);
    if (await desk.mailbox.hasRequest()) return true;
  }
  return false;
}

/**
 * Claims and answers the waiting request, if any. Targets of it that were pending in `last` are
 * carried as cancelled (not run or waited for again in this build).
 */
export async function answerCancelRequest(
  desk: CancelDesk,
  last: BuildSummary,
  carried: Map<string, TargetResult>,
  now: () => number,
): Promise<{ request: CancelRequest; answer: CancelAnswer } | undefined> {
  const request = await desk.mailbox.claim();
  if (!request) return undefined;
  let outcomes: CancelOutcome[];
  try {
    outcomes = await desk.cancel(request.targets);
  } catch (error) {
    // Answer anyway: the one who asked is waiting, and must learn that nothing may have stopped.
    outcomes = [{ target: request.targets.join(', '), cancelled: 0, message: `cancel failed: ${String(error)}` }];
  }
  const stopped: string[] = [];
  for (const id of request.targets) {
    const result = last.results.get(id);
    if (result?.state !== 'pending' || carried.has(id)) continue;
    carried.set(id, { ...result, cancelled: true });
    stopped.push(id);
  }
  const answer: CancelAnswer = { id: request.id, answeredAt: now(), pid: process.pid, outcomes, stopped };
  await desk.mailbox.answer(answer);
  return { request, answer };
}
