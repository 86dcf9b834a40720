/**
 * Batch records on disk: `<dir>/<id>/batch.json` (written atomically: temp + rename), beside the
 * batch's working files (its requests as `input.jsonl`, partial results as `<part>.part`) and
 * whatever the flavour keeps once it ends. Indexed in memory at start, so a restarted server
 * continues every batch.
 */
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../util/fs-atomic.ts';
import type { Job } from './job.ts';

export class JobStore<J extends Job> {
  readonly dir: string;
  #byId = new Map<string, J>();
  #seq = 0;

  constructor(dir: string) {
    this.dir = dir;
  }

  async load(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    for (const name of await readdir(this.dir)) {
      try {
        const rec = JSON.parse(await readFile(path.join(this.dir, name, 'batch.json'), 'utf8')) as J;
        // A record of an older emulator (before the shared lifecycle) is not read: not a batch here.
        if (typeof rec.phase !== 'string') continue;
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

  file(id: string, name: string): string {
    return path.join(this.dir, id, name);
  }

  /** The batch's requests, one JSON line each, in the order they run. */
  input(id: string): string {
    return this.file(id, 'input.jsonl');
  }

  part(id: string, name: string): string {
    return this.file(id, `${name}.part`);
  }

  get(id: string): J | undefined {
    return this.#byId.get(id);
  }

  /** A batch the API still shows (not deleted out of sight). */
  visible(id: string): J | undefined {
    const rec = this.#byId.get(id);
    return rec?.hiddenMs ? undefined : rec;
  }

  /** Newest first. */
  all(): J[] {
    return [...this.#byId.values()].sort((a, b) => b.seq - a.seq);
  }

  /**
   * What a list shows, newest first: not the batches deleted out of sight, nor those younger than
   * `lagMs` (the `listLagMs` fault: lists lag behind creation while a read by id sees a batch at once).
   */
  listed(nowMs: number, lagMs = 0): J[] {
    return this.all().filter((b) => !b.hiddenMs && nowMs - b.createdMs >= lagMs);
  }

  async save(rec: J): Promise<void> {
    this.#byId.set(rec.id, rec);
    await writeFileAtomic(path.join(this.dir, rec.id, 'batch.json'), JSON.stringify(rec));
  }

  /** The working files are only needed while the batch runs. */
  async cleanUp(rec: J): Promise<void> {
    const names = ['input.jsonl', 'tokens.bin', ...Object.keys(rec.parts).map((p) => `${p}.part`)];
    for (const name of names) await rm(this.file(rec.id, name), { force: true });
  }

  async delete(id: string): Promise<void> {
    this.#byId.delete(id);
    await rm(this.workDir(id), { recursive: true, force: true });
  }
}
