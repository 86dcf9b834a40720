/**
 * A Bedrock batch job's life against the emulator's clock, through the official SDKs: upload,
 * statuses, partial output while InProgress, the `.out` and `manifest.json.out` layout, error
 * records, stop, expiry, partial completion, validation quotas, per-record faults, restarts.
 * At speed 1: Submitted 1 s, Validating 1 s, Scheduled 1 s, then 50 records a second.
 */
import { CreateModelInvocationJobCommand, type CreateModelInvocationJobCommandInput } from '@aws-sdk/client-bedrock';
import { Upload } from '@aws-sdk/lib-storage';
import { afterEach, describe, expect, it } from 'vitest';
import { startEmulator } from '../../src/emulator/index.ts';
import {
  bedrockClient,
  CLAUDE,
  claudeRecord,
  createBucket,
  getText,
  jobAfter,
  jsonl,
  listKeys,
  putText,
  readJsonl,
  ROLE,
  s3Client,
  startAwsRig,
  type AwsRig,
} from './aws-helpers.ts';

let rig: AwsRig;
afterEach(async () => rig?.close());

async function submit(name: string, extra: Partial<CreateModelInvocationJobCommandInput> = {}) {
  const { jobArn } = await rig.bedrock.send(
    new CreateModelInvocationJobCommand({
      jobName: name,
      roleArn: ROLE,
      modelId: CLAUDE,
      inputDataConfig: { s3InputDataConfig: { s3Uri: 's3://batch-data/in/' } },
      outputDataConfig: { s3OutputDataConfig: { s3Uri: 's3://batch-results/out/' } },
      ...extra,
    }),
  );
  return { arn: jobArn!, id: jobArn!.split('/').pop()! };
}

async function buckets(): Promise<void> {
  await createBucket(rig, 'batch-data');
  await createBucket(rig, 'batch-results');
}

const records = (n: number) => Array.from({ length: n }, (_, i) => claudeRecord(i));

