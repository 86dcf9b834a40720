/**
 * Anthropic's Message Batches API (providers.md A), through the official `@anthropic-ai/sdk`,
 * the only module that imports it, and only when a command first calls the API. What differs
 * from OpenAI's batches, and how it is bridged:
 *
 * - lines are `{custom_id, params}` (the Messages body) and results `{custom_id, result}`;
 *   `max_tokens` is required and custom ids are `^[A-Za-z0-9_-]{1,64}$`;
 * - requests go inline in the create call (no files): `upload` is never called;
 * - no batch metadata: a create whose answer was lost is found by time and size (adoption.ts);
 * - `processing_status` `in_progress | canceling | ended` becomes the protocol's statuses; an ended
 *   batch offers its results at its `results_url` (`outputFileId` = that URL), streamed as
 *   received. Fetched directly rather than through the SDK's `results(id)`, which retrieves the
 *   batch first for the URL the poll already gave us: one call per batch collected, not two
 *   (every batch endpoint shares one RPM limit, 50 at tier 1);
 * - request counts are final only once the batch has ended (`countsOnlyAtEnd`).
 *
 * Retries: create and cancel run with `maxRetries: 0` (a retried create could make a second
 * batch); the other calls are idempotent and keep the SDK's retries.
 */
import type Anthropic from '@anthropic-ai/sdk';
import type * as AnthropicModule from '@anthropic-ai/sdk';
import type { MessageBatch } from '@anthropic-ai/sdk/resources/messages/batches';
import { isRecord } from '../util/is-record.ts';
import { err, ok } from '../util/result.ts';
import type { ApiError, BatchApi, CallStats, RemoteBatch } from './batch-api.ts';
import type { ResultLine } from './outcome.ts';
import {
  TRANSIENT_ERROR_TYPES,
  messageEnd,
  messagesBody,
  messagesMaxTokens,
  messagesPrompt,
  messageText,
  messagesWithRepair,
} from './shared/anthropic-messages.ts';
import { bodyFrom, rangeHeader } from './shared/byte-range.ts';
import { keyedEndpoint, OFFLINE_KEY } from './shared/env.ts';
import { classifyFailure, countingFetch, scrubSecrets } from './shared/http-errors.ts';
import { throughSendGate } from './shared/send-gate.ts';
import { requestHash, usageOf } from './shared/line-tools.ts';
import { SPECIFICATION_VERSION, type ProviderEndpoint, type ProviderSpec, type WireFormat } from './spec.ts';

const MB = 1024 * 1024;
/** What Anthropic's request lines are sent to (they carry no url of their own). */
const MESSAGES = '/v1/messages';

const anthropicLines: WireFormat = {
  name: "Anthropic's",
  idField: 'custom_id',
  writeRequest: (settings, customId, system, user) => ({
    custom_id: customId,
    params: messagesBody(settings, system, user),
  }),
  readRequest: (line) =>
    isRecord(line.params) && line.body === undefined
      ? { body: line.params, model: typeof line.params.model === 'string' ? line.params.model : '', endpoint: MESSAGES }
      : undefined,
  requestProblem: () => 'missing "params" (an object)',
  withBody: (line, body) => ({ ...line, params: body }),
  hash: (line) => requestHash('POST', MESSAGES, line.params),
  prompt: messagesPrompt,
  maxOutputTokens: messagesMaxTokens,
  appendToPrompt: messagesWithRepair,
  readResult,
};

/** `{custom_id, result: {type: succeeded|errored|canceled|expired, …}}`. */
function readResult(line: Record<string, unknown>): ResultLine | undefined {
  const customId = line.custom_id;
  const result = line.result;
  if (typeof customId !== 'string' || customId === '' || !isRecord(result)) return undefined;
  switch (result.type) {
    case 'succeeded': {
      const message = isRecord(result.message) ? result.message : {};
      const usage = usageOf(message.usage);
      return { kind: 'succeeded', customId, line, text: messageText(message), usage, ...messageEnd(message) };
    }
    case 'errored': {
      const outer = isRecord(result.error) ? result.error : {};
      const inner = isRecord(outer.error) ? outer.error : outer;
      const code = typeof inner.type === 'string' ? inner.type : 'error';
      const message = typeof inner.message === 'string' ? inner.message : code;
      return { kind: 'errored', customId, retryable: TRANSIENT_ERROR_TYPES.has(code), code, message, line };
    }
    case 'canceled':
      return { kind: 'canceled', customId, code: 'canceled' };
    case 'expired':
      return { kind: 'expired', customId, code: 'expired' };
    default:
      return { kind: 'missing', customId, code: 'no_response' };
  }
}

export const anthropic: ProviderSpec = {
  specificationVersion: SPECIFICATION_VERSION,
  name: 'anthropic',
  title: 'Anthropic Message Batches',
  traits: {
    maxRequestsPerBatch: 100_000,
    maxBytesPerBatch: 256 * MB,
    inlineUpToBytes: Number.POSITIVE_INFINITY,
    findsLostCreates: 'size-and-time',
    countsOnlyAtEnd: true,
    completionWindow: { defaultHours: 24, minHours: 24, maxHours: 24 },
    endpoints: [MESSAGES],
    customId: { pattern: /^[A-Za-z0-9_-]{1,64}$/, rule: "1–64 characters of A–Z, a–z, 0–9, '_' and '-'" },
    ruleBaseURL: false,
    publicTokenizer: false,
  },
  env: {
    key: 'ANTHROPIC_API_KEY',
    baseURL: 'ANTHROPIC_BASE_URL',
    hint: 'ANTHROPIC_API_KEY (ANTHROPIC_BASE_URL for another server)',
  },
  wire: anthropicLines,
  endpoint: (use, env) =>
    keyedEndpoint(
      'anthropic',
      { key: 'ANTHROPIC_API_KEY', baseURL: 'ANTHROPIC_BASE_URL', purpose: "to use Anthropic's Message Batches API" },
      { apiKeyEnv: use.apiKeyEnv },
      env,
    ),
  // The SDK appends `/v1/messages/batches` to the origin.
  offline: (origin) => ({ provider: 'anthropic', apiKey: OFFLINE_KEY, baseURL: origin }),
  batch: createAnthropicApi,
  checkRequests: (rule) =>
    typeof rule.params.max_tokens === 'number'
      ? []
      : [
          {
            path: ['params', 'max_tokens'],
            message:
              'Anthropic requires max_tokens on every request: add params: { max_tokens: 1024 } (or the reply length you need)',
          },
        ],
};

