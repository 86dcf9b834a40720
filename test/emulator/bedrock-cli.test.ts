/**
 * `pipeline emulator` in its own process serves the AWS flavour too: its banner gives the
 * `AWS_ENDPOINT_URL` export, and SDK clients configured only through that environment variable
 * (as every AWS tool is) reach it; the --bedrock-* flags take effect.
 */
import { BedrockClient, CreateModelInvocationJobCommand, GetModelInvocationJobCommand } from '@aws-sdk/client-bedrock';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLAUDE, claudeRecord, jsonl, ROLE } from './aws-helpers.ts';
import { spawnEmulator } from './helpers.ts';

let stateDir: string;
const saved = process.env.AWS_ENDPOINT_URL;
beforeEach(async () => (stateDir = await mkdtemp(path.join(tmpdir(), 'emulator-aws-cli-'))));
afterEach(async () => {
  if (saved === undefined) delete process.env.AWS_ENDPOINT_URL;
  else process.env.AWS_ENDPOINT_URL = saved;
  await rm(stateDir, { recursive: true, force: true });
});

describe('pipeline emulator (AWS)', () => {
  it('prints AWS_ENDPOINT_URL; clients configured by that variable alone run a job; --bedrock-min-records applies', async () => {
    const { child, url, key, output } = await spawnEmulator([
      '--state-dir',
      stateDir,
      '--bedrock-min-records',
      '2',
      '--bedrock-scheduled-ms',
      '0',
    ]);
    try {
      const origin = url.replace(/\/v1$/, '');
      expect(output()).toContain(
        `  export AWS_ENDPOINT_URL=${origin} AWS_ACCESS_KEY_ID=${key} AWS_SECRET_ACCESS_KEY=${key}\n`,
      );
      process.env.AWS_ENDPOINT_URL = /export AWS_ENDPOINT_URL=(\S+)/.exec(output())?.[1];
      const credentials = { accessKeyId: key, secretAccessKey: key };
      const s3 = new S3Client({ region: 'us-east-1', forcePathStyle: true, credentials });
      const bedrock = new BedrockClient({ region: 'us-east-1', credentials });
      await s3.send(new CreateBucketCommand({ Bucket: 'cli-bucket' }));
      await s3.send(
        new PutObjectCommand({
          Bucket: 'cli-bucket',
          Key: 'in/two.jsonl',
          Body: jsonl([claudeRecord(0), claudeRecord(1)]),
        }),
      );
      const { jobArn } = await bedrock.send(
        new CreateModelInvocationJobCommand({
          jobName: 'cli-job',
          roleArn: ROLE,
          modelId: CLAUDE,
          inputDataConfig: { s3InputDataConfig: { s3Uri: 's3://cli-bucket/in/two.jsonl' } },
          outputDataConfig: { s3OutputDataConfig: { s3Uri: 's3://cli-bucket/out/' } },
        }),
      );
      await fetch(`${origin}/_emulator/clock`, { method: 'POST', body: JSON.stringify({ advanceMs: 60_000 }) });
      expect(await bedrock.send(new GetModelInvocationJobCommand({ jobIdentifier: jobArn }))).toMatchObject({
        status: 'Completed',
        successRecordCount: 2,
      });
      s3.destroy();
      bedrock.destroy();
    } finally {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  });

  it('--help describes the AWS flavour and its flags', async () => {
    const { runEmulatorCommand } = await import('../../src/emulator/cli.ts');
    let out = '';
    const sink = { write: (s: string) => ((out += s), true) } as unknown as NodeJS.WritableStream;
    expect(await runEmulatorCommand(['--help'], { stdout: sink, stderr: sink })).toBe(0);
    expect(out).toContain('--bedrock-min-records N');
    expect(out).toContain('export AWS_ENDPOINT_URL=');
  });
});
