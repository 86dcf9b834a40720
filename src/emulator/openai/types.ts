/**
 * The OpenAI flavour's persisted batch record (Azure's too): the shared lifecycle fields plus what
 * the Batch object shows. Internal; `wire.ts` builds the API object from it.
 */
import { statusIn, type Job } from '../job.ts';

export type BatchStatus =
  'validating' | 'failed' | 'in_progress' | 'finalizing' | 'completed' | 'expired' | 'cancelling' | 'cancelled';

export interface BatchErrorEntry {
  code: string;
  message: string;
  param: string | null;
  line: number | null;
}

export interface BatchRecord extends Job {
  endpoint: string;
  inputFileId: string;
  completionWindow: string;
  metadata: Record<string, string> | null;
  outputExpiresAfterSeconds: number | null;
  errors: BatchErrorEntry[] | null;
  /** The model named in the lines (set by validation; Azure: the deployment, from create). */
  model: string | null;
  enqueuedTokens: number;
  completed: number;
  failed: number;
  inputTokens: number;
  outputTokens: number;
  outputFileId: string | null;
  errorFileId: string | null;
}

/** The Batch object's `status` for the shared lifecycle's phase. */
export const statusOf = statusIn<BatchStatus>({
  queued: 'validating',
  running: 'in_progress',
  finalizing: 'finalizing',
  cancelling: 'cancelling',
  completed: 'completed',
  failed: 'failed',
  expired: 'expired',
  cancelled: 'cancelled',
});
