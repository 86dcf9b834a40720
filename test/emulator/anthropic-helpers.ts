/** Rig for the Message Batches tests: the emulator on a temp dir with a ManualClock, and the real Anthropic SDK. */
import Anthropic from '@anthropic-ai/sdk';
import type { MessageBatch, MessageBatchIndividualResponse } from '@anthropic-ai/sdk/resources/messages/batches';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startEmulator, type EmulatorOptions, type RunningEmulator } from '../../src/emulator/index.ts';
import { ManualClock } from '../../src/util/clock.ts';

export interface AnthropicRig {
  emulator: RunningEmulator;
  client: Anthropic;
  clock: ManualClock;
  stateDir: string;
  close(): Promise<void>;
}

export async function startAnthropicRig(opts: Partial<EmulatorOptions> = {}): Promise<AnthropicRig> {
  const stateDir = opts.stateDir ?? (await mkdtemp(path.join(tmpdir(), 'emulator-anthropic-')));
  const clock = (opts.clock as ManualClock | undefined) ?? new ManualClock();
  const emulator = await startEmulator({ ...opts, stateDir, clock });
  const client = new Anthropic({ apiKey: 'test', baseURL: emulator.anthropicUrl, maxRetries: 0 });
  return {
    emulator,
    client,
    clock,
    stateDir,
    async close() {
      await emulator.close();
      if (!opts.stateDir) await rm(stateDir, { recursive: true, force: true });
    },
  };
}

export interface RequestSpec {
  custom_id?: string;
  content?: string;
  model?: string;
  params?: Record<string, unknown>;
}

export const messageRequest = (i: number, spec: RequestSpec = {}) => ({
  custom_id: spec.custom_id ?? `req-${i}`,
  params: {
    model: spec.model ?? 'claude-haiku-4-5',
    max_tokens: 1024,
    messages: [
      { role: 'user' as const, content: spec.content ?? `Paraphrase: <text>A big quick question number ${i}.</text>` },
    ],
    ...spec.params,
  },
});

/** Creates a batch of `n` requests. */
export function createBatch(
  client: Anthropic,
  n: number,
  spec: (i: number) => RequestSpec = () => ({}),
): Promise<MessageBatch> {
  return client.messages.batches.create({
    requests: Array.from({ length: n }, (_, i) => messageRequest(i, spec(i))),
  });
}

/** Advances the manual clock by `ms` and reads the batch. */
export async function later(rig: AnthropicRig, id: string, ms: number): Promise<MessageBatch> {
  rig.clock.advance(ms);
  return rig.client.messages.batches.retrieve(id);
}

/** Every result line, through the SDK's streaming `results()`. */
export async function results(client: Anthropic, id: string): Promise<MessageBatchIndividualResponse[]> {
  const lines: MessageBatchIndividualResponse[] = [];
  for await (const line of await client.messages.batches.results(id)) lines.push(line);
  return lines;
}

export const byCustomId = (lines: MessageBatchIndividualResponse[]) =>
  Object.fromEntries(lines.map((l) => [l.custom_id, l.result]));
