/**
 * The part of a batch record every flavour shares: where the batch is in the common lifecycle
 * (queued → running → finalizing → ended, or cancelling → ended) and how far its requests have
 * run. Each flavour's record extends it with its own fields and shows `phase`/`outcome` under
 * its own status names. Times are emulator-clock milliseconds.
 */
export type Phase = 'queued' | 'running' | 'finalizing' | 'cancelling' | 'ended';
export type Outcome = 'completed' | 'failed' | 'expired' | 'cancelled';

export interface PartSize {
  bytes: number;
  lines: number;
}

export interface Job {
  id: string;
  seq: number;
  /** The speed in force at creation, so a restart with another speed does not jump progress. */
  speed: number;
  phase: Phase;
  /** How it ended (set with `phase: 'ended'`). */
  outcome: Outcome | null;
  createdMs: number;
  /** When requests not yet run expire (the provider's window); null: never. */
  deadlineMs: number | null;
  forcedExpireMs: number | null;
  runningMs: number | null;
  finalizingMs: number | null;
  cancellingMs: number | null;
  endedMs: number | null;
  /** Requests in the batch (known once it leaves the queue at the latest). */
  total: number;
  /** Execution cursor: requests executed and the input byte offset just after the last one. */
  executed: number;
  inputOffset: number;
  /** Bytes and lines of each partial result file (`output.part`, …) that belong to executed requests. */
  parts: Record<string, PartSize>;
  /** When a delete took it out of the API's sight while its work went on (Gemini, Mistral); else null. */
  hiddenMs: number | null;
}

/** A new batch's lifecycle fields: queued at `createdMs`. */
export function newJob(
  id: string,
  seq: number,
  speed: number,
  createdMs: number,
  deadlineMs: number | null,
  total = 0,
): Job {
  return {
    id,
    seq,
    speed,
    phase: 'queued',
    outcome: null,
    createdMs,
    deadlineMs,
    forcedExpireMs: null,
    runningMs: null,
    finalizingMs: null,
    cancellingMs: null,
    endedMs: null,
    total,
    executed: 0,
    inputOffset: 0,
    parts: {},
    hiddenMs: null,
  };
}

/** A flavour's names for the phases and the outcomes: the statuses its API shows. */
export type StatusNames<S extends string> = Record<Exclude<Phase, 'ended'> | Outcome, S>;

/** The status a batch shows, by the flavour's names. */
export const statusIn =
  <S extends string>(names: StatusNames<S>) =>
  (job: Job): S =>
    job.phase === 'ended' ? names[job.outcome ?? 'completed'] : names[job.phase];

/** The end time of an outcome (`completed_at`, `expired_at`…): null unless the batch ended so. */
export const endedAs = (job: Job, outcome: Outcome): number | null => (job.outcome === outcome ? job.endedMs : null);

/** Whether a batch still holds its place in the queue (and its quota): waiting, running or finishing. */
export const isActive = (job: Job): boolean => job.phase !== 'ended';

/** The enqueued tokens of the active batches for `model` (a per-model quota such as Azure's or Gemini's). */
export const queuedTokens = (
  jobs: readonly (Job & { model: string | null; enqueuedTokens: number })[],
  model: string,
) => jobs.filter((j) => j.model === model && isActive(j)).reduce((sum, j) => sum + j.enqueuedTokens, 0);
