import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import OpenAI from 'openai';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/util/clock.ts';
import { after, download, spawnEmulator, startRig, submit } from './helpers.ts';

let stateDir: string;
beforeEach(async () => (stateDir = await mkdtemp(path.join(tmpdir(), 'emulator-restart-'))));
afterEach(() => rm(stateDir, { recursive: true, force: true }));

describe('restart on the same state dir', () => {
  it('a batch stopped mid-run continues in a new server, nothing runs twice, stats carry over', async () => {
    const clock = new ManualClock();
    const first = await startRig({ stateDir, clock });
    const b = await submit(first.client, 100);
    const midway = await after(first, b.id, 1500);
    expect(midway).toMatchObject({ status: 'in_progress', request_counts: { completed: 25 } });
    await first.close();

    const second = await startRig({ stateDir, clock });
    expect((await second.client.batches.retrieve(b.id)).request_counts?.completed).toBe(25);
    const done = await after(second, b.id, 3000);
    expect(done).toMatchObject({ status: 'completed', request_counts: { total: 100, completed: 100, failed: 0 } });
    const lines = await download(second.client, done.output_file_id);
    expect(new Set(lines.map((l) => l.custom_id)).size).toBe(100);
    const stats = await second.emulator.stats();
    expect(stats).toMatchObject({ batchesCreated: 1, filesUploaded: 1, requestsExecuted: 100, duplicateExecutions: 0 });
    expect(stats.routeCalls['GET /v1/batches/{batch_id}']).toBe(3);
    await second.close();
  });

  it('runs as a separate process (pipeline emulator): clock control over HTTP, SIGTERM exits 0, stats shared', async () => {
    const { child, url, key, output } = await spawnEmulator(['--state-dir', stateDir, '--seed', '3']);
    expect(key).toBe('emulator');
    expect(output()).toContain(`listening on ${url}`);
    const client = new OpenAI({ apiKey: 'emulator', baseURL: url, maxRetries: 0 });
    const b = await submit(client, 10);
    await fetch(url.replace('/v1', '/_emulator/clock'), {
      method: 'POST',
      body: JSON.stringify({ advanceMs: 60_000 }),
    });
    expect((await client.batches.retrieve(b.id)).status).toBe('completed');
    child.kill('SIGTERM');
    const [code] = (await once(child, 'exit')) as [number];
    expect(code).toBe(0);
    expect(output()).toContain('stopped');

    const local = await startRig({ stateDir });
    expect(await local.emulator.stats()).toMatchObject({
      batchesCreated: 1,
      requestsExecuted: 10,
      batchesByStatus: { completed: 1 },
    });
    await local.close();
  });
});

describe('close', () => {
  it('is idempotent, even after the state dir is gone', async () => {
    const rig = await startRig({ stateDir });
    await submit(rig.client, 1);
    await rig.emulator.close();
    await rm(stateDir, { recursive: true, force: true });
    await rig.emulator.close();
  });
});

describe('new flags in a separate process', () => {
  it('--api-key, --clock-skew-ms, --list-lag-ms and --extra-model take effect', async () => {
    const { child, url, key } = await spawnEmulator([
      '--state-dir',
      stateDir,
      '--api-key',
      'sk-flag-key-0001',
      '--clock-skew-ms=-10800000',
      '--list-lag-ms',
      '5000',
      '--extra-model',
      'my-model',
    ]);
    try {
      expect(key).toBe('sk-flag-key-0001');
      await expect(
        new OpenAI({ apiKey: 'sk-other', baseURL: url, maxRetries: 0 }).batches.list(),
      ).rejects.toMatchObject({ status: 401, code: 'invalid_api_key' });
      const client = new OpenAI({ apiKey: key, baseURL: url, maxRetries: 0 });
      const before = Date.now();
      const b = await submit(client, 2, () => ({ model: 'my-model' }));
      expect(Math.abs(b.created_at - (before - 10_800_000) / 1000)).toBeLessThan(60);
      expect((await client.batches.list()).data).toEqual([]);
      await fetch(url.replace('/v1', '/_emulator/clock'), {
        method: 'POST',
        body: JSON.stringify({ advanceMs: 60_000 }),
      });
      expect((await client.batches.list()).data.map((x) => x.id)).toEqual([b.id]);
      expect((await client.batches.retrieve(b.id)).status).toBe('completed');
    } finally {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  });
});
