/** Rig for the Mistral tests: the emulator on a temp dir with a ManualClock, and the real @mistralai/mistralai SDK. */
import { Mistral } from '@mistralai/mistralai';
import type { BatchJob } from '@mistralai/mistralai/models/components';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startEmulator, type EmulatorOptions, type RunningEmulator } from '../../src/emulator/index.ts';
import { ManualClock } from '../../src/util/clock.ts';

export interface MistralRig {
  emulator: RunningEmulator;
  client: Mistral;
  clock: ManualClock;
  stateDir: string;
  /** A REST call under the `/mistral` prefix with the bearer key; `body` is sent as JSON. */
  rest(method: string, route: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }>;
  close(): Promise<void>;
}

export async function startMistralRig(opts: Partial<EmulatorOptions> = {}): Promise<MistralRig> {
  const stateDir = opts.stateDir ?? (await mkdtemp(path.join(tmpdir(), 'emulator-mistral-')));
  const clock = (opts.clock as ManualClock | undefined) ?? new ManualClock();
  const emulator = await startEmulator({ ...opts, stateDir, clock });
  const client = new Mistral({ apiKey: 'test-key', serverURL: emulator.mistralUrl });
  return {
    emulator,
    client,
    clock,
    stateDir,
    async rest(method, route, body) {
      const res = await fetch(`${emulator.mistralUrl}${route}`, {
        method,
        headers: { authorization: 'Bearer test-key', 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await res.text();
      return { status: res.status, json: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
    },
    async close() {
      await emulator.close();
      if (!opts.stateDir) await rm(stateDir, { recursive: true, force: true });
    },
  };
}

export const chatBody = (i: number, extra: Record<string, unknown> = {}) => ({
  max_tokens: 200,
  messages: [{ role: 'user', content: `Paraphrase: <text>A big quick question number ${i}.</text>` }],
  ...extra,
});

export const line = (i: number, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ custom_id: `r${i}`, body: chatBody(i, extra) });

/** Uploads `n` chat lines (or the given lines) as a batch file; returns its id. */
export async function uploadLines(rig: MistralRig, lines: string[]): Promise<string> {
  const file = await rig.client.files.upload({
    file: { fileName: 'input.jsonl', content: Buffer.from(lines.join('\n') + '\n') },
    purpose: 'batch',
  });
  return file.id;
}

/** Uploads `n` chat lines and creates a job over them on mistral-small-latest. */
export async function submit(rig: MistralRig, n: number, metadata?: Record<string, string>): Promise<BatchJob> {
  const file = await uploadLines(
    rig,
    Array.from({ length: n }, (_, i) => line(i)),
  );
  return rig.client.batch.jobs.create({
    inputFiles: [file],
    endpoint: '/v1/chat/completions',
    model: 'mistral-small-latest',
    ...(metadata ? { metadata } : {}),
  });
}

/** Advances the manual clock by `ms` and reads the job. */
export async function later(rig: MistralRig, id: string, ms: number): Promise<BatchJob> {
  rig.clock.advance(ms);
  return rig.client.batch.jobs.get({ jobId: id });
}

export interface OutputLine {
  id: string;
  custom_id: string;
  response: { status_code: number; body: Record<string, unknown> };
  error: unknown;
}

/** The lines of a result file, downloaded through the SDK. */
export async function download(rig: MistralRig, fileId: string | null | undefined): Promise<OutputLine[]> {
  if (!fileId) return [];
  const text = await new Response(await rig.client.files.download({ fileId })).text();
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as OutputLine);
}
