/**
 * A request that failed: its attempts and whether it is sent again (the batch ledger's
 * `requestFailures`, the online journal's), and how it reads to a person.
 */
import { z } from 'zod';

const isoTime = z.string().refine((s) => Number.isFinite(Date.parse(s)), 'an ISO date-time');

export const requestFailureSchema = z.object({
  customId: z.string(),
  /** Attempts that ended in a transient error (5xx, 429, request_timeout). */
  attempts: z.number().int().nonnegative(),
  /** Batches that ended without answering it (expired, cancelled, results lost): not its fault, a larger cap. */
  unanswered: z.number().int().nonnegative().optional(),
  permanent: z.boolean(),
  /** Permanent only because its attempts ran out (not a 4xx): a later build gives it a fresh round. */
  exhausted: z.boolean().optional(),
  /** The build session that used up its attempts (a fresh round needs another one), and when. */
  session: z.string().optional(),
  exhaustedAt: isoTime.optional(),
  /** Fresh rounds granted so far. */
  round: z.number().int().nonnegative().optional(),
  status: z.number().optional(),
  code: z.string().optional(),
  message: z.string(),
  /** The provider's raw error line (written to the results file when permanent). */
  result: z.unknown().optional(),
});

export type RequestFailure = z.output<typeof requestFailureSchema>;

/** Why a request failed, and whether the next build retries it or it needs a change (a 4xx). */
export function describeFailure(f: RequestFailure): string {
  const what = f.status !== undefined ? `HTTP ${f.status}` : (f.code ?? 'error');
  return `${what}: ${f.message}${f.exhausted ? ' — sent again by the next build' : ' — needs a change to the request'}`;
}
