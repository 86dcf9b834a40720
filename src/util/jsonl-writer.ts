/**
 * Streaming JSONL output with backpressure, so memory stays flat however many lines are written.
 * Lines are gathered into ~64 KiB writes: one write(2) per line cost more than the JSON work itself.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { once } from 'node:events';

const FLUSH_AT_CHARS = 1 << 16;

export class JsonlWriter {
  readonly #stream: WriteStream;
  #pending: string[] = [];
  #pendingChars = 0;
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
    this.#pending.push(text, '\n');
    this.#pendingChars += text.length + 1;
    if (this.#pendingChars >= FLUSH_AT_CHARS) await this.#flush();
  }

  write(value: unknown): Promise<void> {
    return this.writeLine(JSON.stringify(value));
  }

  async #flush(): Promise<void> {
    if (this.#pending.length === 0) return;
    const chunk = this.#pending.join('');
    this.#pending = [];
    this.#pendingChars = 0;
    if (!this.#stream.write(chunk)) await once(this.#stream, 'drain');
  }

  async close(): Promise<void> {
    await this.#flush();
    this.#stream.end();
    await once(this.#stream, 'finish');
  }

  /** Abandon a partial file (the caller removes it). */
  destroy(): void {
    this.#pending = [];
    this.#stream.destroy();
  }
}
