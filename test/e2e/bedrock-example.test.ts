/**
 * Bedrock batch inference as a user runs it: `build -C examples/bedrock.config.ts --offline
 * --wait` from a copy of the example, merged records per subject in the seed's format; against a
 * server reached only through the AWS environment (AWS_ENDPOINT_URL, keys, region, role, an
 * existing bucket), a build killed right after create (the job made, its ARN never recorded) is
 * run again and gets the same job back by its idempotency token: one job, no record paid twice;
 * the set-up errors a user meets first (no role, no bucket, too few records) name what to do.
 */
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { mkdtemp, rm } from 'node:fs/promises';
import { afterEach, expect, it } from 'vitest';
import { generateMmluDataset } from '../../src/data/generate-mmlu.ts';
import { standInParaphrase, startEmulator, type RunningEmulator } from '../../src/emulator/index.ts';
import { REPO, Rig } from '../helpers/rig.ts';

const CONFIG = 'examples/bedrock.config.ts';
let rig: Rig | undefined;
let emulator: RunningEmulator | undefined;
let emuDir: string | undefined;
afterEach(async () => {
  await rig?.dispose();
  await emulator?.close();
  if (emuDir) await rm(emuDir, { recursive: true, force: true });
  rig = emulator = emuDir = undefined;
});

async function exampleRig(subjects: number, recordsPerSubject: number): Promise<{ rig: Rig; subjects: string[] }> {
  const r = await Rig.create('pipeline-bedrock-example-');
  const src = JSON.stringify(path.join(REPO, 'src')).slice(1, -1);
  for (const file of [CONFIG, 'examples/mmlu-paraphrase.ts']) {
    const text = await readFile(path.join(REPO, file), 'utf8');
    await r.write({ [file]: text.replaceAll("'../src/", `'${src}/`) });
  }
  const made = await generateMmluDataset({ outDir: r.path('results/mmlu/original'), subjects, recordsPerSubject });
  return { rig: r, subjects: made.subjects };
}

async function expectMerged(r: Rig, subjects: readonly string[]): Promise<void> {
  for (const subject of subjects) {
    const source = (await r.lines(`results/mmlu/original/${subject}.jsonl`)) as {
      question_number: number;
      analysis: string;
    }[];
    const merged = (await r.lines(`results/mmlu/paraphrased-bedrock/${subject}.jsonl`)) as {
      question_number: number;
      paraphrased_analysis: string;
      paraphrase_tokens: { input: number; output: number; total: number };
    }[];
    expect(merged.map((m) => m.question_number)).toEqual(source.map((s) => s.question_number));
    merged.forEach((m, i) => {
      expect(m.paraphrased_analysis).toBe(standInParaphrase(source[i]!.analysis));
      expect(m.paraphrase_tokens.input).toBeGreaterThan(0);
    });
  }
}

/** A server of its own (it outlives the CLI's kills), reached as any AWS server is: through the environment. */
async function awsServer(bucket: string): Promise<NodeJS.ProcessEnv> {
  emuDir = await mkdtemp(path.join(os.tmpdir(), 'bedrock-emu-'));
  emulator = await startEmulator({ stateDir: emuDir, port: 0, speed: 200 });
  const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'bedrock-test-secret-key' };
  const s3 = new S3Client({ region: 'us-east-1', endpoint: emulator.awsUrl, forcePathStyle: true, credentials });
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  s3.destroy();
  return {
    AWS_ENDPOINT_URL: emulator.awsUrl,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    BEDROCK_ROLE_ARN: 'arn:aws:iam::123456789012:role/BedrockBatch',
    PIPELINE_BEDROCK_S3_URI: `s3://${bucket}/jobs`,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
}

it('build -C examples/bedrock.config.ts --offline --wait: every subject merged from one Bedrock job', async () => {
  const made = await exampleRig(4, 5);
  rig = made.rig;
  const run = await rig.run(['build', '-C', CONFIG, '--offline', '--wait'], {
    env: { PIPELINE_EMULATOR_SPEED: '200' },
  });
  expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
  await expectMerged(rig, made.subjects);
  const raw = await rig.lines('results/mmlu/paraphrase_batch_bedrock/results/all.jsonl');
  expect(raw).toHaveLength(20);
  expect(raw[0]).toHaveProperty('recordId');
  expect(raw[0]).toHaveProperty('modelOutput.usage.input_tokens');
});

