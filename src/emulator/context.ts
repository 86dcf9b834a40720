/**
 * What every flavour's handlers get from the core: the emulator's clock, faults, locks, byte
 * counter, seed and speed (shared by all flavours), and the flavour's own stats view and execution
 * ledger (a provider's paid requests are its own).
 */
import type { Clock } from '../util/clock.ts';
import type { ExecutionLedger } from './executions.ts';
import type { Job } from './job.ts';
import type { JobStore } from './job-store.ts';
import type { Lifecycle } from './lifecycle.ts';
import type { FaultState } from './faults.ts';
import type { ByteCounter } from './http.ts';
import type { KeyedMutex } from './mutex.ts';
import type { StatsSink } from './stats.ts';

export interface CoreContext {
  clock: Clock;
  faults: FaultState;
  locks: KeyedMutex;
  counter: ByteCounter;
  seed: number;
  speed: number;
  /** Counts into the emulator's totals and into this flavour's own. */
  stats: StatsSink;
  ledger: ExecutionLedger;
}

/** A flavour's context: the core's parts, its key, its batches and their lifecycle. */
export interface BatchContext<J extends Job> extends CoreContext {
  /** The key it accepts; unset: any key. */
  apiKey: string | undefined;
  batches: JobStore<J>;
  jobs: Lifecycle<J>;
}

/** The size limits of one batch: most requests, largest input (Anthropic's per create, Mistral's per job). */
export interface SizeLimits {
  maxRequests: number;
  maxBytes: number;
}

/** Requests per second each batch executes at speed 1 (a 100-request batch runs ~2 s). */
export const REQUESTS_PER_SECOND = 50;
/** How long a batch waits in the queue before it runs (OpenAI shows it `validating`), at speed 1. */
export const VALIDATING_MS = 1000;
export const FINALIZING_MS = 500;
export const CANCELLING_MS = 1000;
