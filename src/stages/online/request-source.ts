/**
 * The requests an online run sends, read one at a time from the request file (by the byte offset
 * its ref recorded) as the dispatchers ask for them. A run thus holds refs, a few hundred bytes per line,
 * never every body: memory stays flat however long the request file is.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { isRecord } from '../record-template.ts';
import type { RequestEntry, RequestRef } from '../work/request-file.ts';

export class RequestSource {
  #next = 0;
  /** The first ref whose line no longer reads as it did when the file was checked (edited mid-run). */
  changed: RequestRef | undefined;

  private constructor(
    private readonly handle: FileHandle,
    private readonly refs: readonly RequestRef[],
  ) {}

  static async open(file: string, refs: readonly RequestRef[]): Promise<RequestSource> {
    return new RequestSource(await open(file, 'r'), refs);
  }

  /** The next request to send, in the refs' order; undefined when none is left or the file changed. */
  async next(): Promise<RequestEntry | undefined> {
    if (this.changed) return undefined;
    const ref = this.refs[this.#next++];
    if (!ref) return undefined;
    const entry = await this.whole(ref);
    if (!entry) this.changed ??= ref;
    return entry;
  }

  /** A ref with its body: a re-ask comes whole (its body is not in the file); any other is read back. */
  whole(ref: RequestRef): Promise<RequestEntry | undefined> {
    return isEntry(ref) ? Promise.resolve(ref) : this.read(ref);
  }

  /** The line a ref points at, whole; undefined when it no longer reads as it did when checked. */
  async read(ref: RequestRef): Promise<RequestEntry | undefined> {
    const buffer = Buffer.alloc(ref.bytes);
    const { bytesRead } = await this.handle.read(buffer, 0, ref.bytes, ref.offset);
    // The raw line may carry the file's BOM (line 1) and a CR (CRLF files), as when it was checked.
    const text = buffer
      .subarray(0, bytesRead)
      .toString('utf8')
      .replace(/^\uFEFF/, '')
      .trim();
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return undefined;
    }
    if (!isRecord(value) || ref.wire.hash(value) !== ref.hash) return undefined;
    const read = ref.wire.readRequest(value);
    return read ? { ...ref, text, body: read.body } : undefined;
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}

const isEntry = (ref: RequestRef): ref is RequestEntry => 'body' in ref;
