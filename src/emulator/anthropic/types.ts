/**
 * The Message Batches flavour's persisted record (internal; `wire.ts` builds the API object from
 * it): the shared lifecycle fields plus the `anthropic-version` of its create call and its result
 * counts. Times are emulator-clock milliseconds; the wire shows them as RFC 3339 strings.
 */
import { statusIn, type Job } from '../job.ts';

export type ProcessingStatus = 'in_progress' | 'canceling' | 'ended';

/** The four result types of a request, as the results file and `request_counts` name them. */
export type ResultType = 'succeeded' | 'errored' | 'canceled' | 'expired';

export interface MessageBatchRecord extends Job {
  /** The `anthropic-version` header of the create call: it decides which params a request may use. */
  version: string;
  counts: Record<ResultType, number>;
}

export const emptyCounts = (): Record<ResultType, number> => ({ succeeded: 0, errored: 0, canceled: 0, expired: 0 });

/** Anthropic shows no queue and no finalizing: a batch is `in_progress` until it is canceling or ended. */
export const processingStatus = statusIn<ProcessingStatus>({
  queued: 'in_progress',
  running: 'in_progress',
  finalizing: 'in_progress',
  cancelling: 'canceling',
  completed: 'ended',
  failed: 'ended',
  expired: 'ended',
  cancelled: 'ended',
});
