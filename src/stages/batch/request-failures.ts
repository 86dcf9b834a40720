/**
 * Per-request attempt bookkeeping (the ledger's `requestFailures`, keyed by request hash). Two
 * counters, two caps:
 * - `attempts`: answers with a retryable error (5xx, 429, timeouts), capped by `maxAttempts`;
 * - `unanswered`: batches that ended having answered none of their requests (expired or
 *   cancelled at 0%), or whose results file is gone, capped by the larger `maxUnansweredAttempts`
 *   since it is not the request's fault. Without this cap a batch that always expires at 0% would
 *   be re-sent forever; one that answers some requests each time ends on its own.
 * A request past either cap is `permanent` for this build session and `exhausted`: a later build
 * (the user's "try again") gives it a fresh round. A 4xx is permanent for good, until the request
 * changes or `build --force`.
 */
import type { ResultLine } from '../result-line.ts';
import type { RequestFailure } from '../work/request-failure.ts';
import { iso } from './ledger.ts';

export interface AttemptCaps {
  maxAttempts: number;
  maxUnansweredAttempts: number;
}

type Errored = Extract<ResultLine, { kind: 'errored' }>;

/** The failure record after one more errored answer. */
export function afterError(
  before: RequestFailure | undefined,
  r: Errored,
  caps: AttemptCaps,
  session: string,
  now: number,
): RequestFailure {
  const attempts = (before?.attempts ?? 0) + (r.retryable ? 1 : 0);
  const exhausted = r.retryable && attempts >= caps.maxAttempts;
  return {
    ...carry(before),
    customId: r.customId,
    attempts,
    permanent: !r.retryable || exhausted,
    ...(exhausted ? { exhausted: true, session, exhaustedAt: iso(now) } : {}),
    ...(r.status !== undefined ? { status: r.status } : {}),
    ...(r.code !== undefined ? { code: r.code } : {}),
    message: exhausted ? `${r.message} (after ${attempts} attempts)` : r.message,
    result: r.line,
  };
}

/** The failure record after one more batch ended without answering the request. */
export function afterUnanswered(
  before: RequestFailure | undefined,
  customId: string,
  why: { code: string; message: string },
  caps: AttemptCaps,
  session: string,
  now: number,
): RequestFailure {
  const unanswered = (before?.unanswered ?? 0) + 1;
  const exhausted = unanswered >= caps.maxUnansweredAttempts;
  return {
    ...carry(before),
    customId,
    attempts: before?.attempts ?? 0,
    unanswered,
    permanent: exhausted,
    ...(exhausted ? { exhausted: true, session, exhaustedAt: iso(now) } : {}),
    code: why.code,
    message: exhausted ? `no answer after ${unanswered} batches; last: ${why.message}` : why.message,
  };
}

function carry(before: RequestFailure | undefined): Partial<RequestFailure> {
  return before?.round ? { round: before.round } : {};
}

/**
 * A new build session: requests whose attempts ran out in an earlier one get a fresh round (they
 * are sent again). Returns how many.
 */
export function grantFreshRounds(failures: Record<string, RequestFailure>, session: string): number {
  let granted = 0;
  for (const [hash, f] of Object.entries(failures)) {
    if (!f.exhausted || f.session === session) continue;
    failures[hash] = {
      customId: f.customId,
      attempts: 0,
      unanswered: 0,
      permanent: false,
      round: (f.round ?? 0) + 1,
      ...(f.code ? { code: f.code } : {}),
      message: f.message,
    };
    granted += 1;
  }
  return granted;
}
