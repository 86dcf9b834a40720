/**
 * The execution ledger: an append-only log of request-body hashes that were executed (`s`),
 * answered with an injected 5xx (`5`) or an injected invalid reply (`i`, see invalid-replies.ts),
 * or whose execution was taken back (`r`: work a provider neither delivers nor bills, such as an
 * expired Gemini batch's). It proves nothing is paid twice (duplicateExecutions) and makes
 * transient 5xx faults succeed on a later attempt. Other processes' appends are picked up by
 * reading the log's new tail before each use.
 */
import { appendFile, open, stat } from 'node:fs/promises';
import path from 'node:path';

export class ExecutionLedger {
  #file: string;
  #offset = 0;
  /** Successful executions per hash, less those taken back. */
  #succeeded = new Map<string, number>();
  #failures = new Map<string, number>();
  #invalid = new Map<string, number>();
  #pending: string[] = [];

  constructor(stateDir: string) {
    this.#file = path.join(stateDir, 'executions.log');
  }

  /** Reads whatever was appended since the last look. */
  async refresh(): Promise<void> {
    let size: number;
    try {
      size = (await stat(this.#file)).size;
    } catch {
      return;
    }
    if (size <= this.#offset) return;
    const handle = await open(this.#file, 'r');
    try {
      const buf = Buffer.alloc(size - this.#offset);
      await handle.read(buf, 0, buf.length, this.#offset);
      const text = buf.toString('utf8');
      const complete = text.lastIndexOf('\n') + 1;
      this.#offset += Buffer.byteLength(text.slice(0, complete));
      for (const line of text.slice(0, complete).split('\n')) this.#apply(line);
    } finally {
      await handle.close();
    }
  }

  #apply(line: string): void {
    const [kind, hash] = line.split(' ');
    if (!hash) return;
    if (kind === 's') this.#count(hash, 1);
    else if (kind === 'r') this.#count(hash, -1);
    else if (kind === '5') this.#failures.set(hash, (this.#failures.get(hash) ?? 0) + 1);
    else if (kind === 'i') this.#invalid.set(hash, (this.#invalid.get(hash) ?? 0) + 1);
  }

  #count(hash: string, delta: number): void {
    this.#succeeded.set(hash, Math.max(0, (this.#succeeded.get(hash) ?? 0) + delta));
  }

  failures5xx(hash: string): number {
    return this.#failures.get(hash) ?? 0;
  }

  /** Notes a successful execution; true when this exact body had already succeeded before. */
  markSucceeded(hash: string): boolean {
    const before = (this.#succeeded.get(hash) ?? 0) > 0;
    this.#pending.push(`s ${hash}`);
    this.#count(hash, 1);
    return before;
  }

  /** Takes one successful execution of this body back: it was not delivered, so it is not paid. */
  markTakenBack(hash: string): void {
    this.#pending.push(`r ${hash}`);
    this.#count(hash, -1);
  }

  invalidReplies(hash: string): number {
    return this.#invalid.get(hash) ?? 0;
  }

  /**
   * Notes an answer spoiled by the invalid-replies fault. Not a success: the client is right to ask
   * the same body again, and that answer is no duplicate.
   */
  markInvalid(hash: string): void {
    this.#pending.push(`i ${hash}`);
    this.#invalid.set(hash, (this.#invalid.get(hash) ?? 0) + 1);
  }

  markFailed5xx(hash: string): void {
    this.#pending.push(`5 ${hash}`);
    this.#failures.set(hash, (this.#failures.get(hash) ?? 0) + 1);
  }

  /** Appends the entries noted since the last flush in one write. */
  async flush(): Promise<void> {
    if (this.#pending.length === 0) return;
    const text = this.#pending.join('\n') + '\n';
    this.#pending = [];
    await this.refresh();
    await appendFile(this.#file, text);
    this.#offset += Buffer.byteLength(text);
  }
}
