/** Streaming JSONL output with backpressure, so memory stays flat however many lines are written. */
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { once } from 'node:events';

export class JsonlWriter {
  readonly #stream: WriteStream;
  lines = 0;

  private constructor(stream: WriteStream) {
    this.#stream = stream;
  }

  static async open(file: string): Promise<JsonlWriter> {
    await mkdir(path.dirname(file), { recursive: true });
    const stream = createWriteStream(file, { mode: 0o644 });
    await once(stream, 'open');
    return new JsonlWriter(stream);
  }

  async writeLine(text: string): Promise<void> {
    this.lines += 1;
    if (!this.#stream.write(`${text}\n`)) await once(this.#stream, 'drain');
  }

  write(value: unknown): Promise<void> {
    return this.writeLine(JSON.stringify(value));
  }

  async close(): Promise<void> {
    this.#stream.end();
    await once(this.#stream, 'finish');
  }

  /** Abandon a partial file (the caller removes it). */
  destroy(): void {
    this.#stream.destroy();
  }
}
