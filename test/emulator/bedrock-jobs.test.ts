/**
 * Bedrock's batch-inference control plane through the official @aws-sdk/client-bedrock over HTTP:
 * create-time validation as typed exceptions, clientRequestToken idempotency (and the SDK's
 * auto-filled token), duplicate names, the per-model concurrency quota, PassRole, get by ARN or
 * id, list filters and pagination, stop conflicts.
 */
import {
  AccessDeniedException,
  BedrockClient,
  ConflictException,
  CreateModelInvocationJobCommand,
  GetModelInvocationJobCommand,
  ListModelInvocationJobsCommand,
  paginateListModelInvocationJobs,
  ResourceNotFoundException,
  ServiceQuotaExceededException,
  StopModelInvocationJobCommand,
  ValidationException,
  type CreateModelInvocationJobCommandInput,
} from '@aws-sdk/client-bedrock';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CLAUDE,
  claudeRecord,
  createBucket,
  credentials,
  jsonl,
  putText,
  ROLE,
  startAwsRig,
  type AwsRig,
} from './aws-helpers.ts';

let rig: AwsRig;
afterEach(async () => rig?.close());

const jobInput = (name: string, extra: Partial<CreateModelInvocationJobCommandInput> = {}) =>
  ({
    jobName: name,
    roleArn: ROLE,
    modelId: CLAUDE,
    inputDataConfig: { s3InputDataConfig: { s3Uri: 's3://batch-data/in/' } },
    outputDataConfig: { s3OutputDataConfig: { s3Uri: 's3://batch-data/out/' } },
    ...extra,
  }) satisfies CreateModelInvocationJobCommandInput;

async function rejected(p: Promise<unknown>): Promise<Error & { $metadata: { httpStatusCode?: number } }> {
  const e: unknown = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(Error);
  return e as Error & { $metadata: { httpStatusCode?: number } };
}

async function withInput(n = 100): Promise<void> {
  await createBucket(rig, 'batch-data');
  await putText(rig, 'batch-data', 'in/records.jsonl', jsonl(Array.from({ length: n }, (_, i) => claudeRecord(i))));
}

