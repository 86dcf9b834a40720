/**
 * Multipart uploads in progress, under `<stateDir>/s3/uploads/<uploadId>/`: `upload.json` and,
 * per part, its data (`part-<n>.data`, streamed there) and `part-<n>.json` (written after the data:
 * a part is there once its record is). A completed upload keeps its record with the result, so a
 * retried CompleteMultipartUpload (its answer lost) gets the same answer instead of NoSuchUpload.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../../util/fs-atomic.ts';
import type { ChecksumAlgorithm } from './checksums.ts';
import { noSuchUpload } from './errors.ts';

export interface UploadRecord {
  uploadId: string;
  bucket: string;
  key: string;
  initiatedMs: number;
  contentType: string;
  metadata?: Record<string, string>;
  checksumAlgorithm?: ChecksumAlgorithm;
  /** Set once completed: the object's ETag (parts are deleted then). */
  completedEtag?: string;
}

export interface PartRecord {
  partNumber: number;
  size: number;
  /** Hex MD5 of the part (its ETag, without quotes). */
  etag: string;
  lastModifiedMs: number;
  checksum?: { algorithm: ChecksumAlgorithm; value: string };
}

export class UploadStore {
  readonly dir: string;
  #uploads = new Map<string, UploadRecord>();

  constructor(stateDir: string) {
    this.dir = path.join(stateDir, 's3', 'uploads');
  }

  async load(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    for (const id of await readdir(this.dir)) {
      try {
        const rec = JSON.parse(await readFile(path.join(this.dir, id, 'upload.json'), 'utf8')) as UploadRecord;
        this.#uploads.set(rec.uploadId, rec);
      } catch {
        await rm(path.join(this.dir, id), { recursive: true, force: true });
      }
    }
  }

  async create(rec: Omit<UploadRecord, 'uploadId'>): Promise<UploadRecord> {
    const uploadId = randomBytes(48).toString('base64url');
    const full = { ...rec, uploadId };
    await writeFileAtomic(path.join(this.dir, uploadId, 'upload.json'), JSON.stringify(full));
    this.#uploads.set(uploadId, full);
    return full;
  }

  /** The upload, or NoSuchUpload (also for another bucket/key's id). */
  get(uploadId: string, bucket: string, key: string): UploadRecord {
    const rec = this.#uploads.get(uploadId);
    if (!rec || rec.bucket !== bucket || rec.key !== key) throw noSuchUpload(uploadId);
    return rec;
  }

  /** An upload still taking parts. */
  open(uploadId: string, bucket: string, key: string): UploadRecord {
    const rec = this.get(uploadId, bucket, key);
    if (rec.completedEtag !== undefined) throw noSuchUpload(uploadId);
    return rec;
  }

  partFile(uploadId: string, partNumber: number): string {
    return path.join(this.dir, uploadId, `part-${partNumber}.data`);
  }

  /** Where a part's body is streamed before `savePart` (a retried part never clobbers a good one mid-way). */
  partTemp(uploadId: string, partNumber: number): string {
    return path.join(this.dir, uploadId, `part-${partNumber}.${randomBytes(4).toString('hex')}.tmp`);
  }

  async savePart(uploadId: string, part: PartRecord): Promise<void> {
    await writeFileAtomic(path.join(this.dir, uploadId, `part-${part.partNumber}.json`), JSON.stringify(part));
  }

  /** The parts uploaded so far, by part number. */
  async parts(uploadId: string): Promise<PartRecord[]> {
    const dir = path.join(this.dir, uploadId);
    const parts: PartRecord[] = [];
    for (const file of await readdir(dir).catch(() => [] as string[]))
      if (/^part-\d+\.json$/.test(file))
        parts.push(JSON.parse(await readFile(path.join(dir, file), 'utf8')) as PartRecord);
    return parts.sort((a, b) => a.partNumber - b.partNumber);
  }

  async complete(rec: UploadRecord, etag: string): Promise<void> {
    const done = { ...rec, completedEtag: etag };
    await writeFileAtomic(path.join(this.dir, rec.uploadId, 'upload.json'), JSON.stringify(done));
    this.#uploads.set(rec.uploadId, done);
    for (const file of await readdir(path.join(this.dir, rec.uploadId)))
      if (file !== 'upload.json') await rm(path.join(this.dir, rec.uploadId, file), { force: true });
  }

  async abort(uploadId: string): Promise<void> {
    this.#uploads.delete(uploadId);
    await rm(path.join(this.dir, uploadId), { recursive: true, force: true });
  }

  /** Uploads still taking parts. */
  inProgress(): UploadRecord[] {
    return [...this.#uploads.values()].filter((u) => u.completedEtag === undefined);
  }
}
