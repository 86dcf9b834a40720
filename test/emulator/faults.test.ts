import { createReadStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { APIConnectionError, APIConnectionTimeoutError, toFile } from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { after, chatLine, download, jsonl, startRig, submit, upload, type Rig } from './helpers.ts';

let rig: Rig;
afterEach(() => rig.close());

const control = (r: Rig, route: string, body: unknown) =>
  fetch(`http://127.0.0.1:${r.emulator.port}/_emulator/${route}`, {
    method: 'POST',
    body: JSON.stringify(body),
    headers: { 'content-type': 'application/json' },
  });

const calls = async (r: Rig, key: string) => (await r.emulator.stats()).routeCalls[key] ?? 0;

describe('HTTP faults', () => {
  it('5xx and 429 with retry-after: the SDK retries them (attempts counted in routeCalls)', async () => {
    rig = await startRig({
      faults: { http: [{ route: 'POST /v1/batches', status: 503, count: 2, retryAfterSeconds: 0.01 }] },
    });
    const file = await upload(rig.client, jsonl([chatLine(1)]));
    const sdk = rig.client.withOptions({ maxRetries: 2 });
    await expect(
      sdk.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' }),
    ).resolves.toMatchObject({ status: 'validating' });
    expect(await calls(rig, 'POST /v1/batches')).toBe(3);
    rig.emulator.setFaults({ http: [{ route: 'GET /v1/batches', status: 429, retryAfterSeconds: 0.02 }] });
    const raw = await fetch(`${rig.emulator.url}/batches`, { headers: { authorization: 'Bearer t' } });
    expect(raw.status).toBe(429);
    expect(raw.headers.get('retry-after')).toBe('0.02');
    expect(await raw.json()).toMatchObject({ error: { code: 'rate_limit_exceeded', param: null } });
    await expect(sdk.batches.list()).rejects.toMatchObject({ status: 429 });
    expect(await calls(rig, 'GET /v1/batches')).toBe(4);
    rig.emulator.setFaults({ http: [{ status: 500, count: 5 }] });
    await expect(rig.client.files.list()).rejects.toMatchObject({ status: 500, type: 'server_error' });
  });

  it('streaming uploads are not retried by the SDK, Buffer uploads are', async () => {
    rig = await startRig({ faults: { http: [{ route: 'POST /v1/files', status: 500, retryAfterSeconds: 0.01 }] } });
    const file = path.join(rig.stateDir, 'in.jsonl');
    await writeFile(file, jsonl([chatLine(1)]));
    const sdk = rig.client.withOptions({ maxRetries: 2 });
    await expect(sdk.files.create({ file: createReadStream(file), purpose: 'batch' })).rejects.toMatchObject({
      status: 500,
    });
    expect(await calls(rig, 'POST /v1/files')).toBe(1);
    await expect(
      sdk.files.create({ file: await toFile(Buffer.from('{}\n'), 'a.jsonl'), purpose: 'batch' }),
    ).rejects.toMatchObject({ status: 500 });
    expect(await calls(rig, 'POST /v1/files')).toBe(4);
  });

  it('rate-based faults are reproducible for a seed', async () => {
    const pattern = async () => {
      const r = await startRig({ seed: 42, faults: { http: [{ route: 'GET /v1/files', status: 502, rate: 0.5 }] } });
      const seen: number[] = [];
      for (let i = 0; i < 20; i++)
        seen.push((await fetch(`${r.emulator.url}/files`, { headers: { authorization: 'Bearer t' } })).status);
      await r.close();
      return seen;
    };
    rig = await startRig();
    const a = await pattern();
    expect(a).toEqual(await pattern());
    expect(a.filter((s) => s === 502).length).toBeGreaterThan(3);
    expect(a.filter((s) => s === 200).length).toBeGreaterThan(3);
  });

  it('drops connections and slows replies', async () => {
    rig = await startRig({ faults: { dropRate: 1, dropRoutes: ['GET /v1/files'] } });
    await expect(rig.client.files.list()).rejects.toBeInstanceOf(APIConnectionError);
    await expect(rig.client.batches.list()).resolves.toBeDefined();
    rig.emulator.setFaults({ slowMs: 400 });
    await expect(rig.client.batches.list({}, { timeout: 100 })).rejects.toBeInstanceOf(APIConnectionTimeoutError);
    await expect(rig.client.batches.list({}, { timeout: 5000 })).resolves.toBeDefined();
    rig.emulator.setFaults({ slowMs: 400, slowRoutes: ['GET /v1/files'] }); // slow on the routes named only
    await expect(rig.client.files.list({}, { timeout: 100 })).rejects.toBeInstanceOf(APIConnectionTimeoutError);
    await expect(rig.client.batches.list({}, { timeout: 100 })).resolves.toBeDefined();
  });

  it('eventual consistency: "Cannot find file" right after upload', async () => {
    rig = await startRig({ faults: { fileNotFoundAfterUploadMs: 5000 } });
    const file = await upload(rig.client, jsonl([chatLine(1)]));
    const create = () =>
      rig.client.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
    await expect(create()).rejects.toMatchObject({
      status: 400,
      param: 'file_id',
      error: { message: `Cannot find file ${file.id}, or project proj_emulator does not have access to it.` },
    });
    rig.clock.advance(5000);
    await expect(create()).resolves.toMatchObject({ status: 'validating' });
  });
});

describe('listLagMs: the batch list lags behind creation', () => {
  it('leaves a batch out of GET /v1/batches until it is listLagMs old; retrieve sees it at once', async () => {
    rig = await startRig({ faults: { listLagMs: 5000 } });
    const ids = async () => (await rig.client.batches.list()).data.map((b) => b.id);
    const a = await submit(rig.client, 1);
    expect(await ids()).toEqual([]);
    expect((await rig.client.batches.retrieve(a.id)).id).toBe(a.id);
    rig.clock.advance(4999);
    expect(await ids()).toEqual([]);
    rig.clock.advance(1);
    expect(await ids()).toEqual([a.id]);
    const b = await submit(rig.client, 1);
    const page = await rig.client.batches.list({ limit: 1 });
    expect(page.data.map((x) => x.id)).toEqual([a.id]);
    expect(page.has_more).toBe(false);
    rig.clock.advance(5000);
    expect(await ids()).toEqual([b.id, a.id]);
  });

  it('is a fault like the others: settable over HTTP and validated', async () => {
    rig = await startRig();
    const a = await submit(rig.client, 1);
    expect((await control(rig, 'faults', { listLagMs: -1 })).status).toBe(400);
    expect((await control(rig, 'faults', { listLagMs: 60_000 })).status).toBe(200);
    expect((await rig.client.batches.list()).data).toEqual([]);
    rig.clock.advance(60_000);
    expect((await rig.client.batches.list()).data.map((b) => b.id)).toEqual([a.id]);
  });
});

describe('per-request faults', () => {
  it('5xx lines are transient, 4xx permanent, and nothing succeeds twice unless resubmitted', async () => {
    rig = await startRig({ faults: { requestErrors: { customIds5xx: ['req-1'], customIds4xx: ['req-2'] } } });
    const first = await submit(rig.client, 4);
    const done = await after(rig, first.id, 5000);
    expect(done.request_counts).toEqual({ total: 4, completed: 2, failed: 2 });
    const errs = await download(rig.client, done.error_file_id);
    const byId: Record<string, unknown> = Object.fromEntries(errs.map((e) => [String(e.custom_id), e.response]));
    expect(byId['req-1']).toMatchObject({ status_code: 500, body: { error: { type: 'server_error' } } });
    expect(byId['req-2']).toMatchObject({ status_code: 400, body: { error: { type: 'invalid_request_error' } } });
    expect(errs.every((e) => e.error === null)).toBe(true);
    // Resubmit req-0..2: req-0 had already succeeded (a counted duplicate), req-1 (5xx) now succeeds, req-2 (4xx) fails again.
    const retry = await after(rig, (await submit(rig.client, 3, (i) => ({ custom_id: `req-${i}` }))).id, 0);
    const again = await after(rig, retry.id, 5000);
    expect(again.request_counts).toEqual({ total: 3, completed: 2, failed: 1 });
    const stats = await rig.emulator.stats();
    expect(stats.requestsExecuted).toBe(7);
    expect(stats.duplicateExecutions).toBe(1);
  });

  it('rate-based request errors pick the same lines for the same seed', async () => {
    const failedIds = async () => {
      const r = await startRig({ seed: 7, faults: { requestErrors: { rate4xx: 0.1, rate5xx: 0.1 } } });
      const b = await after(r, (await submit(r.client, 200)).id, 10_000);
      const ids = (await download(r.client, b.error_file_id))
        .map((e) => `${String(e.custom_id)}:${(e.response as { status_code: number }).status_code}`)
        .sort();
      await r.close();
      return ids;
    };
    rig = await startRig();
    const a = await failedIds();
    expect(a).toEqual(await failedIds());
    expect(a.length).toBeGreaterThan(20);
    expect(a.length).toBeLessThan(70);
  });
});

describe('control routes', () => {
  it('moves the clock, replaces faults (validated) and serves stats, without counting themselves', async () => {
    rig = await startRig();
    const b = await submit(rig.client, 10);
    expect(await (await control(rig, 'clock', { advanceMs: 2000 })).json()).toMatchObject({
      now: rig.clock.now() + 2000,
    });
    expect((await rig.client.batches.retrieve(b.id)).status).toBe('completed');
    expect((await control(rig, 'clock', { advanceMs: -1 })).status).toBe(400);
    expect((await control(rig, 'faults', { http: [{ status: 418 }] })).status).toBe(400);
    expect((await control(rig, 'faults', { http: [{ status: 503, count: 1 }] })).status).toBe(200);
    await expect(rig.client.batches.retrieve(b.id)).rejects.toMatchObject({ status: 503 });
    const stats = (await (await fetch(`http://127.0.0.1:${rig.emulator.port}/_emulator/stats`)).json()) as {
      routeCalls: Record<string, number>;
      batchesByStatus: Record<string, number>;
    };
    expect(Object.keys(stats.routeCalls).some((k) => k.includes('_emulator'))).toBe(false);
    expect(stats.batchesByStatus).toEqual({ completed: 1 });
  });
});