describe('CreateModelInvocationJob', () => {
  it('validates the request shape with ValidationException in AWS wording', async () => {
    rig = await startAwsRig();
    const bad = await rejected(
      rig.bedrock.send(
        new CreateModelInvocationJobCommand(
          jobInput('bad_name', { roleArn: 'not-an-arn', timeoutDurationInHours: 200, clientRequestToken: 'tok' }),
        ),
      ),
    );
    expect(bad).toBeInstanceOf(ValidationException);
    expect(bad.$metadata.httpStatusCode).toBe(400);
    expect(bad.message).toMatch(
      /^3 validation errors detected: Value 'bad_name' at 'jobName' failed to satisfy constraint/,
    );
    expect(bad.message).toContain("Value 'not-an-arn' at 'roleArn'");
    expect(bad.message).toContain(
      "at 'timeoutDurationInHours' failed to satisfy constraint: Member must have value less than or equal to 168",
    );
    const model = await rejected(
      rig.bedrock.send(
        new CreateModelInvocationJobCommand(jobInput('m1', { modelId: 'meta.llama3-70b-instruct-v1:0' })),
      ),
    );
    expect(model).toBeInstanceOf(ValidationException);
    expect(model.message).toBe('The provided model identifier is invalid.');
    const s3 = await rejected(
      rig.bedrock.send(
        new CreateModelInvocationJobCommand(
          jobInput('s1', { inputDataConfig: { s3InputDataConfig: { s3Uri: 'https://x/y' } } }),
        ),
      ),
    );
    expect(s3.message).toContain("at 'inputDataConfig.s3InputDataConfig.s3Uri'");
  });

  it('accepts inference profiles and model ARNs', async () => {
    rig = await startAwsRig();
    for (const [i, modelId] of [
      'us.anthropic.claude-3-5-haiku-20241022-v1:0',
      'arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0',
      'arn:aws:bedrock:us-east-1:123456789012:inference-profile/eu.anthropic.claude-sonnet-4-20250514-v1:0',
      'amazon.nova-lite-v1:0',
    ].entries()) {
      const { jobArn } = await rig.bedrock.send(new CreateModelInvocationJobCommand(jobInput(`p${i}`, { modelId })));
      expect(jobArn).toMatch(/^arn:aws:bedrock:us-east-1:123456789012:model-invocation-job\/[a-z0-9]{12}$/);
    }
  });

  it('a repeat create with the same clientRequestToken returns the original ARN and creates nothing', async () => {
    rig = await startAwsRig();
    const input = jobInput('idem', { clientRequestToken: 'intent-abc123' });
    const first = await rig.bedrock.send(new CreateModelInvocationJobCommand(input));
    rig.clock.advance(60_000);
    const again = await rig.bedrock.send(new CreateModelInvocationJobCommand(input));
    expect(again.jobArn).toBe(first.jobArn);
    // Even with other fields (AWS "ignores the request"): still the original job.
    const renamed = await rig.bedrock.send(new CreateModelInvocationJobCommand({ ...input, jobName: 'idem2' }));
    expect(renamed.jobArn).toBe(first.jobArn);
    const stats = (await rig.emulator.stats()).aws;
    expect(stats?.jobsCreated).toBe(1);
    expect(stats?.jobsPerToken).toEqual({ 'intent-abc123': 1 });
    expect(stats?.idempotentReplays).toBe(2);
    const job = await rig.bedrock.send(new GetModelInvocationJobCommand({ jobIdentifier: first.jobArn }));
    expect(job.clientRequestToken).toBe('intent-abc123');
  });

  it('a create whose answers are all lost (the SDK retrying) and a later re-run make one job, found by its token', async () => {
    rig = await startAwsRig({ faults: { lostReplyRate: 1, lostReplyRoutes: ['POST /model-invocation-job'] } });
    const input = jobInput('lost', { clientRequestToken: 'intent-lost' });
    const retrying = new BedrockClient({
      region: 'us-east-1',
      endpoint: rig.emulator.awsUrl,
      credentials,
      maxAttempts: 3,
    });
    await rejected(retrying.send(new CreateModelInvocationJobCommand(input)));
    retrying.destroy();
    expect((await rig.emulator.stats()).routeCalls['POST /model-invocation-job']).toBe(3);
    rig.emulator.setFaults({});
    const { jobArn } = await rig.bedrock.send(new CreateModelInvocationJobCommand(input));
    const stats = (await rig.emulator.stats()).aws;
    expect(stats).toMatchObject({ jobsCreated: 1, jobsPerToken: { 'intent-lost': 1 }, idempotentReplays: 3 });
    const listed = await rig.bedrock.send(new ListModelInvocationJobsCommand({ nameContains: 'lost' }));
    expect(listed.invocationJobSummaries?.map((j) => j.jobArn)).toEqual([jobArn]);
  });

  it('forgets a token after the idempotency window (then the duplicate name is what refuses it)', async () => {
    rig = await startAwsRig({ bedrock: { idempotencyWindowMs: 3_600_000 } });
    const input = jobInput('window', { clientRequestToken: 'tok-1' });
    await rig.bedrock.send(new CreateModelInvocationJobCommand(input));
    rig.clock.advance(3_600_000);
    const late = await rejected(rig.bedrock.send(new CreateModelInvocationJobCommand(input)));
    expect(late).toBeInstanceOf(ValidationException);
    expect(late.message).toBe('The provided job name is currently in use.');
    const fresh = await rig.bedrock.send(new CreateModelInvocationJobCommand({ ...input, jobName: 'window2' }));
    expect((await rig.emulator.stats()).aws?.jobsPerToken['tok-1']).toBe(2);
    expect(fresh.jobArn).toBeDefined();
  });

  it('the SDK auto-fills a random token when none is given: a repeat send is a new request', async () => {
    rig = await startAwsRig();
    const { jobArn } = await rig.bedrock.send(new CreateModelInvocationJobCommand(jobInput('auto')));
    const job = await rig.bedrock.send(new GetModelInvocationJobCommand({ jobIdentifier: jobArn }));
    expect(job.clientRequestToken).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    // Not recognised as a repeat: only the duplicate name stops it.
    const repeat = await rejected(rig.bedrock.send(new CreateModelInvocationJobCommand(jobInput('auto'))));
    expect(repeat.message).toBe('The provided job name is currently in use.');
  });

  it('refuses a role the caller may not pass (AccessDeniedException)', async () => {
    rig = await startAwsRig({ bedrock: { passableRoles: [ROLE] } });
    const other = 'arn:aws:iam::123456789012:role/Other';
    const denied = await rejected(
      rig.bedrock.send(new CreateModelInvocationJobCommand(jobInput('r1', { roleArn: other }))),
    );
    expect(denied).toBeInstanceOf(AccessDeniedException);
    expect(denied.$metadata.httpStatusCode).toBe(403);
    expect(denied.message).toContain('iam:PassRole');
    await rig.bedrock.send(new CreateModelInvocationJobCommand(jobInput('r2')));
  });

  it('allows 20 submitted or running jobs per base model by default', async () => {
    rig = await startAwsRig();
    for (let i = 0; i < 20; i++) await rig.bedrock.send(new CreateModelInvocationJobCommand(jobInput(`d${i}`)));
    const over = await rejected(rig.bedrock.send(new CreateModelInvocationJobCommand(jobInput('d20'))));
    expect(over).toBeInstanceOf(ServiceQuotaExceededException);
    expect(over.message).toContain('quota of 20 in-progress and submitted batch inference jobs');
  });

  it('refuses a job over the per-model quota of submitted and in-progress jobs (ServiceQuotaExceededException)', async () => {
    rig = await startAwsRig({ bedrock: { quotas: { maxConcurrentJobsPerModel: 2 } } });
    await withInput();
    await rig.bedrock.send(new CreateModelInvocationJobCommand(jobInput('q1')));
    // The same base model through an inference profile counts toward the same quota.
    await rig.bedrock.send(new CreateModelInvocationJobCommand(jobInput('q2', { modelId: `us.${CLAUDE}` })));
    const over = await rejected(rig.bedrock.send(new CreateModelInvocationJobCommand(jobInput('q3'))));
    expect(over).toBeInstanceOf(ServiceQuotaExceededException);
    // Another model has its own quota.
    await rig.bedrock.send(new CreateModelInvocationJobCommand(jobInput('q4', { modelId: 'amazon.nova-lite-v1:0' })));
    // Once the first two have ended, there is room again.
    rig.clock.advance(60_000);
    await rig.bedrock.send(new CreateModelInvocationJobCommand(jobInput('q5')));
  });
});

