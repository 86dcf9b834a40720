/** An append-only line writer that respects backpressure and counts what it wrote. */
import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { truncate } from 'node:fs/promises';

export class LineWriter {
  #stream: WriteStream;
  bytes = 0;
  lines = 0;

  private constructor(stream: WriteStream) {
    this.#stream = stream;
  }

  /** Opens `file` for appending after cutting it back to `keepBytes` (drops a torn tail after a crash). */
  static async append(file: string, keepBytes: number): Promise<LineWriter> {
    try {
      await truncate(file, keepBytes);
    } catch {
      // No file yet: nothing to cut.
    }
    return new LineWriter(createWriteStream(file, { flags: 'a' }));
  }

  static create(file: string): LineWriter {
    return new LineWriter(createWriteStream(file));
  }

  async write(text: string): Promise<void> {
    this.bytes += Buffer.byteLength(text);
    if (!this.#stream.write(text)) await once(this.#stream, 'drain');
  }

  async line(value: unknown): Promise<void> {
    this.lines++;
    await this.write(JSON.stringify(value) + '\n');
  }

  async close(): Promise<void> {
    this.#stream.end();
    await once(this.#stream, 'close');
  }
}
