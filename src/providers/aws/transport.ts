/**
 * Bedrock's batch transport (see bedrock.ts for what it bridges): jobs through
 * `@aws-sdk/client-bedrock`, files through s3-files.ts. Every SDK error becomes an ApiError by its
 * HTTP status and name; the secret key is scrubbed from every message.
 */
import {
  BedrockClient,
  CreateModelInvocationJobCommand,
  GetModelInvocationJobCommand,
  ListModelInvocationJobsCommand,
  StopModelInvocationJobCommand,
  type ModelInvocationJobSummary,
  type ServiceInputTypes as BedrockIn,
  type ServiceOutputTypes as BedrockOut,
} from '@aws-sdk/client-bedrock';
import { S3Client, type ServiceInputTypes as S3In, type ServiceOutputTypes as S3Out } from '@aws-sdk/client-s3';
import type { BuildMiddleware, DeserializeMiddleware, NodeHttpHandlerOptions } from '@smithy/types';
import { isRecord } from '../../util/is-record.ts';
import { err, ok } from '../../util/result.ts';
import type { ApiError, BatchApi, CallStats, RemoteBatch } from '../batch-api.ts';
import { ruleSetting, s3Place } from '../bedrock.ts';
import { classifyFailure, scrubSecrets } from '../shared/http-errors.ts';
import { atSendGate, throughSendGate } from '../shared/send-gate.ts';
import { windowHours } from '../shared/window.ts';
import type { ProviderEndpoint, ProviderTraits } from '../spec.ts';
import { bucketExists, deleteObject, objectOf, partBytes, putPart, resultStream, uriOf } from './s3-files.ts';
import { bytesOf } from '../shared/bytes-of.ts';

const STATUS: Readonly<Record<string, RemoteBatch['status']>> = {
  Submitted: 'validating',
  Validating: 'validating',
  Scheduled: 'validating',
  InProgress: 'in_progress',
  Completed: 'completed',
  // Not every record was processed in time: what was is kept, the rest sent again.
  PartiallyCompleted: 'completed',
  Failed: 'failed',
  Stopping: 'cancelling',
  Stopped: 'cancelled',
  Expired: 'expired',
};
const ENDED = new Set(['Completed', 'PartiallyCompleted', 'Stopped', 'Expired', 'Failed']);
/** Our jobs' names: `llmake-<intent>-p<part>` (unique per intent, and a filter for the list). */
const NAME = /^llmake-([0-9a-f]+)-p(\d+)$/;

