/**
 * Message batches on disk, under `<stateDir>/anthropic/batches/<id>/`: `batch.json` (written
 * atomically), the requests as sent (`requests.jsonl`, one `{custom_id, params}` per line), the
 * partial results while it runs and `results.jsonl` once it has ended. Indexed in memory at start,
 * so a restarted server continues every batch.
 */
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../../util/fs-atomic.ts';
import type { MessageBatchRecord } from './types.ts';

export class MessageBatchStore {
  readonly dir: string;
  #byId = new Map<string, MessageBatchRecord>();
  #seq = 0;

  constructor(stateDir: string) {
    this.dir = path.join(stateDir, 'anthropic', 'batches');
  }

  async load(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    for (const name of await readdir(this.dir)) {
      try {
        const rec = JSON.parse(await readFile(path.join(this.dir, name, 'batch.json'), 'utf8')) as MessageBatchRecord;
        this.#byId.set(rec.id, rec);
        this.#seq = Math.max(this.#seq, rec.seq);
      } catch {
        // A directory whose record was never written (crash during create): not a batch.
      }
    }
  }

  nextSeq(): number {
    return ++this.#seq;
  }

  workDir(id: string): string {
    return path.join(this.dir, id);
  }

  requests(id: string): string {
    return path.join(this.dir, id, 'requests.jsonl');
  }

  part(id: string): string {
    return path.join(this.dir, id, 'results.part');
  }

  results(id: string): string {
    return path.join(this.dir, id, 'results.jsonl');
  }

  get(id: string): MessageBatchRecord | undefined {
    return this.#byId.get(id);
  }

  /** Newest first. */
  all(): MessageBatchRecord[] {
    return [...this.#byId.values()].sort((a, b) => b.seq - a.seq);
  }

  async save(rec: MessageBatchRecord): Promise<void> {
    this.#byId.set(rec.id, rec);
    await writeFileAtomic(path.join(this.dir, rec.id, 'batch.json'), JSON.stringify(rec));
  }

  async delete(id: string): Promise<void> {
    this.#byId.delete(id);
    await rm(this.workDir(id), { recursive: true, force: true });
  }
}
