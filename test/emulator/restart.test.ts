import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import OpenAI from 'openai';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/util/clock.ts';
import { after, download, startRig, submit } from './helpers.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
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
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/emulator/fixtures/cli-main.ts', '--state-dir', stateDir, '--seed', '3'], { cwd: repoRoot });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    // Wait for the export line, not just the URL: pipe chunks may split the banner anywhere.
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', () => {
        const m = /export OPENAI_BASE_URL=(http:\/\/127\.0\.0\.1:\d+\/v1) OPENAI_API_KEY=emulator\n/.exec(out);
        if (m?.[1]) resolve(m[1]);
      });
      child.once('exit', () => reject(new Error(`emulator exited early: ${out}`)));
    });
    expect(out).toContain(`listening on ${url}`);
    const client = new OpenAI({ apiKey: 'emulator', baseURL: url, maxRetries: 0 });
    const b = await submit(client, 10);
    await fetch(url.replace('/v1', '/_emulator/clock'), { method: 'POST', body: JSON.stringify({ advanceMs: 60_000 }) });
    expect((await client.batches.retrieve(b.id)).status).toBe('completed');
    child.kill('SIGTERM');
    const [code] = (await once(child, 'exit')) as [number];
    expect(code).toBe(0);
    expect(out).toContain('stopped');

    const local = await startRig({ stateDir });
    expect(await local.emulator.stats()).toMatchObject({ batchesCreated: 1, requestsExecuted: 10, batchesByStatus: { completed: 1 } });
    await local.close();
  });
});
