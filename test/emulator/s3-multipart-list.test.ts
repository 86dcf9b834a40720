/**
 * Multipart uploads as @aws-sdk/lib-storage drives them (bodies over 5 MB, from a buffer and from a
 * stream of unknown length), the multipart errors S3 answers, and ListObjectsV2 paging with prefix,
 * delimiter, max-keys and continuation tokens.
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  S3ServiceException,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createBucket, listKeys, putText, startAwsRig, type AwsRig } from './aws-helpers.ts';

let rig: AwsRig;
afterEach(async () => rig?.close());

const MB = 1024 * 1024;

async function errorOf(p: Promise<unknown>): Promise<string> {
  const e: unknown = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(S3ServiceException);
  return (e as Error).name;
}

/** A body of `size` bytes that differs along its length (so a misplaced part would show). */
function body(size: number): Buffer {
  const b = Buffer.alloc(size);
  for (let i = 0; i < size; i += 4) b.writeUInt32LE(i >>> 0, i);
  return b;
}

const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');

describe('multipart upload', () => {
  it('lib-storage Upload of a 12 MB buffer and a 12 MB stream: three parts, the multipart ETag, the bytes intact', async () => {
    rig = await startAwsRig();
    await createBucket(rig, 'big');
    const data = body(12 * MB);
    const done = await new Upload({
      client: rig.s3,
      params: { Bucket: 'big', Key: 'requests.jsonl', Body: data },
    }).done();
    const partMd5s = [data.subarray(0, 5 * MB), data.subarray(5 * MB, 10 * MB), data.subarray(10 * MB)].map((p) =>
      Buffer.from(md5(p), 'hex'),
    );
    expect(done.ETag).toBe(`"${md5(Buffer.concat(partMd5s))}-3"`);
    const streamed = await new Upload({
      client: rig.s3,
      params: {
        Bucket: 'big',
        Key: 'streamed.jsonl',
        Body: Readable.from([data.subarray(0, 7 * MB), data.subarray(7 * MB)]),
      },
    }).done();
    expect(streamed.ETag).toBe(done.ETag);
    for (const key of ['requests.jsonl', 'streamed.jsonl']) {
      const got = await rig.s3.send(new GetObjectCommand({ Bucket: 'big', Key: key }));
      expect(md5(Buffer.from(await got.Body!.transformToByteArray()))).toBe(md5(data));
    }
    expect((await rig.emulator.stats()).aws?.s3.uploadsInProgress).toBe(0);
    expect((await rig.emulator.stats()).routeCalls['S3 UploadPart']).toBe(6);
  });

  it('answers InvalidPart, InvalidPartOrder, EntityTooSmall and NoSuchUpload as S3 does; ListParts and abort', async () => {
    rig = await startAwsRig();
    await createBucket(rig, 'mpu');
    const { UploadId } = await rig.s3.send(new CreateMultipartUploadCommand({ Bucket: 'mpu', Key: 'k' }));
    const p1 = await rig.s3.send(
      new UploadPartCommand({ Bucket: 'mpu', Key: 'k', UploadId, PartNumber: 1, Body: 'small' }),
    );
    const p2 = await rig.s3.send(
      new UploadPartCommand({ Bucket: 'mpu', Key: 'k', UploadId, PartNumber: 2, Body: 'tail' }),
    );
    const parts = await rig.s3.send(new ListPartsCommand({ Bucket: 'mpu', Key: 'k', UploadId }));
    expect(parts.Parts?.map((p) => [p.PartNumber, p.Size, p.ETag])).toEqual([
      [1, 5, p1.ETag],
      [2, 4, p2.ETag],
    ]);
    const complete = (list: { PartNumber: number; ETag: string | undefined }[]) =>
      rig.s3.send(
        new CompleteMultipartUploadCommand({ Bucket: 'mpu', Key: 'k', UploadId, MultipartUpload: { Parts: list } }),
      );
    expect(await errorOf(complete([{ PartNumber: 1, ETag: '"0000"' }]))).toBe('InvalidPart');
    expect(
      await errorOf(
        complete([
          { PartNumber: 2, ETag: p2.ETag },
          { PartNumber: 1, ETag: p1.ETag },
        ]),
      ),
    ).toBe('InvalidPartOrder');
    expect(
      await errorOf(
        complete([
          { PartNumber: 1, ETag: p1.ETag },
          { PartNumber: 2, ETag: p2.ETag },
        ]),
      ),
    ).toBe('EntityTooSmall');
    // One small part is a valid (last) part.
    await complete([{ PartNumber: 2, ETag: p2.ETag }]);
    const got = await rig.s3.send(new GetObjectCommand({ Bucket: 'mpu', Key: 'k' }));
    expect(await got.Body?.transformToString()).toBe('tail');
    expect(await errorOf(rig.s3.send(new ListPartsCommand({ Bucket: 'mpu', Key: 'k', UploadId })))).toBe(
      'NoSuchUpload',
    );

    const second = await rig.s3.send(new CreateMultipartUploadCommand({ Bucket: 'mpu', Key: 'gone' }));
    await rig.s3.send(new AbortMultipartUploadCommand({ Bucket: 'mpu', Key: 'gone', UploadId: second.UploadId }));
    expect(
      await errorOf(
        rig.s3.send(
          new UploadPartCommand({ Bucket: 'mpu', Key: 'gone', UploadId: second.UploadId, PartNumber: 1, Body: 'x' }),
        ),
      ),
    ).toBe('NoSuchUpload');
  });

  it('a retried CompleteMultipartUpload (its answer lost) gets the same answer', async () => {
    rig = await startAwsRig();
    await createBucket(rig, 'retry');
    const { UploadId } = await rig.s3.send(new CreateMultipartUploadCommand({ Bucket: 'retry', Key: 'k' }));
    const part = await rig.s3.send(
      new UploadPartCommand({ Bucket: 'retry', Key: 'k', UploadId, PartNumber: 1, Body: 'x' }),
    );
    const args = {
      Bucket: 'retry',
      Key: 'k',
      UploadId,
      MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] },
    };
    const first = await rig.s3.send(new CompleteMultipartUploadCommand(args));
    const again = await rig.s3.send(new CompleteMultipartUploadCommand(args));
    expect(again.ETag).toBe(first.ETag);
  });
});

