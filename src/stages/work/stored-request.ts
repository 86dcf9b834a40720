/**
 * A request line that stays in its file: the batch stage keeps per line only what planning and
 * bookkeeping need (id, hash, model, offsets, its output bound), and reads the line back when its
 * text or body is asked for. A 2 GB request file thus costs a few hundred bytes per line, not its
 * size twice over (text and parsed body), whichever step looks at it.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import type { WireFormat } from '../../providers/spec.ts';
import type { RequestEntry } from './request-file.ts';

/** The request file as it was when its lines were checked: a later edit is refused, never mixed in. */
export class RequestFileVersion {
  constructor(
    readonly file: string,
    readonly size: number,
    readonly mtimeMs: number,
  ) {}

  /** Throws when the file is no longer the one whose lines were checked (sizes and times are what a stat gives). */
  assertUnchanged(stat: { size: number; mtimeMs: number }): void {
    if (stat.size !== this.size || stat.mtimeMs !== this.mtimeMs) throw new RequestFileChanged(this.file);
  }

  /** The raw line at this place, read with one short-lived descriptor. */
  readSync(offset: number, bytes: number): Buffer {
    const fd = openSync(this.file, 'r');
    try {
      this.assertUnchanged(fstatSync(fd));
      const buffer = Buffer.allocUnsafe(bytes);
      const read = readSync(fd, buffer, 0, bytes, offset);
      return buffer.subarray(0, read);
    } finally {
      closeSync(fd);
    }
  }
}

export class RequestFileChanged extends Error {
  constructor(readonly file: string) {
    super(`${file} changed while this build was reading it: run the build again`);
  }
}

/** The text of a raw line as the request file's reader gives it: without a BOM, a CR or surrounding blanks. */
export function lineText(raw: Buffer): string {
  return raw.toString('utf8').trim();
}

export class StoredRequest implements RequestEntry {
  constructor(
    readonly line: number,
    readonly customId: string,
    readonly hash: string,
    readonly model: string,
    readonly endpoint: string,
    readonly offset: number,
    readonly bytes: number,
    readonly wire: WireFormat,
    readonly version: RequestFileVersion,
    /** The request's bound on its output (`max_tokens`, … in its format), read once with the line. */
    readonly maxOutput: number | undefined,
    /** Whether the line asks for prompt caching (`cache_control`): its input may bill at the write rate. */
    readonly cacheWrites: boolean,
  ) {}

  get text(): string {
    return lineText(this.version.readSync(this.offset, this.bytes));
  }

  get body(): Record<string, unknown> {
    const read = this.wire.readRequest(JSON.parse(this.text) as Record<string, unknown>);
    if (!read) throw new RequestFileChanged(this.version.file);
    return read.body;
  }
}
