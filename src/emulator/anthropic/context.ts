/**
 * What the Message Batches routes need: the parts shared with the OpenAI flavour (clock, faults,
 * stats, locks, byte counter, speed, seed, key) plus their own store, ledger and limits.
 */
import type { Clock } from '../../util/clock.ts';
import type { ExecutionLedger } from '../executions.ts';
import type { FaultState } from '../faults.ts';
import type { ByteCounter } from '../http.ts';
import type { KeyedMutex } from '../mutex.ts';
import type { StatsKeeper } from '../stats.ts';
import type { ClaudeModels } from './models.ts';
import type { MessageBatchStore } from './store.ts';

export interface AnthropicContext {
  clock: Clock;
  stats: StatsKeeper;
  faults: FaultState;
  locks: KeyedMutex;
  counter: ByteCounter;
  seed: number;
  speed: number;
  /** Unset: any `x-api-key` is accepted. */
  apiKey: string | undefined;
  store: MessageBatchStore;
  ledger: ExecutionLedger;
  models: ClaudeModels;
  maxRequestsPerBatch: number;
  maxBatchBytes: number;
}

/** Anthropic's documented limits per create call (docs: batch-processing). */
export const MAX_REQUESTS_PER_BATCH = 100_000;
export const MAX_BATCH_BYTES = 256 * 1024 * 1024;
/** Results can be downloaded for 29 days after creation, then the batch is archived. */
export const RETENTION_MS = 29 * 86_400_000;
export const WINDOW_MS = 86_400_000;