describe('a job from upload to manifest', () => {
  it('walks the statuses, shows partial output while InProgress, and ends with every record and the manifest', async () => {
    rig = await startAwsRig();
    await buckets();
    const lines = records(150);
    lines[7] = { recordId: 'no-version', modelInput: { max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] } };
    lines[8] = {
      recordId: 'no-max',
      modelInput: { anthropic_version: 'bedrock-2023-05-31', messages: [{ role: 'user', content: 'hi' }] },
    };
    lines[9] = claudeRecord(9, { model: 'claude-3-5-haiku' });
    await new Upload({
      client: rig.s3,
      params: { Bucket: 'batch-data', Key: 'in/records.jsonl', Body: jsonl(lines) },
    }).done();
    const { arn, id } = await submit('full-run');
    expect((await jobAfter(rig, arn, 0)).status).toBe('Submitted');
    expect((await jobAfter(rig, arn, 1000)).status).toBe('Validating');
    const scheduled = await jobAfter(rig, arn, 1000);
    expect(scheduled).toMatchObject({ status: 'Scheduled', totalRecordCount: 150, processedRecordCount: 0 });
    const running = await jobAfter(rig, arn, 2000);
    expect(running).toMatchObject({ status: 'InProgress', processedRecordCount: 50 });
    const outKey = `out/${id}/records.jsonl.out`;
    expect(await readJsonl(rig.s3, 'batch-results', outKey)).toHaveLength(50);
    // Output grows with time even when only S3 is read (no job call in between).
    rig.clock.advance(1000);
    expect(await readJsonl(rig.s3, 'batch-results', outKey)).toHaveLength(100);
    const done = await jobAfter(rig, arn, 2000);
    expect(done).toMatchObject({
      status: 'Completed',
      totalRecordCount: 150,
      processedRecordCount: 150,
      successRecordCount: 147,
      errorRecordCount: 3,
    });
    expect(done.endTime).toEqual(new Date(Date.UTC(2026, 0, 1) + 3000 + 3000 + 500));
    expect(await listKeys(rig.s3, 'batch-results', `out/${id}/`)).toEqual([`out/${id}/manifest.json.out`, outKey]);
    const out = await readJsonl(rig.s3, 'batch-results', outKey);
    // Every record once; the order is not the input's (join on recordId).
    expect(out.map((l) => l.recordId).sort()).toEqual(lines.map((l) => l.recordId).sort());
    expect(out.map((l) => l.recordId)).not.toEqual(lines.map((l) => l.recordId));
    const byId = new Map(out.map((l) => [l.recordId as string, l]));
    const ok = byId.get('rec-00000') as { modelInput: unknown; modelOutput: Record<string, unknown> };
    expect(ok.modelInput).toEqual(lines[0]?.modelInput);
    expect(ok.modelOutput).toMatchObject({ type: 'message', role: 'assistant', model: 'claude-3-5-haiku-20241022' });
    expect(ok.modelOutput.usage).toMatchObject({
      input_tokens: expect.any(Number) as number,
      output_tokens: expect.any(Number) as number,
    });
    expect(ok.modelOutput.id).toMatch(/^msg_bdrk_/);
    expect(byId.get('no-version')?.error).toEqual({
      errorCode: 400,
      errorMessage:
        'Malformed input request: #: required key [anthropic_version] not found, please reformat your input and try again.',
    });
    expect((byId.get('no-max')?.error as { errorMessage: string }).errorMessage).toContain('[max_tokens] not found');
    expect((byId.get('rec-00009')?.error as { errorMessage: string }).errorMessage).toContain('extraneous key [model]');
    const manifest = JSON.parse(await getText(rig.s3, 'batch-results', `out/${id}/manifest.json.out`)) as Record<
      string,
      number
    >;
    const inputTokens = out.reduce(
      (sum, l) => sum + ((l.modelOutput as { usage?: { input_tokens: number } } | undefined)?.usage?.input_tokens ?? 0),
      0,
    );
    expect(manifest).toEqual({
      totalRecordCount: 150,
      processedRecordCount: 150,
      successRecordCount: 147,
      errorRecordCount: 3,
      inputTokenCount: inputTokens,
      outputTokenCount: expect.any(Number) as number,
    });
    const stats = await rig.emulator.stats();
    expect(stats.aws?.jobsByStatus).toEqual({ Completed: 1 });
    expect(stats.aws?.duplicateRecordExecutions).toBe(0);
  });

  it('reads every .jsonl under a prefix (skipping other files) and writes one .out per input file', async () => {
    rig = await startAwsRig();
    await buckets();
    await putText(rig, 'batch-data', 'in/a.jsonl', jsonl(records(60)));
    await putText(rig, 'batch-data', 'in/sub/b.jsonl', jsonl(records(120).slice(60)));
    await putText(rig, 'batch-data', 'in/image.png', 'not a record file');
    const { arn, id } = await submit('prefix');
    expect(await jobAfter(rig, arn, 60_000)).toMatchObject({ status: 'Completed', successRecordCount: 120 });
    expect(await listKeys(rig.s3, 'batch-results', `out/${id}/`)).toEqual([
      `out/${id}/a.jsonl.out`,
      `out/${id}/manifest.json.out`,
      `out/${id}/sub/b.jsonl.out`,
    ]);
    expect(await readJsonl(rig.s3, 'batch-results', `out/${id}/sub/b.jsonl.out`)).toHaveLength(60);
  });

  it('answers Nova bodies, and Converse bodies for Claude, in their own response shapes', async () => {
    rig = await startAwsRig();
    await buckets();
    const nova = Array.from({ length: 100 }, (_, i) => ({
      recordId: `n${i}`,
      modelInput: {
        messages: [{ role: 'user', content: [{ text: `Paraphrase: <text>Nova ${i}</text>` }] }],
        inferenceConfig: { maxTokens: 300 },
      },
    }));
    await putText(rig, 'batch-data', 'in/nova.jsonl', jsonl(nova));
    const { arn, id } = await submit('nova', { modelId: 'amazon.nova-lite-v1:0' });
    expect((await jobAfter(rig, arn, 60_000)).successRecordCount).toBe(100);
    const [line] = await readJsonl(rig.s3, 'batch-results', `out/${id}/nova.jsonl.out`);
    expect(line?.modelOutput).toMatchObject({
      output: { message: { role: 'assistant', content: [{ text: expect.any(String) as string }] } },
      stopReason: 'end_turn',
      usage: {
        inputTokens: expect.any(Number) as number,
        outputTokens: expect.any(Number) as number,
        totalTokens: expect.any(Number) as number,
      },
    });
    const converse = await submit('converse', { modelInvocationType: 'Converse' });
    const ended = await jobAfter(rig, converse.arn, 60_000);
    expect(ended).toMatchObject({ status: 'Completed', successRecordCount: 100, modelInvocationType: 'Converse' });
  });
});

