/**
 * The built-in OpenAI Files + Batches API emulator: a real HTTP server on 127.0.0.1 that the
 * `openai` SDK talks to unchanged. State lives in `stateDir`, so a server can be stopped and
 * started again on the same directory and its batches carry on.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir } from 'node:fs/promises';
import { systemClock, type Clock } from '../util/clock.ts';
import { loadTokenizers } from '../tokens/count.ts';
import { BatchStore } from './batch-store.ts';
import { MAX_BATCH_FILE_BYTES, MAX_UPLOAD_BYTES, type EmulatorContext } from './context.ts';
import { dispatch } from './dispatch.ts';
import { ExecutionLedger } from './executions.ts';
import { startFlavours } from './flavours.ts';
import { FaultState } from './faults.ts';
import { FilesStore } from './files-store.ts';
import { knownModels } from './known-models.ts';
import { MAX_REQUESTS } from './validation.ts';
import { KeyedMutex } from './mutex.ts';
import { OnlineServer } from './online/server.ts';
import { StatsKeeper } from './stats.ts';
import { collectStats } from './stats-view.ts';
import type { EmulatorOptions, EmulatorStats, FaultOptions } from './types.ts';

export { standInParaphrase } from './model.ts';
export type {
  AnthropicOptions,
  AzureOptions,
  EmulatorOptions,
  EmulatorStats,
  FaultOptions,
  HttpFault,
  RequestErrorFaults,
} from './types.ts';
export type { OnlineFaults, OnlineOptions, OnlineStats, OnlineWindow } from './online/types.ts';
export type { BedrockOptions, BedrockQuotas } from './bedrock/options.ts';
export type { AwsStats } from './aws/stats.ts';

export interface RunningEmulator {
  /** 'http://127.0.0.1:PORT/v1': the OpenAI SDK's baseURL. */
  url: string;
  /** 'http://127.0.0.1:PORT': the Anthropic SDK's baseURL (it adds `/v1/messages/batches` itself). */
  anthropicUrl: string;
  /** 'http://127.0.0.1:PORT/openai/v1': the OpenAI SDK's baseURL for the Azure flavour (send `api-key`). */
  azureUrl: string;
  /**
   * 'http://127.0.0.1:PORT': the AWS SDKs' `endpoint` (S3 with `forcePathStyle: true`) or
   * `AWS_ENDPOINT_URL`; requests are told apart by their SigV4 signature (any key, but signed).
   */
  awsUrl: string;
  port: number;
  stats(): Promise<EmulatorStats>;
  setFaults(f: FaultOptions): void;
  close(): Promise<void>;
}

export async function startEmulator(opts: EmulatorOptions): Promise<RunningEmulator> {
  await loadTokenizers();
  await mkdir(opts.stateDir, { recursive: true });
  const base: Clock = opts.clock ?? systemClock;
  // The emulator's wall time: the injected clock, plus control-route advances, plus a fixed skew.
  let offset = opts.clockSkewMs ?? 0;
  const clock: Clock = { now: () => base.now() + offset, sleep: (ms, signal) => base.sleep(ms, signal) };
  const stats = new StatsKeeper(opts.stateDir);
  const files = new FilesStore(opts.stateDir);
  const batches = new BatchStore(opts.stateDir);
  const ledger = new ExecutionLedger(opts.stateDir);
  await Promise.all([files.load(), batches.load(), ledger.refresh()]);
  const limit = opts.enqueuedTokenLimit;
  const seed = opts.seed ?? 1;
  const ctx: EmulatorContext = {
    clock,
    files,
    batches,
    stats,
    ledger,
    faults: new FaultState(seed, opts.faults, () => clock.now()),
    locks: new KeyedMutex(),
    counter: { addIn: (n) => stats.add('bytesIn', n), addOut: (n) => stats.add('bytesOut', n) },
    seed,
    speed: opts.speed !== undefined && opts.speed > 0 ? opts.speed : 1,
    maxBatchFileBytes: opts.maxBatchFileBytes ?? MAX_BATCH_FILE_BYTES,
    maxUploadBytes: opts.maxUploadBytes ?? MAX_UPLOAD_BYTES,
    apiKey: opts.apiKey,
    isKnownModel: knownModels(opts.extraModels),
    tokenLimit: (model) => (typeof limit === 'number' ? limit : limit?.[model]),
    enqueuedTokenFactor: opts.enqueuedTokenFactor ?? 1,
    online: new OnlineServer(opts.online ?? {}, clock.now()),
    advanceClock: (ms) => (offset += ms),
    maxRequestsPerBatch: MAX_REQUESTS,
  };
  const flavours = await startFlavours(ctx, opts);
  const server = createServer((req, res) => void dispatch(flavours, req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const shutDown = async () => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
    // Let in-flight batch work finish so the state on disk is consistent for the next start.
    await ctx.locks.idle();
    await stats.flush();
  };
  let closing: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    anthropicUrl: `http://127.0.0.1:${port}`,
    azureUrl: `http://127.0.0.1:${port}/openai/v1`,
    awsUrl: `http://127.0.0.1:${port}`,
    port,
    stats: () => collectStats(ctx),
    setFaults: (f) => ctx.faults.set(f),
    // Idempotent: a second close (a test's cleanup after the test closed it) waits for the first.
    close: () => (closing ??= shutDown()),
  };
}
