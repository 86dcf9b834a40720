/** Everything a route handler needs, assembled once by `startEmulator`. */
import type { Clock } from '../util/clock.ts';
import type { AnthropicContext } from './anthropic/context.ts';
import type { AwsContext } from './aws/handler.ts';
import type { AzureSettings } from './azure/settings.ts';
import type { BatchStore } from './batch-store.ts';
import type { ExecutionLedger } from './executions.ts';
import type { FaultState } from './faults.ts';
import type { FilesStore } from './files-store.ts';
import type { ByteCounter } from './http.ts';
import type { KeyedMutex } from './mutex.ts';
import type { OnlineServer } from './online/server.ts';
import type { StatsKeeper } from './stats.ts';

export interface EmulatorContext {
  clock: Clock;
  files: FilesStore;
  batches: BatchStore;
  stats: StatsKeeper;
  ledger: ExecutionLedger;
  faults: FaultState;
  locks: KeyedMutex;
  counter: ByteCounter;
  seed: number;
  speed: number;
  maxBatchFileBytes: number;
  maxUploadBytes: number;
  /** Unset: any bearer key is accepted. */
  apiKey: string | undefined;
  isKnownModel: (model: string) => boolean;
  tokenLimit(model: string): number | undefined;
  /** The enqueued-token count per prompt token (1: the billed count). */
  enqueuedTokenFactor: number;
  /** The online endpoints' limits, slots and stats. */
  online: OnlineServer;
  /** Moves this emulator's time forward (POST /_emulator/clock), on top of the injected clock. */
  advanceClock(ms: number): void;
  /** Most request lines per input file (50,000; Azure 100,000). */
  maxRequestsPerBatch: number;
  /** Set when this context serves the Azure OpenAI flavour. */
  azure?: AzureSettings;
  /** The other flavours served beside this one (set on the main context only): for stats and test controls. */
  siblings?: { anthropic: AnthropicContext; azure: EmulatorContext; aws?: AwsContext };
}

/** Requests per second each batch executes at speed 1 (a 100-request batch runs ~2 s). */
export const REQUESTS_PER_SECOND = 50;
export const VALIDATING_MS = 1000;
export const FINALIZING_MS = 500;
export const CANCELLING_MS = 1000;
export const MAX_BATCH_FILE_BYTES = 200 * 1024 * 1024;
export const MAX_UPLOAD_BYTES = 512 * 1024 * 1024;
