/**
 * The Message Batches flavour's persisted record (internal; `wire.ts` builds the API object from
 * it). Times are emulator-clock milliseconds; the wire shows them as RFC 3339 strings.
 */
export type ProcessingStatus = 'in_progress' | 'canceling' | 'ended';

/** The four result types of a request, as the results file and `request_counts` name them. */
export type ResultType = 'succeeded' | 'errored' | 'canceled' | 'expired';

export interface MessageBatchRecord {
  id: string;
  seq: number;
  /** The `anthropic-version` header of the create call: it decides which params a request may use. */
  version: string;
  /** The speed in force at creation, so a restart with another speed does not jump progress. */
  speed: number;
  status: ProcessingStatus;
  createdMs: number;
  /** created + 24 h: requests still unprocessed then are `expired`. */
  expiresMs: number;
  forcedExpireMs: number | null;
  cancelInitiatedMs: number | null;
  endedMs: number | null;
  total: number;
  counts: Record<ResultType, number>;
  /** Execution cursor: requests processed and the byte offset just after the last one. */
  executed: number;
  inputOffset: number;
  /** Bytes and lines of the partial results file that belong to the processed requests. */
  partBytes: number;
  partLines: number;
}

export const emptyCounts = (): Record<ResultType, number> => ({ succeeded: 0, errored: 0, canceled: 0, expired: 0 });
