/**
 * One build at a time per pipeline root. The lock file names its holder (pid, host, command,
 * start time) so the one who waits can say who holds it. A lock whose holder process is dead on
 * this host is taken over; takeovers are serialised through an atomic `mkdir`, so two builds that
 * find the same dead lock cannot both win. The file is created complete (lock-file.ts); one that
 * cannot be read was written by an older version that created it first and wrote it after, so
 * while it is young its writer may still be writing it: it counts as held.
 */
import { readFileSync, rmSync } from 'node:fs';
import { mkdir, rm, rmdir, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { err, ok, type Result } from '../util/result.ts';
import { isProcessAlive } from '../util/process.ts';
import { createLockFile, readLockFile, type LockFileState, type LockHolder } from './lock-file.ts';

export type { LockHolder } from './lock-file.ts';

/** How long an unreadable lock file is taken for one still being written (by its mtime). */
export const UNREADABLE_LOCK_GRACE_MS = 5_000;

export interface HeldLock {
  release(): Promise<void>;
}

export interface LockOptions {
  /** The holder's start time (ms); default now. */
  now?: number;
  /** Record that this holder answers cancel requests (a `build --wait`). */
  answersCancel?: boolean;
}

export async function acquireLock(
  dir: string,
  command: string,
  opts: LockOptions = {},
): Promise<Result<HeldLock, LockHolder>> {
  const file = path.join(dir, 'lock');
  await mkdir(dir, { recursive: true });
  const me: LockHolder = {
    pid: process.pid,
    host: os.hostname(),
    command,
    startedAt: opts.now ?? Date.now(),
    ...(opts.answersCancel ? { answersCancel: true } : {}),
  };
  for (let attempt = 0; attempt < 5; attempt++) {
    if (await createLockFile(file, me)) return ok(remember(file));
    const seen = await readLockFile(file);
    if (seen.kind === 'absent') continue; // released since we looked: try again
    const live = liveHolderOf(seen);
    if (live) return err(live);
    await takeOver(file, seen);
  }
  const last = await readLockFile(file);
  return err(
    (last.kind !== 'absent' && liveHolderOf(last)) || {
      pid: 0,
      host: 'unknown',
      command: 'unknown',
      startedAt: Date.now(),
    },
  );
}

/** The live holder of the lock, if any, without taking it (for commands that need no lock). */
export async function liveLockHolder(dir: string): Promise<LockHolder | undefined> {
  const state = await readLockFile(path.join(dir, 'lock'));
  return state.kind === 'absent' ? undefined : liveHolderOf(state);
}

export function describeHolder(holder: LockHolder, now = Date.now()): string {
  const age = Math.max(0, Math.round((now - holder.startedAt) / 1000));
  if (holder.pid === 0 && holder.command === BEING_WRITTEN)
    return `a process whose lock file is still being written (created ${age}s ago)`;
  return `pid ${holder.pid} on ${holder.host} (\`pipeline ${holder.command}\`, started ${age}s ago)`;
}

const BEING_WRITTEN = '(lock file being written)';

/** Who holds a lock we found, or undefined when its holder is dead and it may be taken over. */
function liveHolderOf(state: Exclude<LockFileState, { kind: 'absent' }>): LockHolder | undefined {
  if (state.kind === 'unreadable') {
    const young = Date.now() - state.mtimeMs < UNREADABLE_LOCK_GRACE_MS;
    return young ? { pid: 0, host: os.hostname(), command: BEING_WRITTEN, startedAt: state.mtimeMs } : undefined;
  }
  const { holder } = state;
  return holder.host !== os.hostname() || isProcessAlive(holder.pid) ? holder : undefined;
}

/** Removes a dead holder's lock, unless someone else took it over first. */
async function takeOver(file: string, dead: Exclude<LockFileState, { kind: 'absent' }>): Promise<void> {
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
    if (sameLock(dead, await readLockFile(file))) await rm(file, { force: true });
  } finally {
    await rmdir(guard).catch(() => undefined);
  }
}

function sameLock(a: LockFileState, b: LockFileState): boolean {
  if (a.kind === 'held' && b.kind === 'held')
    return (
      a.holder.pid === b.holder.pid && a.holder.host === b.holder.host && a.holder.startedAt === b.holder.startedAt
    );
  if (a.kind === 'unreadable' && b.kind === 'unreadable') return a.ino === b.ino && a.mtimeMs === b.mtimeMs;
  return false;
}

/**
 * Locks this process holds. Released on any exit, including a forced one (a second Ctrl-C calls
 * `process.exit`, which runs no `finally`): 'exit' handlers run synchronously even then, so the
 * next build does not find a lock naming a process that is gone — or, worse, a reused pid.
 */
const held = new Set<string>();
let exitHookInstalled = false;

function remember(file: string): HeldLock {
  held.add(file);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', releaseHeldLocksNow);
  }
  return {
    release: async () => {
      held.delete(file);
      const state = await readLockFile(file);
      if (state.kind === 'held' && isMine(state.holder)) await rm(file, { force: true });
    },
  };
}

function releaseHeldLocksNow(): void {
  for (const file of held) {
    try {
      if (isMine(JSON.parse(readFileSync(file, 'utf8')) as LockHolder)) rmSync(file, { force: true });
    } catch {
      // absent or unreadable: not ours to remove
    }
  }
  held.clear();
}

function isMine(holder: LockHolder): boolean {
  return holder.pid === process.pid && holder.host === os.hostname();
}
