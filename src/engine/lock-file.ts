/**
 * The lock file itself: created atomically *with* its content, and read back as one of three
 * things — absent, a holder, or unreadable (empty or torn) with its age.
 *
 * Creation writes the holder to a temp file beside the lock, fsyncs it, then `link()`s it into
 * place: the link either fails with EEXIST (someone holds the lock) or makes a complete file
 * appear at once, so no reader can ever see a lock without its holder. (Creating the lock empty
 * with O_EXCL and writing it afterwards left a window in which a second build read an empty
 * file, took it for a dead holder's and removed it: two builds held the lock.)
 */
import { link, open, rm, type FileHandle } from 'node:fs/promises';
import { tempPathFor } from '../util/fs-atomic.ts';

export interface LockHolder {
  pid: number;
  host: string;
  command: string;
  startedAt: number;
  /** A `build --wait` answers cancel requests (see cancel-mailbox.ts) while it holds the lock. */
  answersCancel?: boolean;
}

export type LockFileState =
  | { kind: 'absent' }
  | { kind: 'held'; holder: LockHolder }
  /** Empty or torn: written by an older version that created the file before writing it. */
  | { kind: 'unreadable'; mtimeMs: number; ino: number };

/** Creates `file` holding `holder`, or answers false when it already exists. */
export async function createLockFile(file: string, holder: LockHolder): Promise<boolean> {
  const temp = tempPathFor(file);
  const handle = await open(temp, 'wx', 0o644);
  try {
    try {
      await handle.writeFile(JSON.stringify(holder));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await link(temp, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    await rm(temp, { force: true });
  }
}

/**
 * Content and age are read through one handle, so both are of the same file: the lock may change
 * hands between two looks by path, and the old torn lock's content with the new lock's mtime made
 * a complete lock look like a young one still being written (the holder went unnamed).
 */
export async function readLockFile(file: string): Promise<LockFileState> {
  let handle: FileHandle;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'absent' };
    throw error;
  }
  try {
    const text = await handle.readFile('utf8');
    try {
      const holder = JSON.parse(text) as LockHolder;
      if (typeof holder.pid === 'number' && typeof holder.host === 'string') return { kind: 'held', holder };
    } catch {
      // torn: fall through
    }
    const st = await handle.stat();
    return { kind: 'unreadable', mtimeMs: st.mtimeMs, ino: st.ino };
  } finally {
    await handle.close();
  }
}
