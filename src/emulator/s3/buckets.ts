/**
 * Bucket operations: ListBuckets, CreateBucket, HeadBucket, DeleteBucket, GetBucketLocation.
 * Creating a bucket you already own is a no-op 200 in us-east-1 and `BucketAlreadyOwnedByYou`
 * elsewhere, as S3 answers; the region is the signature's unless the body names a
 * LocationConstraint.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { S3Call, S3Context } from './context.ts';
import { noSuchBucket, S3Error } from './errors.ts';
import { isoTime, readSmallBody, sendEmpty, sendXml } from './reply.ts';
import { isValidBucketName } from './store.ts';
import { field, xmlDocument, type XmlNode } from './xml.ts';

/** The canonical user id S3 would show for this access key (stable, not secret). */
export const ownerId = (accessKeyId: string): string => createHash('sha256').update(accessKeyId).digest('hex');

export function listBuckets(ctx: S3Context, res: ServerResponse, call: S3Call): void {
  const prefix = call.query.get('prefix') ?? '';
  const after = call.query.get('continuation-token') ?? '';
  const max = Math.min(10_000, Math.max(1, Number(call.query.get('max-buckets') ?? 10_000) || 10_000));
  const matching = ctx.store.buckets().filter((b) => b.name.startsWith(prefix) && b.name > after);
  const page = matching.slice(0, max);
  const buckets: XmlNode[] = page.map((b) => [
    'Bucket',
    [
      ['Name', b.name],
      ['CreationDate', isoTime(b.createdMs)],
      ['BucketRegion', b.region],
    ],
  ]);
  const truncated = matching.length > page.length;
  sendXml(
    res,
    xmlDocument('ListAllMyBucketsResult', [
      ['Owner', [['ID', ownerId(call.accessKeyId)]]],
      ['Buckets', buckets],
      ['Prefix', call.query.has('prefix') ? prefix : undefined],
      ['ContinuationToken', truncated ? page[page.length - 1]?.name : undefined],
    ]),
    ctx.counter,
  );
}

export async function createBucket(
  ctx: S3Context,
  req: IncomingMessage,
  res: ServerResponse,
  call: S3Call,
): Promise<void> {
  const body = await readSmallBody(ctx, req);
  if (!isValidBucketName(call.bucket))
    throw new S3Error(400, 'InvalidBucketName', 'The specified bucket is not valid.', [['BucketName', call.bucket]]);
  const region = (body && field(body, 'LocationConstraint')) || call.region;
  const created = await ctx.store.createBucket(call.bucket, region, ctx.clock.now());
  if (!created && region !== 'us-east-1')
    throw new S3Error(
      409,
      'BucketAlreadyOwnedByYou',
      'Your previous request to create the named bucket succeeded and you already own it.',
      [['BucketName', call.bucket]],
    );
  sendEmpty(res, 200, { location: `/${call.bucket}` });
}

export function headBucket(ctx: S3Context, res: ServerResponse, call: S3Call): void {
  const bucket = ctx.store.bucket(call.bucket);
  if (!bucket) throw noSuchBucket(call.bucket);
  sendEmpty(res, 200, { 'x-amz-bucket-region': bucket.region, 'x-amz-access-point-alias': 'false' });
}

export async function deleteBucket(ctx: S3Context, res: ServerResponse, call: S3Call): Promise<void> {
  await ctx.store.deleteBucket(call.bucket);
  sendEmpty(res, 204);
}

export function getBucketLocation(ctx: S3Context, res: ServerResponse, call: S3Call): void {
  const bucket = ctx.store.bucket(call.bucket);
  if (!bucket) throw noSuchBucket(call.bucket);
  // us-east-1 is shown as an empty constraint, for historical reasons.
  const region = bucket.region === 'us-east-1' ? '' : bucket.region;
  sendXml(
    res,
    `<?xml version="1.0" encoding="UTF-8"?>\n<LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${region}</LocationConstraint>`,
    ctx.counter,
  );
}
