/**
 * Multipart upload, as `@aws-sdk/lib-storage`'s `Upload` drives it for large bodies:
 * CreateMultipartUpload, UploadPart (parts 1–10,000, streamed to disk), CompleteMultipartUpload
 * (parts named in ascending order with their ETags, each but the last at least 5 MiB; the object's
 * ETag is the MD5 of the parts' MD5s plus `-<count>`), AbortMultipartUpload and ListParts.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rename } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { receiveBody } from './body.ts';
import { checksumHeader, parseAlgorithm } from './checksums.ts';
import type { S3Call, S3Context } from './context.ts';
import { malformedXml, noSuchBucket, S3Error } from './errors.ts';
import { isoTime, quoted, readSmallBody, sendEmpty, sendXml, userMetadata } from './reply.ts';
import type { ObjectRecord } from './store.ts';
import type { PartRecord } from './uploads.ts';
import { blocks, field, xmlDocument, type XmlNode } from './xml.ts';

export const MIN_PART_BYTES = 5 * 1024 * 1024;
const MAX_PART_NUMBER = 10_000;

export async function createMultipartUpload(
  ctx: S3Context,
  req: IncomingMessage,
  res: ServerResponse,
  call: S3Call,
): Promise<void> {
  if (!ctx.store.bucket(call.bucket)) throw noSuchBucket(call.bucket);
  const algorithm = parseAlgorithm(req.headers['x-amz-checksum-algorithm'] as string | undefined);
  const metadata = userMetadata(req);
  const upload = await ctx.uploads.create({
    bucket: call.bucket,
    key: call.key,
    initiatedMs: ctx.clock.now(),
    contentType: req.headers['content-type'] ?? 'binary/octet-stream',
    ...(metadata ? { metadata } : {}),
    ...(algorithm ? { checksumAlgorithm: algorithm } : {}),
  });
  const headers: Record<string, string> = algorithm ? { 'x-amz-checksum-algorithm': algorithm } : {};
  sendXml(
    res,
    xmlDocument('InitiateMultipartUploadResult', [
      ['Bucket', call.bucket],
      ['Key', call.key],
      ['UploadId', upload.uploadId],
    ]),
    ctx.counter,
    headers,
  );
}

function partNumberOf(call: S3Call): number {
  const n = Number(call.query.get('partNumber'));
  if (!Number.isInteger(n) || n < 1 || n > MAX_PART_NUMBER)
    throw new S3Error(400, 'InvalidArgument', 'Part number must be an integer between 1 and 10000, inclusive', [
      ['ArgumentName', 'partNumber'],
    ]);
  return n;
}

export async function uploadPart(
  ctx: S3Context,
  req: IncomingMessage,
  res: ServerResponse,
  call: S3Call,
): Promise<void> {
  const uploadId = call.query.get('uploadId') ?? '';
  const partNumber = partNumberOf(call);
  ctx.uploads.open(uploadId, call.bucket, call.key);
  const temp = ctx.uploads.partTemp(uploadId, partNumber);
  const body = await receiveBody(req, temp, ctx.counter);
  const part: PartRecord = {
    partNumber,
    size: body.bytes,
    etag: body.md5,
    lastModifiedMs: ctx.clock.now(),
    ...(body.checksum ? { checksum: body.checksum } : {}),
  };
  await ctx.locks.run(`s3:upload:${uploadId}`, async () => {
    ctx.uploads.open(uploadId, call.bucket, call.key);
    await rename(temp, ctx.uploads.partFile(uploadId, partNumber));
    await ctx.uploads.savePart(uploadId, part);
  });
  const headers: Record<string, string> = { etag: quoted(part.etag) };
  if (body.checksum) headers[checksumHeader(body.checksum.algorithm)] = body.checksum.value;
  sendEmpty(res, 200, headers);
}

const stripQuotes = (etag: string): string => etag.trim().replace(/^"|"$/g, '');

/** The parts the request names, checked against what was uploaded. */
function chosenParts(body: string, uploaded: PartRecord[]): PartRecord[] {
  const named = blocks(body, 'Part').map((p) => ({
    number: Number(field(p, 'PartNumber')),
    etag: stripQuotes(field(p, 'ETag') ?? ''),
  }));
  if (!body.includes('<CompleteMultipartUpload') || named.length === 0) throw malformedXml();
  const byNumber = new Map(uploaded.map((p) => [p.partNumber, p]));
  const chosen: PartRecord[] = [];
  for (const [i, { number, etag }] of named.entries()) {
    if (i > 0 && number <= (named[i - 1]?.number ?? 0))
      throw new S3Error(
        400,
        'InvalidPartOrder',
        'The list of parts was not in ascending order. Parts must be ordered by part number.',
      );
    const part = byNumber.get(number);
    if (!part || part.etag !== etag)
      throw new S3Error(
        400,
        'InvalidPart',
        "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
        [
          ['PartNumber', number],
          ['ETag', etag],
        ],
      );
    chosen.push(part);
  }
  for (const part of chosen.slice(0, -1))
    if (part.size < MIN_PART_BYTES)
      throw new S3Error(
        400,
        'EntityTooSmall',
        'Your proposed upload is smaller than the minimum allowed object size.',
        [
          ['ProposedSize', part.size],
          ['MinSizeAllowed', MIN_PART_BYTES],
          ['PartNumber', part.partNumber],
          ['ETag', part.etag],
        ],
      );
  return chosen;
}