export function createBedrockApi(endpoint: ProviderEndpoint, traits: ProviderTraits): Promise<BatchApi> {
  // The SDK warns on every process under Node 22 about its future releases; the tool runs on 20.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const s = endpoint.settings ?? {};
  const credentials =
    s.accessKeyId && s.secretAccessKey
      ? {
          accessKeyId: s.accessKeyId,
          secretAccessKey: s.secretAccessKey,
          ...(s.sessionToken ? { sessionToken: s.sessionToken } : {}),
        }
      : undefined;
  const common = {
    ...(s.region ? { region: s.region } : {}),
    ...(credentials ? { credentials } : {}),
    maxAttempts: (endpoint.maxRetries ?? 2) + 1,
    requestHandler: attemptTimeouts(endpoint.timeoutMs ?? 60_000),
  };
  const calls: CallStats = { total: 0, byRoute: {} };
  const s3 = new S3Client({ ...common, ...(s.s3Endpoint ? { endpoint: s.s3Endpoint, forcePathStyle: true } : {}) });
  const jobs = new BedrockClient({ ...common, ...(s.bedrockEndpoint ? { endpoint: s.bedrockEndpoint } : {}) });
  s3.middlewareStack.add(counting<S3In, S3Out>(calls), { step: 'build', name: 'llmakeCallCount' });
  jobs.middlewareStack.add(counting<BedrockIn, BedrockOut>(calls), { step: 'build', name: 'llmakeCallCount' });
  // Last before the HTTP handler (after signing and the SDK's retries): where a gated create's hook runs.
  jobs.middlewareStack.add(sendGate<BedrockIn, BedrockOut>(), {
    step: 'deserialize',
    priority: 'low',
    name: 'llmakeSendGate',
  });
  const fail = (error: unknown, ambiguous = false) => err(toApiError(error, s.secretAccessKey ?? '', ambiguous));
  const place = (rule: Readonly<Record<string, unknown>> | undefined) => s3Place(ruleSetting(rule, 's3Uri') ?? '');
  const summary = async (id: string) =>
    fromJob((await jobs.send(new GetModelInvocationJobCommand({ jobIdentifier: id }))) as ModelInvocationJobSummary);

  return Promise.resolve({
    provider: 'bedrock',
    calls,
    traits,
    async upload(data, filename, rule) {
      const where = place(rule);
      if (!where) return err({ kind: 'bad-request', status: 400, message: 'the rule names no s3Uri' });
      try {
        if (!(await bucketExists(s3, where.bucket, s.offline === 'true')))
          return err({
            kind: 'bad-request',
            status: 404,
            message: `bucket ${where.bucket} does not exist: create it (aws s3 mb s3://${where.bucket}) or point the rule's s3Uri at one you have`,
          });
        const at = { bucket: where.bucket, key: join(where.prefix, 'input', filename) };
        await putPart(s3, at, await bytesOf(data));
        return ok({ id: uriOf(at) });
      } catch (error) {
        return fail(error);
      }
    },
    async findUpload(filename, rule) {
      const where = place(rule);
      if (!where) return ok(undefined);
      try {
        const at = { bucket: where.bucket, key: join(where.prefix, 'input', filename) };
        const bytes = await partBytes(s3, at);
        return ok(bytes === undefined ? undefined : { id: uriOf(at), bytes });
      } catch (error) {
        return fail(error);
      }
    },
    async deleteFile(id) {
      try {
        await deleteObject(s3, objectOf(id));
        return ok(undefined);
      } catch (error) {
        return fail(error);
      }
    },
    async createBatch(p) {
      const where = place(p.rule);
      const roleArn = ruleSetting(p.rule, 'roleArn') ?? s.roleArn;
      if (!where || !p.inputFileId || !roleArn)
        return err({
          kind: 'bad-request',
          status: 400,
          message: "a Bedrock job needs the rule's s3Uri, an uploaded part and a role (roleArn or BEDROCK_ROLE_ARN)",
        });
      const jobName = `llmake-${p.metadata.pipeline_intent}-p${p.metadata.pipeline_part}`;
      try {
        const created = await throughSendGate(p.beforeSend, () =>
          jobs.send(
            new CreateModelInvocationJobCommand({
              jobName,
              roleArn,
              // The intent: a create sent again after a lost answer returns the same job.
              clientRequestToken: p.metadata.pipeline_intent,
              modelId: p.model,
              inputDataConfig: { s3InputDataConfig: { s3Uri: p.inputFileId, s3InputFormat: 'JSONL' } },
              outputDataConfig: {
                s3OutputDataConfig: { s3Uri: `s3://${where.bucket}/${join(where.prefix, 'output')}/` },
              },
              timeoutDurationInHours: windowHours(p.completionWindow),
            }),
          ),
        );
        return ok(await summary(created.jobArn!));
      } catch (error) {
        // Past the token's memory the unique name still holds: the job the lost create made.
        if (isRecord(error) && error.name === 'ValidationException' && /name/i.test(String(error.message))) {
          const found = await byName(jobName);
          if (found) return ok(found);
        }
        return fail(error, true);
      }
    },
    async retrieveBatch(id) {
      try {
        return ok(await summary(id));
      } catch (error) {
        return fail(error);
      }
    },
    async listBatches({ limit, after }) {
      try {
        const page = await jobs.send(
          new ListModelInvocationJobsCommand({
            maxResults: Math.min(limit, 1000),
            sortBy: 'CreationTime',
            sortOrder: 'Descending',
            nameContains: 'llmake-',
            ...(after ? { nextToken: after } : {}),
          }),
        );
        const data = (page.invocationJobSummaries ?? []).map(fromJob);
        return ok({ data, ...(page.nextToken ? { next: page.nextToken } : {}) });
      } catch (error) {
        return fail(error);
      }
    },
    async cancelBatch(id) {
      try {
        await jobs.send(new StopModelInvocationJobCommand({ jobIdentifier: id }));
        return ok({ alreadyTerminal: false, batch: await summary(id) });
      } catch (error) {
        if (isRecord(error) && error.name === 'ConflictException') return ok({ alreadyTerminal: true });
        return fail(error);
      }
    },
    async downloadFile(folder, from = 0) {
      try {
        return ok(await resultStream(s3, objectOf(folder), from));
      } catch (error) {
        return fail(error);
      }
    },
  });

  async function byName(jobName: string): Promise<RemoteBatch | undefined> {
    const page = await jobs.send(new ListModelInvocationJobsCommand({ nameContains: jobName, maxResults: 10 }));
    const job = (page.invocationJobSummaries ?? []).find((j) => j.jobName === jobName);
    return job ? fromJob(job) : undefined;
  }
}

