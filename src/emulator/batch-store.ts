/**
 * Batch records on disk: `batches/<id>/batch.json` (written atomically: temp + rename), beside
 * the batch's private working files (a hard link to its input, per-line token counts, partial
 * output). Indexed in memory at start, so a restarted server continues every batch.
 */
import { copyFile, link, mkdir, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../util/fs-atomic.ts';
import type { BatchRecord } from './types.ts';

export class BatchStore {
  readonly dir: string;
  #byId = new Map<string, BatchRecord>();
  #seq = 0;

  constructor(stateDir: string) {
    this.dir = path.join(stateDir, 'batches');
  }

  async load(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    for (const name of await readdir(this.dir)) {
      try {
        const rec = JSON.parse(await readFile(path.join(this.dir, name, 'batch.json'), 'utf8')) as BatchRecord;
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

  input(id: string): string {
    return path.join(this.dir, id, 'input.jsonl');
  }

  tokens(id: string): string {
    return path.join(this.dir, id, 'tokens.bin');
  }

  part(id: string, kind: 'output' | 'error'): string {
    return path.join(this.dir, id, `${kind}.part`);
  }

  /**
   * Snapshots the input file into the batch's directory (a hard link, so free), so deleting the
   * input file does not pull the rug from under a running batch.
   */
  async snapshotInput(id: string, source: string): Promise<void> {
    await mkdir(this.workDir(id), { recursive: true });
    try {
      await link(source, this.input(id));
    } catch {
      await copyFile(source, this.input(id));
    }
  }

  get(id: string): BatchRecord | undefined {
    return this.#byId.get(id);
  }

  /** Newest first. */
  all(): BatchRecord[] {
    return [...this.#byId.values()].sort((a, b) => b.seq - a.seq);
  }

  async save(rec: BatchRecord): Promise<void> {
    this.#byId.set(rec.id, rec);
    await writeFileAtomic(path.join(this.dir, rec.id, 'batch.json'), JSON.stringify(rec));
  }
}