export async function completeMultipartUpload(
  ctx: S3Context,
  req: IncomingMessage,
  res: ServerResponse,
  call: S3Call,
): Promise<void> {
  const uploadId = call.query.get('uploadId') ?? '';
  ctx.uploads.get(uploadId, call.bucket, call.key);
  const body = await readSmallBody(ctx, req);
  const etag = await ctx.locks.run(`s3:upload:${uploadId}`, async () => {
    const upload = ctx.uploads.get(uploadId, call.bucket, call.key);
    // A retry of a complete whose answer was lost: the same answer again.
    if (upload.completedEtag !== undefined) return upload.completedEtag;
    if (!ctx.store.bucket(call.bucket)) throw noSuchBucket(call.bucket);
    const parts = chosenParts(body, await ctx.uploads.parts(uploadId));
    const { name, file } = ctx.store.newDataFile(call.bucket, call.key);
    const md5s = createHash('md5');
    let size = 0;
    async function* concatenated(): AsyncGenerator<Buffer> {
      for (const part of parts) {
        yield* createReadStream(ctx.uploads.partFile(uploadId, part.partNumber)) as AsyncIterable<Buffer>;
        md5s.update(Buffer.from(part.etag, 'hex'));
        size += part.size;
      }
    }
    await pipeline(concatenated, createWriteStream(file));
    const rec: ObjectRecord = {
      key: call.key,
      size,
      etag: `${md5s.digest('hex')}-${parts.length}`,
      lastModifiedMs: ctx.clock.now(),
      contentType: upload.contentType,
      data: name,
      ...(upload.metadata ? { metadata: upload.metadata } : {}),
    };
    await ctx.store.commit(call.bucket, rec);
    await ctx.uploads.complete(upload, rec.etag);
    return rec.etag;
  });
  sendXml(
    res,
    xmlDocument('CompleteMultipartUploadResult', [
      ['Location', `http://${req.headers.host}/${call.bucket}/${encodeURI(call.key)}`],
      ['Bucket', call.bucket],
      ['Key', call.key],
      ['ETag', quoted(etag)],
    ]),
    ctx.counter,
  );
}

export async function abortMultipartUpload(ctx: S3Context, res: ServerResponse, call: S3Call): Promise<void> {
  const uploadId = call.query.get('uploadId') ?? '';
  await ctx.locks.run(`s3:upload:${uploadId}`, async () => {
    ctx.uploads.open(uploadId, call.bucket, call.key);
    await ctx.uploads.abort(uploadId);
  });
  sendEmpty(res, 204);
}

export async function listParts(ctx: S3Context, res: ServerResponse, call: S3Call): Promise<void> {
  const uploadId = call.query.get('uploadId') ?? '';
  const upload = ctx.uploads.open(uploadId, call.bucket, call.key);
  const marker = Number(call.query.get('part-number-marker') ?? 0) || 0;
  const max = Math.min(1000, Number(call.query.get('max-parts') ?? 1000) || 1000);
  const after = (await ctx.uploads.parts(uploadId)).filter((p) => p.partNumber > marker);
  const page = after.slice(0, max);
  const truncated = after.length > page.length;
  const parts: XmlNode[] = page.map((p) => [
    'Part',
    [
      ['PartNumber', p.partNumber],
      ['LastModified', isoTime(p.lastModifiedMs)],
      ['ETag', quoted(p.etag)],
      ['Size', p.size],
      [p.checksum ? `Checksum${p.checksum.algorithm}` : 'Checksum', p.checksum?.value],
    ],
  ]);
  sendXml(
    res,
    xmlDocument('ListPartsResult', [
      ['Bucket', call.bucket],
      ['Key', call.key],
      ['UploadId', uploadId],
      ['PartNumberMarker', marker],
      ['NextPartNumberMarker', page[page.length - 1]?.partNumber ?? marker],
      ['MaxParts', max],
      ['IsTruncated', truncated],
      ['StorageClass', 'STANDARD'],
      ['ChecksumAlgorithm', upload.checksumAlgorithm],
      ...parts,
    ]),
    ctx.counter,
  );
}
