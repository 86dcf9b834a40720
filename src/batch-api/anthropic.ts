/**
 * Anthropic's Message Batches API through the official `@anthropic-ai/sdk` — the only module that
 * imports it — behind the same `BatchApi` the OpenAI client offers, so the submit/collect protocol
 * is one for every provider. What differs, and how it is bridged:
 *
 * - requests go inline in the create call (no files): `upload` is never called (traits say so),
 *   `createBatch` receives the part's JSONL lines (`{custom_id, params}`) and sends them as JSON;
 * - no batch metadata: a create whose answer was lost is found by time and size (adoption.ts);
 * - `processing_status` `in_progress | canceling | ended` becomes OpenAI's statuses; an ended batch
 *   offers its results at its `results_url` (`outputFileId` = that URL), streamed as the bytes
 *   received. Fetched directly rather than through the SDK's `results(id)`, which retrieves the
 *   batch first for the URL the poll already gave us: one call per batch collected, not two
 *   (every batch endpoint shares one RPM limit, 50 at tier 1);
 * - request counts are final only once the batch has ended (traits say so, for progress displays).
 *
 * Retries: create and cancel run with `maxRetries: 0` (a retried create could make a second
 * batch); the other calls are idempotent and keep the SDK's retries.
 */
import { Readable } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import Anthropic, { APIConnectionError, APIError } from '@anthropic-ai/sdk';
import type { MessageBatch } from '@anthropic-ai/sdk/resources/messages/batches';
import { err, ok } from '../util/result.ts';
import { classifyFailure, countingFetch, scrubSecrets } from './errors.ts';
import { PROVIDER_TRAITS } from './traits.ts';
import type { ApiError, BatchApi, CallStats, RemoteBatch } from './types.ts';

export interface AnthropicApiOptions {
  apiKey: string;
  /** The API's origin (the SDK appends `/v1/messages/batches`); defaults to api.anthropic.com. */
  baseURL?: string | undefined;
  timeoutMs?: number | undefined;
  maxRetries?: number | undefined;
}

export function createAnthropicApi(options: AnthropicApiOptions): BatchApi {
  const calls: CallStats = { total: 0, byRoute: {} };
  const client = new Anthropic({
    apiKey: options.apiKey,
    ...(options.baseURL ? { baseURL: options.baseURL } : {}),
    timeout: options.timeoutMs ?? 60_000,
    maxRetries: options.maxRetries ?? 2,
    fetch: countingFetch(calls),
    logLevel: 'off',
  });
  const fail = (error: unknown, ambiguous = false) => err(toApiError(error, options.apiKey, ambiguous));
  const unsupported = (what: string) =>
    Promise.resolve(err<ApiError>({ kind: 'http', status: 400, message: `${what}: Anthropic takes requests inline` }));

  return {
    calls,
    traits: PROVIDER_TRAITS.anthropic,
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
        return ok(fromSdk(await client.messages.batches.create({ requests }, { maxRetries: 0 })));
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
        return ok({ data: page.data.map(fromSdk), hasMore: page.has_more === true });
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
          error instanceof APIError &&
          (error.status === 409 || (error.status === 400 && /ended/i.test(error.message)))
        )
          return ok({ alreadyTerminal: true });
        return fail(error);
      }
    },
    async downloadFile(resultsUrl) {
      try {
        const response = await client
          .get(resultsUrl, { headers: { Accept: 'application/binary' }, stream: true })
          .asResponse();
        // Streamed: results can be hundreds of MB.
        if (!response.body) return ok(Readable.from([]));
        return ok(Readable.fromWeb(response.body as NodeReadableStream<Uint8Array>));
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

/** Anthropic's three processing states, in OpenAI's words (the protocol's vocabulary). */
function statusOf(b: MessageBatch): RemoteBatch['status'] {
  if (b.processing_status === 'in_progress') return 'in_progress';
  if (b.processing_status === 'canceling') return 'cancelling';
  if (b.cancel_initiated_at) return 'cancelled';
  const c = b.request_counts;
  return c.expired > 0 ? 'expired' : 'completed';
}

function toApiError(error: unknown, apiKey: string, ambiguous: boolean): ApiError {
  const message = scrubSecrets(error instanceof Error ? error.message : String(error), apiKey);
  if (error instanceof APIConnectionError || !(error instanceof APIError) || typeof error.status !== 'number')
    return classifyFailure({ status: undefined, message }, ambiguous);
  const type = (error.error as { error?: { type?: string } } | undefined)?.error?.type;
  return classifyFailure(
    { status: error.status, message, headers: error.headers as Headers | undefined, code: type },
    ambiguous,
  );
}