export async function createAnthropicApi(endpoint: ProviderEndpoint): Promise<BatchApi> {
  const sdk = await import('@anthropic-ai/sdk');
  const calls: CallStats = { total: 0, byRoute: {} };
  const client = new sdk.default({
    apiKey: endpoint.apiKey,
    ...(endpoint.baseURL ? { baseURL: endpoint.baseURL } : {}),
    timeout: endpoint.timeoutMs ?? 60_000,
    maxRetries: endpoint.maxRetries ?? 2,
    fetch: countingFetch(calls),
    logLevel: 'off',
  });
  const fail = (error: unknown, ambiguous = false) => err(toApiError(sdk, error, endpoint.apiKey, ambiguous));
  const unsupported = (what: string) =>
    Promise.resolve(err<ApiError>({ kind: 'http', status: 400, message: `${what}: Anthropic takes requests inline` }));

  return {
    provider: 'anthropic',
    calls,
    traits: anthropic.traits,
    upload: () => unsupported('upload'),
    findUpload: () => Promise.resolve(ok(undefined)),
    deleteFile: () => Promise.resolve(ok(undefined)),
    async createBatch(p) {
      if (!p.inputData) return unsupported('create without the requests');
      const requests = p.inputData
        .toString('utf8')
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line) as Anthropic.Messages.BatchCreateParams.Request);
      try {
        const sent = () => client.messages.batches.create({ requests }, { maxRetries: 0 });
        return ok(fromSdk(await throughSendGate(p.beforeSend, sent)));
      } catch (error) {
        return fail(error, true);
      }
    },
    async retrieveBatch(id) {
      try {
        return ok(fromSdk(await client.messages.batches.retrieve(id)));
      } catch (error) {
        return fail(error);
      }
    },
    async listBatches({ limit, after }) {
      try {
        const page = await client.messages.batches.list({ limit, ...(after ? { after_id: after } : {}) });
        const data = page.data.map(fromSdk);
        return ok({ data, ...(page.has_more === true && data.length > 0 ? { next: data.at(-1)!.id } : {}) });
      } catch (error) {
        return fail(error);
      }
    },
    async cancelBatch(id) {
      try {
        const batch = fromSdk(await client.messages.batches.cancel(id, {}, { maxRetries: 0 }));
        return ok({ alreadyTerminal: false, batch });
      } catch (error) {
        // Anthropic answers a cancel of an ended batch with 400 ("already ended"), OpenAI with 409.
        if (
          error instanceof sdk.APIError &&
          (error.status === 409 || (error.status === 400 && /ended/i.test(error.message)))
        )
          return ok({ alreadyTerminal: true });
        return fail(error);
      }
    },
    async downloadFile(resultsUrl, from = 0) {
      try {
        const response = await client
          .get(resultsUrl, { headers: { Accept: 'application/binary', ...rangeHeader(from) }, stream: true })
          .asResponse();
        // Streamed: results can be hundreds of MB.
        return ok(bodyFrom(response.body, from, response.status === 206));
      } catch (error) {
        return fail(error);
      }
    },
  };
}

function fromSdk(b: MessageBatch): RemoteBatch {
  const c = b.request_counts;
  const total = c.processing + c.succeeded + c.errored + c.canceled + c.expired;
  return {
    id: b.id,
    status: statusOf(b),
    createdAt: Date.parse(b.created_at),
    inputFileId: '',
    outputFileId: b.processing_status === 'ended' ? (b.results_url ?? null) : null,
    errorFileId: null,
    errors: [],
    requestCounts: { total, completed: c.succeeded, failed: c.errored + c.canceled + c.expired },
    metadata: {},
  };
}

/** Anthropic's three processing states, in the protocol's words. */
function statusOf(b: MessageBatch): RemoteBatch['status'] {
  if (b.processing_status === 'in_progress') return 'in_progress';
  if (b.processing_status === 'canceling') return 'cancelling';
  if (b.cancel_initiated_at) return 'cancelled';
  const c = b.request_counts;
  return c.expired > 0 ? 'expired' : 'completed';
}

type AnthropicSdk = typeof AnthropicModule;

function toApiError(sdk: AnthropicSdk, error: unknown, apiKey: string, ambiguous: boolean): ApiError {
  const message = scrubSecrets(error instanceof Error ? error.message : String(error), apiKey);
  if (error instanceof sdk.APIConnectionError || !(error instanceof sdk.APIError) || typeof error.status !== 'number')
    return classifyFailure({ status: undefined, message }, ambiguous);
  const type = (error.error as { error?: { type?: string } } | undefined)?.error?.type;
  return classifyFailure(
    { status: error.status, message, headers: error.headers as Headers | undefined, code: type },
    ambiguous,
  );
}
