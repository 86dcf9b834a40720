/**
 * Batch inference jobs on disk, under `<stateDir>/bedrock/jobs/<id>/`: `job.json` (written
 * atomically) and the input snapshots taken at validation (hard links to the S3 objects' data).
 * Indexed in memory at start, so a restarted server continues every job.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../../util/fs-atomic.ts';
import type { JobRecord } from './types.ts';

const ID_CHARS = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** A job id as Bedrock makes them: 12 lower-case alphanumerics (the ARN's last segment). */
export function newJobId(): string {
  let id = '';
  for (const b of randomBytes(12)) id += ID_CHARS[b % ID_CHARS.length];
  return id;
}

export class JobStore {
  readonly dir: string;
  #byId = new Map<string, JobRecord>();
  #seq = 0;

  constructor(stateDir: string) {
    this.dir = path.join(stateDir, 'bedrock', 'jobs');
  }

  async load(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    for (const id of await readdir(this.dir)) {
      try {
        const rec = JSON.parse(await readFile(path.join(this.dir, id, 'job.json'), 'utf8')) as JobRecord;
        this.#byId.set(rec.id, rec);
        this.#seq = Math.max(this.#seq, rec.seq);
      } catch {
        // A directory whose record was never written (crash during create): not a job.
        await rm(path.join(this.dir, id), { recursive: true, force: true });
      }
    }
  }

  nextSeq(): number {
    return ++this.#seq;
  }

  /** Where input `n`'s snapshot lives. */
  snapshotPath(id: string, name: string): string {
    return path.join(this.dir, id, name);
  }

  get(id: string): JobRecord | undefined {
    return this.#byId.get(id);
  }

  /** Newest first. */
  all(): JobRecord[] {
    return [...this.#byId.values()].sort((a, b) => b.seq - a.seq);
  }

  async save(rec: JobRecord): Promise<void> {
    this.#byId.set(rec.id, rec);
    await writeFileAtomic(path.join(this.dir, rec.id, 'job.json'), JSON.stringify(rec));
  }

  /** Drops the input snapshots once the job has ended (its output stays in S3). */
  async dropSnapshots(rec: JobRecord): Promise<void> {
    for (const input of rec.inputs) await rm(this.snapshotPath(rec.id, input.snapshot), { force: true });
  }
}
