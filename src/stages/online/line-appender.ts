/**
 * Appends lines to a file so that each one is in the kernel (write(2) returned) before `append`
 * resolves: a SIGKILL after that cannot lose it. Lines that arrive while a write is under way are
 * gathered into the next write (group commit), and the file is fsynced every few writes and on
 * close, so a power loss costs at most the last few answers — which are then simply sent again.
 */
import type { FileHandle } from 'node:fs/promises';
import { openStateLines } from '../../util/state-lines.ts';

/** Writes between fsyncs. */
const SYNC_EVERY_WRITES = 16;

export class LineAppender {
  readonly #handle: FileHandle;
  #queue: { text: string; done: () => void; fail: (e: unknown) => void }[] = [];
  #writing: Promise<void> | undefined;
  #writesSinceSync = 0;
  #closed = false;

  private constructor(handle: FileHandle) {
    this.#handle = handle;
  }

  /** A state file (the request cache, a journal): its header first when new, its format checked (state-lines.ts). */
  static async open(file: string): Promise<LineAppender> {
    return new LineAppender(await openStateLines(file));
  }

  append(value: unknown): Promise<void> {
    if (this.#closed) return Promise.reject(new Error('Internal error: append after close'));
    const text = `${JSON.stringify(value)}\n`;
    const written = new Promise<void>((done, fail) => this.#queue.push({ text, done, fail }));
    this.#writing ??= this.#drain();
    return written;
  }

  async #drain(): Promise<void> {
    while (this.#queue.length > 0) {
      const group = this.#queue;
      this.#queue = [];
      try {
        await this.#handle.write(group.map((g) => g.text).join(''));
        if (++this.#writesSinceSync >= SYNC_EVERY_WRITES) {
          this.#writesSinceSync = 0;
          await this.#handle.datasync();
        }
        for (const g of group) g.done();
      } catch (error) {
        for (const g of group) g.fail(error);
      }
    }
    this.#writing = undefined;
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#writing;
    try {
      await this.#handle.sync();
    } finally {
      await this.#handle.close();
    }
  }
}
