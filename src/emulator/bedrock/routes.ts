/**
 * The four batch-inference operations. Create is idempotent on `clientRequestToken` within the
 * flavour's window: AWS documents only that a repeat "is ignored, but does not return an error";
 * the emulator answers it with the original job's ARN (what the SDK surfaces as the result) and
 * creates nothing, even if the other fields differ. A token outside the window is new. Then, in
 * order: the role must be passable (AccessDeniedException), the name unused by any job
 * (ValidationException, as integrators observe), and the model under its concurrent-jobs quota
 * (ServiceQuotaExceededException).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { ApiError, readJsonBody } from '../openai/errors.ts';
import type { BedrockContext } from './context.ts';
import { BedrockError, sendBedrockJson, validationError } from './errors.ts';
import { advance, jobLock, refresh, refreshAll } from './lifecycle.ts';
import { modelRef } from './models.ts';
import { newJobId } from './store.ts';
import { TERMINAL_STATUSES, type JobRecord } from './types.ts';
import { parseCreate } from './validate.ts';
import { jobSummary } from './wire.ts';

const JOB_ARN = /^arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:model-invocation-job\/([a-z0-9]{12})$/;

/** Where the call came from: the signature's region names the ARN's region. */
export interface BedrockCall {
  region: string;
}

async function readBody(req: IncomingMessage, ctx: BedrockContext): Promise<unknown> {
  try {
    return await readJsonBody(req, ctx.counter);
  } catch (e) {
    if (e instanceof ApiError) throw new BedrockError('ValidationException', 'The request body is not valid JSON.');
    throw e;
  }
}

export async function createJob(
  ctx: BedrockContext,
  req: IncomingMessage,
  res: ServerResponse,
  call: BedrockCall,
): Promise<void> {
  const request = parseCreate(await readBody(req, ctx));
  const arn = await ctx.locks.run('bedrock:create', async () => {
    const now = ctx.clock.now();
    const token = request.clientRequestToken;
    const original =
      token === undefined
        ? undefined
        : ctx.jobs.all().find((j) => j.clientRequestToken === token && now - j.submitMs < ctx.idempotencyWindowMs);
    if (original) {
      original.replays++;
      await ctx.locks.run(jobLock(original.id), () => ctx.jobs.save(original));
      return original.arn;
    }
    if (ctx.passableRoles && !ctx.passableRoles.has(request.roleArn))
      throw new BedrockError(
        'AccessDeniedException',
        `User is not authorized to perform: iam:PassRole on resource: ${request.roleArn}`,
      );
    if (ctx.jobs.all().some((j) => j.name === request.jobName))
      throw new BedrockError('ValidationException', 'The provided job name is currently in use.');
    await refreshAll(ctx);
    const active = ctx.jobs
      .all()
      .filter((j) => !TERMINAL_STATUSES.has(j.status) && modelRef(j.modelId)?.base === request.model.base).length;
    if (active >= ctx.quotas.maxConcurrentJobsPerModel)
      throw new BedrockError(
        'ServiceQuotaExceededException',
        `You have reached the quota of ${ctx.quotas.maxConcurrentJobsPerModel} in-progress and submitted batch inference jobs for ${request.model.base} in this Region. Wait for a job to end, or request a quota increase.`,
      );
    const id = newJobId();
    const account = /:iam::(\d{12}):/.exec(request.roleArn)?.[1] ?? '123456789012';
    const job: JobRecord = {
      id,
      arn: `arn:aws:bedrock:${call.region}:${account}:model-invocation-job/${id}`,
      seq: ctx.jobs.nextSeq(),
      name: request.jobName,
      modelId: request.modelId,
      roleArn: request.roleArn,
      // The SDK fills in a token when the caller gives none; a raw call without one still gets one.
      clientRequestToken: token ?? randomUUID(),
      inputS3Uri: request.inputS3Uri,
      outputS3Uri: request.outputS3Uri,
      invocationType: request.invocationType,
      timeoutHours: request.timeoutHours,
      speed: ctx.speed,
      scheduledMs: ctx.scheduledMs,
      status: 'Submitted',
      submitMs: now,
      lastModifiedMs: now,
      inputs: [],
      processed: 0,
      succeeded: 0,
      errored: 0,
      inputTokens: 0,
      outputTokens: 0,
      cursor: { file: 0, offset: 0 },
      duplicates: 0,
      replays: 0,
      ...(request.inputBucketOwner ? { inputBucketOwner: request.inputBucketOwner } : {}),
      ...(request.outputKmsKeyId ? { outputKmsKeyId: request.outputKmsKeyId } : {}),
      ...(request.outputBucketOwner ? { outputBucketOwner: request.outputBucketOwner } : {}),
      ...(request.vpcConfig ? { vpcConfig: request.vpcConfig } : {}),
    };
    await ctx.jobs.save(job);
    ctx.stats.add('batchesCreated');
    return job.arn;
  });
  sendBedrockJson(res, 200, { jobArn: arn }, ctx.counter);
}

/** The job a `jobIdentifier` (its ARN or bare 12-character id) names. */
export function foundJob(ctx: BedrockContext, identifier: string): JobRecord {
  const id = JOB_ARN.exec(identifier)?.[2] ?? (/^[a-z0-9]{12}$/.test(identifier) ? identifier : undefined);
  if (id === undefined)
    throw validationError([
      {
        field: 'jobIdentifier',
        value: identifier,
        constraint: `Member must satisfy regular expression pattern: ${JOB_ARN.source.slice(1, -1)}|[a-z0-9]{12}`,
      },
    ]);
  const job = ctx.jobs.get(id);
  if (!job)
    throw new BedrockError('ResourceNotFoundException', `The model invocation job ${identifier} was not found.`);
  return job;
}

export async function getJob(ctx: BedrockContext, res: ServerResponse, identifier: string): Promise<void> {
  const job = await refresh(ctx, foundJob(ctx, identifier));
  sendBedrockJson(res, 200, jobSummary(job), ctx.counter);
}

export async function stopJob(ctx: BedrockContext, res: ServerResponse, identifier: string): Promise<void> {
  const job = foundJob(ctx, identifier);
  await ctx.locks.run(jobLock(job.id), async () => {
    const now = ctx.clock.now();
    await advance(ctx, job, now);
    if (job.status === 'Stopping') return;
    if (TERMINAL_STATUSES.has(job.status))
      throw new BedrockError('ConflictException', `The job ${job.arn} is ${job.status} and can no longer be stopped.`);
    job.status = 'Stopping';
    job.stopMs = now;
    job.lastModifiedMs = now;
    await ctx.jobs.save(job);
  });
  sendBedrockJson(res, 200, {}, ctx.counter);
}