/**
 * The SDK's HTTP handler sets no timeout by default: a connection that hangs waited forever, and
 * PIPELINE_API_TIMEOUT_MS did nothing on Bedrock. Its options are per attempt (the handler runs
 * once per try, so a timed-out attempt is retried as a `TimeoutError`): `requestTimeout` covers
 * the wait for the answer's headers (it ends once they come; `throwOnRequestTimeout` makes it an
 * error rather than a logged warning), `connectionTimeout` the connect, and `socketTimeout` any
 * silence on the socket, so a result object's body may take as long as it needs while it moves,
 * but one that stops for `timeoutMs` is cut (and resumed from its last byte by the collector).
 */
function attemptTimeouts(timeoutMs: number): NodeHttpHandlerOptions {
  return {
    connectionTimeout: timeoutMs,
    requestTimeout: timeoutMs,
    throwOnRequestTimeout: true,
    socketTimeout: timeoutMs,
  };
}

/** Counts each command sent (by its name), for the tests and benchmarks that count calls. */
function counting<I extends object, O extends object>(calls: CallStats): BuildMiddleware<I, O> {
  return (next, context) => (args) => {
    const route = String(context.commandName ?? 'call');
    calls.total += 1;
    calls.byRoute[route] = (calls.byRoute[route] ?? 0) + 1;
    return next(args);
  };
}

/** Passes the send gate (see shared/send-gate.ts) right before the request goes to the HTTP handler. */
function sendGate<I extends object, O extends object>(): DeserializeMiddleware<I, O> {
  return (next) => async (args) => {
    await atSendGate();
    return next(args);
  };
}

function join(...parts: string[]): string {
  return parts.filter(Boolean).join('/');
}

function fromJob(job: ModelInvocationJobSummary): RemoteBatch {
  const status = job.status ?? 'Submitted';
  const id = job.jobArn ?? '';
  const jobId = id.split('/').pop() ?? '';
  const out = job.outputDataConfig?.s3OutputDataConfig?.s3Uri ?? '';
  const m = NAME.exec(job.jobName ?? '');
  return {
    id,
    status: STATUS[status] ?? status,
    createdAt: job.submitTime ? job.submitTime.getTime() : 0,
    inputFileId: job.inputDataConfig?.s3InputDataConfig?.s3Uri ?? '',
    // Whatever ran is under the job's folder; a failed job has none, the others some or all.
    outputFileId: ENDED.has(status) && status !== 'Failed' ? `${out.replace(/\/?$/, '/')}${jobId}/` : null,
    errorFileId: null,
    errors: status === 'Failed' ? [{ message: job.message ?? 'the job failed' }] : [],
    requestCounts: {
      total: job.totalRecordCount ?? 0,
      completed: job.successRecordCount ?? 0,
      failed: job.errorRecordCount ?? 0,
    },
    metadata: m ? { pipeline_intent: m[1]!, pipeline_part: m[2]! } : {},
  };
}

function toApiError(error: unknown, secret: string, ambiguous: boolean): ApiError {
  const message = scrubSecrets(error instanceof Error ? `${error.name}: ${error.message}` : String(error), secret);
  const meta = isRecord(error) && isRecord(error.$metadata) ? error.$metadata : {};
  const status = typeof meta.httpStatusCode === 'number' ? meta.httpStatusCode : undefined;
  const name = isRecord(error) && typeof error.name === 'string' ? error.name : '';
  // Too many jobs in flight for the model: wait for room, as for a full queue (not a refusal).
  if (name === 'ServiceQuotaExceededException') return { kind: 'queue-full', status: status ?? 400, message };
  if (name === 'ThrottlingException') return { kind: 'rate-limited', status: 429, message };
  return classifyFailure({ status, message, code: name }, ambiguous);
}
