/**
 * The built-in Batch API emulator: a real HTTP server on 127.0.0.1 that each provider's SDK talks
 * to unchanged (OpenAI, Azure OpenAI, Anthropic, Gemini, Mistral, AWS S3 and Bedrock; flavours.ts). State lives in `stateDir`, so a
 * server can be stopped and started again on the same directory and its batches carry on.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir } from 'node:fs/promises';
import { systemClock, type Clock } from '../util/clock.ts';
import { loadTokenizers } from '../tokens/count.ts';
import { startAnthropic } from './anthropic/start.ts';
import { startAwsFlavour } from './aws/served.ts';
import type { Controls } from './control.ts';
import { dispatch } from './dispatch.ts';
import { FaultState } from './faults.ts';
import type { ServedFlavour, Shared } from './flavours.ts';
import { startGemini } from './gemini/start.ts';
import { startMistral } from './mistral/start.ts';
import { KeyedMutex } from './mutex.ts';
import { startAzure, startOpenAi } from './openai/start.ts';
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
  FlavourCounts,
  GeminiOptions,
  HttpFault,
  MistralOptions,
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
  /** 'http://127.0.0.1:PORT': @google/genai's `httpOptions.baseUrl` (it adds `/v1beta/…`, `/upload/v1beta/…`). */
  geminiUrl: string;
  /** 'http://127.0.0.1:PORT/mistral': @mistralai/mistralai's `serverURL` (it adds `/v1/batch/jobs`, `/v1/files`). */
  mistralUrl: string;
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
  const seed = opts.seed ?? 1;
  const shared: Shared = {
    stateDir: opts.stateDir,
    clock,
    faults: new FaultState(seed, opts.faults, () => clock.now()),
    locks: new KeyedMutex(),
    counter: { addIn: (n) => stats.add('bytesIn', n), addOut: (n) => stats.add('bytesOut', n) },
    seed,
    speed: opts.speed !== undefined && opts.speed > 0 ? opts.speed : 1,
    stats,
  };
  const openai = await startOpenAi(shared, opts);
  // In dispatch order: AWS is told by its signature, before any path; the OpenAI flavour owns every
  // path no other does, so it comes last.
  const flavours: ServedFlavour[] = [
    await startAwsFlavour(shared, opts),
    await startAnthropic(shared, opts),
    await startAzure(openai.ctx, shared, opts),
    await startGemini(shared, opts),
    await startMistral(shared, opts),
    openai.flavour,
  ];
  const controls: Controls = {
    clock,
    faults: shared.faults,
    counter: shared.counter,
    flavours,
    stats: () => collectStats(stats, flavours, openai.ctx.online),
    advanceClock: (ms) => (offset += ms),
  };
  const server = createServer((req, res) => void dispatch(controls, req, res));
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
    await shared.locks.idle();
    await stats.flush();
  };
  let closing: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    anthropicUrl: `http://127.0.0.1:${port}`,
    azureUrl: `http://127.0.0.1:${port}/openai/v1`,
    geminiUrl: `http://127.0.0.1:${port}`,
    mistralUrl: `http://127.0.0.1:${port}/mistral`,
    awsUrl: `http://127.0.0.1:${port}`,
    port,
    stats: () => controls.stats(),
    setFaults: (f) => shared.faults.set(f),
    // Idempotent: a second close (a test's cleanup after the test closed it) waits for the first.
    close: () => (closing ??= shutDown()),
  };
}
