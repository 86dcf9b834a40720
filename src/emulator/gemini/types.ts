/**
 * The Gemini flavour's persisted batch record (internal; `wire.ts` builds the long-running
 * operation from it): the shared lifecycle fields plus what a GenerateContentBatch shows.
 */
import { statusIn, type Job } from '../job.ts';
import type { GoogleStatus } from './errors.ts';

export type BatchState =
  | 'BATCH_STATE_PENDING'
  | 'BATCH_STATE_RUNNING'
  | 'BATCH_STATE_SUCCEEDED'
  | 'BATCH_STATE_FAILED'
  | 'BATCH_STATE_CANCELLED'
  | 'BATCH_STATE_EXPIRED';

export interface GeminiBatch extends Job {
  displayName: string;
  /** Without the `models/` prefix. */
  model: string;
  /** The uploaded input (`files/…`), or null for inline requests (whose results come back inline). */
  inputFile: string | null;
  /** An int64 as a string; higher runs first (accepted and shown, not acted on). */
  priority: string;
  enqueuedTokens: number;
  succeeded: number;
  failed: number;
  /** The first input line that is no request (found at create): the batch fails with it as it leaves the queue. */
  badInput: string | null;
  /** Why it failed, cancelled or expired: the operation's `error`. */
  error: { status: GoogleStatus; message: string } | null;
  /** `files/batch-<id>` once a file-mode batch has published its results. */
  responsesFile: string | null;
}

const STATE = statusIn<BatchState>({
  queued: 'BATCH_STATE_PENDING',
  running: 'BATCH_STATE_RUNNING',
  finalizing: 'BATCH_STATE_RUNNING',
  cancelling: 'BATCH_STATE_RUNNING',
  completed: 'BATCH_STATE_SUCCEEDED',
  failed: 'BATCH_STATE_FAILED',
  cancelled: 'BATCH_STATE_CANCELLED',
  expired: 'BATCH_STATE_EXPIRED',
});

/** The state REST shows (Google has no finalizing or cancelling state: a batch cancelled in the queue stays PENDING). */
export const stateOf = (b: GeminiBatch): BatchState =>
  b.phase === 'cancelling' && b.runningMs === null ? 'BATCH_STATE_PENDING' : STATE(b);
