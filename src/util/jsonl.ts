/**
 * Streaming JSONL reading with line numbers. Memory stays flat whatever the file size. Tolerates
 * what real files contain (a UTF-8 BOM, CRLF line ends, a missing final newline, blank lines) and
 * reports what it cannot accept (invalid UTF-8, unparseable JSON) with the 1-based line number.
 */
import { createReadStream } from 'node:fs';
import { isUtf8 } from 'node:buffer';

export type JsonlLine =
  | { kind: 'value'; line: number; value: unknown; text: string; offset: number; bytes: number }
  | { kind: 'error'; line: number; message: string; text: string; offset: number; bytes: number };

/** Lines longer than this are refused (a corrupt file must not exhaust memory). */
export const MAX_LINE_BYTES = 64 * 1024 * 1024;

export async function* readJsonl(file: string): AsyncGenerator<JsonlLine> {
  for await (const { line, text, invalidUtf8, offset, bytes } of readLines(file)) {
    if (text.trim() === '') continue;
    if (invalidUtf8) {
      yield { kind: 'error', line, message: 'invalid UTF-8', text, offset, bytes };
      continue;
    }
    try {
      yield { kind: 'value', line, value: JSON.parse(text) as unknown, text, offset, bytes };
    } catch (error) {
      yield {
        kind: 'error',
        line,
        message: `invalid JSON (${(error as Error).message})`,
        text: text.slice(0, 200),
        offset,
        bytes,
      };
    }
  }
}

export interface RawLine {
  line: number;
  text: string;
  invalidUtf8: boolean;
  /** Byte offset of the line's start in the file, and its length without the newline. */
  offset: number;
  bytes: number;
}

/** Raw lines with their numbers; `invalidUtf8` marks lines whose bytes are not valid UTF-8. */
export async function* readLines(file: string): AsyncGenerator<RawLine> {
  // 64 KiB chunks, measured faster than 1 MiB: a large chunk is a fresh allocation per read, copied
  // down again when the file is shorter than it.
  const stream = createReadStream(file, { highWaterMark: 1 << 16 });
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let line = 0;
  let position = 0;
  const emit = (buf: Buffer): RawLine => {
    line += 1;
    const offset = position;
    position += buf.length + 1;
    let bytes = buf;
    if (line === 1 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bytes = bytes.subarray(3);
    if (bytes.length > 0 && bytes[bytes.length - 1] === 0x0d) bytes = bytes.subarray(0, bytes.length - 1);
    const text = bytes.toString('utf8');
    // Decoding replaces bad bytes with U+FFFD; only then is the (slower) validation worth running.
    return { line, text, invalidUtf8: text.includes('\uFFFD') && !isUtf8(bytes), offset, bytes: buf.length };
  };
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    let start = 0;
    for (let i = chunk.indexOf(0x0a); i !== -1; i = chunk.indexOf(0x0a, start)) {
      pending.push(chunk.subarray(start, i));
      const whole = pending.length === 1 ? pending[0]! : Buffer.concat(pending);
      pending = [];
      pendingBytes = 0;
      start = i + 1;
      yield emit(whole);
    }
    if (start < chunk.length) {
      pending.push(chunk.subarray(start));
      pendingBytes += chunk.length - start;
      if (pendingBytes > MAX_LINE_BYTES) {
        stream.destroy();
        throw new LineTooLongError(file, line + 1);
      }
    }
  }
  if (pendingBytes > 0) yield emit(Buffer.concat(pending));
}

export class LineTooLongError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
  ) {
    super(`line ${line} is longer than ${MAX_LINE_BYTES} bytes`);
  }
}
