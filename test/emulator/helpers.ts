/** Shared rig for the emulator tests: a server on a temp dir with a ManualClock, and the real SDK. */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import OpenAI, { toFile } from 'openai';
import type { Batch } from 'openai/resources/batches';
import { startEmulator, type EmulatorOptions, type RunningEmulator } from '../../src/emulator/index.ts';
import { ManualClock } from '../../src/util/clock.ts';

export interface Rig {
  emulator: RunningEmulator;
  client: OpenAI;
  clock: ManualClock;
  stateDir: string;
  close(): Promise<void>;
}

export async function startRig(opts: Partial<EmulatorOptions> = {}): Promise<Rig> {
  const stateDir = opts.stateDir ?? (await mkdtemp(path.join(tmpdir(), 'emulator-test-')));
  const clock = (opts.clock as ManualClock | undefined) ?? new ManualClock();
  const emulator = await startEmulator({ ...opts, stateDir, clock });
  const client = new OpenAI({ apiKey: 'test', baseURL: emulator.url, maxRetries: 0 });
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

export interface LineSpec {
  custom_id?: string;
  content?: string;
  model?: string;
  extra?: Record<string, unknown>;
}

export const chatLine = (i: number, spec: LineSpec = {}): Record<string, unknown> => ({
  custom_id: spec.custom_id ?? `req-${i}`,
  method: 'POST',
  url: '/v1/chat/completions',
  body: {
    model: spec.model ?? 'gpt-4.1-mini',
    messages: [{ role: 'user', content: spec.content ?? `Paraphrase: <text>A big quick question number ${i}.</text>` }],
    ...spec.extra,
  },
});

export const jsonl = (lines: unknown[]): string =>
  lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n') + '\n';

export async function upload(
  client: OpenAI,
  text: string,
  name = 'input.jsonl',
  purpose: 'batch' | 'user_data' = 'batch',
) {
  return client.files.create({ file: await toFile(Buffer.from(text), name), purpose });
}

/** Uploads `n` chat lines and creates a batch over them. */
export async function submit(client: OpenAI, n: number, spec: (i: number) => LineSpec = () => ({})): Promise<Batch> {
  const file = await upload(client, jsonl(Array.from({ length: n }, (_, i) => chatLine(i, spec(i)))));
  return client.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
}

/** Advances the manual clock by `ms` and reads the batch. */
export async function after(rig: Rig, id: string, ms: number): Promise<Batch> {
  rig.clock.advance(ms);
  return rig.client.batches.retrieve(id);
}

export async function download(client: OpenAI, fileId: string | null | undefined): Promise<Record<string, unknown>[]> {
  if (!fileId) return [];
  const text = await (await client.files.content(fileId)).text();
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface SpawnedEmulator {
  child: ChildProcessWithoutNullStreams;
  /** The base URL from the banner. */
  url: string;
  /** The key the banner tells to export. */
  key: string;
  /** Everything printed so far. */
  output: () => string;
}

/** Runs `pipeline emulator ARGS` in its own process and waits for its banner's export line. */
export async function spawnEmulator(args: string[]): Promise<SpawnedEmulator> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/emulator/fixtures/cli-main.ts', ...args], {
    cwd: repoRoot,
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  // Wait for the export line, not just the URL: pipe chunks may split the banner anywhere.
  const [url, key] = await new Promise<[string, string]>((resolve, reject) => {
    child.stdout.on('data', () => {
      const m = /export OPENAI_BASE_URL=(http:\/\/127\.0\.0\.1:\d+\/v1) OPENAI_API_KEY=(\S+)\n/.exec(out);
      if (m?.[1] && m[2]) resolve([m[1], m[2]]);
    });
    child.once('exit', () => reject(new Error(`emulator exited early: ${out}`)));
  });
  return { child, url, key, output: () => out };
}
