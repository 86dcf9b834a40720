/**
 * Gemini Batch Mode conformance, driven by the real @google/genai SDK (and raw REST for what the
 * SDK drops): the long-running operation through PENDING → RUNNING → SUCCEEDED, inline results in
 * input order with their metadata, a file's results as `files/batch-<id>`, cancel keeping the
 * finished rows, delete hiding a batch whose work goes on, and the list's pages.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { standInParaphrase } from '../../src/emulator/index.ts';
import { createInline, fileLine, later, raw, startGeminiRig, textOf, type GeminiRig } from './gemini-helpers.ts';

let rig: GeminiRig;
afterEach(() => rig.close());

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const TYPE = 'type.googleapis.com/google.ai.generativelanguage.v1main';

describe('inline batch', () => {
  it('PENDING → RUNNING with progress → SUCCEEDED, responses inline in input order with their metadata', async () => {
    rig = await startGeminiRig();
    const job = await createInline(rig, 100);
    expect(job).toEqual({
      name: expect.stringMatching(/^batches\/[a-z0-9]{36}$/) as string,
      displayName: 'inline-100',
      state: 'JOB_STATE_PENDING',
      createTime: new Date(rig.clock.now()).toISOString(),
      updateTime: new Date(rig.clock.now()).toISOString(),
      model: 'models/gemini-2.5-flash',
    });
    const name = job.name as string;
    const pending = await raw(rig, name);
    expect(pending).toEqual({
      name,
      metadata: {
        '@type': `${TYPE}.GenerateContentBatch`,
        model: 'models/gemini-2.5-flash',
        displayName: 'inline-100',
        createTime: job.createTime,
        updateTime: job.createTime,
        batchStats: { requestCount: '100', pendingRequestCount: '100' },
        state: 'BATCH_STATE_PENDING',
        name,
      },
    });
    // 1 s in the queue, then 50 requests a second: half-way after 2 s.
    expect((await later(rig, name, 2000)).state).toBe('JOB_STATE_RUNNING');
    expect((await raw(rig, name)).metadata).toMatchObject({
      batchStats: { requestCount: '100', successfulRequestCount: '50', pendingRequestCount: '50' },
      state: 'BATCH_STATE_RUNNING',
      updateTime: new Date(rig.clock.now() - 1000).toISOString(),
    });
    expect((await later(rig, name, 1499)).state).toBe('JOB_STATE_RUNNING');
    const done = await later(rig, name, 1);
    expect(done).toMatchObject({ state: 'JOB_STATE_SUCCEEDED', endTime: new Date(rig.clock.now()).toISOString() });
    const rows = done.dest?.inlinedResponses ?? [];
    expect(rows.map((r) => r.metadata)).toEqual(Array.from({ length: 100 }, (_, i) => ({ key: `q${i}` })));
    expect(textOf(rows[7]?.response)).toBe(standInParaphrase('A big quick question number 7.'));

    const op = await raw(rig, name);
    expect(op).toMatchObject({ name, done: true, response: { '@type': `${TYPE}.GenerateContentBatchOutput` } });
    expect(op.error).toBeUndefined();
    const meta = op.metadata as Record<string, unknown>;
    expect(meta.batchStats).toEqual({ requestCount: '100', successfulRequestCount: '100' });
    expect(meta.endTime).toMatch(RFC3339);
    // Both the operation's response and metadata.output carry the output.
    expect((op.response as Record<string, unknown>).inlinedResponses).toEqual(
      (meta.output as Record<string, unknown>).inlinedResponses,
    );
    const first = ((meta.output as { inlinedResponses: { inlinedResponses: unknown[] } }).inlinedResponses
      .inlinedResponses[0] ?? {}) as Record<string, unknown>;
    expect(Object.keys(first)).toEqual(['response', 'metadata']);
    expect(first.response).toEqual({
      candidates: [
        {
          content: { parts: [{ text: standInParaphrase('A big quick question number 0.') }], role: 'model' },
          finishReason: 'STOP',
          index: 0,
        },
      ],
      usageMetadata: {
        promptTokenCount: expect.any(Number) as number,
        candidatesTokenCount: expect.any(Number) as number,
        totalTokenCount: expect.any(Number) as number,
        promptTokensDetails: [{ modality: 'TEXT', tokenCount: expect.any(Number) as number }],
      },
      modelVersion: 'gemini-2.5-flash',
      responseId: expect.stringMatching(/^[A-Za-z0-9_-]{23}$/) as string,
    });

    const stats = await rig.emulator.stats();
    expect(stats.geminiBatchesByState).toEqual({ BATCH_STATE_SUCCEEDED: 1 });
    expect(stats.flavours.gemini).toMatchObject({ batchesCreated: 1, requestsExecuted: 100, duplicateExecutions: 0 });
    expect(stats.routeCalls['POST /v1beta/models/{model}:batchGenerateContent']).toBe(1);
    expect(stats.routeCalls['GET /v1beta/batches/{batch}']).toBe(6);
  });
});

describe('file batch', () => {
  it('reads an uploaded JSONL file and publishes `files/batch-<id>`: key-addressed lines in input order', async () => {
    rig = await startGeminiRig();
    const input = await rig.upload(Array.from({ length: 5 }, (_, i) => fileLine(i)).join('\n') + '\n');
    expect(input).toMatch(/^files\/[a-z0-9]{12}$/);
    const job = await rig.ai.batches.create({
      model: 'gemini-2.5-flash',
      src: input,
      config: { displayName: 'file-5' },
    });
    expect((await raw(rig, job.name as string)).metadata).toMatchObject({ inputConfig: { fileName: input } });
    const done = await later(rig, job.name as string, 2000);
    const id = (job.name as string).slice('batches/'.length);
    expect(done).toMatchObject({ state: 'JOB_STATE_SUCCEEDED', dest: { fileName: `files/batch-${id}` } });
    const op = await raw(rig, job.name as string);
    expect(op.response).toEqual({ '@type': `${TYPE}.GenerateContentBatchOutput`, responsesFile: `files/batch-${id}` });
    expect((op.metadata as Record<string, unknown>).output).toEqual({ responsesFile: `files/batch-${id}` });

    const downloaded = path.join(rig.stateDir, 'results.jsonl');
    await rig.ai.files.download({ file: `files/batch-${id}`, downloadPath: downloaded });
    await expect.poll(async () => (await readFile(downloaded, 'utf8')).length).toBeGreaterThan(0);
    const text = await readFile(downloaded, 'utf8');
    const lines = text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { key: string; response: unknown });
    expect(lines.map((l) => l.key)).toEqual(['q0', 'q1', 'q2', 'q3', 'q4']);
    expect(Object.keys(lines[0] ?? {})).toEqual(['key', 'response']);
    expect(textOf(lines[3]?.response)).toBe(standInParaphrase('A big quick question number 3.'));
    // The REST guide's download route gives the same bytes.
    const res = await fetch(`${rig.emulator.geminiUrl}/download/v1beta/files/batch-${id}:download?alt=media`, {
      headers: { 'x-goog-api-key': 'k' },
    });
    expect(await res.text()).toBe(text);

    // Longer than a file id may be: get works, delete is refused, as on the real service.
    const file = await rig.ai.files.get({ name: `files/batch-${id}` });
    expect(file).toMatchObject({ name: `files/batch-${id}`, source: 'GENERATED', sizeBytes: String(text.length) });
    await expect(rig.ai.files.delete({ name: `files/batch-${id}` })).rejects.toMatchObject({ status: 400 });
    const refused = await rig.rest('DELETE', `/v1beta/files/batch-${id}`);
    expect(refused).toEqual({
      status: 400,
      json: {
        error: {
          code: 400,
          message: "* DeleteFileRequest.name: File ID (name excluding 'files/') cannot be more than 40 characters.\n",
          status: 'INVALID_ARGUMENT',
        },
      },
    });
  });

  it('a file line that is no request fails the batch as it leaves the queue', async () => {
    rig = await startGeminiRig();
    const input = await rig.upload(`${fileLine(0)}\nnot json\n`);
    const job = await rig.ai.batches.create({ model: 'gemini-2.5-flash', src: input, config: { displayName: 'bad' } });
    expect((await later(rig, job.name as string, 1000)).state).toBe('JOB_STATE_FAILED');
    const op = await raw(rig, job.name as string);
    expect(op).toMatchObject({ done: true, error: { code: 3, message: expect.stringContaining('Line 2') as string } });
    expect(op.response).toBeUndefined();
  });
});

describe('cancel and delete', () => {
  it('cancel answers {} and ends the batch CANCELLED with the rows finished before it', async () => {
    rig = await startGeminiRig();
    const job = await createInline(rig, 100);
    const name = job.name as string;
    rig.clock.advance(1400); // 20 done
    expect(await rig.rest('POST', `/v1beta/${name}:cancel`)).toEqual({ status: 200, json: {} });
    const cancelled = await later(rig, name, 1000);
    expect(cancelled.state).toBe('JOB_STATE_CANCELLED');
    expect(cancelled.dest?.inlinedResponses?.map((r) => r.metadata)).toEqual(
      Array.from({ length: 20 }, (_, i) => ({ key: `q${i}` })),
    );
    const op = await raw(rig, name);
    expect(op).toMatchObject({ done: true, error: { code: 1 } });
    expect((op.metadata as Record<string, unknown>).batchStats).toEqual({
      requestCount: '100',
      successfulRequestCount: '20',
      pendingRequestCount: '80',
    });
    // Cancelling an ended batch changes nothing (best effort).
    await rig.ai.batches.cancel({ name });
    expect((await rig.ai.batches.get({ name })).state).toBe('JOB_STATE_CANCELLED');
  });

  it('delete hides the batch at once, but its work is not cancelled', async () => {
    rig = await startGeminiRig();
    const job = await createInline(rig, 10);
    const name = job.name as string;
    expect(await rig.ai.batches.delete({ name })).toMatchObject({});
    await expect(rig.ai.batches.get({ name })).rejects.toMatchObject({ status: 404 });
    expect(await rig.rest('GET', `/v1beta/${name}`)).toEqual({
      status: 404,
      json: { error: { code: 404, message: 'Requested entity was not found.', status: 'NOT_FOUND' } },
    });
    expect((await rig.rest('GET', '/v1beta/batches')).json).toEqual({});
    rig.clock.advance(60_000);
    const stats = await rig.emulator.stats();
    expect(stats.geminiBatchesByState).toEqual({ BATCH_STATE_SUCCEEDED: 1 });
    expect(stats.flavours.gemini?.requestsExecuted).toBe(10);
  });
});

describe('list', () => {
  it('pages through every batch once, in a seeded order by default; results are not in the list', async () => {
    rig = await startGeminiRig();
    const created = [];
    for (let i = 0; i < 7; i++) created.push((await createInline(rig, 1)).name);
    rig.clock.advance(5000);
    const seen: string[] = [];
    let token: string | undefined;
    let calls = 0;
    do {
      const page = await rig.rest('GET', `/v1beta/batches?pageSize=3${token ? `&pageToken=${token}` : ''}`);
      const ops = (page.json.operations ?? []) as { name: string; done: boolean; metadata: Record<string, unknown> }[];
      for (const op of ops) {
        expect(op.done).toBe(true);
        expect(op.metadata.output).toBeUndefined();
        seen.push(op.name);
      }
      token = page.json.nextPageToken as string | undefined;
      calls++;
    } while (token);
    expect(calls).toBe(3);
    expect([...seen].sort()).toEqual([...created].sort());
    expect(seen).not.toEqual(created);
    expect(seen).not.toEqual([...created].reverse());
    // The SDK's pager walks the same pages.
    const sdk: string[] = [];
    for await (const b of await rig.ai.batches.list({ config: { pageSize: 2 } })) sdk.push(b.name as string);
    expect(sdk).toEqual(seen);
  });

  it('oldest first (or newest first) when asked; the listLagMs fault holds new batches back', async () => {
    rig = await startGeminiRig({ gemini: { listOrder: 'oldest' }, faults: { listLagMs: 1000 } });
    const a = (await createInline(rig, 1)).name;
    rig.clock.advance(1000);
    const b = (await createInline(rig, 1)).name;
    const names = ((await rig.rest('GET', '/v1beta/batches')).json.operations as { name: string }[]).map((o) => o.name);
    expect(names).toEqual([a]);
    rig.clock.advance(1000);
    const both = ((await rig.rest('GET', '/v1beta/batches')).json.operations as { name: string }[]).map((o) => o.name);
    expect(both).toEqual([a, b]);
    expect((await rig.rest('GET', '/v1beta/batches?pageToken=nonsense')).status).toBe(400);
  });
});
