/**
 * Reading the lock while it changes hands. Found by the reliability campaign's lock races: a racer
 * read the old, torn lock's content, then — another racer having taken it over meanwhile — the
 * new lock's mtime, and took the new holder's complete lock for a young one still being written:
 * it named "a process whose lock file is still being written" instead of the holder. Content and
 * age must come from the same file.
 */
import type * as FsPromises from 'node:fs/promises';
import { link, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';

/** When set, the next read of a file named `lock` (by path or through a handle) runs this after reading. */
const afterLockRead: { run?: () => Promise<void> } = {};

vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof FsPromises>();
  const swapOnce = async () => {
    const run = afterLockRead.run;
    delete afterLockRead.run;
    await run?.();
  };
  const isLock = (p: unknown) => typeof p === 'string' && path.basename(p) === 'lock';
  return {
    ...real,
    readFile: (async (p: Parameters<typeof real.readFile>[0], o?: Parameters<typeof real.readFile>[1]) => {
      const text = await real.readFile(p, o);
      if (isLock(p)) await swapOnce();
      return text;
    }) as typeof real.readFile,
    open: (async (p: Parameters<typeof real.open>[0], ...rest: [string?, number?]) => {
      const handle = await real.open(p, ...rest);
      if (!isLock(p)) return handle;
      const readFile = handle.readFile.bind(handle);
      handle.readFile = (async (...args: Parameters<typeof handle.readFile>) => {
        const text = await readFile(...args);
        await swapOnce();
        return text;
      }) as typeof handle.readFile;
      return handle;
    }) as typeof real.open,
  };
});

const { acquireLock, describeHolder, UNREADABLE_LOCK_GRACE_MS } = await import('../../src/engine/lock.ts');

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'pipeline-lock-race-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

it('a torn old lock taken over by another process between our read and our look at its age: the new holder is named', async () => {
  const lockFile = path.join(dir, 'lock');
  await writeFile(lockFile, '{"pid": 12');
  const old = new Date(Date.now() - UNREADABLE_LOCK_GRACE_MS - 60_000);
  await utimes(lockFile, old, old);
  // Another build (this process, alive) takes the dead writer's lock over just after we read it.
  const holder = { pid: process.pid, host: os.hostname(), command: 'build', startedAt: Date.now() };
  afterLockRead.run = async () => {
    await rm(lockFile);
    const temp = path.join(dir, 'other.tmp');
    await writeFile(temp, JSON.stringify(holder));
    await link(temp, lockFile);
    await rm(temp);
  };
  const mine = await acquireLock(dir, 'build');
  expect(mine.ok).toBe(false);
  if (!mine.ok) {
    expect(mine.error).toMatchObject({ pid: process.pid, command: 'build' });
    expect(describeHolder(mine.error)).toMatch(new RegExp(`^pid ${process.pid} on `));
  }
});
