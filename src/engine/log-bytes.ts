/**
 * The state log's bytes as read, with its lines found by byte offset and decoded only in the part
 * a caller needs. A no-op over tens of thousands of targets needs each stamped line's short stamps
 * (state-line.ts), not the record JSON that makes up most of the line: decoding the whole log into
 * one string cost a visible share of the no-op (a 32 MB log at 11,400 subjects), and kept that
 * string on the heap for the collector to walk past. The bytes stay outside the heap (a Buffer).
 */
import { isAscii } from 'node:buffer';

const NEWLINE = 0x0a;
const TAB = 0x09;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

export class LogBytes {
  readonly #bytes: Buffer;
  /** Nearly always ASCII (paths, hashes, numbers): a one-byte decode is then several times cheaper than UTF-8's. */
  readonly #encoding: 'latin1' | 'utf8';

  constructor(bytes: Buffer) {
    this.#bytes = bytes;
    this.#encoding = isAscii(bytes) ? 'latin1' : 'utf8';
  }

  /** The log does not end with a newline: its last line is torn (a crash mid-append). */
  get torn(): boolean {
    return this.#bytes.length > 0 && this.#bytes[this.#bytes.length - 1] !== NEWLINE;
  }

  /** Calls `each(start, end)` for every complete line (ended by a newline, which `end` excludes), in order. */
  forEachLine(each: (start: number, end: number) => void): void {
    const bytes = this.#bytes;
    for (let start = 0; ;) {
      const end = bytes.indexOf(NEWLINE, start);
      if (end === -1) return;
      each(start, end);
      start = end + 1;
    }
  }

  /** The end (its newline's offset) of the complete line starting at `start`. */
  lineEnd(start: number): number {
    return this.#bytes.indexOf(NEWLINE, start);
  }

  text(start: number, end: number): string {
    return this.#bytes.toString(this.#encoding, start, end);
  }

  /** Whether the line at `start` is plain JSON (starts with `{`), as every line of the log's first version. */
  isJson(start: number): boolean {
    return this.#bytes[start] === OPEN_BRACE;
  }

  /** Offset of the first tab in [start, end), or -1. */
  firstTab(start: number, end: number): number {
    const tab = this.#bytes.indexOf(TAB, start);
    return tab !== -1 && tab < end ? tab : -1;
  }

  /**
   * Where a stamped line's JSON starts (after its last tab: JSON.stringify never writes a raw
   * tab), or -1 when the line is not whole: it does not end with `}` (cut short or edited by hand).
   */
  jsonStart(start: number, end: number): number {
    if (end <= start || this.#bytes[end - 1] !== CLOSE_BRACE) return -1;
    const tab = this.#bytes.lastIndexOf(TAB, end - 1);
    return tab >= start ? tab + 1 : -1;
  }
}