it('killed after create, before the job is recorded: the re-run gets the same job back, nothing paid twice', async () => {
  const made = await exampleRig(3, 40); // 120 records: above Bedrock's default minimum of 100
  rig = made.rig;
  const env = await awsServer('llmake-e2e');
  // The server keeps AWS's default quota: the example's lowered minimum is for the 20-question sample.
  const killed = await rig.run(['build', '-C', CONFIG], { env: { ...env, PIPELINE_FAILPOINT: 'after-create' } });
  expect(killed.signal).toBe('SIGKILL');
  const marker = JSON.parse(
    await readFile(rig.path('results/mmlu/paraphrase_batch_bedrock/all.batch.json'), 'utf8'),
  ) as {
    parts: { state: string; batchId?: string }[];
  };
  expect(marker.parts.map((p) => [p.state, p.batchId])).toEqual([['creating', undefined]]);
  // Subprocesses throughout: the example reads PIPELINE_BEDROCK_S3_URI from its process's environment.
  let last = await rig.cli(['build', '-C', CONFIG, '--wait'], { env });
  for (let i = 0; i < 5 && last.code === 75; i++) last = await rig.cli(['build', '-C', CONFIG, '--wait'], { env });
  expect(last.code, `${last.stdout}\n${last.stderr}`).toBe(0);
  await expectMerged(rig, made.subjects);
  const stats = (await (await fetch(`${emulator!.awsUrl}/_emulator/stats`)).json()) as {
    aws: {
      jobsCreated: number;
      idempotentReplays: number;
      duplicateRecordExecutions: number;
      recordsProcessed: number;
    };
  };
  expect(stats.aws.jobsCreated).toBe(1);
  expect(stats.aws.idempotentReplays).toBe(1);
  expect(stats.aws.recordsProcessed).toBe(120);
  expect(stats.aws.duplicateRecordExecutions).toBe(0);
  // No credential reached a file the tool wrote.
  for (const file of ['results/mmlu/paraphrase_batch_bedrock/all.batch.json', 'results/mmlu/.pipeline/targets.log'])
    expect(await readFile(rig.path(file), 'utf8')).not.toContain('bedrock-test-secret-key');
}, 180_000);

it('names what a user must set up: the role, the bucket, and a job too small for the quota', async () => {
  const made = await exampleRig(4, 5);
  rig = made.rig;
  const env = await awsServer('llmake-setup');
  const { BEDROCK_ROLE_ARN: _role, ...noRole } = env;
  const missingRole = await rig.cli(['build', '-C', CONFIG], { env: noRole });
  expect(missingRole.code).toBe(2);
  expect(missingRole.stderr).toMatch(/BEDROCK_ROLE_ARN environment variable is not set/);
  expect(missingRole.stderr).toMatch(/roleArn/);

  // Without the example's lowered quota: 20 records are too few for one job, and the build says what to do.
  const original = await readFile(rig.path(CONFIG), 'utf8');
  const config = original.replace(/\n\s*minRequestsPerBatch: 20,/, '');
  await rig.write({ [CONFIG]: config });
  const tooFew = await rig.cli(['build', '-C', CONFIG], { env });
  expect(tooFew.code).toBe(1);
  expect(tooFew.stdout + tooFew.stderr).toMatch(
    /20 requests .* fewer than bedrock's minimum of 100 per batch: nothing was submitted/,
  );
  expect(tooFew.stdout + tooFew.stderr).toMatch(/minRequestsPerBatch/);
  // Back to the example's quota, but a bucket that does not exist: said before anything is uploaded.
  await rig.write({ [CONFIG]: original });
  const noBucket = await rig.cli(['build', '-C', CONFIG], {
    env: { ...env, PIPELINE_BEDROCK_S3_URI: 's3://no-such-bucket/x' },
  });
  expect(noBucket.code).toBe(1);
  expect(noBucket.stdout + noBucket.stderr).toMatch(/bucket no-such-bucket does not exist/);

  const stats = (await (await fetch(`${emulator!.awsUrl}/_emulator/stats`)).json()) as {
    aws: { jobsCreated: number; s3: { objects: number } };
  };
  expect(stats.aws.jobsCreated).toBe(0);
  expect(stats.aws.s3.objects).toBe(0);
}, 120_000);
