/**
 * OpenAI's Files + Batches transport through the official `openai` SDK, for every provider that
 * speaks it (OpenAI, Azure's v1 API, the OpenAI-compatible servers). Loaded only when a command
 * first calls the API (the provider specs import it lazily). Everything
 * the SDK throws becomes a typed `ApiError`; the API key is scrubbed from every message so it can
 * never reach a marker, a log or a status line.
 *
 * Retry policy (see docs/openai-batch-api.md §5.4): uploads go through `toFile(Buffer)` so the SDK
 * may retry them (a duplicate upload only leaves an unused file); `batches.create` and
 * `batches.cancel` run with `maxRetries: 0` — a retried create could make a second batch, and a
 * retried 409 on cancel only wastes time.
 */
import OpenAI, { APIConnectionError, APIError, toFile } from 'openai';
import type { Batch } from 'openai/resources/batches';
import { err, ok } from '../../util/result.ts';
import type { ApiError, BatchApi, CallStats, RemoteBatch } from '../batch-api.ts';
import type { ProviderTraits } from '../spec.ts';
import { openai } from '../openai.ts';
import { bodyFrom, rangeHeader } from './byte-range.ts';
import { classifyFailure, countingFetch, queueHeaders, scrubSecrets } from './http-errors.ts';
import { throughSendGate } from './send-gate.ts';

export { scrubSecrets } from './http-errors.ts';

export interface BatchApiOptions {
  /** Defaults to OPENAI_API_KEY. */
  apiKey?: string;
  /** Defaults to OPENAI_BASE_URL, else the SDK's default (api.openai.com). Include `/v1`. */
  baseURL?: string;
  /** Defaults to OPENAI_ORG_ID / OPENAI_PROJECT_ID; null: none. */
  organization?: string | null;
  project?: string | null;
  /** Per-attempt timeout; 60 s (the SDK's 10 min would stall a build on a dead connection). */
  timeoutMs?: number;
  /** SDK retries for idempotent calls (upload, retrieve, list, download); default 2. */
  maxRetries?: number;
  env?: NodeJS.ProcessEnv;
  /** Azure's `api-key` header, for example. */
  defaultHeaders?: Record<string, string>;
  /** Which provider this client speaks to (Azure and compatible servers share OpenAI's wire format); default OpenAI's. */
  provider?: { name: string; traits: ProviderTraits };
}

/** Files listed per page while looking for an upload by name (the API's maximum). */
const FILES_PAGE = 10_000;

