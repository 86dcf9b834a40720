/**
 * The S3 subset through the official @aws-sdk/client-s3 over HTTP: buckets, objects, ranges,
 * deletes, checksums with the SDK's default (aws-chunked streams with trailing CRC32) and with
 * WHEN_REQUIRED, a bad checksum refused, and state surviving a restart.
 */
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  PutObjectCommand,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { startEmulator } from '../../src/emulator/index.ts';
import { createBucket, getText, putText, s3Client, startAwsRig, type AwsRig } from './aws-helpers.ts';

let rig: AwsRig;
afterEach(async () => rig?.close());

/** The SDK's exception name and HTTP status for a failing call. */
async function failure(p: Promise<unknown>): Promise<{ name: string; status: number | undefined; message: string }> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(S3ServiceException);
  const err = e as S3ServiceException;
  return { name: err.name, status: err.$metadata.httpStatusCode, message: err.message };
}

describe('S3 buckets', () => {
  it('creates, heads, lists and deletes buckets; a missing bucket is 404 NoSuchBucket/NotFound', async () => {
    rig = await startAwsRig();
    expect(await failure(rig.s3.send(new HeadBucketCommand({ Bucket: 'data-bucket' })))).toMatchObject({
      name: 'NotFound',
      status: 404,
    });
    expect(
      await failure(rig.s3.send(new PutObjectCommand({ Bucket: 'data-bucket', Key: 'a.txt', Body: 'x' }))),
    ).toMatchObject({ name: 'NoSuchBucket', status: 404 });
    await createBucket(rig, 'data-bucket');
    // us-east-1 answers a repeat create of your own bucket with 200, as S3 does there.
    await createBucket(rig, 'data-bucket');
    const head = await rig.s3.send(new HeadBucketCommand({ Bucket: 'data-bucket' }));
    expect(head.BucketRegion).toBe('us-east-1');
    const listed = await rig.s3.send(new ListBucketsCommand({}));
    expect(listed.Buckets?.map((b) => b.Name)).toEqual(['data-bucket']);
    expect(await failure(rig.s3.send(new CreateBucketCommand({ Bucket: 'Bad_Name' })))).toMatchObject({
      name: 'InvalidBucketName',
      status: 400,
    });
    await putText(rig, 'data-bucket', 'k', 'v');
    expect(await failure(rig.s3.send(new DeleteBucketCommand({ Bucket: 'data-bucket' })))).toMatchObject({
      name: 'BucketNotEmpty',
      status: 409,
    });
    await rig.s3.send(new DeleteObjectCommand({ Bucket: 'data-bucket', Key: 'k' }));
    await rig.s3.send(new DeleteBucketCommand({ Bucket: 'data-bucket' }));
    expect((await rig.s3.send(new ListBucketsCommand({}))).Buckets ?? []).toEqual([]);
  });

  it('answers BucketAlreadyOwnedByYou outside us-east-1', async () => {
    rig = await startAwsRig();
    const eu = s3Client(rig.emulator.awsUrl, { region: 'eu-west-1' });
    await eu.send(
      new CreateBucketCommand({ Bucket: 'eu-bucket', CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } }),
    );
    expect((await eu.send(new HeadBucketCommand({ Bucket: 'eu-bucket' }))).BucketRegion).toBe('eu-west-1');
    expect(await failure(eu.send(new CreateBucketCommand({ Bucket: 'eu-bucket' })))).toMatchObject({
      name: 'BucketAlreadyOwnedByYou',
      status: 409,
    });
    eu.destroy();
  });
});

