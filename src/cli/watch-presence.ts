/**
 * A running `watch` leaves `<stateDir>/watch.json` (pid, host, start time). `watch` holds the lock
 * only while one of its builds runs, so between builds nothing else shows it is there — yet its
 * next poll would send the remainder of any batch cancelled meanwhile. `pipeline cancel` looks
 * for it and asks to stop watch first. A file left by a killed watch names a dead pid: ignored.
 */
import { readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { LockHolder } from '../engine/lock.ts';
import { writeFileAtomic } from '../util/fs-atomic.ts';
import { isProcessAlive } from '../util/process.ts';

const fileIn = (stateDir: string) => path.join(stateDir, 'watch.json');

export async function announceWatch(stateDir: string, now: number): Promise<{ end(): Promise<void> }> {
  const file = fileIn(stateDir);
  const me: LockHolder = { pid: process.pid, host: os.hostname(), command: 'watch', startedAt: now };
  await writeFileAtomic(file, JSON.stringify(me));
  return { end: () => rm(file, { force: true }) };
}

export async function liveWatch(stateDir: string): Promise<LockHolder | undefined> {
  try {
    const watcher = JSON.parse(await readFile(fileIn(stateDir), 'utf8')) as LockHolder;
    const alive = watcher.host !== os.hostname() || (watcher.pid !== process.pid && isProcessAlive(watcher.pid));
    return alive ? watcher : undefined;
  } catch {
    return undefined;
  }
}
