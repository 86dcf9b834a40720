/**
 * Lines of a file read forward from a byte offset: paging a 100 MB JSONL file reads only the page
 * (from the nearest indexed line), never the whole file. Stopping early closes the file.
 */
import { createReadStream } from 'node:fs';

export interface FileLine {
  /** 0-based line number in the file. */
  index: number;
  text: string;
  /** Byte offset of the line's start. */
  offset: number;
}

/** Lines starting at byte `offset`, which must be the start of line `index`. */
export async function* linesFrom(file: string, start: { offset: number; index: number }): AsyncGenerator<FileLine> {
  const stream = createReadStream(file, { start: start.offset, highWaterMark: 1 << 16 });
  let pending: Buffer[] = [];
  let index = start.index;
  let offset = start.offset;
  const line = (buf: Buffer): FileLine => {
    let bytes = buf;
    if (offset === 0 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bytes = bytes.subarray(3);
    if (bytes.at(-1) === 0x0d) bytes = bytes.subarray(0, -1);
    const made = { index, text: bytes.toString('utf8'), offset };
    index += 1;
    offset += buf.length + 1;
    return made;
  };
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    let from = 0;
    for (let nl = chunk.indexOf(0x0a); nl !== -1; nl = chunk.indexOf(0x0a, from)) {
      pending.push(chunk.subarray(from, nl));
      const whole = pending.length === 1 ? pending[0]! : Buffer.concat(pending);
      pending = [];
      from = nl + 1;
      yield line(whole);
    }
    if (from < chunk.length) pending.push(chunk.subarray(from));
  }
  if (pending.length > 0) yield line(Buffer.concat(pending));
}
