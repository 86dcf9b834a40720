/**
 * Buckets and objects on disk under `<stateDir>/s3/buckets/<bucket>/`: `bucket.json`, and per
 * object a metadata file `objects/<sha256(key)>.json` (written atomically: the commit point) naming
 * its data file `objects/<sha256(key)>-<version>.data`. A new version is streamed to its own data
 * file and committed by rewriting the metadata, so readers and a crash see either the old object
 * or the new one; data files no metadata names are swept at start. Indexed in memory at start.
 */
import { createHash, randomBytes } from 'node:crypto';
import { appendFile, link, mkdir, readdir, readFile, rm, truncate } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../../util/fs-atomic.ts';
import type { KeyedMutex } from '../mutex.ts';
import type { ChecksumAlgorithm } from './checksums.ts';
import { noSuchBucket, S3Error } from './errors.ts';

export interface BucketRecord {
  name: string;
  createdMs: number;
  region: string;
}

export interface ObjectRecord {
  key: string;
  size: number;
  /** Without quotes: hex MD5, or `<hex>-<parts>` for multipart and service-written objects. */
  etag: string;
  lastModifiedMs: number;
  contentType: string;
  /** Whole-object checksum sent with a single PUT (S3 returns it when asked, `x-amz-checksum-mode`). */
  checksum?: { algorithm: ChecksumAlgorithm; value: string };
  /** User metadata (`x-amz-meta-*`), names lower-cased. */
  metadata?: Record<string, string>;
  /** The data file's name in the bucket's `objects/` directory. */
  data: string;
}

interface Bucket {
  record: BucketRecord;
  objects: Map<string, ObjectRecord>;
  /** Keys in S3's order, rebuilt lazily after a key is added or removed. */
  sorted: string[] | null;
}

const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

export const isValidBucketName = (name: string): boolean =>
  BUCKET_NAME.test(name) && !name.includes('..') && !/^\d+\.\d+\.\d+\.\d+$/.test(name);

const keyId = (key: string): string => createHash('sha256').update(key).digest('hex');

export class S3Store {
  readonly dir: string;
  #buckets = new Map<string, Bucket>();
  #locks: KeyedMutex;

  constructor(stateDir: string, locks: KeyedMutex) {
    this.dir = path.join(stateDir, 's3', 'buckets');
    this.#locks = locks;
  }

  async load(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    for (const name of await readdir(this.dir)) {
      let record: BucketRecord;
      try {
        record = JSON.parse(await readFile(path.join(this.dir, name, 'bucket.json'), 'utf8')) as BucketRecord;
      } catch {
        continue; // a bucket whose create never finished
      }
      const bucket: Bucket = { record, objects: new Map(), sorted: null };
      const objectsDir = this.#objectsDir(name);
      await mkdir(objectsDir, { recursive: true });
      const files = await readdir(objectsDir);
      for (const file of files.filter((f) => f.endsWith('.json'))) {
        try {
          const rec = JSON.parse(await readFile(path.join(objectsDir, file), 'utf8')) as ObjectRecord;
          bucket.objects.set(rec.key, rec);
        } catch {
          // A torn metadata write cannot happen (atomic), but a foreign file is no object either.
        }
      }
      const live = new Set([...bucket.objects.values()].map((o) => o.data));
      for (const file of files) if (!file.endsWith('.json') && !live.has(file)) await rm(path.join(objectsDir, file));
      this.#buckets.set(name, bucket);
    }
  }

