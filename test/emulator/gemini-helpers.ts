/** Rig for the Gemini tests: the emulator on a temp dir with a ManualClock, the real @google/genai SDK, and raw REST. */
import { GoogleGenAI, type BatchJob, type InlinedRequest } from '@google/genai';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startEmulator, type EmulatorOptions, type RunningEmulator } from '../../src/emulator/index.ts';
import { ManualClock } from '../../src/util/clock.ts';

export interface GeminiRig {
  emulator: RunningEmulator;
  ai: GoogleGenAI;
  clock: ManualClock;
  stateDir: string;
  /** A REST call with the key, as the SDK would send it; `body` is sent as JSON. */
  rest(method: string, route: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }>;
  /** Writes `text` to a temp file and uploads it with the SDK (mime type application/jsonl). */
  upload(text: string, displayName?: string): Promise<string>;
  close(): Promise<void>;
}

export async function startGeminiRig(opts: Partial<EmulatorOptions> = {}): Promise<GeminiRig> {
  const stateDir = opts.stateDir ?? (await mkdtemp(path.join(tmpdir(), 'emulator-gemini-')));
  const clock = (opts.clock as ManualClock | undefined) ?? new ManualClock();
  const emulator = await startEmulator({ ...opts, stateDir, clock });
  const ai = new GoogleGenAI({ apiKey: 'test-key', httpOptions: { baseUrl: emulator.geminiUrl } });
  let uploads = 0;
  return {
    emulator,
    ai,
    clock,
    stateDir,
    async rest(method, route, body) {
      const res = await fetch(`${emulator.geminiUrl}${route}`, {
        method,
        headers: { 'x-goog-api-key': 'test-key', 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await res.text();
      return { status: res.status, json: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
    },
    async upload(text, displayName = 'input') {
      const file = path.join(stateDir, `upload-${uploads++}.jsonl`);
      await writeFile(file, text);
      const uploaded = await ai.files.upload({ file, config: { mimeType: 'application/jsonl', displayName } });
      return uploaded.name as string;
    },
    async close() {
      await emulator.close();
      if (!opts.stateDir) await rm(stateDir, { recursive: true, force: true });
    },
  };
}

export const prompt = (i: number) => `Paraphrase: <text>A big quick question number ${i}.</text>`;

/** An inline request for the SDK (`metadata.key` names it). */
export const inlined = (i: number, extra: Partial<InlinedRequest> = {}): InlinedRequest => ({
  contents: [{ role: 'user', parts: [{ text: prompt(i) }] }],
  metadata: { key: `q${i}` },
  ...extra,
});

/** A JSONL line of a batch input file (REST shape). */
export const fileLine = (i: number, request: Record<string, unknown> = {}) =>
  JSON.stringify({ key: `q${i}`, request: { contents: [{ role: 'user', parts: [{ text: prompt(i) }] }], ...request } });

export function createInline(rig: GeminiRig, n: number, extra: (i: number) => Partial<InlinedRequest> = () => ({})) {
  return rig.ai.batches.create({
    model: 'gemini-2.5-flash',
    src: Array.from({ length: n }, (_, i) => inlined(i, extra(i))),
    config: { displayName: `inline-${n}` },
  });
}

/** Advances the manual clock by `ms` and reads the batch through the SDK. */
export async function later(rig: GeminiRig, name: string, ms: number): Promise<BatchJob> {
  rig.clock.advance(ms);
  return rig.ai.batches.get({ name });
}

/** The batch as REST shows it (what the SDK drops included: batchStats, done, error, response). */
export const raw = async (rig: GeminiRig, name: string) => (await rig.rest('GET', `/v1beta/${name}`)).json;

/** The text of a response's first part. */
export const textOf = (response: unknown): string =>
  (response as { candidates: { content: { parts: { text: string }[] } }[] }).candidates[0]?.content.parts[0]?.text ??
  '';