export function createBatchApi(options: BatchApiOptions = {}): BatchApi {
  const env = options.env ?? process.env;
  const apiKey = options.apiKey ?? env.OPENAI_API_KEY?.trim();
  if (!apiKey) throw new Error('OPENAI_API_KEY is not set (or pass apiKey)');
  const calls: CallStats = { total: 0, byRoute: {} };
  const client = new OpenAI({
    apiKey,
    baseURL: options.baseURL ?? (env.OPENAI_BASE_URL?.trim() || undefined),
    organization: options.organization === undefined ? env.OPENAI_ORG_ID?.trim() || null : options.organization,
    project: options.project === undefined ? env.OPENAI_PROJECT_ID?.trim() || null : options.project,
    timeout: options.timeoutMs ?? 60_000,
    maxRetries: options.maxRetries ?? 2,
    fetch: countingFetch(calls),
    logLevel: 'off',
    ...(options.defaultHeaders ? { defaultHeaders: options.defaultHeaders } : {}),
  });
  const provider = options.provider ?? { name: 'openai', traits: openai.traits };
  const fail = (error: unknown, ambiguous = false) => err(toApiError(error, apiKey, ambiguous));

  return {
    provider: provider.name,
    calls,
    traits: provider.traits,
    async upload(data, filename) {
      try {
        const file = await client.files.create({
          // A Blob (a file on disk) goes as a File that the SDK streams from disk; bytes as before.
          file:
            data instanceof Blob
              ? new File([data], filename, { type: 'application/jsonl' })
              : await toFile(data, filename, { type: 'application/jsonl' }),
          purpose: 'batch',
        });
        return ok({ id: file.id });
      } catch (error) {
        return fail(error);
      }
    },
    async createBatch(p) {
      try {
        const params: OpenAI.Batches.BatchCreateParams = {
          input_file_id: p.inputFileId ?? '',
          endpoint: p.endpoint as OpenAI.Batches.BatchCreateParams['endpoint'],
          // Compatible servers accept longer windows (e.g. Groq: up to 7d); OpenAI's type says only 24h.
          completion_window: p.completionWindow as '24h',
          metadata: p.metadata,
        };
        const { data, response } = await throughSendGate(p.beforeSend, () =>
          client.batches.create(params, { maxRetries: 0 }).withResponse(),
        );
        const queue = queueHeaders(response.headers);
        return ok({ ...fromSdk(data), ...(queue ? { queue } : {}) });
      } catch (error) {
        return fail(error, true);
      }
    },
    async retrieveBatch(id) {
      try {
        return ok(fromSdk(await client.batches.retrieve(id)));
      } catch (error) {
        return fail(error);
      }
    },
    async listBatches({ limit, after }) {
      try {
        const page = await client.batches.list({ limit, ...(after ? { after } : {}) });
        const data = page.data.map(fromSdk);
        return ok({ data, ...(page.has_more === true && data.length > 0 ? { next: data.at(-1)!.id } : {}) });
      } catch (error) {
        return fail(error);
      }
    },
    async cancelBatch(id) {
      try {
        return ok({ alreadyTerminal: false, batch: fromSdk(await client.batches.cancel(id, { maxRetries: 0 })) });
      } catch (error) {
        if (error instanceof APIError && error.status === 409) return ok({ alreadyTerminal: true });
        return fail(error);
      }
    },
    async findUpload(filename) {
      try {
        // Every page, newest first: an upload whose answer was lost may sit behind thousands of
        // newer files (another job's), and stopping at the first page would upload it again.
        for await (const f of client.files.list({ purpose: 'batch', order: 'desc', limit: FILES_PAGE }))
          if (f.filename === filename) return ok({ id: f.id, bytes: f.bytes });
        return ok(undefined);
      } catch (error) {
        return fail(error);
      }
    },
    async deleteFile(id) {
      try {
        await client.files.delete(id);
        return ok(undefined);
      } catch (error) {
        if (error instanceof APIError && error.status === 404) return ok(undefined);
        return fail(error);
      }
    },
    async downloadFile(id, from = 0) {
      try {
        const response = await client.files.content(id, { headers: rangeHeader(from) });
        // Stream it: result files can be hundreds of MB (never `response.text()`).
        return ok(bodyFrom(response.body, from, response.status === 206));
      } catch (error) {
        return fail(error);
      }
    },
  };
}

function fromSdk(b: Batch): RemoteBatch {
  // OpenAI-compatible servers (Groq and others) may send `errors` as a bare array, or leave fields out.
  const rawErrors: unknown = b.errors;
  const errorList = Array.isArray(rawErrors) ? (rawErrors as Batch.Errors['data']) : (b.errors?.data ?? []);
  return {
    id: b.id,
    status: b.status,
    createdAt: b.created_at * 1000,
    inputFileId: b.input_file_id,
    outputFileId: b.output_file_id || null,
    errorFileId: b.error_file_id || null,
    errors: (errorList ?? []).map((e) => ({ code: e.code, message: e.message, line: e.line ?? null })),
    requestCounts: {
      total: b.request_counts?.total ?? 0,
      completed: b.request_counts?.completed ?? 0,
      failed: b.request_counts?.failed ?? 0,
    },
    metadata: { ...(b.metadata ?? {}) },
  };
}

export function toApiError(error: unknown, apiKey: string, ambiguous = false): ApiError {
  const message = scrubSecrets(error instanceof Error ? error.message : String(error), apiKey);
  if (error instanceof APIConnectionError || !(error instanceof APIError) || typeof error.status !== 'number')
    return classifyFailure({ status: undefined, message }, ambiguous);
  return classifyFailure(
    {
      status: error.status,
      message,
      headers: error.headers as Headers | undefined,
      code: error.code ?? undefined,
      param: error.param ?? undefined,
    },
    ambiguous,
  );
}