describe('Get, List and Stop', () => {
  it('gets a job by ARN or bare id; an unknown one is ResourceNotFoundException', async () => {
    rig = await startAwsRig();
    const { jobArn } = await rig.bedrock.send(
      new CreateModelInvocationJobCommand(jobInput('g1', { timeoutDurationInHours: 48 })),
    );
    const id = jobArn!.split('/').pop()!;
    const byArn = await rig.bedrock.send(new GetModelInvocationJobCommand({ jobIdentifier: jobArn }));
    const byId = await rig.bedrock.send(new GetModelInvocationJobCommand({ jobIdentifier: id }));
    expect(byId).toMatchObject({ jobArn, jobName: 'g1', status: 'Submitted', timeoutDurationInHours: 48 });
    expect(byArn.submitTime).toEqual(new Date(rig.clock.now()));
    expect(byArn.jobExpirationTime).toEqual(new Date(rig.clock.now() + 48 * 3_600_000));
    expect(byArn).toMatchObject({ totalRecordCount: 0, processedRecordCount: 0, modelInvocationType: 'InvokeModel' });
    const missing = await rejected(
      rig.bedrock.send(new GetModelInvocationJobCommand({ jobIdentifier: 'abcdefghijkl' })),
    );
    expect(missing).toBeInstanceOf(ResourceNotFoundException);
    expect(missing.$metadata.httpStatusCode).toBe(404);
    const malformed = await rejected(rig.bedrock.send(new GetModelInvocationJobCommand({ jobIdentifier: 'job name' })));
    expect(malformed).toBeInstanceOf(ValidationException);
  });

  it('lists newest first with filters, and pages with maxResults/nextToken (and the SDK paginator)', async () => {
    rig = await startAwsRig();
    const arns: string[] = [];
    for (let i = 0; i < 7; i++) {
      const { jobArn } = await rig.bedrock.send(
        new CreateModelInvocationJobCommand(jobInput(`list-${i % 2 ? 'odd' : 'even'}-${i}`)),
      );
      arns.push(jobArn!);
      rig.clock.advance(1000);
    }
    const seen: string[] = [];
    let token: string | undefined;
    let calls = 0;
    do {
      const page = await rig.bedrock.send(new ListModelInvocationJobsCommand({ maxResults: 3, nextToken: token }));
      calls++;
      seen.push(...(page.invocationJobSummaries ?? []).map((j) => j.jobArn!));
      token = page.nextToken;
    } while (token);
    expect(calls).toBe(3);
    expect(seen).toEqual([...arns].reverse());
    const paged: string[] = [];
    for await (const page of paginateListModelInvocationJobs(
      { client: rig.bedrock, pageSize: 2 },
      { sortOrder: 'Ascending' },
    ))
      paged.push(...(page.invocationJobSummaries ?? []).map((j) => j.jobArn!));
    expect(paged).toEqual(arns);
    const odd = await rig.bedrock.send(new ListModelInvocationJobsCommand({ nameContains: 'odd' }));
    expect(odd.invocationJobSummaries?.map((j) => j.jobName)).toEqual(['list-odd-5', 'list-odd-3', 'list-odd-1']);
    const start = rig.clock.now() - 7000;
    const window = await rig.bedrock.send(
      new ListModelInvocationJobsCommand({
        submitTimeAfter: new Date(start + 2000),
        submitTimeBefore: new Date(start + 4000),
      }),
    );
    expect(window.invocationJobSummaries?.map((j) => j.jobArn)).toEqual([arns[4], arns[3], arns[2]]);
    // No input was uploaded, so they have all failed at validation by now.
    const failed = await rig.bedrock.send(new ListModelInvocationJobsCommand({ statusEquals: 'Failed' }));
    expect(failed.invocationJobSummaries?.length).toBe(6); // each 2 s after its create; the last is still Validating
    expect(failed.invocationJobSummaries?.[0]?.message).toContain('bucket batch-data does not exist');
    const bad = await rejected(rig.bedrock.send(new ListModelInvocationJobsCommand({ maxResults: 0 })));
    expect(bad).toBeInstanceOf(ValidationException);
  });

  it('stops a running job; stopping an ended one is a ConflictException', async () => {
    rig = await startAwsRig();
    await withInput();
    const { jobArn } = await rig.bedrock.send(new CreateModelInvocationJobCommand(jobInput('stop-me')));
    await rig.bedrock.send(new StopModelInvocationJobCommand({ jobIdentifier: jobArn }));
    // A second stop while Stopping is fine.
    await rig.bedrock.send(new StopModelInvocationJobCommand({ jobIdentifier: jobArn }));
    expect((await rig.bedrock.send(new GetModelInvocationJobCommand({ jobIdentifier: jobArn }))).status).toBe(
      'Stopping',
    );
    rig.clock.advance(1000);
    const stopped = await rig.bedrock.send(new GetModelInvocationJobCommand({ jobIdentifier: jobArn }));
    expect(stopped).toMatchObject({ status: 'Stopped', processedRecordCount: 0 });
    const conflict = await rejected(rig.bedrock.send(new StopModelInvocationJobCommand({ jobIdentifier: jobArn })));
    expect(conflict).toBeInstanceOf(ConflictException);
  });
});
