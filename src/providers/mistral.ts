/**
 * Mistral's batch API (providers.md J), through the official `@mistralai/mistralai` SDK, loaded on
 * first use. What differs from OpenAI's, and how it is bridged:
 *
 * - lines are `{custom_id, body}` (no method or url: the job names its endpoint); output and error
 *   file lines are not documented, and are read as OpenAI's (`{custom_id, response: {status_code,
 *   body}, error}`), which Mistral's own examples and client libraries read;
 * - one model per job, named on the job; `timeout_hours` is the completion window (at least 1,
 *   default 24; no maximum documented, so none is enforced here);
 * - `metadata` is a string map kept on the job, so a create whose answer was lost is found by its
 *   intent as on OpenAI; there is no idempotency key;
 * - the list is paged by number (`page`, `page_size`, newest first with `order_by: -created`),
 *   and uploads are found again by name with the files list's `search`;
 * - statuses `QUEUED, RUNNING, SUCCESS, FAILED, TIMEOUT_EXCEEDED, CANCELLATION_REQUESTED, CANCELLED`;
 *   a job that timed out keeps what it finished (as an expired batch does);
 * - limits: the "known limitations" page's 100,000 requests and 512 MB per job (the batch guide's
 *   "up to 1M" disagrees; the lower is safe); results can be downloaded for 24 h after the job ends.
 *
 * SDK retries: off for create and cancel (a retried create could make a second job), backoff for
 * the idempotent calls, as the other transports do; each attempt is timed on its own (the SDK's
 * timeout would span a call's retries and abort them unsent: shared/attempt-timeout.ts).
 */
import type { Mistral } from '@mistralai/mistralai';
import type { BatchJob } from '@mistralai/mistralai/models/components';
import { isRecord } from '../util/is-record.ts';
import { err, ok } from '../util/result.ts';
import type { BatchApi, CallStats, RemoteBatch } from './batch-api.ts';
import { bodyFrom } from './shared/byte-range.ts';
import { keyedEndpoint, OFFLINE_KEY } from './shared/env.ts';
import { windowHours } from './shared/window.ts';
import { classifyFailure, countingFetch, scrubSecrets } from './shared/http-errors.ts';
import { timedAttempts } from './shared/attempt-timeout.ts';
import { throughSendGate } from './shared/send-gate.ts';
import { openaiLines } from './shared/openai-lines.ts';
import { SPECIFICATION_VERSION, type ProviderEndpoint, type ProviderSpec, type WireFormat } from './spec.ts';
import { bytesOf } from './shared/bytes-of.ts';

const MB = 1024 * 1024;
const CHAT = '/v1/chat/completions';
const PAGE = 100;

/** OpenAI's chat lines without `method` and `url`; the same hash, so a line reads the same under either. */
const mistralLines: WireFormat = {
  ...openaiLines,
  name: "Mistral's",
  writeRequest(settings, customId, system, user) {
    const { body } = openaiLines.writeRequest({ ...settings, endpoint: CHAT }, customId, system, user);
    return { custom_id: customId, body };
  },
  readRequest: (line) =>
    isRecord(line.body) && line.url === undefined
      ? { body: line.body, model: typeof line.body.model === 'string' ? line.body.model : '', endpoint: CHAT }
      : undefined,
};

export const mistral: ProviderSpec = {
  specificationVersion: SPECIFICATION_VERSION,
  name: 'mistral',
  title: 'Mistral Batch API',
  traits: {
    maxRequestsPerBatch: 100_000,
    maxBytesPerBatch: 512 * MB,
    inlineUpToBytes: 0,
    findsLostCreates: 'metadata',
    countsOnlyAtEnd: false,
    completionWindow: { defaultHours: 24, minHours: 1, maxHours: 24 * 365 },
    endpoints: [CHAT],
    ruleBaseURL: false,
    publicTokenizer: false,
  },
  env: {
    key: 'MISTRAL_API_KEY',
    baseURL: 'MISTRAL_BASE_URL',
    hint: 'MISTRAL_API_KEY (MISTRAL_BASE_URL for another server)',
  },
  wire: mistralLines,
  endpoint: (use, env) =>
    keyedEndpoint(
      'mistral',
      { key: 'MISTRAL_API_KEY', baseURL: 'MISTRAL_BASE_URL', purpose: "to use Mistral's batch API" },
      { apiKeyEnv: use.apiKeyEnv },
      env,
    ),
  // Served under /mistral: Mistral's /v1/files would be OpenAI's on the same origin.
  offline: (origin) => ({ provider: 'mistral', apiKey: OFFLINE_KEY, baseURL: `${origin}/mistral` }),
  batch: createMistralApi,
};

