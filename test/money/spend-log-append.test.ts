/**
 * The spend log's appends are written in groups (one open, write and close for every line that
 * arrived while the last write was under way): each line is still in the file once its append
 * resolves, whatever else is waiting, and a process SIGKILLed mid-stream loses none of them.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, expect, it } from 'vitest';
import { appendSpend, readSpend, spendFile, type SpendEntry } from '../../src/stages/spend-log.ts';
import { STATE_HEADER } from '../../src/util/state-format.ts';
import { REPO } from '../helpers/rig.ts';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function stateDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'pipeline-spend-'));
  dirs.push(dir);
  return path.join(dir, '.pipeline');
}

const entry = (key: string): SpendEntry => ({
  key,
  at: '2026-12-08T00:00:00.000Z',
  target: 't',
  rule: 'online',
  provider: 'online',
  model: 'gpt-4.1',
  requests: 1,
  usage: { input: 10, output: 20, cached: 0, cacheWrite: 0 },
  costUsd: 0.001,
});

it('appends many lines at once: each in the file when its append resolves, one header, in call order', async () => {
  const dir = await stateDir();
  const keys = Array.from({ length: 300 }, (_, i) => `k${i}`);
  const seen: number[] = [];
  await Promise.all(
    keys.map((k) =>
      appendSpend(dir, entry(k)).then(async () => {
        // Read from disk when this one resolves: it must be there (the group it went in is closed).
        const text = await readFile(spendFile(dir), 'utf8');
        expect(text).toContain(`"key":"${k}"`);
        seen.push(Number(k.slice(1)));
      }),
    ),
  );
  expect(seen).toHaveLength(300);
  const text = await readFile(spendFile(dir), 'utf8');
  const lines = text.trimEnd().split('\n');
  expect(lines[0]).toBe(STATE_HEADER);
  expect(lines.slice(1).map((l) => (JSON.parse(l) as SpendEntry).key)).toEqual(keys);
  expect((await readSpend(dir)).map((e) => e.key)).toEqual(keys);
});

it('a failed write fails the appends of its group, and the next group is written', async () => {
  const dir = await stateDir();
  // The state directory's place is taken by a file: opening the log fails.
  const { writeFile, unlink } = await import('node:fs/promises');
  await writeFile(dir, 'not a directory');
  const failing = await Promise.allSettled([appendSpend(dir, entry('a')), appendSpend(dir, entry('b'))]);
  expect(failing.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  await unlink(dir);
  await appendSpend(dir, entry('c'));
  expect((await readSpend(dir)).map((e) => e.key)).toEqual(['c']);
});

it('a process SIGKILLed while appending keeps every line whose append had resolved', async () => {
  const dir = await stateDir();
  // A child appends as fast as it can, 50 at a time, and prints each key once its append resolved.
  const script = `
    import { appendSpend } from ${JSON.stringify(pathToFileURL(path.join(REPO, 'src/stages/spend-log.ts')).href)};
    const entry = ${entry.toString()};
    let n = 0;
    for (;;) {
      await Promise.all(Array.from({ length: 50 }, () => {
        const k = 'k' + n++;
        return appendSpend(${JSON.stringify(dir)}, entry(k)).then(() => process.stdout.write(k + '\\n'));
      }));
    }`;
  const child = spawn(
    process.execPath,
    ['--import', pathToFileURL(path.join(REPO, 'node_modules/tsx/dist/loader.mjs')).href, '--input-type=module'],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  child.stdin.end(script);
  const confirmed: string[] = [];
  let buffered = '';
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  child.stdout.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    confirmed.push(...lines);
    // Killed mid-stream: groups are being written while others wait.
    if (confirmed.length >= 2_000) child.kill('SIGKILL');
  });
  expect(await exited).toBe('SIGKILL');
  expect(confirmed.length).toBeGreaterThanOrEqual(2_000);
  // Every confirmed line is whole in the file (a torn last line, if any, is one not confirmed).
  const inFile = new Set((await readSpend(dir)).map((e) => e.key));
  expect(confirmed.filter((k) => !inFile.has(k))).toEqual([]);
}, 60_000);