describe('S3 objects', () => {
  it('puts, gets (whole and ranges), heads and deletes objects with ETags and request ids', async () => {
    rig = await startAwsRig();
    await createBucket(rig, 'objects');
    const put = await rig.s3.send(
      new PutObjectCommand({
        Bucket: 'objects',
        Key: 'dir/a b+c.txt',
        Body: '0123456789',
        Metadata: { origin: 'test' },
      }),
    );
    // MD5 of "0123456789".
    expect(put.ETag).toBe('"781e5e245d69b566979b86e28d23f2c7"');
    expect(put.$metadata.requestId).toMatch(/^[0-9A-F]{16}$/);
    expect(await getText(rig.s3, 'objects', 'dir/a b+c.txt')).toBe('0123456789');
    const range = await rig.s3.send(
      new GetObjectCommand({ Bucket: 'objects', Key: 'dir/a b+c.txt', Range: 'bytes=2-4' }),
    );
    expect(range.ContentRange).toBe('bytes 2-4/10');
    expect(await range.Body?.transformToString()).toBe('234');
    const suffix = await rig.s3.send(
      new GetObjectCommand({ Bucket: 'objects', Key: 'dir/a b+c.txt', Range: 'bytes=-3' }),
    );
    expect(await suffix.Body?.transformToString()).toBe('789');
    expect(
      await failure(rig.s3.send(new GetObjectCommand({ Bucket: 'objects', Key: 'dir/a b+c.txt', Range: 'bytes=10-' }))),
    ).toMatchObject({ name: 'InvalidRange', status: 416 });
    const head = await rig.s3.send(new HeadObjectCommand({ Bucket: 'objects', Key: 'dir/a b+c.txt' }));
    expect(head).toMatchObject({ ContentLength: 10, ETag: put.ETag, Metadata: { origin: 'test' } });
    expect(await failure(rig.s3.send(new GetObjectCommand({ Bucket: 'objects', Key: 'nope' })))).toMatchObject({
      name: 'NoSuchKey',
      status: 404,
    });
    expect(await failure(rig.s3.send(new HeadObjectCommand({ Bucket: 'objects', Key: 'nope' })))).toMatchObject({
      name: 'NotFound',
      status: 404,
    });
    // Overwrite, then delete (a missing key deletes fine too, as on S3).
    await putText(rig, 'objects', 'dir/a b+c.txt', 'new');
    expect(await getText(rig.s3, 'objects', 'dir/a b+c.txt')).toBe('new');
    await rig.s3.send(new DeleteObjectCommand({ Bucket: 'objects', Key: 'dir/a b+c.txt' }));
    await rig.s3.send(new DeleteObjectCommand({ Bucket: 'objects', Key: 'dir/a b+c.txt' }));
    expect(
      await failure(rig.s3.send(new HeadObjectCommand({ Bucket: 'objects', Key: 'dir/a b+c.txt' }))),
    ).toMatchObject({
      status: 404,
    });
  });

  it('keeps keys exactly as sent: slashes, dots and a trailing slash', async () => {
    rig = await startAwsRig();
    await createBucket(rig, 'keys');
    for (const key of ['a//b', 'x/../y', 'folder/', 'ünïcode ✓.jsonl']) await putText(rig, 'keys', key, key);
    for (const key of ['a//b', 'x/../y', 'folder/', 'ünïcode ✓.jsonl'])
      expect(await getText(rig.s3, 'keys', key)).toBe(key);
  });

  it('refuses a key over 1024 bytes (KeyTooLongError)', async () => {
    rig = await startAwsRig();
    await createBucket(rig, 'long-keys');
    expect(
      await failure(rig.s3.send(new PutObjectCommand({ Bucket: 'long-keys', Key: 'k'.repeat(1025), Body: 'x' }))),
    ).toMatchObject({ name: 'KeyTooLongError', status: 400 });
    await putText(rig, 'long-keys', 'k'.repeat(1024), 'fits');
  });

  it('DeleteObjects removes many keys in one call', async () => {
    rig = await startAwsRig();
    await createBucket(rig, 'many');
    for (const k of ['a', 'b', 'c']) await putText(rig, 'many', k, k);
    const out = await rig.s3.send(
      new DeleteObjectsCommand({
        Bucket: 'many',
        Delete: { Objects: [{ Key: 'a' }, { Key: 'b' }, { Key: 'missing' }] },
      }),
    );
    expect(out.Deleted?.map((d) => d.Key)).toEqual(['a', 'b', 'missing']);
    expect(await getText(rig.s3, 'many', 'c')).toBe('c');
    expect(await failure(rig.s3.send(new HeadObjectCommand({ Bucket: 'many', Key: 'a' })))).toMatchObject({
      status: 404,
    });
  });

  it('If-None-Match: * creates only when the key is free (412 PreconditionFailed otherwise)', async () => {
    rig = await startAwsRig();
    await createBucket(rig, 'cond');
    await rig.s3.send(new PutObjectCommand({ Bucket: 'cond', Key: 'once', Body: 'first', IfNoneMatch: '*' }));
    expect(
      await failure(
        rig.s3.send(new PutObjectCommand({ Bucket: 'cond', Key: 'once', Body: 'second', IfNoneMatch: '*' })),
      ),
    ).toMatchObject({ name: 'PreconditionFailed', status: 412 });
    expect(await getText(rig.s3, 'cond', 'once')).toBe('first');
  });
});

