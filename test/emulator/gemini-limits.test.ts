/**
 * The Gemini flavour's edges: the API key, the documented limits (20 MB inline, enqueued tokens
 * per model, concurrent batches), the shared fault knobs in Google's envelope, resumable uploads
 * chunk by chunk, 48-hour file and batch lifetimes (an expired batch has no results and is not
 * paid for), an unknown model, and a restart on the same state dir.
 */
import { ApiError } from '@google/genai';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/util/clock.ts';
import { createInline, fileLine, later, raw, startGeminiRig, type GeminiRig } from './gemini-helpers.ts';

let rig: GeminiRig;
afterEach(() => rig.close());

const HOUR = 3_600_000;

describe('auth', () => {
  it('no key is a 403, a wrong one a 400 API_KEY_INVALID; the key may also come as ?key=', async () => {
    rig = await startGeminiRig({ gemini: { apiKey: 'right' } });
    const none = await fetch(`${rig.emulator.geminiUrl}/v1beta/batches`);
    expect(none.status).toBe(403);
    expect(await none.json()).toMatchObject({ error: { code: 403, status: 'PERMISSION_DENIED' } });
    await expect(rig.ai.batches.get({ name: 'batches/x' })).rejects.toMatchObject({ status: 400 });
    const wrong = await rig.rest('GET', '/v1beta/batches');
    expect(wrong.json).toMatchObject({
      error: {
        code: 400,
        message: 'API key not valid. Please pass a valid API key.',
        status: 'INVALID_ARGUMENT',
        details: [{ reason: 'API_KEY_INVALID' }],
      },
    });
    expect((await fetch(`${rig.emulator.geminiUrl}/v1beta/batches?key=right`)).status).toBe(200);
  });
});

describe('limits', () => {
  it('an inline create over 20 MB (configurable) is refused with 400 INVALID_ARGUMENT', async () => {
    rig = await startGeminiRig({ gemini: { maxInlineBytes: 2000 } });
    const big = rig.ai.batches.create({
      model: 'gemini-2.5-flash',
      src: [{ contents: [{ role: 'user', parts: [{ text: 'x'.repeat(3000) }] }] }],
      config: { displayName: 'big' },
    });
    await expect(big).rejects.toMatchObject({ status: 400 });
    await expect(big).rejects.toThrow(/Request payload size exceeds the limit: 2000 bytes/);
  });

  it('enqueued tokens per model and concurrent batches: a create over either is a 429 RESOURCE_EXHAUSTED', async () => {
    rig = await startGeminiRig({ gemini: { maxEnqueuedTokens: { 'gemini-2.5-flash': 100 }, maxConcurrentBatches: 2 } });
    const first = await createInline(rig, 5); // about 13 prompt tokens each
    const over = createInline(rig, 5);
    await expect(over).rejects.toMatchObject({ status: 429 });
    await expect(over).rejects.toThrow(/Batch Enqueued Tokens.*RESOURCE_EXHAUSTED/);
    // Another model has its own queue; a third batch is one too many at once.
    const other = await rig.ai.batches.create({
      model: 'gemini-2.5-pro',
      src: [{ contents: [{ role: 'user', parts: [{ text: 'hello' }] }] }],
      config: { displayName: 'pro' },
    });
    await expect(createInline(rig, 1)).rejects.toThrow(/at most 2 may be pending or running/);
    await later(rig, first.name as string, 60_000);
    await later(rig, other.name as string, 0);
    expect((await createInline(rig, 5)).state).toBe('JOB_STATE_PENDING');
    expect((await rig.emulator.stats()).tokensEnqueuedPeak['gemini-2.5-flash']).toBeGreaterThan(50);
  });

  it('an unknown model is a 404 NOT_FOUND as Google words it', async () => {
    rig = await startGeminiRig();
    const res = await rig.rest('POST', '/v1beta/models/gemini-0-nothing:batchGenerateContent', {
      batch: { displayName: 'x', inputConfig: { requests: { requests: [{ request: { contents: [] } }] } } },
    });
    expect(res).toEqual({
      status: 404,
      json: {
        error: {
          code: 404,
          message:
            'models/gemini-0-nothing is not found for API version v1beta, or is not supported for batchGenerateContent. Call ListModels to see the list of available models and their supported methods.',
          status: 'NOT_FOUND',
        },
      },
    });
    const noName = await rig.rest('POST', '/v1beta/models/gemini-2.5-flash:batchGenerateContent', {
      batch: { inputConfig: { requests: { requests: [{ request: {} }] } } },
    });
    expect(noName.json).toMatchObject({ error: { code: 400, status: 'INVALID_ARGUMENT' } });
  });
});

