/**
 * Routing by signature: any SigV4 key is accepted, but unsigned AWS requests are refused as AWS
 * refuses them (S3: 403 AccessDenied XML; Bedrock: 403 MissingAuthenticationTokenException), and
 * the other flavours on the same port are untouched. Faults and route counting reach AWS calls.
 */
import { BedrockClient, BedrockServiceException, ListModelInvocationJobsCommand } from '@aws-sdk/client-bedrock';
import {
  ListBucketsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { createBucket, credentials, s3Client, startAwsRig, type AwsRig } from './aws-helpers.ts';

let rig: AwsRig;
afterEach(async () => rig?.close());

describe('AWS routing by SigV4', () => {
  it('refuses unsigned S3 and Bedrock calls the way AWS does', async () => {
    rig = await startAwsRig();
    await createBucket(rig, 'private');
    const s3 = await fetch(`${rig.emulator.awsUrl}/private/key.txt`, {
      headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
    });
    expect(s3.status).toBe(403);
    expect(await s3.text()).toContain('<Code>AccessDenied</Code>');
    const bedrock = await fetch(`${rig.emulator.awsUrl}/model-invocation-jobs`);
    expect(bedrock.status).toBe(403);
    expect(bedrock.headers.get('x-amzn-errortype')).toBe('MissingAuthenticationTokenException');
    expect(await bedrock.json()).toEqual({ message: 'Missing Authentication Token' });
    // A presigned-style query signature counts as signed.
    const q = new URLSearchParams({
      'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
      'X-Amz-Credential': 'anykey/20260101/us-east-1/s3/aws4_request',
      'X-Amz-Signature': 'x',
    });
    expect((await fetch(`${rig.emulator.awsUrl}/?${q.toString()}`)).status).toBe(200);
  });

  it('the SDKs surface the refusal of an unsigned call (a client whose signer does nothing)', async () => {
    rig = await startAwsRig();
    await createBucket(rig, 'private');
    const noSigner = { sign: (request: unknown) => Promise.resolve(request) } as never;
    const base = { region: 'us-east-1', endpoint: rig.emulator.awsUrl, credentials, maxAttempts: 1, signer: noSigner };
    const bedrock = new BedrockClient(base);
    const brError = await bedrock.send(new ListModelInvocationJobsCommand({})).catch((e: unknown) => e);
    expect(brError).toBeInstanceOf(BedrockServiceException);
    expect(brError).toMatchObject({ name: 'MissingAuthenticationTokenException', $metadata: { httpStatusCode: 403 } });
    const s3 = new S3Client({ ...base, forcePathStyle: true });
    const s3Error = await s3.send(new ListObjectsV2Command({ Bucket: 'private' })).catch((e: unknown) => e);
    expect(s3Error).toMatchObject({
      name: 'AccessDenied',
      message: 'Access Denied',
      $metadata: { httpStatusCode: 403 },
    });
    bedrock.destroy();
    s3.destroy();
  });

  it('accepts any access key and secret: the signature is required, not verified', async () => {
    rig = await startAwsRig();
    const other = s3Client(rig.emulator.awsUrl, {
      credentials: { accessKeyId: 'AKIAOTHER', secretAccessKey: 'wrong' },
    });
    await other.send(new ListBucketsCommand({}));
    other.destroy();
  });

  it('leaves the OpenAI and Anthropic routes on the same port alone', async () => {
    rig = await startAwsRig();
    const openai = new OpenAI({ apiKey: 'k', baseURL: rig.emulator.url, maxRetries: 0 });
    expect((await openai.batches.list()).data).toEqual([]);
    const anthropic = await fetch(`${rig.emulator.anthropicUrl}/v1/messages/batches`, {
      headers: { 'x-api-key': 'k', 'anthropic-version': '2023-06-01' },
    });
    expect(anthropic.status).toBe(200);
    // An unsigned request with no AWS header falls to the OpenAI router, which answers its own 404.
    const plain = await fetch(`${rig.emulator.awsUrl}/some-bucket/key`);
    expect(plain.status).toBe(404);
    expect(await plain.json()).toMatchObject({ error: { type: 'invalid_request_error' } });
  });

  it('counts AWS calls by route and answers injected faults in each service’s shape', async () => {
    rig = await startAwsRig();
    await createBucket(rig, 'faults');
    rig.emulator.setFaults({
      http: [
        { route: 'S3 PutObject', status: 503, count: 1 },
        { route: 'GET /model-invocation-jobs', status: 429, count: 1 },
      ],
    });
    const s3Error = await rig.s3
      .send(new PutObjectCommand({ Bucket: 'faults', Key: 'k', Body: 'v' }))
      .catch((e: unknown) => e);
    expect(s3Error).toBeInstanceOf(S3ServiceException);
    expect((s3Error as Error).name).toBe('SlowDown');
    const brError = await rig.bedrock.send(new ListModelInvocationJobsCommand({})).catch((e: unknown) => e);
    expect(brError).toBeInstanceOf(BedrockServiceException);
    expect((brError as Error).name).toBe('ThrottlingException');
    // With the SDK's default retries, the one-off faults are retried away.
    rig.emulator.setFaults({ http: [{ route: 'GET /model-invocation-jobs', status: 500, count: 1 }] });
    const retrying = new BedrockClient({ region: 'us-east-1', endpoint: rig.emulator.awsUrl, credentials });
    expect((await retrying.send(new ListModelInvocationJobsCommand({}))).invocationJobSummaries).toEqual([]);
    retrying.destroy();
    const stats = await rig.emulator.stats();
    expect(stats.routeCalls['S3 CreateBucket']).toBe(1);
    expect(stats.routeCalls['S3 PutObject']).toBe(1);
    expect(stats.routeCalls['GET /model-invocation-jobs']).toBe(3);
  });
});