describe('S3 checksums', () => {
  it('decodes aws-chunked streamed bodies with a trailing CRC32 (the SDK default) and returns the checksum', async () => {
    rig = await startAwsRig();
    await createBucket(rig, 'sums');
    const text = 'streamed line\n'.repeat(10_000);
    const put = await rig.s3.send(
      new PutObjectCommand({
        Bucket: 'sums',
        Key: 'stream.jsonl',
        Body: Readable.from([Buffer.from(text)]),
        ContentLength: text.length,
      }),
    );
    expect(put.ChecksumCRC32).toMatch(/==$/);
    const got = await rig.s3.send(
      new GetObjectCommand({ Bucket: 'sums', Key: 'stream.jsonl', ChecksumMode: 'ENABLED' }),
    );
    expect(got.ChecksumCRC32).toBe(put.ChecksumCRC32);
    expect(await got.Body?.transformToString()).toBe(text);
  });

  it('takes the plain bodies a WHEN_REQUIRED client sends (no flexible checksum)', async () => {
    rig = await startAwsRig();
    await createBucket(rig, 'plain');
    const plain = s3Client(rig.emulator.awsUrl, {
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    const put = await plain.send(
      new PutObjectCommand({
        Bucket: 'plain',
        Key: 'p.txt',
        Body: Readable.from([Buffer.from('abc')]),
        ContentLength: 3,
      }),
    );
    expect(put.ChecksumCRC32).toBeUndefined();
    expect(await getText(plain, 'plain', 'p.txt')).toBe('abc');
    // DeleteObjects requires a checksum even then: the SDK sends one, and it is checked.
    await plain.send(new DeleteObjectsCommand({ Bucket: 'plain', Delete: { Objects: [{ Key: 'p.txt' }] } }));
    plain.destroy();
  });

  it('refuses a body whose CRC32 does not match with BadDigest, and stores nothing', async () => {
    rig = await startAwsRig();
    await createBucket(rig, 'bad');
    const res = await fetch(`${rig.emulator.awsUrl}/bad/x.txt`, {
      method: 'PUT',
      body: 'hello',
      headers: {
        authorization:
          'AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0',
        'x-amz-content-sha256': 'UNSIGNED-PAYLOAD',
        'x-amz-checksum-crc32': 'AAAAAA==',
      },
    });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('<Code>BadDigest</Code>');
    expect(await failure(rig.s3.send(new HeadObjectCommand({ Bucket: 'bad', Key: 'x.txt' })))).toMatchObject({
      status: 404,
    });
  });
});

describe('S3 state', () => {
  it('keeps buckets and objects across a restart on the same state dir', async () => {
    rig = await startAwsRig();
    await createBucket(rig, 'kept');
    await putText(rig, 'kept', 'k.txt', 'still here');
    await rig.emulator.close();
    const again = await startEmulator({ stateDir: rig.stateDir, clock: rig.clock });
    const s3 = s3Client(again.awsUrl);
    expect(await getText(s3, 'kept', 'k.txt')).toBe('still here');
    s3.destroy();
    await again.close();
  });
});
