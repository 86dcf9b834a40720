/**
 * The request-level cache: `<root>/.pipeline/cache/<target path>` (`.jsonl` once), append-only, one line per
 * successful result: `{"hash": <request hash>, "custom_id", "batch", "result": <provider line>}`.
 * A request whose hash is here is never sent again. Appends may be torn by a crash and the same
 * batch may be downloaded twice, so the reader skips garbage and keeps the first line per hash.
 * The first line is the state header (util/state-format.ts; none in files of llmake 0.1.0).
 */
import { open, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { readJsonl } from '../../util/jsonl.ts';
import { isStateHeader } from '../../util/state-format.ts';
import { openStateLines } from '../../util/state-lines.ts';
import { isRecord } from '../record-template.ts';
import { isSuccessLine } from '../result-line.ts';

export interface TargetFiles {
  cache: string;
  /** Local copies of the exact bytes of each part (named by sha256) until it is collected. */
  partsDir: string;
}

export function targetFiles(root: string, target: string): TargetFiles {
  const base = path.join(root, '.pipeline', 'cache', target.replace(/\.jsonl$/, ''));
  return { cache: `${base}.jsonl`, partsDir: `${base}.parts` };
}

export interface CachedLocation {
  offset: number;
  bytes: number;
}

/** Matches a result kept without a request hash (see `UnmatchedEntry`) to a request of the current file. */
export type MatchUnhashed = (requestSha: string, customId: string) => string | undefined;

/**
 * hash → where its first good line is. A missing file is an empty cache. Lines kept without a
 * hash are indexed under the request `match` finds for them, if any.
 */
export async function readCacheIndex(file: string, match?: MatchUnhashed): Promise<Map<string, CachedLocation>> {
  const index = new Map<string, CachedLocation>();
  try {
    for await (const entry of readJsonl(file)) {
      if (entry.kind !== 'value' || !isRecord(entry.value)) continue;
      if (entry.offset === 0 && isStateHeader(entry.value, file)) continue;
      const { result, request_sha: requestSha, custom_id: customId } = entry.value;
      let hash = entry.value.hash;
      if (hash === null && match && typeof requestSha === 'string' && typeof customId === 'string')
        hash = match(requestSha, customId);
      if (typeof hash !== 'string' || !/^[0-9a-f]{64}$/.test(hash) || !isSuccessLine(result)) continue;
      if (!index.has(hash)) index.set(hash, { offset: entry.offset, bytes: entry.bytes });
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return index;
    throw error;
  }
  return index;
}

/** Reads cached results by location; one open file for many reads. */
export class CacheReader {
  private constructor(private readonly handle: FileHandle | undefined) {}

  static async open(file: string): Promise<CacheReader> {
    try {
      return new CacheReader(await open(file, 'r'));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new CacheReader(undefined);
      throw error;
    }
  }

  async read(loc: CachedLocation): Promise<Record<string, unknown>> {
    if (!this.handle) throw new Error('Internal error: reading from an empty request cache');
    const buf = Buffer.alloc(loc.bytes);
    await this.handle.read(buf, 0, loc.bytes, loc.offset);
    const value = JSON.parse(buf.toString('utf8').replace(/\r$/, '')) as { result: Record<string, unknown> };
    return value.result;
  }

  async close(): Promise<void> {
    await this.handle?.close();
  }
}

/**
 * A cached success. `hash: null` keeps a paid result whose request can no longer be named (the
 * part's local copy and the request file it was cut from are both gone): it is matched again by
 * `request_sha` + `custom_id` if that version of the request file comes back.
 */
export type CacheEntry =
  | { hash: string; custom_id: string; batch: string; result: unknown }
  | { hash: null; request_sha: string; custom_id: string; batch: string; result: unknown };

/** Appends lines and flushes them to disk before the caller records the part as collected. */
export class CacheAppender {
  private constructor(private readonly handle: FileHandle) {}
  lines = 0;
  #buffer: string[] = [];
  #buffered = 0;

  static async open(file: string): Promise<CacheAppender> {
    return new CacheAppender(await openStateLines(file));
  }

  async append(entry: CacheEntry): Promise<void> {
    this.lines += 1;
    const text = `${JSON.stringify(entry)}\n`;
    this.#buffer.push(text);
    this.#buffered += text.length;
    if (this.#buffered > 1 << 20) await this.#flush();
  }

  async #flush(): Promise<void> {
    const text = this.#buffer.join('');
    this.#buffer = [];
    this.#buffered = 0;
    if (text) await this.handle.write(text);
  }

  async close(): Promise<void> {
    try {
      await this.#flush();
      await this.handle.sync();
    } finally {
      await this.handle.close();
    }
  }
}
