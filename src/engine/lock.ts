/**
 * One build at a time per pipeline root. The lock file names its holder (pid, host, command,
 * start time) so the one who waits can say who holds it. A lock whose holder process is dead on
 * this host is taken over; takeovers are serialised through an atomic `mkdir`, so two builds that
 * find the same dead lock cannot both win.
 */
import { mkdir, open, readFile, rm, rmdir, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { err, ok, type Result } from '../util/result.ts';
import { isProcessAlive } from '../util/process.ts';

export interface LockHolder {
  pid: number;
  host: string;
  command: string;
  startedAt: number;
}

export interface HeldLock {
  release(): Promise<void>;
}

export async function acquireLock(dir: string, command: string, now = Date.now()): Promise<Result<HeldLock, LockHolder>> {
  const file = path.join(dir, 'lock');
  await mkdir(dir, { recursive: true });
  const me: LockHolder = { pid: process.pid, host: os.hostname(), command, startedAt: now };
  for (let attempt = 0; attempt < 5; attempt++) {
    if (await tryCreate(file, me)) return ok({ release: () => releaseLock(file) });
    const holder = await readHolder(file);
    if (!holder) continue; // released (or half-written by a dying holder) since we looked: retry
    if (holder.host !== me.host || isProcessAlive(holder.pid)) return err(holder);
    await takeOver(file, holder);
  }
  const holder = await readHolder(file);
  return err(holder ?? { pid: 0, host: 'unknown', command: 'unknown', startedAt: now });
}

async function tryCreate(file: string, me: LockHolder): Promise<boolean> {
  try {
    const handle = await open(file, 'wx', 0o644);
    try {
      await handle.writeFile(JSON.stringify(me));
      await handle.sync();
    } finally {
      await handle.close();
    }
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

async function readHolder(file: string): Promise<LockHolder | undefined> {
  try {
    const holder = JSON.parse(await readFile(file, 'utf8')) as LockHolder;
    return typeof holder.pid === 'number' ? holder : undefined;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    // An empty or torn lock file: its writer died between create and write. Treat it as dead.
    return { pid: -1, host: os.hostname(), command: 'unknown', startedAt: 0 };
  }
}

/** Removes a dead holder's lock, unless someone else took it over first. */
async function takeOver(file: string, dead: LockHolder): Promise<void> {
  const guard = `${file}.takeover`;
  try {
    await mkdir(guard);
  } catch {
    // Another process is taking over. A guard left by a process killed mid-takeover goes stale.
    const st = await stat(guard).catch(() => undefined);
    if (st && Date.now() - st.mtimeMs > 10_000) await rmdir(guard).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 50));
    return;
  }
  try {
    const current = await readHolder(file);
    if (current && current.pid === dead.pid && current.host === dead.host && current.startedAt === dead.startedAt) {
      await rm(file, { force: true });
    }
  } finally {
    await rmdir(guard).catch(() => undefined);
  }
}

async function releaseLock(file: string): Promise<void> {
  const holder = await readHolder(file);
  if (holder && holder.pid === process.pid && holder.host === os.hostname()) await rm(file, { force: true });
}


/** The live holder of the lock, if any, without taking it (for commands that need no lock). */
export async function liveLockHolder(dir: string): Promise<LockHolder | undefined> {
  const holder = await readHolder(path.join(dir, 'lock'));
  if (!holder) return undefined;
  return holder.host !== os.hostname() || isProcessAlive(holder.pid) ? holder : undefined;
}

export function describeHolder(holder: LockHolder, now = Date.now()): string {
  const age = Math.max(0, Math.round((now - holder.startedAt) / 1000));
  return `pid ${holder.pid} on ${holder.host} (\`pipeline ${holder.command}\`, started ${age}s ago)`;
}
