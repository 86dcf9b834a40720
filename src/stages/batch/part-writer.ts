/**
 * Writing a part's local copy (part-file.ts) straight from the request file: its lines are read
 * in runs of up to a few MB (a part keeps request-file order, so they are mostly contiguous),
 * hashed and written as they go. Memory does not grow with the part: a 50,000-line part is never
 * a string or a buffer of its own.
 */
import { createHash } from 'node:crypto';
import { mkdir, open, rename, rm, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { tempPathFor } from '../../util/fs-atomic.ts';
import type { RequestEntry } from '../work/request-file.ts';
import { lineText, StoredRequest, type RequestFileVersion } from '../work/stored-request.ts';

/** The most one read of the request file spans (lines it skips included). */
const RUN_BYTES = 4 << 20;
/** Written lines are gathered up to this size before each write. */
const WRITE_BYTES = 1 << 20;

export interface WrittenPart {
  sha256: string;
  /** The exact size of what is uploaded. */
  bytes: number;
}

/** Writes the lines of `entries` (one per line, in order) to `<dir>/<sha256>.jsonl`, atomically. */
export async function writePartFile(dir: string, entries: readonly RequestEntry[]): Promise<WrittenPart> {
  await mkdir(dir, { recursive: true });
  const tmp = tempPathFor(path.join(dir, 'part.jsonl'));
  const out = new HashingWriter(await open(tmp, 'w', 0o644));
  const sources = new Map<RequestFileVersion, FileHandle>();
  try {
    for (let i = 0; i < entries.length;) {
      const first = entries[i]!;
      if (!(first instanceof StoredRequest)) {
        await out.line(first.text); // a re-ask: built in memory, not in the file
        i += 1;
        continue;
      }
      const run = runFrom(entries, i);
      const source = sources.get(first.version) ?? (await openSource(first.version, sources));
      const last = run[run.length - 1]!;
      const buffer = Buffer.allocUnsafe(last.offset + last.bytes - first.offset);
      const { bytesRead } = await source.read(buffer, 0, buffer.length, first.offset);
      if (bytesRead < buffer.length) throw new Error(`${first.version.file} ended before line ${last.line}`);
      for (const e of run)
        await out.line(lineText(buffer.subarray(e.offset - first.offset, e.offset - first.offset + e.bytes)));
      i += run.length;
    }
    const written = await out.finish();
    await rename(tmp, path.join(dir, `${written.sha256}.jsonl`));
    return written;
  } catch (error) {
    await out.abandon();
    await rm(tmp, { force: true });
    throw error;
  } finally {
    for (const handle of sources.values()) await handle.close();
  }
}

/** Stored lines from `i` on, of one file, in file order, spanning at most RUN_BYTES (the first always). */
function runFrom(entries: readonly RequestEntry[], i: number): StoredRequest[] {
  const first = entries[i] as StoredRequest;
  const run = [first];
  let end = first.offset + first.bytes;
  for (let j = i + 1; j < entries.length; j++) {
    const e = entries[j];
    if (!(e instanceof StoredRequest) || e.version !== first.version || e.offset < end) break;
    if (e.offset + e.bytes - first.offset > RUN_BYTES) break;
    run.push(e);
    end = e.offset + e.bytes;
  }
  return run;
}

/** Opens the request file, checking it is still the version whose lines were checked. */
async function openSource(version: RequestFileVersion, sources: Map<RequestFileVersion, FileHandle>) {
  const handle = await open(version.file, 'r');
  sources.set(version, handle);
  version.assertUnchanged(await handle.stat());
  return handle;
}

class HashingWriter {
  readonly #hash = createHash('sha256');
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #bytes = 0;

  constructor(private readonly handle: FileHandle) {}

  async line(text: string): Promise<void> {
    const data = Buffer.from(`${text}\n`, 'utf8');
    this.#hash.update(data);
    this.#pending.push(data);
    this.#pendingBytes += data.length;
    this.#bytes += data.length;
    if (this.#pendingBytes >= WRITE_BYTES) await this.#flush();
  }

  async #flush(): Promise<void> {
    if (this.#pending.length === 0) return;
    const data = Buffer.concat(this.#pending, this.#pendingBytes);
    this.#pending = [];
    this.#pendingBytes = 0;
    await this.handle.write(data);
  }

  async finish(): Promise<WrittenPart> {
    await this.#flush();
    await this.handle.sync();
    await this.handle.close();
    return { sha256: this.#hash.digest('hex'), bytes: this.#bytes };
  }

  async abandon(): Promise<void> {
    await this.handle.close().catch(() => undefined);
  }
}
