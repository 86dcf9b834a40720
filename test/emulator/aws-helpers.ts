/**
 * Rig for the AWS flavour's tests: the emulator on a temp dir with a ManualClock, and the official
 * S3 and Bedrock clients pointed at it with dummy credentials, exactly as a user would configure them.
 */
import { BedrockClient, GetModelInvocationJobCommand } from '@aws-sdk/client-bedrock';
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startEmulator, type EmulatorOptions, type RunningEmulator } from '../../src/emulator/index.ts';
import { ManualClock } from '../../src/util/clock.ts';

export const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
export const ROLE = 'arn:aws:iam::123456789012:role/BedrockBatch';
export const CLAUDE = 'anthropic.claude-3-5-haiku-20241022-v1:0';

export interface AwsRig {
  emulator: RunningEmulator;
  s3: S3Client;
  bedrock: BedrockClient;
  clock: ManualClock;
  stateDir: string;
  close(): Promise<void>;
}

/** The client settings that work against the emulator (also what the docs tell users). */
export const s3Client = (endpoint: string, extra: Partial<ConstructorParameters<typeof S3Client>[0]> = {}) =>
  new S3Client({ region: 'us-east-1', endpoint, forcePathStyle: true, credentials, maxAttempts: 1, ...extra });

export const bedrockClient = (endpoint: string) =>
  new BedrockClient({ region: 'us-east-1', endpoint, credentials, maxAttempts: 1 });

export async function startAwsRig(opts: Partial<EmulatorOptions> = {}): Promise<AwsRig> {
  const stateDir = opts.stateDir ?? (await mkdtemp(path.join(tmpdir(), 'emulator-aws-')));
  const clock = (opts.clock as ManualClock | undefined) ?? new ManualClock();
  const emulator = await startEmulator({ ...opts, stateDir, clock });
  const s3 = s3Client(emulator.awsUrl);
  const bedrock = bedrockClient(emulator.awsUrl);
  return {
    emulator,
    s3,
    bedrock,
    clock,
    stateDir,
    async close() {
      s3.destroy();
      bedrock.destroy();
      await emulator.close();
      if (!opts.stateDir) await rm(stateDir, { recursive: true, force: true });
    },
  };
}

/** A Claude record as Bedrock takes it: the Messages body without `model`. */
export function claudeRecord(i: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    recordId: `rec-${String(i).padStart(5, '0')}`,
    modelInput: {
      anthropic_version: 'bedrock-2023-05-31',
      max_tokens: 200,
      messages: [
        { role: 'user', content: [{ type: 'text', text: `Paraphrase: <text>Question ${i}: what is ${i}?</text>` }] },
      ],
      ...extra,
    },
  };
}

export const jsonl = (lines: unknown[]): string => lines.map((l) => JSON.stringify(l)).join('\n') + '\n';

export async function createBucket(rig: AwsRig, bucket: string): Promise<void> {
  await rig.s3.send(new CreateBucketCommand({ Bucket: bucket }));
}

export async function putText(rig: AwsRig, bucket: string, key: string, body: string): Promise<void> {
  await rig.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
}

export async function getText(s3: S3Client, bucket: string, key: string): Promise<string> {
  const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return (await out.Body?.transformToString()) ?? '';
}

export async function readJsonl(s3: S3Client, bucket: string, key: string): Promise<Record<string, unknown>[]> {
  return (await getText(s3, bucket, key))
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

export async function listKeys(s3: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    keys.push(...(page.Contents ?? []).map((c) => c.Key ?? ''));
    token = page.NextContinuationToken;
  } while (token);
  return keys;
}

/** Moves the clock and reads the job. */
export async function jobAfter(rig: AwsRig, arn: string, ms: number) {
  rig.clock.advance(ms);
  return rig.bedrock.send(new GetModelInvocationJobCommand({ jobIdentifier: arn }));
}
