/**
 * Where every 512th line of a file starts, found by one scan of its newlines in the background.
 * The first page of a file is read at once (it starts at offset 0); a later page waits only until
 * the scan has passed it, and the line count is known when the scan ends. Indexes are kept per
 * file version (size and mtime), so a file rewritten by a build is indexed again.
 */
import { open } from 'node:fs/promises';

const STEP = 512;
const CHUNK = 1 << 20;

export class LineIndex {
  /** checkpoints[k]: byte offset of line k × STEP. */
  readonly #checkpoints: number[] = [0];
  #linesSeen = 0;
  #total: number | undefined;
  #failure: Error | undefined;
  #waiters: (() => void)[] = [];

  private constructor(readonly file: string) {}

  static start(file: string): LineIndex {
    const index = new LineIndex(file);
    void index.#scan();
    return index;
  }

  /** Lines in the file (a last line without a newline counts), once the scan has ended. */
  get total(): number | undefined {
    return this.#total;
  }

  /** The indexed line at or before `line`, to read forward from. */
  async startFor(line: number): Promise<{ index: number; offset: number }> {
    while (this.#total === undefined && !this.#failure && this.#linesSeen <= line) {
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
    if (this.#failure) throw this.#failure;
    const k = Math.min(Math.floor(line / STEP), this.#checkpoints.length - 1);
    return { index: k * STEP, offset: this.#checkpoints[k]! };
  }

  async #scan(): Promise<void> {
    try {
      const handle = await open(this.file, 'r');
      try {
        const buf = Buffer.alloc(CHUNK);
        let position = 0;
        let lastByte = 0x0a;
        for (;;) {
          const { bytesRead } = await handle.read(buf, 0, CHUNK, position);
          if (bytesRead === 0) break;
          for (let nl = buf.indexOf(0x0a); nl !== -1 && nl < bytesRead; nl = buf.indexOf(0x0a, nl + 1)) {
            this.#linesSeen += 1;
            if (this.#linesSeen % STEP === 0) this.#checkpoints.push(position + nl + 1);
          }
          lastByte = buf[bytesRead - 1]!;
          position += bytesRead;
          this.#wake();
        }
        this.#total = this.#linesSeen + (lastByte === 0x0a ? 0 : 1);
      } finally {
        await handle.close();
      }
    } catch (error) {
      this.#failure = error as Error;
    }
    this.#wake();
  }

  #wake(): void {
    const waiting = this.#waiters;
    this.#waiters = [];
    for (const resolve of waiting) resolve();
  }
}

/** One index per file version; a few files at a time. */
export class LineIndexes {
  readonly #byFile = new Map<string, { version: string; index: LineIndex }>();

  constructor(private readonly keep = 16) {}

  for(file: { absolute: string; size: number; mtimeMs: number }): LineIndex {
    const version = `${file.size}:${file.mtimeMs}`;
    const known = this.#byFile.get(file.absolute);
    if (known?.version === version) {
      // Most recently used last, so the oldest is dropped first.
      this.#byFile.delete(file.absolute);
      this.#byFile.set(file.absolute, known);
      return known.index;
    }
    const index = LineIndex.start(file.absolute);
    this.#byFile.delete(file.absolute);
    this.#byFile.set(file.absolute, { version, index });
    if (this.#byFile.size > this.keep) this.#byFile.delete(this.#byFile.keys().next().value!);
    return index;
  }
}
