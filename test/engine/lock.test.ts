/**
 * The build lock: creation is atomic with its content, so a second build never sees a lock
 * without its holder; a lock that cannot be read is taken for "being written" while it is young
 * and for a dead writer's only when old; of many builds racing for it, exactly one wins.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquireLock, describeHolder, liveLockHolder, UNREADABLE_LOCK_GRACE_MS } from '../../src/engine/lock.ts';
import { REPO } from '../helpers/rig.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'pipeline-lock-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const lockFile = () => path.join(dir, 'lock');

describe('acquireLock', () => {
  it('writes the holder with the lock and leaves no temp file behind', async () => {
    const lock = await acquireLock(dir, 'build', { now: 1234 });
    expect(lock.ok).toBe(true);
    expect(JSON.parse(await readFile(lockFile(), 'utf8'))).toMatchObject({
      pid: process.pid,
      host: os.hostname(),
      command: 'build',
      startedAt: 1234,
    });
    expect(await readdir(dir)).toEqual(['lock']);
    if (lock.ok) await lock.value.release();
    expect(await readdir(dir)).toEqual([]);
  });

  it('an empty lock file created just now is held (its writer may be mid-write), not taken over', async () => {
    await writeFile(lockFile(), '');
    const second = await acquireLock(dir, 'build');
    expect(second.ok).toBe(false);
    expect(await readFile(lockFile(), 'utf8')).toBe(''); // left alone for its writer
    if (!second.ok) expect(describeHolder(second.error)).toMatch(/lock file is still being written/);
    expect(await liveLockHolder(dir)).toBeDefined();
  });

  it('a torn lock file younger than the grace period is held too', async () => {
    await writeFile(lockFile(), '{"pid": 12');
    expect((await acquireLock(dir, 'build')).ok).toBe(false);
  });

  it("a torn lock file older than the grace period is a dead writer's: taken over", async () => {
    await writeFile(lockFile(), '{"pid": 12');
    const old = new Date(Date.now() - UNREADABLE_LOCK_GRACE_MS - 2_000);
    await utimes(lockFile(), old, old);
    expect(await liveLockHolder(dir)).toBeUndefined();
    const lock = await acquireLock(dir, 'build');
    expect(lock.ok).toBe(true);
    expect(JSON.parse(await readFile(lockFile(), 'utf8'))).toMatchObject({ pid: process.pid });
    if (lock.ok) await lock.value.release();
  });

  it("a dead holder's lock is taken over; a live one's is not", async () => {
    await writeFile(
      lockFile(),
      JSON.stringify({ pid: 2 ** 22 + 12345, host: os.hostname(), command: 'build', startedAt: 1 }),
    );
    const taken = await acquireLock(dir, 'build');
    expect(taken.ok).toBe(true);
    const again = await acquireLock(dir, 'build');
    expect(again.ok).toBe(false);
    if (taken.ok) await taken.value.release();
  });

  it('of many acquirers racing in one process, exactly one wins', async () => {
    for (let round = 0; round < 10; round++) {
      const results = await Promise.all(Array.from({ length: 40 }, () => acquireLock(dir, 'build')));
      const winners = results.filter((r) => r.ok);
      expect(winners, `round ${round}`).toHaveLength(1);
      for (const w of winners) if (w.ok) await w.value.release();
    }
  });

  it('under churn (holders releasing while others try), never two holders at once', async () => {
    let holding = 0;
    let most = 0;
    let wins = 0;
    const deadline = Date.now() + 1_500;
    const contender = async () => {
      while (Date.now() < deadline) {
        const lock = await acquireLock(dir, 'build');
        if (!lock.ok) continue;
        wins += 1;
        holding += 1;
        most = Math.max(most, holding);
        await new Promise((r) => setImmediate(r));
        holding -= 1;
        await lock.value.release();
      }
    };
    await Promise.all(Array.from({ length: 20 }, contender));
    expect(wins).toBeGreaterThan(5);
    expect(most).toBe(1);
  });

  it('of many processes racing, exactly one wins', async () => {
    const contender = path.join(REPO, 'test/engine/fixtures/lock-contender.ts');
    const loader = pathToFileURL(path.join(REPO, 'node_modules/tsx/dist/loader.mjs')).href;
    const children = Array.from({ length: 8 }, () => {
      const child = spawn(process.execPath, ['--import', loader, contender, dir], {
        stdio: ['pipe', 'pipe', 'inherit'],
      });
      const said: string[] = [];
      const heard = (word: string) =>
        new Promise<void>((resolve) => {
          const check = () => said.includes(word) && resolve();
          child.stdout.on('data', (d: Buffer) => {
            said.push(...d.toString().split('\n').filter(Boolean));
            check();
          });
          check();
        });
      return { child, said, ready: heard('ready'), exited: new Promise((r) => child.on('close', r)) };
    });
    await Promise.all(children.map((c) => c.ready));
    const startAt = Date.now() + 300;
    for (const c of children) c.child.stdin.write(`${startAt}\n`); // all at once
    const answered = (c: (typeof children)[number]) => c.said.some((w) => w === 'won' || w === 'held');
    while (!children.every(answered)) await new Promise((r) => setTimeout(r, 20));
    for (const c of children) c.child.stdin.end();
    await Promise.all(children.map((c) => c.exited));
    const outcomes = children.map((c) => c.said.find((w) => w !== 'ready'));
    expect(outcomes.filter((o) => o === 'won')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'held')).toHaveLength(7);
  }, 60_000);
});
