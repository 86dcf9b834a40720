/**
 * Files on disk, for every flavour with a Files API: `files/<id>.json` (metadata) beside
 * `files/<id>.data` (content). Metadata is indexed in memory at start; content is only ever
 * streamed. Ids are the flavour's own format.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../util/fs-atomic.ts';

export interface FileRecord {
  id: string;
  seq: number;
  bytes: number;
  createdMs: number;
  filename: string;
  purpose: string;
  /** Unix seconds, or null for files that live until deleted. */
  expiresAt: number | null;
  /** The content's type, where the API keeps one (Gemini). */
  mimeType?: string;
}

export type FileMeta = Omit<FileRecord, 'id' | 'seq' | 'bytes'>;

export class FilesStore {
  readonly dir: string;
  readonly #newId: () => string;
  #byId = new Map<string, FileRecord>();
  #seq = 0;

  constructor(stateDir: string, newId: () => string) {
    this.dir = path.join(stateDir, 'files');
    this.#newId = newId;
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
    return path.join(this.dir, `.upload-${randomBytes(12).toString('hex')}.tmp`);
  }

  /** Moves finished content at `tmp` into the store and records its metadata (`id`: instead of a new one). */
  async add(tmp: string, meta: FileMeta, id = this.#newId()): Promise<FileRecord> {
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

  /** Bytes held by the files not expired at `nowMs` (a project's storage). */
  usedBytes(nowMs: number): number {
    return this.list(nowMs).reduce((sum, f) => sum + f.bytes, 0);
  }

  async delete(id: string): Promise<void> {
    this.#byId.delete(id);
    await rm(path.join(this.dir, `${id}.json`), { force: true });
    await rm(this.contentPath(id), { force: true });
  }
}

/** The fields every Files API's file object starts with (OpenAI's, Mistral's): id, object, bytes, created_at. */
export const fileBasics = (rec: FileRecord) => ({
  id: rec.id,
  object: 'file',
  bytes: rec.bytes,
  created_at: Math.floor(rec.createdMs / 1000),
});
