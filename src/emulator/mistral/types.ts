/** The Mistral flavour's persisted job record (internal; `wire.ts` builds the BatchJob from it). */
import { statusIn, type Job } from '../job.ts';

export type JobStatus =
  'QUEUED' | 'RUNNING' | 'SUCCESS' | 'FAILED' | 'TIMEOUT_EXCEEDED' | 'CANCELLATION_REQUESTED' | 'CANCELLED';

export interface JobError {
  message: string;
  count: number;
}

export interface MistralJob extends Job {
  inputFiles: string[];
  endpoint: string;
  /** The job's model; null when each line names its own. */
  model: string | null;
  metadata: Record<string, string> | null;
  timeoutHours: number;
  succeeded: number;
  failed: number;
  outputFile: string | null;
  errorFile: string | null;
  /** Why the job failed as it left the queue: messages with how many lines each. */
  errors: JobError[];
  /** Lines found at create that are no request: the job fails with them as it leaves the queue. */
  rejectedLines: JobError[];
}

export const statusOf = statusIn<JobStatus>({
  queued: 'QUEUED',
  running: 'RUNNING',
  finalizing: 'RUNNING',
  cancelling: 'CANCELLATION_REQUESTED',
  completed: 'SUCCESS',
  failed: 'FAILED',
  expired: 'TIMEOUT_EXCEEDED',
  cancelled: 'CANCELLED',
});
