/**
 * The request-level cache: `<root>/.pipeline/cache/<target path>` (`.jsonl` once), append-only, one line per
 * successful result: `{"hash": <request hash>, "custom_id", "batch", "result": <provider line>}`.
 * A request whose hash is here is never sent again. Appends may be torn by a crash and the same
 * batch may be downloaded twice, so the reader skips garbage and keeps the first line per hash.
 */
import { open, mkdir, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { readJsonl } from '../../util/jsonl.ts';
import { isRecord } from '../record-template.ts';

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

/** hash → where its first good line is. A missing file is an empty cache. */
export async function readCacheIndex(file: string): Promise<Map<string, CachedLocation>> {
  const index = new Map<string, CachedLocation>();
  try {
    for await (const entry of readJsonl(file)) {
      if (entry.kind !== 'value' || !isRecord(entry.value)) continue;
      const { hash, result } = entry.value;
      if (typeof hash !== 'string' || !/^[0-9a-f]{64}$/.test(hash) || !isSuccessLine(result)) continue;
      if (!index.has(hash)) index.set(hash, { offset: entry.offset, bytes: entry.bytes });
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return index;
    throw error;
  }
  return index;
}

/** A provider output line that answered with HTTP 200. */
export function isSuccessLine(value: unknown): value is Record<string, unknown> {
  return isRecord(value) && isRecord(value.response) && value.response.status_code === 200 && !isRecord(value.error);
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

/** Appends lines and flushes them to disk before the caller records the part as collected. */
export class CacheAppender {
  private constructor(private readonly handle: FileHandle) {}
  lines = 0;
  #buffer: string[] = [];
  #buffered = 0;

  static async open(file: string): Promise<CacheAppender> {
    await mkdir(path.dirname(file), { recursive: true });
    const handle = await open(file, 'a+');
    // A crash may have left a torn last line: start on a fresh line so the next one stays whole.
    const { size } = await handle.stat();
    if (size > 0) {
      const last = Buffer.alloc(1);
      await handle.read(last, 0, 1, size - 1);
      if (last[0] !== 0x0a) await handle.write('\n');
    }
    return new CacheAppender(handle);
  }

  async append(entry: { hash: string; custom_id: string; batch: string; result: unknown }): Promise<void> {
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
