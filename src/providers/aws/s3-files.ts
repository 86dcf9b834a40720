/**
 * Bedrock's files in S3: parts go up as objects under `{s3Uri}/input/` (multipart through
 * lib-storage above 16 MB), found again by name after a lost answer, deleted when no job will use
 * them; a job's results are every `.out` object under its output folder but the manifest, read
 * one after another as one stream that may start part-way (a resumed download).
 */
import { Readable } from 'node:stream';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { isRecord } from '../../util/is-record.ts';

export interface S3Object {
  bucket: string;
  key: string;
}

/** `s3://bucket/key` → its parts. */
export function objectOf(uri: string): S3Object {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  return { bucket: m?.[1] ?? '', key: m?.[2] ?? '' };
}

export const uriOf = (o: S3Object) => `s3://${o.bucket}/${o.key}`;

/** The request lines as Bedrock reads them: the `modelId` our files carry is ours, not a record field. */
export function bedrockRecords(data: Buffer): Buffer {
  const lines: string[] = [];
  for (const text of data.toString('utf8').split('\n')) {
    if (!text.trim()) continue;
    const { modelId: _modelId, ...record } = JSON.parse(text) as Record<string, unknown>;
    lines.push(`${JSON.stringify(record)}\n`);
  }
  return Buffer.from(lines.join(''), 'utf8');
}

/** Whether the bucket is there (a missing one is the user's set-up to fix, said before anything is uploaded). */
export async function bucketExists(s3: S3Client, bucket: string, create: boolean): Promise<boolean> {
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
    return true;
  } catch (error) {
    if (!notFound(error)) throw error;
  }
  if (!create) return false;
  // The offline emulator starts empty: its bucket is made as a user would make theirs.
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  return true;
}

export async function putPart(s3: S3Client, at: S3Object, data: Buffer): Promise<void> {
  const upload = new Upload({
    client: s3,
    params: {
      Bucket: at.bucket,
      Key: at.key,
      Body: bedrockRecords(data),
      ContentType: 'application/jsonl',
      // The part's own size (with its modelIds), to tell a complete earlier upload from a partial one.
      Metadata: { 'llmake-part-bytes': String(data.length) },
    },
    partSize: 16 * 1024 * 1024,
    queueSize: 2,
  });
  await upload.done();
}

/** The part's size as recorded at upload, when the object is there. */
export async function partBytes(s3: S3Client, at: S3Object): Promise<number | undefined> {
  try {
    const head = await s3.send(new HeadObjectCommand({ Bucket: at.bucket, Key: at.key }));
    return Number(head.Metadata?.['llmake-part-bytes'] ?? head.ContentLength ?? 0);
  } catch (error) {
    if (notFound(error)) return undefined;
    throw error;
  }
}

export async function deleteObject(s3: S3Client, at: S3Object): Promise<void> {
  await s3.send(new DeleteObjectCommand({ Bucket: at.bucket, Key: at.key }));
}

/** The result objects under a job's output folder, in key order, with their sizes. */
async function resultObjects(s3: S3Client, folder: S3Object): Promise<{ key: string; size: number }[]> {
  const out: { key: string; size: number }[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({
        Bucket: folder.bucket,
        Prefix: folder.key,
        ...(token ? { ContinuationToken: token } : {}),
      }),
    );
    for (const o of page.Contents ?? [])
      if (o.Key?.endsWith('.out') && !o.Key.endsWith('manifest.json.out')) out.push({ key: o.Key, size: o.Size ?? 0 });
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return out.sort((a, b) => a.key.localeCompare(b.key));
}

/** Every result object of the folder as one stream, from byte `from` of their concatenation. */
export async function resultStream(s3: S3Client, folder: S3Object, from: number): Promise<Readable> {
  const objects = await resultObjects(s3, folder);
  return Readable.from(
    (async function* () {
      let skip = from;
      for (const o of objects) {
        if (skip >= o.size) {
          skip -= o.size;
          continue;
        }
        const got = await s3.send(
          new GetObjectCommand({ Bucket: folder.bucket, Key: o.key, ...(skip > 0 ? { Range: `bytes=${skip}-` } : {}) }),
        );
        skip = 0;
        for await (const chunk of got.Body as AsyncIterable<Uint8Array>) yield Buffer.from(chunk);
      }
    })(),
  );
}

export function notFound(error: unknown): boolean {
  if (!isRecord(error)) return false;
  const status = isRecord(error.$metadata) ? error.$metadata.httpStatusCode : undefined;
  return status === 404 || error.name === 'NotFound' || error.name === 'NoSuchKey' || error.name === 'NoSuchBucket';
}