describe('speed', () => {
  it('runs the whole life faster at --speed 10 (the timeout is not scaled)', async () => {
    rig = await startAwsRig({ speed: 10 });
    await buckets();
    await putText(rig, 'batch-data', 'in/records.jsonl', jsonl(records(100)));
    const { arn } = await submit('fast');
    expect((await jobAfter(rig, arn, 300)).status).toBe('InProgress');
    expect(await jobAfter(rig, arn, 250)).toMatchObject({ status: 'Completed', processedRecordCount: 100 });
  });
});

describe('structured replies', () => {
  it('answers a forced tool with a tool_use block; the invalid-replies fault spoils it once per body', async () => {
    rig = await startAwsRig({ faults: { invalidReplies: { customIds: ['rec-00001'], kinds: ['refusal'] } } });
    await buckets();
    const tool = {
      name: 'answer',
      description: 'The paraphrase',
      input_schema: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
    };
    const lines = records(100).map((r) => ({
      ...r,
      modelInput: { ...(r.modelInput as object), tools: [tool], tool_choice: { type: 'tool', name: 'answer' } },
    }));
    await putText(rig, 'batch-data', 'in/records.jsonl', jsonl(lines));
    const first = await submit('tools');
    expect((await jobAfter(rig, first.arn, 60_000)).successRecordCount).toBe(100);
    const out = new Map(
      (await readJsonl(rig.s3, 'batch-results', `out/${first.id}/records.jsonl.out`)).map((l) => [
        l.recordId,
        l.modelOutput as { stop_reason: string; content: { type: string; input?: { text?: unknown } }[] },
      ]),
    );
    expect(out.get('rec-00000')).toMatchObject({
      stop_reason: 'tool_use',
      content: [{ type: 'tool_use', name: 'answer' }],
    });
    expect(typeof out.get('rec-00000')?.content[0]?.input?.text).toBe('string');
    expect(out.get('rec-00001')).toMatchObject({ stop_reason: 'refusal', content: [{ type: 'text' }] });
    // The same body again is answered validly, and is no duplicate payment.
    await putText(rig, 'batch-data', 'again/records.jsonl', jsonl([...lines.slice(1, 2), ...records(200).slice(100)]));
    const again = await submit('tools-again', {
      inputDataConfig: { s3InputDataConfig: { s3Uri: 's3://batch-data/again/' } },
    });
    await jobAfter(rig, again.arn, 60_000);
    const [retried] = (await readJsonl(rig.s3, 'batch-results', `out/${again.id}/records.jsonl.out`)).filter(
      (l) => l.recordId === 'rec-00001',
    );
    expect(retried?.modelOutput).toMatchObject({ stop_reason: 'tool_use' });
    const stats = await rig.emulator.stats();
    expect(stats.invalidReplies).toBe(1);
    expect(stats.aws?.duplicateRecordExecutions).toBe(0);
  });
});

