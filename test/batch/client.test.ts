/** The SDK wrapper: construction from the environment, typed errors, no leaked key, call counts. */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { APIConnectionError, APIError } from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { createBatchApi, scrubSecrets, toApiError } from '../../src/providers/shared/openai-batches.ts';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.ts';
import { ManualClock } from '../../src/util/clock.ts';
import { streamLines } from '../../src/stages/batch/collect.ts';
import { API_KEY, requestLines } from './harness.ts';

let emulator: RunningEmulator | undefined;
let dir: string | undefined;
afterEach(async () => {
  await emulator?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
  emulator = undefined;
});

async function start(faults = {}) {
  dir = await mkdtemp(path.join(os.tmpdir(), 'batch-client-'));
  const clock = new ManualClock();
  emulator = await startEmulator({ stateDir: dir, port: 0, clock, faults });
  return { clock, emulator };
}

describe('batch API client', () => {
  it('reads OPENAI_API_KEY / OPENAI_BASE_URL like the SDK, and counts HTTP calls per route', async () => {
    const { clock } = await start();
    expect(() => createBatchApi({ env: {} })).toThrow(/OPENAI_API_KEY is not set/);
    const api = createBatchApi({ env: { OPENAI_API_KEY: API_KEY, OPENAI_BASE_URL: emulator!.url }, maxRetries: 0 });
    const data = Buffer.from(
      requestLines('x', 3)
        .map((l) => `${JSON.stringify(l)}\n`)
        .join(''),
    );
    const file = await api.upload(data, 'x.part1.jsonl');
    if (!file.ok) throw new Error(JSON.stringify(file.error));
    const created = await api.createBatch({
      inputFileId: file.value.id,
      endpoint: '/v1/chat/completions',
      model: 'gpt-4.1',
      completionWindow: '24h',
      metadata: { pipeline_intent: 'abc12345' },
    });
    if (!created.ok) throw new Error(JSON.stringify(created.error));
    expect(created.value).toMatchObject({
      status: 'validating',
      metadata: { pipeline_intent: 'abc12345' },
      outputFileId: null,
    });
    clock.advance(60_000);
    const page = await api.listBatches({ limit: 100 });
    expect(page.ok && page.value.data[0]!.status).toBe('completed');
    const done = await api.retrieveBatch(created.value.id);
    if (!done.ok) throw new Error('retrieve');
    const stream = await api.downloadFile(done.value.outputFileId!);
    if (!stream.ok) throw new Error('download');
    const lines: string[] = [];
    for await (const line of streamLines(stream.value)) lines.push(line);
    expect(lines).toHaveLength(3);
    // Cancelling a finished batch is a 409: "already terminal", asked once (no SDK retries).
    const cancel = await api.cancelBatch(created.value.id);
    expect(cancel).toEqual({ ok: true, value: { alreadyTerminal: true } });
    expect(api.calls.byRoute).toMatchObject({
      'POST /v1/files': 1,
      'POST /v1/batches': 1,
      'GET /v1/batches': 1,
      'GET /v1/batches/{id}': 1,
      'GET /v1/files/{id}/content': 1,
      'POST /v1/batches/{id}/cancel': 1,
    });
    expect(await api.retrieveBatch('batch_missing')).toMatchObject({ ok: false, error: { kind: 'not-found' } });
  });

  it('types errors: 429 with retry-after, 5xx on create as ambiguous, connection errors', async () => {
    await start({
      http: [
        { route: 'GET /v1/batches', status: 429, count: 1, retryAfterSeconds: 7 },
        { route: 'POST /v1/batches', status: 503, count: 1 },
      ],
    });
    const api = createBatchApi({ apiKey: API_KEY, baseURL: emulator!.url, maxRetries: 0 });
    expect(await api.listBatches({ limit: 10 })).toMatchObject({
      ok: false,
      error: { kind: 'rate-limited', retryAfterMs: 7000 },
    });
    expect(
      await api.createBatch({
        inputFileId: 'file-x',
        endpoint: '/v1/chat/completions',
        model: 'gpt-4.1',
        completionWindow: '24h',
        metadata: {},
      }),
    ).toMatchObject({ ok: false, error: { kind: 'ambiguous', status: 503 } });
    expect(
      await api.createBatch({
        inputFileId: 'file-x',
        endpoint: '/v1/chat/completions',
        model: 'gpt-4.1',
        completionWindow: '24h',
        metadata: {},
      }),
    ).toMatchObject({ ok: false, error: { kind: 'not-found' } });
    const dead = createBatchApi({ apiKey: API_KEY, baseURL: 'http://127.0.0.1:1/v1', maxRetries: 0 });
    expect(await dead.listBatches({ limit: 1 })).toMatchObject({ ok: false, error: { kind: 'network' } });
    expect(
      await dead.createBatch({
        inputFileId: 'f',
        endpoint: '/v1/chat/completions',
        model: 'gpt-4.1',
        completionWindow: '24h',
        metadata: {},
      }),
    ).toMatchObject({ ok: false, error: { kind: 'ambiguous' } });
  });

  it('never lets the API key into an error message', () => {
    const leaky = APIError.generate(
      401,
      { message: `Incorrect API key provided: ${API_KEY}.`, type: 'invalid_request_error' },
      undefined,
      new Headers(),
    );
    const mapped = toApiError(leaky, API_KEY);
    expect(mapped.kind).toBe('auth');
    expect(mapped.message).not.toContain(API_KEY);
    expect(mapped.message).not.toContain('4f9a8c7e6d5b4a3c');
    const conn = toApiError(new APIConnectionError({ message: `failed with key ${API_KEY}` }), API_KEY, true);
    expect(conn).toMatchObject({ kind: 'ambiguous' });
    expect(conn.message).not.toContain(API_KEY);
    expect(scrubSecrets('key sk-proj-abcdefghijkl in text')).toBe('key sk-[redacted] in text');
  });
});