async function createMistralApi(endpoint: ProviderEndpoint): Promise<BatchApi> {
  const sdk = await import('@mistralai/mistralai');
  const { MistralError } = await import('@mistralai/mistralai/models/errors');
  const calls: CallStats = { total: 0, byRoute: {} };
  const retries = endpoint.maxRetries ?? 2;
  const timeoutMs = endpoint.timeoutMs ?? 60_000;
  const client: Mistral = new sdk.Mistral({
    apiKey: endpoint.apiKey,
    ...(endpoint.baseURL ? { serverURL: endpoint.baseURL } : {}),
    // The SDK's own timeout is one signal for a call and all its retries: each attempt is timed
    // by the fetcher instead (attempt-timeout.ts says why), and this one never takes effect.
    timeoutMs,
    httpClient: new sdk.HTTPClient({ fetcher: timedAttempts(countingFetch(calls), timeoutMs) }),
    // The SDK bounds retries by time, not by count: a window of 1.5 s per retry asked for makes
    // about that many (its waits start at up to 1 s and double, or wait as retry-after says), as the
    // other transports' counts do.
    // 30 s per call made every call of a build retry for half a minute under an outage.
    retryConfig:
      retries > 0
        ? {
            strategy: 'backoff',
            backoff: { initialInterval: 500, maxInterval: 8000, exponent: 2, maxElapsedTime: retries * 1500 },
            retryConnectionErrors: true,
          }
        : { strategy: 'none' },
  });
  const once = { retries: { strategy: 'none' as const } };
  const fail = (error: unknown, ambiguous = false) => {
    const message = scrubSecrets(error instanceof Error ? error.message : String(error), endpoint.apiKey);
    if (!(error instanceof MistralError)) return err(classifyFailure({ status: undefined, message }, ambiguous));
    return err(classifyFailure({ status: error.statusCode, message, headers: error.headers }, ambiguous));
  };

  return {
    provider: 'mistral',
    calls,
    traits: mistral.traits,
    async upload(data, filename) {
      try {
        const content = await bytesOf(data);
        const file = await client.files.upload({ file: { fileName: filename, content }, purpose: 'batch' });
        return ok({ id: file.id });
      } catch (error) {
        return fail(error);
      }
    },
    async findUpload(filename) {
      try {
        for (let page = 0; ; page++) {
          const list = await client.files.list({ page, pageSize: PAGE, search: filename, purpose: 'batch' });
          const file = list.data.find((f) => f.filename === filename);
          if (file) return ok({ id: file.id, bytes: file.sizeBytes });
          if (list.data.length < PAGE) return ok(undefined);
        }
      } catch (error) {
        return fail(error);
      }
    },
    async deleteFile(id) {
      try {
        await client.files.delete({ fileId: id });
        return ok(undefined);
      } catch (error) {
        if (error instanceof MistralError && error.statusCode === 404) return ok(undefined);
        return fail(error);
      }
    },
    async createBatch(p) {
      try {
        const job = await throughSendGate(p.beforeSend, () =>
          client.batch.jobs.create(
            {
              inputFiles: p.inputFileId ? [p.inputFileId] : [],
              endpoint: p.endpoint as typeof CHAT,
              model: p.model,
              metadata: p.metadata,
              timeoutHours: windowHours(p.completionWindow),
            },
            once,
          ),
        );
        return ok(fromSdk(job));
      } catch (error) {
        return fail(error, true);
      }
    },
    async retrieveBatch(id) {
      try {
        return ok(fromSdk(await client.batch.jobs.get({ jobId: id })));
      } catch (error) {
        return fail(error);
      }
    },
    async listBatches({ limit, after }) {
      const page = after ? Number(after) : 0;
      try {
        const list = await client.batch.jobs.list({ page, pageSize: limit, orderBy: '-created' });
        const data = (list.data ?? []).map(fromSdk);
        const more = (page + 1) * limit < list.total && data.length > 0;
        return ok({ data, ...(more ? { next: String(page + 1) } : {}) });
      } catch (error) {
        return fail(error);
      }
    },
    async cancelBatch(id) {
      try {
        const job = fromSdk(await client.batch.jobs.cancel({ jobId: id }, once));
        return ok({ alreadyTerminal: false, batch: job });
      } catch (error) {
        if (error instanceof MistralError && (error.statusCode === 409 || error.statusCode === 400))
          return ok({ alreadyTerminal: true });
        return fail(error);
      }
    },
    async downloadFile(id, from = 0) {
      try {
        // Streamed (results can be hundreds of MB); the SDK asks for no range, so a resumed download skips what it had.
        const body = await client.files.download({ fileId: id });
        return ok(bodyFrom(body, from, false));
      } catch (error) {
        return fail(error);
      }
    },
  };
}

const STATUS: Readonly<Record<string, RemoteBatch['status']>> = {
  QUEUED: 'validating',
  RUNNING: 'in_progress',
  SUCCESS: 'completed',
  FAILED: 'failed',
  TIMEOUT_EXCEEDED: 'expired',
  CANCELLATION_REQUESTED: 'cancelling',
  CANCELLED: 'cancelled',
};

function fromSdk(job: BatchJob): RemoteBatch {
  // A failed job that answered some requests has them in its output file: collected, the rest sent again.
  const status = job.status === 'FAILED' && job.outputFile ? 'completed' : (STATUS[job.status] ?? job.status);
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(job.metadata ?? {})) if (typeof v === 'string') metadata[k] = v;
  return {
    id: job.id,
    status,
    createdAt: job.createdAt * 1000,
    inputFileId: job.inputFiles[0] ?? '',
    outputFileId: job.outputFile ?? null,
    errorFileId: job.errorFile ?? null,
    errors: job.errors.map((e) => ({ message: e.message })),
    requestCounts: { total: job.totalRequests, completed: job.succeededRequests, failed: job.failedRequests },
    metadata,
  };
}
