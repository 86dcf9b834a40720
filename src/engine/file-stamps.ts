/**
 * File identity for freshness: content hash, with mtime + size only as a fast path that skips
 * re-hashing. A `touch` or `git checkout` changes mtime, forces one re-hash, and finds the same
 * content, so no paid work runs. Stats are cached per build: one stat per file.
 *
 * Stats are synchronous on purpose: a stat of a local file takes microseconds, while the promise
 * form costs several times that in thread-pool round trips, which is most of a no-op build over
 * tens of thousands of targets.
 */
import { statSync } from 'node:fs';
import { hashFile } from '../util/hash.ts';
import type { FileStamp } from './state-store.ts';

type Stat = { mtimeMs: number; size: number };

export class FileStamps {
  readonly #stats = new Map<string, Stat | undefined>();
  readonly #hashes = new Map<string, Promise<string>>();
  /** How many files were hashed (tests prove the no-op fast path hashes nothing). */
  hashed = 0;

  /** The file's mtime and size (undefined: no such file), from the first stat of this build. */
  statSync(file: string): Stat | undefined {
    if (this.#stats.has(file)) return this.#stats.get(file);
    const s = statNow(file);
    this.#stats.set(file, s);
    return s;
  }

  // eslint-disable-next-line @typescript-eslint/require-await -- async so an unexpected error (EACCES…) becomes a rejection
  async stat(file: string): Promise<Stat | undefined> {
    return this.statSync(file);
  }

  /** Forget what is known about a file that was just written. */
  invalidate(file: string): void {
    this.#stats.delete(file);
    this.#hashes.delete(file);
  }

  /** The file's stamp, re-using `known`'s hash when mtime and size still match it. */
  async stamp(file: string, known?: FileStamp): Promise<FileStamp | undefined> {
    const st = await this.stat(file);
    if (!st) return undefined;
    if (known && known.mtimeMs === st.mtimeMs && known.size === st.size) return known;
    let h = this.#hashes.get(file);
    if (!h) {
      this.hashed += 1;
      h = hashFile(file);
      this.#hashes.set(file, h);
    }
    return { sha256: await h, mtimeMs: st.mtimeMs, size: st.size };
  }
}

function statNow(file: string): Stat | undefined {
  try {
    const st = statSync(file, { throwIfNoEntry: false });
    return st?.isFile() ? { mtimeMs: st.mtimeMs, size: st.size } : undefined;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw error;
  }
}
