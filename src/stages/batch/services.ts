/**
 * What the batch stage needs from the CLI: the Batch API, the command line's limits, and the
 * per-build state shared by all batch targets of one build (the poll snapshot taken by
 * `prepare`, the scheduler). The CLI makes one with `createBatchServices(createBatchApi(…), limits)`.
 */
import { randomBytes } from 'node:crypto';
import type { BatchApi } from '../../providers/batch-api.ts';
import type { LearnedLimits } from './learned-limits.ts';
import type { PollSnapshot } from './poller.ts';
import { Scheduler } from './scheduler.ts';

export interface BatchLimits {
  /** Override the rules' `maxEnqueuedTokens` / `maxInFlightBatches` (per model, whole build). */
  maxEnqueuedTokens?: number | undefined;
  maxInFlightBatches?: number | undefined;
  /** Refuse to submit when the build's outstanding work is estimated above this (USD). */
  maxCostUsd?: number | undefined;
}

/** Points of the submit/collect protocol where a test may simulate a crash (see `crashAt`). */
export type CrashPoint =
  | 'after-intent'
  | 'during-upload'
  | 'after-upload'
  | 'after-creating'
  | 'after-create'
  | 'during-download'
  | 'after-download';

export class SimulatedCrash extends Error {
  constructor(readonly point: CrashPoint) {
    super(`simulated crash at ${point}`);
  }
}

export interface BatchServices {
  api: BatchApi;
  /**
   * Names this build session (one CLI command, all its --wait cycles). Requests whose attempts ran
   * out in one session are sent again only by a later one: re-running is the user's "try again".
   */
  session: string;
  limits?: BatchLimits;
  /** Per build: the list walk of `prepare()`; `run()` and `describe()` read it. */
  poll?: PollSnapshot;
  scheduler: Scheduler;
  /** Creates known to have been answered (batch id → local attempt time): proof that a lagging list has caught up. */
  confirmedCreates: Map<string, number>;
  /** Batch ids this pipeline's ledgers hold: a provider without metadata must not match them to another part. */
  claimed: Set<string>;
  /** The provider's enqueued-token limits and count ratio learned so far (read once per build). */
  learned?: LearnedLimits;
  /** Test only: answer true to throw `SimulatedCrash` at that point, as if the process were killed. */
  crashAt?: (point: CrashPoint, info: { target: string; part: number }) => boolean;
}

export function createBatchServices(
  api: BatchApi,
  limits?: BatchLimits,
  session = randomBytes(6).toString('hex'),
): BatchServices {
  return {
    api,
    session,
    ...(limits ? { limits } : {}),
    scheduler: new Scheduler(),
    confirmedCreates: new Map(),
    claimed: new Set(),
  };
}

export function maybeCrash(services: BatchServices, point: CrashPoint, info: { target: string; part: number }): void {
  if (services.crashAt?.(point, info)) throw new SimulatedCrash(point);
}
