/**
 * Files on disk: `files/<id>.json` (metadata) beside `files/<id>.data` (content). Metadata is
 * indexed in memory at start; content is only ever streamed.
 */
import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../util/fs-atomic.ts';
import { newFileId } from './ids.ts';
import type { FileRecord } from './types.ts';

export class FilesStore {
  readonly dir: string;
  #byId = new Map<string, FileRecord>();
  #seq = 0;

  constructor(stateDir: string) {
    this.dir = path.join(stateDir, 'files');
  }

  async load(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    for (const name of await readdir(this.dir)) {
      if (!name.endsWith('.json') || name.startsWith('.')) continue;
      const rec = JSON.parse(await readFile(path.join(this.dir, name), 'utf8')) as FileRecord;
      this.#byId.set(rec.id, rec);
      this.#seq = Math.max(this.#seq, rec.seq);
    }
  }

  contentPath(id: string): string {
    return path.join(this.dir, `${id}.data`);
  }

  /** A temp path inside the store, so committing content is a same-directory rename. */
  tempPath(): string {
    return path.join(this.dir, `.upload-${newFileId()}.tmp`);
  }

  /** Moves finished content at `tmp` into the store and records its metadata. */
  async add(
    tmp: string,
    meta: { filename: string; purpose: string; createdMs: number; expiresAt: number | null },
  ): Promise<FileRecord> {
    const id = newFileId();
    const { size } = await stat(tmp);
    const rec: FileRecord = { id, seq: ++this.#seq, bytes: size, ...meta };
    await rename(tmp, this.contentPath(id));
    await writeFileAtomic(path.join(this.dir, `${id}.json`), JSON.stringify(rec));
    this.#byId.set(id, rec);
    return rec;
  }

  /** Files past their `expires_at` are gone, as on the real service. */
  get(id: string, nowMs: number): FileRecord | undefined {
    const rec = this.#byId.get(id);
    if (rec && rec.expiresAt !== null && rec.expiresAt * 1000 <= nowMs) return undefined;
    return rec;
  }

  /**
   * Newest first by `created_at`, then by creation order (`seq`); expired files left out. A batch's
   * output file is stored when the batch is first read but dated when it finished, so `seq` alone
   * would put it ahead of uploads made in between.
   */
  list(nowMs: number): FileRecord[] {
    return [...this.#byId.values()]
      .filter((r) => this.get(r.id, nowMs))
      .sort((a, b) => b.createdMs - a.createdMs || b.seq - a.seq);
  }

  async delete(id: string): Promise<void> {
    this.#byId.delete(id);
    await rm(path.join(this.dir, `${id}.json`), { force: true });
    await rm(this.contentPath(id), { force: true });
  }
}

export function fileObject(rec: FileRecord): Record<string, unknown> {
  return {
    id: rec.id,
    object: 'file',
    bytes: rec.bytes,
    created_at: Math.floor(rec.createdMs / 1000),
    expires_at: rec.expiresAt,
    filename: rec.filename,
    purpose: rec.purpose,
    status: 'processed',
    status_details: null,
  };
}
