/**
 * Finds the raw Batch API result line for a custom_id, with memory that does not grow with the
 * results' size: a first pass keeps only each id's byte offset (and reports lines that are not
 * result lines); lookups then read the line back.
 *
 * Lookups usually arrive in the results' own order (the batch stage writes results in request
 * order, which is source order), so a sequential cursor serves them from one streamed pass; only
 * a line out of that order is read at its offset. Both give the same line: the first one with
 * that id.
 */
import { readSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { readJsonl, type JsonlLine } from '../util/jsonl.ts';
import { readResultLine } from './result-line.ts';
import type { LineProblem } from './source-records.ts';

interface Located {
  offset: number;
  bytes: number;
  used: boolean;
}

export class ResultLookup {
  readonly #index: Map<string, Located>;
  readonly #handle: FileHandle;
  readonly #cursor: AsyncIterator<JsonlLine>;
  #next: { id: string; value: unknown; offset: number } | undefined;
  #cursorDone = false;
  /** How many lookups needed a read at an offset (out of order); for tests and benchmarks. */
  outOfOrder = 0;

  private constructor(file: string, index: Map<string, Located>, handle: FileHandle) {
    this.#index = index;
    this.#handle = handle;
    this.#cursor = readJsonl(file)[Symbol.asyncIterator]();
  }

  /** Indexes `file`; its non-result lines come back as problems instead (nothing is opened then). */
  static async open(
    file: string,
  ): Promise<{ ok: true; lookup: ResultLookup } | { ok: false; problems: LineProblem[] }> {
    const index = new Map<string, Located>();
    const problems: LineProblem[] = [];
    for await (const entry of readJsonl(file)) {
      const id = entry.kind === 'value' ? readResultLine(entry.value)?.customId : undefined;
      if (id === undefined)
        problems.push({
          line: entry.line,
          message: entry.kind === 'error' ? entry.message : 'not a result line (no custom_id)',
        });
      else if (!index.has(id)) index.set(id, { offset: entry.offset, bytes: entry.bytes, used: false });
    }
    if (problems.length > 0) return { ok: false, problems };
    return { ok: true, lookup: new ResultLookup(file, index, await open(file, 'r')) };
  }

  /** The parsed result line for `id`, or undefined when the file has none. */
  async get(id: string): Promise<unknown> {
    const at = this.#index.get(id);
    if (!at) return undefined;
    const next = await this.#peek();
    if (next?.id === id && next.offset === at.offset) {
      this.#next = undefined;
      return next.value;
    }
    this.outOfOrder += 1;
    at.used = true; // so the cursor skips this line when it gets there
    const buf = Buffer.alloc(at.bytes);
    // Synchronous: a page-cache read of one line takes microseconds, the promise form tens.
    readSync(this.#handle.fd, buf, 0, at.bytes, at.offset);
    return JSON.parse(buf.toString('utf8').replace(/^\uFEFF/, '')) as unknown;
  }

  /** The next line in file order that is still wanted: skips repeats of an id and lines already served. */
  async #peek(): Promise<{ id: string; value: unknown; offset: number } | undefined> {
    while (!this.#next && !this.#cursorDone) {
      const step = await this.#cursor.next();
      if (step.done) {
        this.#cursorDone = true;
        break;
      }
      const entry = step.value;
      if (entry.kind !== 'value') continue;
      const id = readResultLine(entry.value)?.customId;
      const at = id === undefined ? undefined : this.#index.get(id);
      if (id !== undefined && at?.offset === entry.offset && !at.used)
        this.#next = { id, value: entry.value, offset: entry.offset };
    }
    return this.#next;
  }

  async close(): Promise<void> {
    await this.#cursor.return?.();
    await this.#handle.close();
  }
}
