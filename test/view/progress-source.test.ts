/**
 * Where the view reads progress from: never through a second emulator (or any Batch API call)
 * while a build holds the lock — the build's own records then — and through the connector only
 * when no build runs.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { openProgressSource, type Connector } from '../../src/view/progress-source.ts';

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

function countingConnector(): Connector & { opened: number; closed: number } {
  const c = {
    kind: 'emulator' as const,
    opened: 0,
    closed: 0,
    open() {
      c.opened += 1;
      return Promise.resolve({
        ok: true as const,
        value: { services: {}, close: () => Promise.resolve(void (c.closed += 1)) },
      });
    },
  };
  return c;
}

it('a running build: the files only, the build named, no connection opened', async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'pipeline-view-lock-'));
  await writeFile(
    path.join(dir, 'lock'),
    JSON.stringify({ pid: process.pid, host: os.hostname(), command: 'build', startedAt: Date.now() }),
  );
  const connector = countingConnector();
  const source = await openProgressSource({ stateDir: dir, connector, apiIntervalMs: 10_000, filesIntervalMs: 1000 });
  expect(connector.opened).toBe(0);
  expect(source.source).toEqual({ kind: 'files', note: 'a build is running: progress as it records it' });
  expect(source.build).toMatch(new RegExp(`^pid ${process.pid} on .*pipeline build`));
  expect(source.nextInMs).toBe(1000);
});

it('no build: one connection per refresh, closed after it, at the API interval', async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'pipeline-view-lock-'));
  // A lock left by a dead process is no build.
  await writeFile(
    path.join(dir, 'lock'),
    JSON.stringify({ pid: 2 ** 22 + 12345, host: os.hostname(), command: 'build', startedAt: 0 }),
  );
  const connector = countingConnector();
  const source = await openProgressSource({ stateDir: dir, connector, apiIntervalMs: 10_000, filesIntervalMs: 1000 });
  expect(source.source).toEqual({ kind: 'emulator' });
  expect(source.nextInMs).toBe(10_000);
  await source.release();
  expect([connector.opened, connector.closed]).toEqual([1, 1]);

  const filesOnly = await openProgressSource({
    stateDir: dir,
    apiIntervalMs: 10_000,
    filesIntervalMs: 1000,
    idleIntervalMs: 3000,
  });
  expect(filesOnly.source.kind).toBe('files');
  expect(filesOnly.nextInMs).toBe(3000);
  expect(filesOnly.source.staleNote).toContain('--offline');
});
