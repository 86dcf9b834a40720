/**
 * Line-by-line streaming over a JSONL file with byte offsets, so validation and execution never
 * hold the file in memory and execution can resume from a persisted offset.
 */
import { createReadStream } from 'node:fs';

export interface FileLine {
  /** 1-based physical line number, counted from `startLine`. */
  lineNo: number;
  text: string;
  /** Byte offset just after this line's newline. */
  end: number;
}

export async function* readLines(file: string, start = 0, startLine = 1): AsyncGenerator<FileLine> {
  let carry: Buffer | null = null;
  let offset = start;
  let lineNo = startLine;
  for await (const chunk of createReadStream(file, { start, highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    let buf: Buffer = carry ? Buffer.concat([carry, chunk]) : chunk;
    let from = 0;
    for (let nl = buf.indexOf(0x0a, from); nl !== -1; nl = buf.indexOf(0x0a, from)) {
      const lineEnd = nl > from && buf[nl - 1] === 0x0d ? nl - 1 : nl;
      offset += nl + 1 - from;
      yield { lineNo: lineNo++, text: buf.toString('utf8', from, lineEnd), end: offset };
      from = nl + 1;
    }
    buf = buf.subarray(from);
    carry = buf.length > 0 ? Buffer.from(buf) : null;
  }
  if (carry && carry.length > 0) {
    const text = carry.toString('utf8').replace(/\r$/, '');
    yield { lineNo, text, end: offset + carry.length };
  }
}
