/**
 * What the Bedrock routes need: the emulator's shared parts (clock, faults, stats, locks, byte
 * counter, seed, speed), the jobs, the S3 objects jobs read and write, and the flavour's settings.
 */
import type { Clock } from '../../util/clock.ts';
import type { ExecutionLedger } from '../executions.ts';
import type { FaultState } from '../faults.ts';
import type { ByteCounter } from '../http.ts';
import type { KeyedMutex } from '../mutex.ts';
import type { S3Store } from '../s3/store.ts';
import type { StatsKeeper } from '../stats.ts';
import type { BedrockQuotas } from './options.ts';
import type { JobStore } from './store.ts';

export interface BedrockContext {
  clock: Clock;
  stats: StatsKeeper;
  faults: FaultState;
  locks: KeyedMutex;
  counter: ByteCounter;
  seed: number;
  speed: number;
  jobs: JobStore;
  s3: S3Store;
  ledger: ExecutionLedger;
  quotas: BedrockQuotas;
  scheduledMs: number;
  idempotencyWindowMs: number;
  /** Unset: any role may be passed. */
  passableRoles: ReadonlySet<string> | undefined;
}
