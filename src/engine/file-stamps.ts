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
import path from 'node:path';
import { hashFile } from '../util/hash.ts';
import type { FileStamp } from './state-store.ts';

type Stat = { mtimeMs: number; size: number };

const SLASH = 0x2f;

export class FileStamps {
  /**
   * Keyed by root-relative path for files under the root (the graph's own strings, whose hashes
   * V8 keeps), by absolute path for others: a no-op looks files up ~80,000 times at 11,400
   * subjects, and building and hashing an absolute path for each lookup was a visible share of it.
   */
  readonly #stats = new Map<string, Stat | undefined>();
  readonly #hashes = new Map<string, Promise<string>>();
  /** The root whose files are keyed relative to it, and that root with its slash, once known. */
  #root: string | undefined;
  #under: string | undefined;
  /** How many files were hashed (tests prove the no-op fast path hashes nothing). */
  hashed = 0;

  /** The file's mtime and size (undefined: no such file), from the first stat of this build. */
  statSync(file: string): Stat | undefined {
    const key = this.#under !== undefined && file.startsWith(this.#under) ? file.slice(this.#under.length) : file;
    return this.#cached(key, file);
  }

  /** statSync of `root`/`rel`, for the graph's root-relative paths. */
  statUnder(root: string, rel: string): Stat | undefined {
    // The first root asked for, while nothing is cached under another key, becomes the one files are keyed under.
    if (this.#root === undefined && this.#stats.size === 0 && isNormalRoot(root)) {
      this.#root = root;
      this.#under = `${root}/`;
    }
    if (root !== this.#root) return this.statSync(path.join(root, rel));
    // Known already (most lookups: a file is an output of one target and an input of others): only
    // plain paths are kept under their relative form (absolute ones, which start with `/`, under
    // theirs), so no need to check this one again.
    const known = rel.charCodeAt(0) === SLASH ? undefined : this.#stats.get(rel);
    if (known !== undefined) return known;
    if (!isPlain(rel)) return this.statSync(path.join(root, rel));
    return this.#cached(rel, undefined);
  }

  /** The stat under `key`; `file` is its absolute path (undefined: `key` is relative to the root). */
  #cached(key: string, file: string | undefined): Stat | undefined {
    const known = this.#stats.get(key);
    if (known !== undefined || this.#stats.has(key)) return known;
    const s = statNow(file ?? `${this.#under!}${key}`);
    this.#stats.set(key, s);
    return s;
  }

  // eslint-disable-next-line @typescript-eslint/require-await -- async so an unexpected error (EACCES…) becomes a rejection
  async stat(file: string): Promise<Stat | undefined> {
    return this.statSync(file);
  }

  /** Forget what is known about a file that was just written. */
  invalidate(file: string): void {
    this.#stats.delete(
      this.#under !== undefined && file.startsWith(this.#under) ? file.slice(this.#under.length) : file,
    );
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

/**
 * A root-relative path already in normal form (no `.` or `..` segments, no doubled or trailing
 * slash), as the graph makes them: `<root>/<rel>` is then its absolute path without normalizing.
 */
function isPlain(rel: string): boolean {
  return (
    rel.length > 0 &&
    !rel.startsWith('/') &&
    !rel.startsWith('.') &&
    !rel.includes('/.') &&
    !rel.includes('//') &&
    !rel.endsWith('/')
  );
}

function isNormalRoot(root: string): boolean {
  return path.sep === '/' && path.isAbsolute(root) && path.normalize(root) === root && !root.endsWith('/');
}