describe('ending early', () => {
  it('stop keeps what was processed: partial .out, a manifest, Stopped', async () => {
    rig = await startAwsRig();
    await buckets();
    await putText(rig, 'batch-data', 'in/records.jsonl', jsonl(records(200)));
    const { arn, id } = await submit('stopped');
    rig.clock.advance(4000); // InProgress since 3 s: 50 records done
    const { StopModelInvocationJobCommand } = await import('@aws-sdk/client-bedrock');
    await rig.bedrock.send(new StopModelInvocationJobCommand({ jobIdentifier: arn }));
    expect(await jobAfter(rig, arn, 500)).toMatchObject({ status: 'Stopping', processedRecordCount: 50 });
    const stopped = await jobAfter(rig, arn, 60_000);
    expect(stopped).toMatchObject({ status: 'Stopped', totalRecordCount: 200, processedRecordCount: 50 });
    expect(await readJsonl(rig.s3, 'batch-results', `out/${id}/records.jsonl.out`)).toHaveLength(50);
    const manifest = JSON.parse(await getText(rig.s3, 'batch-results', `out/${id}/manifest.json.out`)) as Record<
      string,
      number
    >;
    expect(manifest).toMatchObject({ totalRecordCount: 200, processedRecordCount: 50, successRecordCount: 50 });
  });

  it('a job still Scheduled at its timeout is Expired, with no output', async () => {
    rig = await startAwsRig({ bedrock: { scheduledMs: 30 * 3_600_000 } });
    await buckets();
    await putText(rig, 'batch-data', 'in/records.jsonl', jsonl(records(100)));
    const { arn, id } = await submit('expires', { timeoutDurationInHours: 24 });
    expect((await jobAfter(rig, arn, 23 * 3_600_000)).status).toBe('Scheduled');
    const expired = await jobAfter(rig, arn, 3_600_000);
    expect(expired).toMatchObject({ status: 'Expired', processedRecordCount: 0 });
    expect(expired.endTime).toEqual(expired.jobExpirationTime);
    expect(await listKeys(rig.s3, 'batch-results', `out/${id}/`)).toEqual([]);
    // A longer timeout outlasts the same queue: it runs.
    const patient = await submit('patient', { timeoutDurationInHours: 48 });
    expect((await jobAfter(rig, patient.arn, 31 * 3_600_000)).status).toBe('Completed');
  });

  it('records not processed in time leave the job PartiallyCompleted (expireAfterFraction), output kept', async () => {
    rig = await startAwsRig({ faults: { expireAfterFraction: 0.5 } });
    await buckets();
    await putText(rig, 'batch-data', 'in/records.jsonl', jsonl(records(100)));
    const { arn, id } = await submit('partial');
    const job = await jobAfter(rig, arn, 60_000);
    expect(job).toMatchObject({ status: 'PartiallyCompleted', totalRecordCount: 100, processedRecordCount: 50 });
    expect(await readJsonl(rig.s3, 'batch-results', `out/${id}/records.jsonl.out`)).toHaveLength(50);
    expect(await getText(rig.s3, 'batch-results', `out/${id}/manifest.json.out`)).toContain(
      '"processedRecordCount":50',
    );
  });
});

describe('validation', () => {
  it('fails a job under the minimum records, naming the minimum', async () => {
    rig = await startAwsRig();
    await buckets();
    await putText(rig, 'batch-data', 'in/records.jsonl', jsonl(records(99)));
    const { arn } = await submit('too-few');
    const job = await jobAfter(rig, arn, 10_000);
    expect(job.status).toBe('Failed');
    expect(job.totalRecordCount).toBe(99);
    expect(job.message).toContain('fewer than the minimum of 100 records per batch inference job');
  });

  it('fails over the records-per-file and file-size quotas, and on a line that is not a record', async () => {
    rig = await startAwsRig({
      bedrock: { quotas: { maxRecordsPerFile: 120, maxInputFileBytes: 100_000, maxJobBytes: 40_000 } },
    });
    await buckets();
    await putText(rig, 'batch-data', 'in/records.jsonl', jsonl(records(121)));
    const perFile = await submit('per-file');
    expect((await jobAfter(rig, perFile.arn, 10_000)).message).toContain(
      'has 121 records, more than the maximum of 120 records per input file',
    );
    await putText(rig, 'batch-data', 'big/records.jsonl', jsonl(records(120)) + 'x'.repeat(100_000) + '\n');
    const big = await submit('too-big', {
      inputDataConfig: { s3InputDataConfig: { s3Uri: 's3://batch-data/big/records.jsonl' } },
    });
    expect((await jobAfter(rig, big.arn, 10_000)).message).toMatch(
      /larger than the .* quota for a batch inference input file/,
    );
    await putText(rig, 'batch-data', 'two/a.jsonl', jsonl(records(100)));
    await putText(rig, 'batch-data', 'two/b.jsonl', jsonl(records(100)));
    rig.emulator.setFaults({});
    const job = await rig.bedrock.send(
      new CreateModelInvocationJobCommand({
        jobName: 'job-size',
        roleArn: ROLE,
        modelId: CLAUDE,
        inputDataConfig: { s3InputDataConfig: { s3Uri: 's3://batch-data/two/' } },
        outputDataConfig: { s3OutputDataConfig: { s3Uri: 's3://batch-results/out/' } },
      }),
    );
    expect((await jobAfter(rig, job.jobArn!, 10_000)).message).toMatch(
      /add up to more than the .* quota for a batch inference job/,
    );
    await putText(rig, 'batch-data', 'bad/records.jsonl', jsonl(records(3)) + '{"recordId": "x"}\n');
    const bad = await submit('bad-line', { inputDataConfig: { s3InputDataConfig: { s3Uri: 's3://batch-data/bad/' } } });
    expect((await jobAfter(rig, bad.arn, 10_000)).message).toContain('without modelInput on line 4');
  });

  it('fails a job whose input is missing or whose bucket does not exist', async () => {
    rig = await startAwsRig();
    await createBucket(rig, 'batch-data');
    const missingOut = await submit('no-out-bucket');
    expect((await jobAfter(rig, missingOut.arn, 10_000)).message).toContain('bucket batch-results does not exist');
    await createBucket(rig, 'batch-results');
    const empty = await submit('no-input');
    expect((await jobAfter(rig, empty.arn, 10_000)).message).toBe(
      'No .jsonl input files were found at s3://batch-data/in/.',
    );
  });
});