describe('faults', () => {
  it('HTTP faults answer in Google envelope; a lost create reply still made the batch', async () => {
    rig = await startGeminiRig();
    rig.emulator.setFaults({
      http: [{ route: 'GET /v1beta/batches/{batch}', status: 503, count: 1, retryAfterSeconds: 2 }],
    });
    const job = await createInline(rig, 1);
    const err = await rig.ai.batches.get({ name: job.name as string }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(JSON.parse((err as ApiError).message)).toEqual({
      error: { code: 503, message: 'The model is overloaded. Please try again later.', status: 'UNAVAILABLE' },
    });
    expect((await rig.ai.batches.get({ name: job.name as string })).state).toBe('JOB_STATE_PENDING');

    rig.emulator.setFaults({ lostReplyRate: 1, lostReplyRoutes: ['POST /v1beta/models/{model}:batchGenerateContent'] });
    await expect(
      rig.ai.batches.create({
        model: 'gemini-2.5-flash',
        src: [{ contents: [{ role: 'user', parts: [{ text: 'hi' }] }] }],
        config: { displayName: 'lost-1' },
      }),
    ).rejects.toThrow();
    rig.emulator.setFaults({});
    const names = [];
    for await (const b of await rig.ai.batches.list()) names.push(b.displayName);
    expect(names).toContain('lost-1');
    expect((await rig.emulator.stats()).flavours.gemini?.batchesCreated).toBe(2);
  });
});

describe('uploads', () => {
  it('a resumable upload in chunks at the offsets named; a wrong offset is refused', async () => {
    rig = await startGeminiRig();
    const start = await fetch(`${rig.emulator.geminiUrl}/upload/v1beta/files`, {
      method: 'POST',
      headers: {
        'x-goog-api-key': 'k',
        'x-goog-upload-protocol': 'resumable',
        'x-goog-upload-command': 'start',
        'x-goog-upload-header-content-length': '10',
        'x-goog-upload-header-content-type': 'text/plain',
      },
      body: JSON.stringify({ file: { displayName: 'ten', name: 'files/my-ten' } }),
    });
    expect(start.headers.get('x-goog-upload-status')).toBe('active');
    const url = start.headers.get('x-goog-upload-url') as string;
    expect(url).toMatch(/\/upload\/v1beta\/files\?upload_id=[\w-]+&upload_protocol=resumable$/);
    const send = (command: string, offset: number, body: string) =>
      fetch(url, {
        method: 'POST',
        headers: { 'x-goog-upload-command': command, 'x-goog-upload-offset': String(offset) },
        body,
      });
    const part = await send('upload', 0, '01234');
    expect(part.headers.get('x-goog-upload-status')).toBe('active');
    expect((await send('upload', 3, 'xx')).status).toBe(400);
    const last = await send('upload, finalize', 5, '56789');
    expect(last.headers.get('x-goog-upload-status')).toBe('final');
    expect(await last.json()).toMatchObject({
      file: { name: 'files/my-ten', displayName: 'ten', mimeType: 'text/plain', sizeBytes: '10', state: 'ACTIVE' },
    });
    const content = await fetch(`${rig.emulator.geminiUrl}/v1beta/files/my-ten:download?alt=media`, {
      headers: { 'x-goog-api-key': 'k' },
    });
    expect(await content.text()).toBe('0123456789');
    const listed = await rig.ai.files.list();
    expect(listed.page.map((f) => f.name)).toEqual(['files/my-ten']);
    await rig.ai.files.delete({ name: 'files/my-ten' });
    await expect(rig.ai.files.get({ name: 'files/my-ten' })).rejects.toMatchObject({ status: 403 });
  });

  it('a file over the size limit is refused at start, or at the chunk that passes it', async () => {
    rig = await startGeminiRig({ gemini: { maxFileBytes: 100 } });
    await expect(rig.upload('x'.repeat(101))).rejects.toMatchObject({ status: 400 });
    const start = await fetch(`${rig.emulator.geminiUrl}/upload/v1beta/files`, {
      method: 'POST',
      headers: { 'x-goog-api-key': 'k', 'x-goog-upload-protocol': 'resumable', 'x-goog-upload-command': 'start' },
    });
    const url = start.headers.get('x-goog-upload-url') as string;
    const chunk = await fetch(url, {
      method: 'POST',
      headers: { 'x-goog-upload-command': 'upload, finalize' },
      body: 'y'.repeat(150),
    });
    expect(chunk.status).toBe(400);
    expect(await chunk.json()).toMatchObject({ error: { status: 'INVALID_ARGUMENT' } });
    expect(
      (await fetch(url, { method: 'POST', headers: { 'x-goog-upload-command': 'upload, finalize' }, body: 'z' }))
        .status,
    ).toBe(404);
  });
});

describe('48 hours', () => {
  it('an upload expires after 48 h (then it is gone, for get and for a batch)', async () => {
    rig = await startGeminiRig();
    const input = await rig.upload(`${fileLine(0)}\n`);
    const file = await rig.ai.files.get({ name: input });
    expect(Date.parse(file.expirationTime as string) - Date.parse(file.createTime as string)).toBe(48 * HOUR);
    rig.clock.advance(48 * HOUR);
    await expect(rig.ai.files.get({ name: input })).rejects.toMatchObject({ status: 403 });
    await expect(
      rig.ai.batches.create({ model: 'gemini-2.5-flash', src: input, config: { displayName: 'late' } }),
    ).rejects.toMatchObject({ status: 403 });
  });

  it('a batch still running at 48 h is EXPIRED, without results; what it ran is not paid for', async () => {
    // At 0.00002× speed the queue lasts 50,000 s and a request 1,000 s: 122 of 200 run in 48 h.
    const clock = new ManualClock();
    rig = await startGeminiRig({ clock, speed: 0.00002 });
    const job = await createInline(rig, 200);
    rig.clock.advance(48 * HOUR);
    const expired = await rig.ai.batches.get({ name: job.name as string });
    expect(expired).toMatchObject({ state: 'JOB_STATE_EXPIRED', endTime: new Date(rig.clock.now()).toISOString() });
    expect(expired.dest).toBeUndefined();
    const op = await raw(rig, job.name as string);
    expect(op).toMatchObject({ done: true, error: { code: 4 } });
    expect((op.metadata as Record<string, unknown>).batchStats).toEqual({
      requestCount: '200',
      successfulRequestCount: '122',
      pendingRequestCount: '78',
    });
    await rig.emulator.close();
    // The same requests again, at normal speed: the 122 that ran before were never delivered.
    const again = await startGeminiRig({ stateDir: rig.stateDir, clock });
    try {
      const rerun = await createInline(again, 200);
      expect((await later(again, rerun.name as string, 60_000)).state).toBe('JOB_STATE_SUCCEEDED');
      expect((await again.emulator.stats()).flavours.gemini).toMatchObject({
        requestsExecuted: 322,
        duplicateExecutions: 0,
      });
    } finally {
      await again.close();
    }
  });

  it('forced expiry (POST /_emulator/batches/ID/expire) answers the operation', async () => {
    rig = await startGeminiRig();
    const job = await createInline(rig, 100);
    rig.clock.advance(1400);
    const id = (job.name as string).slice('batches/'.length);
    const res = await fetch(`${rig.emulator.geminiUrl}/_emulator/batches/${id}/expire`, { method: 'POST' });
    expect(await res.json()).toMatchObject({ done: true, metadata: { state: 'BATCH_STATE_EXPIRED' } });
  });
});

describe('restart', () => {
  it('a batch stopped mid-run carries on in a new server on the same state dir', async () => {
    const clock = new ManualClock();
    rig = await startGeminiRig({ clock });
    const job = await createInline(rig, 100);
    rig.clock.advance(1500);
    expect((await raw(rig, job.name as string)).metadata).toMatchObject({
      batchStats: { successfulRequestCount: '25' },
    });
    await rig.emulator.close();
    const second = await startGeminiRig({ stateDir: rig.stateDir, clock });
    try {
      const done = await later(second, job.name as string, 3000);
      expect(done.dest?.inlinedResponses).toHaveLength(100);
      expect((await second.emulator.stats()).flavours.gemini).toMatchObject({
        requestsExecuted: 100,
        duplicateExecutions: 0,
      });
    } finally {
      await second.close();
    }
  });
});