  #objectsDir(bucket: string): string {
    return path.join(this.dir, bucket, 'objects');
  }

  #bucket(name: string): Bucket {
    const bucket = this.#buckets.get(name);
    if (!bucket) throw noSuchBucket(name);
    return bucket;
  }

  bucket(name: string): BucketRecord | undefined {
    return this.#buckets.get(name)?.record;
  }

  /** By name, as ListBuckets answers. */
  buckets(): BucketRecord[] {
    return [...this.#buckets.values()].map((b) => b.record).sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  /** Creates the bucket; false when it already existed. */
  async createBucket(name: string, region: string, now: number): Promise<boolean> {
    return this.#locks.run(`s3:bucket:${name}`, async () => {
      if (this.#buckets.has(name)) return false;
      const record: BucketRecord = { name, createdMs: now, region };
      await mkdir(this.#objectsDir(name), { recursive: true });
      await writeFileAtomic(path.join(this.dir, name, 'bucket.json'), JSON.stringify(record));
      this.#buckets.set(name, { record, objects: new Map(), sorted: null });
      return true;
    });
  }

  async deleteBucket(name: string): Promise<void> {
    await this.#locks.run(`s3:bucket:${name}`, async () => {
      const bucket = this.#bucket(name);
      if (bucket.objects.size > 0)
        throw new S3Error(409, 'BucketNotEmpty', 'The bucket you tried to delete is not empty', [['BucketName', name]]);
      this.#buckets.delete(name);
      await rm(path.join(this.dir, name), { recursive: true, force: true });
    });
  }

  get(bucket: string, key: string): ObjectRecord | undefined {
    return this.#bucket(bucket).objects.get(key);
  }

  /** Every key of the bucket in S3's (lexicographic) order. */
  keys(bucket: string): readonly string[] {
    const b = this.#bucket(bucket);
    b.sorted ??= [...b.objects.keys()].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
    return b.sorted;
  }

  dataPath(bucket: string, rec: ObjectRecord): string {
    return path.join(this.#objectsDir(bucket), rec.data);
  }

  /** A fresh data file for a new version of `key` (nothing refers to it until `commit`). */
  newDataFile(bucket: string, key: string): { name: string; file: string } {
    this.#bucket(bucket);
    const name = `${keyId(key)}-${randomBytes(6).toString('hex')}.data`;
    return { name, file: path.join(this.#objectsDir(bucket), name) };
  }

  /** Makes `rec` (whose data file is written) the object's current version and drops the old one. */
  async commit(bucket: string, rec: ObjectRecord): Promise<void> {
    await this.#locks.run(`s3:${bucket}/${rec.key}`, async () => {
      const b = this.#bucket(bucket);
      const old = b.objects.get(rec.key);
      await writeFileAtomic(path.join(this.#objectsDir(bucket), `${keyId(rec.key)}.json`), JSON.stringify(rec));
      if (!old) b.sorted = null;
      b.objects.set(rec.key, rec);
      if (old && old.data !== rec.data) await rm(path.join(this.#objectsDir(bucket), old.data), { force: true });
    });
  }

  /** Deletes the object; a missing key is no error (S3 answers 204 either way). */
  async delete(bucket: string, key: string): Promise<void> {
    await this.#locks.run(`s3:${bucket}/${key}`, async () => {
      const b = this.#bucket(bucket);
      const old = b.objects.get(key);
      if (!old) return;
      await rm(path.join(this.#objectsDir(bucket), `${keyId(key)}.json`), { force: true });
      b.objects.delete(key);
      b.sorted = null;
      await rm(path.join(this.#objectsDir(bucket), old.data), { force: true });
    });
  }

  /**
   * Appends to an object the emulator itself writes (a batch job's output), cutting it back to
   * `keepBytes` first so a retried append after a crash never doubles a tail. Its ETag is a digest
   * of its appends, `<hex>-<n>`, shaped like the multipart ETags service-written objects have.
   */
  async append(bucket: string, key: string, data: Buffer, keepBytes: number, now: number): Promise<ObjectRecord> {
    return this.#locks.run(`s3:${bucket}/${key}`, async () => {
      const b = this.#bucket(bucket);
      let rec = b.objects.get(key);
      if (!rec) {
        const { name, file } = this.newDataFile(bucket, key);
        await writeFileAtomic(file, '');
        rec = { key, size: 0, etag: '', lastModifiedMs: now, contentType: 'application/octet-stream', data: name };
        b.sorted = null;
      }
      const file = this.dataPath(bucket, rec);
      if (rec.size !== keepBytes) await truncate(file, Math.min(keepBytes, rec.size));
      await appendFile(file, data);
      const n = Number(/-(\d+)$/.exec(rec.etag)?.[1] ?? 0) + 1;
      const digest = createHash('md5').update(rec.etag).update(data).digest('hex');
      const next: ObjectRecord = { ...rec, size: Math.min(keepBytes, rec.size) + data.length, etag: `${digest}-${n}` };
      next.lastModifiedMs = now;
      await writeFileAtomic(path.join(this.#objectsDir(bucket), `${keyId(key)}.json`), JSON.stringify(next));
      b.objects.set(key, next);
      return next;
    });
  }

  /** A hard link to the object's current data (a snapshot later overwrites and deletes do not touch). */
  async snapshot(bucket: string, key: string, dest: string): Promise<ObjectRecord | undefined> {
    return this.#locks.run(`s3:${bucket}/${key}`, async () => {
      const rec = this.#buckets.get(bucket)?.objects.get(key);
      if (!rec) return undefined;
      await mkdir(path.dirname(dest), { recursive: true });
      await rm(dest, { force: true });
      await link(this.dataPath(bucket, rec), dest);
      return rec;
    });
  }

  /** Objects and bytes per bucket (for stats). */
  usage(): { buckets: number; objects: number; bytes: number } {
    let objects = 0;
    let bytes = 0;
    for (const b of this.#buckets.values())
      for (const o of b.objects.values()) {
        objects++;
        bytes += o.size;
      }
    return { buckets: this.#buckets.size, objects, bytes };
  }
}