describe('ListObjectsV2', () => {
  it('pages with max-keys and continuation tokens, filtered by prefix', async () => {
    rig = await startAwsRig();
    await createBucket(rig, 'list');
    const keys = Array.from({ length: 25 }, (_, i) => `in/file-${String(i).padStart(2, '0')}.jsonl`);
    for (const k of [...keys].reverse()) await putText(rig, 'list', k, k);
    await putText(rig, 'list', 'other/x', 'x');
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await rig.s3.send(
        new ListObjectsV2Command({ Bucket: 'list', Prefix: 'in/', MaxKeys: 10, ContinuationToken: token }),
      );
      pages++;
      expect(page.KeyCount).toBe(page.Contents?.length);
      seen.push(...(page.Contents ?? []).map((c) => c.Key ?? ''));
      expect(page.IsTruncated).toBe(page.NextContinuationToken !== undefined);
      token = page.NextContinuationToken;
    } while (token);
    expect(pages).toBe(3);
    expect(seen).toEqual(keys);
    expect(await listKeys(rig.s3, 'list', '')).toEqual([...keys, 'other/x']);
    const after = await rig.s3.send(new ListObjectsV2Command({ Bucket: 'list', Prefix: 'in/', StartAfter: keys[22] }));
    expect(after.Contents?.map((c) => c.Key)).toEqual(keys.slice(23));
  });

  it('rolls keys up into CommonPrefixes at the delimiter, each counting toward max-keys', async () => {
    rig = await startAwsRig();
    await createBucket(rig, 'tree');
    for (const k of ['a/1', 'a/2', 'b/1', 'c', 'd/x/1', 'e']) await putText(rig, 'tree', k, k);
    const first = await rig.s3.send(new ListObjectsV2Command({ Bucket: 'tree', Delimiter: '/', MaxKeys: 3 }));
    expect(first.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['a/', 'b/']);
    expect(first.Contents?.map((c) => c.Key)).toEqual(['c']);
    expect(first.IsTruncated).toBe(true);
    const second = await rig.s3.send(
      new ListObjectsV2Command({
        Bucket: 'tree',
        Delimiter: '/',
        MaxKeys: 3,
        ContinuationToken: first.NextContinuationToken,
      }),
    );
    expect(second.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['d/']);
    expect(second.Contents?.map((c) => c.Key)).toEqual(['e']);
    expect(second.IsTruncated).toBe(false);
    const nested = await rig.s3.send(new ListObjectsV2Command({ Bucket: 'tree', Prefix: 'd/', Delimiter: '/' }));
    expect(nested.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['d/x/']);
    expect(await errorOf(rig.s3.send(new ListObjectsV2Command({ Bucket: 'no-such-bucket' })))).toBe('NoSuchBucket');
  });
});