describe('faults and recovery', () => {
  it('per-record faults become error records; a transient one succeeds when the record is sent again', async () => {
    rig = await startAwsRig({
      faults: { requestErrors: { customIds5xx: ['rec-00003'], customIds4xx: ['rec-00004'] } },
    });
    await buckets();
    await putText(rig, 'batch-data', 'in/records.jsonl', jsonl(records(100)));
    const first = await submit('faulty');
    expect(await jobAfter(rig, first.arn, 60_000)).toMatchObject({ successRecordCount: 98, errorRecordCount: 2 });
    const out = new Map(
      (await readJsonl(rig.s3, 'batch-results', `out/${first.id}/records.jsonl.out`)).map((l) => [l.recordId, l]),
    );
    expect([429, 500]).toContain((out.get('rec-00003')?.error as { errorCode: number }).errorCode);
    expect(out.get('rec-00004')?.error).toMatchObject({ errorCode: 400 });
    // The same records again: the transient fault is spent, the 4xx is not; 98 bodies are now paid twice.
    const second = await submit('faulty-again');
    expect(await jobAfter(rig, second.arn, 60_000)).toMatchObject({ successRecordCount: 99, errorRecordCount: 1 });
    const stats = await rig.emulator.stats();
    expect(stats.aws?.duplicateRecordExecutions).toBe(98);
    expect(stats.duplicateExecutions).toBe(98);
  });

  it('a restart mid-job resumes from the saved cursor: every record once in the output', async () => {
    rig = await startAwsRig();
    await buckets();
    await putText(rig, 'batch-data', 'in/records.jsonl', jsonl(records(300)));
    const { arn, id } = await submit('restarted');
    expect((await jobAfter(rig, arn, 5000)).processedRecordCount).toBe(100);
    await rig.emulator.close();
    const again = await startEmulator({ stateDir: rig.stateDir, clock: rig.clock });
    const bedrock = bedrockClient(again.awsUrl);
    const s3 = s3Client(again.awsUrl);
    rig.clock.advance(60_000);
    const { GetModelInvocationJobCommand } = await import('@aws-sdk/client-bedrock');
    expect(await bedrock.send(new GetModelInvocationJobCommand({ jobIdentifier: arn }))).toMatchObject({
      status: 'Completed',
      processedRecordCount: 300,
    });
    const out = await readJsonl(s3, 'batch-results', `out/${id}/records.jsonl.out`);
    expect(new Set(out.map((l) => l.recordId)).size).toBe(300);
    expect(out).toHaveLength(300);
    expect((await again.stats()).aws?.duplicateRecordExecutions).toBe(0);
    bedrock.destroy();
    s3.destroy();
    await again.close();
  });
});
