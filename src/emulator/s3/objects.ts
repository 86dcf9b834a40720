/**
 * Object operations: PutObject (streamed to disk; `If-None-Match: *` for a create-only write),
 * GetObject (with a single `Range`), HeadObject, DeleteObject and DeleteObjects. A bucket must
 * exist before anything is put into it (`NoSuchBucket`); the whole-object checksum sent with a PUT
 * is answered back when the reader asks for it (`x-amz-checksum-mode: ENABLED`).
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { receiveBody } from './body.ts';
import { checksumHeader } from './checksums.ts';
import type { S3Call, S3Context } from './context.ts';
import { malformedXml, noSuchBucket, noSuchKey, S3Error } from './errors.ts';
import { objectHeaders, quoted, readSmallBody, sendEmpty, sendXml, userMetadata } from './reply.ts';
import type { ObjectRecord } from './store.ts';
import { blocks, field, xmlDocument, type XmlNode } from './xml.ts';

function requireBucket(ctx: S3Context, bucket: string): void {
  if (!ctx.store.bucket(bucket)) throw noSuchBucket(bucket);
}

export async function putObject(
  ctx: S3Context,
  req: IncomingMessage,
  res: ServerResponse,
  call: S3Call,
): Promise<void> {
  requireBucket(ctx, call.bucket);
  const createOnly = req.headers['if-none-match'] === '*';
  const conflict = () =>
    new S3Error(412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', [
      ['Condition', 'If-None-Match'],
    ]);
  if (createOnly && ctx.store.get(call.bucket, call.key)) throw conflict();
  const { name, file } = ctx.store.newDataFile(call.bucket, call.key);
  const body = await receiveBody(req, file, ctx.counter);
  const rec: ObjectRecord = {
    key: call.key,
    size: body.bytes,
    etag: body.md5,
    lastModifiedMs: ctx.clock.now(),
    contentType: req.headers['content-type'] ?? 'binary/octet-stream',
    data: name,
    ...(body.checksum ? { checksum: body.checksum } : {}),
  };
  const metadata = userMetadata(req);
  if (metadata) rec.metadata = metadata;
  if (createOnly && ctx.store.get(call.bucket, call.key)) throw conflict();
  await ctx.store.commit(call.bucket, rec);
  const headers: Record<string, string> = { etag: quoted(rec.etag) };
  if (body.checksum) {
    headers[checksumHeader(body.checksum.algorithm)] = body.checksum.value;
    headers['x-amz-checksum-type'] = 'FULL_OBJECT';
  }
  sendEmpty(res, 200, headers);
}

/** `bytes=a-b`, `bytes=a-`, `bytes=-n` → inclusive [start, end], or null for the whole object. */
function parseRange(header: string | undefined, size: number): [number, number] | null {
  const m = header ? /^bytes=(\d*)-(\d*)$/.exec(header.trim()) : null;
  if (!m || (m[1] === '' && m[2] === '')) return null; // S3 ignores a range it cannot parse
  const unsatisfiable = () =>
    new S3Error(416, 'InvalidRange', 'The requested range is not satisfiable', [
      ['RangeRequested', header ?? ''],
      ['ActualObjectSize', size],
    ]);
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) throw unsatisfiable();
    return [Math.max(0, size - suffix), size - 1];
  }
  const start = Number(m[1]);
  if (start >= size) throw unsatisfiable();
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (end < start) return null;
  return [start, end];
}

function found(ctx: S3Context, call: S3Call): ObjectRecord {
  requireBucket(ctx, call.bucket);
  const rec = ctx.store.get(call.bucket, call.key);
  if (!rec) throw noSuchKey(call.key);
  return rec;
}

export async function getObject(
  ctx: S3Context,
  req: IncomingMessage,
  res: ServerResponse,
  call: S3Call,
  head: boolean,
): Promise<void> {
  await ctx.beforeRead();
  const rec = found(ctx, call);
  const range = parseRange(req.headers.range, rec.size);
  const headers = objectHeaders(rec);
  if (!range && rec.checksum && String(req.headers['x-amz-checksum-mode']).toUpperCase() === 'ENABLED') {
    headers[checksumHeader(rec.checksum.algorithm)] = rec.checksum.value;
    headers['x-amz-checksum-type'] = 'FULL_OBJECT';
  }
  const [start, end] = range ?? [0, rec.size - 1];
  headers['content-length'] = String(Math.max(0, end - start + 1));
  if (range) headers['content-range'] = `bytes ${start}-${end}/${rec.size}`;
  if (head || rec.size === 0) {
    res.writeHead(range ? 206 : 200, headers);
    res.end();
    return;
  }
  // Opened before answering: an overwrite or delete racing this read cannot pull the file away.
  const handle = await open(ctx.store.dataPath(call.bucket, rec), 'r').catch(() => {
    throw noSuchKey(call.key);
  });
  res.writeHead(range ? 206 : 200, headers);
  const stream = createReadStream('', { fd: handle, start, end, highWaterMark: 1 << 20 });
  stream.on('data', (c: Buffer | string) => ctx.counter.addOut(c.length));
  await pipeline(stream, res);
}

export async function deleteObject(ctx: S3Context, res: ServerResponse, call: S3Call): Promise<void> {
  requireBucket(ctx, call.bucket);
  await ctx.store.delete(call.bucket, call.key);
  sendEmpty(res, 204);
}

/** Most keys one DeleteObjects call may name. */
const MAX_DELETE_KEYS = 1000;

export async function deleteObjects(
  ctx: S3Context,
  req: IncomingMessage,
  res: ServerResponse,
  call: S3Call,
): Promise<void> {
  requireBucket(ctx, call.bucket);
  const body = await readSmallBody(ctx, req);
  const objects = blocks(body, 'Object');
  if (!body.includes('<Delete') || objects.length === 0 || objects.length > MAX_DELETE_KEYS) throw malformedXml();
  const quiet = field(body, 'Quiet') === 'true';
  const deleted: XmlNode[] = [];
  for (const object of objects) {
    const key = field(object, 'Key');
    if (key === undefined) throw malformedXml();
    await ctx.store.delete(call.bucket, key);
    if (!quiet) deleted.push(['Deleted', [['Key', key]]]);
  }
  sendXml(res, xmlDocument('DeleteResult', deleted), ctx.counter);
}
