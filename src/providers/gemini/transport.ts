/**
 * Gemini's batch transport: the SDK for uploads, creates, cancels and deletes; the documented REST
 * routes, with the same key, for what the SDK drops (batch reads and lists with their counts,
 * file lists, streamed downloads). Small parts go inline in the create call (inline.ts), larger
 * ones as a JSONL file through the Files API; a batch is found again by its display name
 * (intent-name.ts).
 */
import { Readable } from 'node:stream';
import type { GoogleGenAI, InlinedRequest } from '@google/genai';
import { isRecord } from '../../util/is-record.ts';
import { err, ok, type Result } from '../../util/result.ts';
import type { ApiError, BatchApi, CallStats } from '../batch-api.ts';
import { count } from '../outcome.ts';
import { skipBytes } from '../shared/byte-range.ts';
import { classifyFailure, countingFetch, scrubSecrets } from '../shared/http-errors.ts';
import { restJson, restStream, type RestClient } from '../shared/rest.ts';
import { gatedFetch, throughSendGate } from '../shared/send-gate.ts';
import type { ProviderEndpoint, ProviderTraits } from '../spec.ts';
import { inlineRequests } from './inline.ts';
import { intentName } from './intent-name.ts';
import { emptyBatch, fromRest, INLINE, inlineResultLines, outputOf, STATES } from './operation.ts';

const DEFAULT_BASE = 'https://generativelanguage.googleapis.com';

export async function createGeminiApi(endpoint: ProviderEndpoint, traits: ProviderTraits): Promise<BatchApi> {
  const sdk = await import('@google/genai');
  const base = (endpoint.baseURL ?? DEFAULT_BASE).replace(/\/+$/, '');
  const calls: CallStats = { total: 0, byRoute: {} };
  const ai: GoogleGenAI = new sdk.GoogleGenAI({
    apiKey: endpoint.apiKey,
    httpOptions: { baseUrl: base, timeout: endpoint.timeoutMs ?? 60_000 },
  });
  const rest: RestClient = {
    fetch: countingFetch(calls),
    headers: { 'x-goog-api-key': endpoint.apiKey },
    retries: endpoint.maxRetries ?? 2,
    timeoutMs: endpoint.timeoutMs ?? 60_000,
    secret: endpoint.apiKey,
  };
  /** The SDK's own calls are counted here by route, as the REST ones are (only its create is given a fetch of ours: the send gate's). */
  const counted = (route: string, n = 1) => {
    calls.total += n;
    calls.byRoute[route] = (calls.byRoute[route] ?? 0) + n;
  };
  const fail = (error: unknown, ambiguous = false): { ok: false; error: ApiError } => {
    const message = scrubSecrets(error instanceof Error ? error.message : String(error), endpoint.apiKey);
    const status = error instanceof sdk.ApiError ? error.status : undefined;
    return err(classifyFailure({ status, message }, ambiguous));
  };
  const getBatch = async (name: string): Promise<Result<Record<string, unknown>, ApiError>> => {
    const got = await restJson(rest, `${base}/v1beta/${name}`);
    return got.ok ? ok(isRecord(got.value) ? got.value : {}) : got;
  };

  return {
    provider: 'gemini',
    calls,
    traits,
    async upload(data, filename) {
      try {
        counted('POST /upload/v1beta/files', 2);
        const file = await ai.files.upload({
          file: new Blob([data], { type: 'application/jsonl' }),
          config: { mimeType: 'application/jsonl', displayName: filename },
        });
        return file.name
          ? ok({ id: file.name })
          : err({ kind: 'http', status: 200, message: 'the upload answered no file name' });
      } catch (error) {
        return fail(error);
      }
    },
    async findUpload(filename) {
      let pageToken: string | undefined;
      do {
        const page = await restJson(
          rest,
          `${base}/v1beta/files?pageSize=100${pageToken ? `&pageToken=${encodeURIComponent(pageToken)}` : ''}`,
        );
        if (!page.ok) return page;
        const body = isRecord(page.value) ? page.value : {};
        for (const f of Array.isArray(body.files) ? (body.files as unknown[]) : [])
          if (isRecord(f) && f.displayName === filename && typeof f.name === 'string')
            return ok({ id: f.name, bytes: count(f.sizeBytes) });
        pageToken = typeof body.nextPageToken === 'string' && body.nextPageToken ? body.nextPageToken : undefined;
      } while (pageToken);
      return ok(undefined);
    },
    async deleteFile(id) {
      try {
        counted('DELETE /v1beta/files/{id}');
        await ai.files.delete({ name: id });
        return ok(undefined);
      } catch (error) {
        if (error instanceof sdk.ApiError && error.status === 404) return ok(undefined);
        return fail(error);
      }
    },
    async createBatch(p) {
      const displayName = intentName(p.metadata);
      try {
        counted('POST /v1beta/models/{model}:batchGenerateContent');
        const src = p.inputFileId ?? (inlineRequests(p.inputData) as InlinedRequest[]);
        // Only the create goes through the gate's fetch: the SDK's other calls keep its own.
        const httpOptions = { fetch: gatedFetch };
        const job = await throughSendGate(p.beforeSend, () =>
          ai.batches.create({ model: p.model, src, config: { displayName, httpOptions } }),
        );
        if (!job.name) return err({ kind: 'ambiguous', message: 'the create answered no batch name' });
        const state = String(job.state ?? '').replace(/^(BATCH|JOB)_STATE_/, '');
        return ok({
          ...emptyBatch(job.name, p.metadata),
          status: STATES[state] ?? 'validating',
          createdAt: Date.parse(job.createTime ?? '') || Date.now(),
        });
      } catch (error) {
        return fail(error, true);
      }
    },
    async retrieveBatch(id) {
      const got = await getBatch(id);
      return got.ok ? ok(fromRest(got.value)) : got;
    },
    async listBatches({ limit, after }) {
      const query = `pageSize=${Math.min(limit, 100)}${after ? `&pageToken=${encodeURIComponent(after)}` : ''}`;
      const page = await restJson(rest, `${base}/v1beta/batches?${query}`);
      if (!page.ok) return page;
      const body = isRecord(page.value) ? page.value : {};
      const data = (Array.isArray(body.operations) ? (body.operations as unknown[]) : [])
        .filter(isRecord)
        .map(fromRest);
      const next = typeof body.nextPageToken === 'string' && body.nextPageToken ? body.nextPageToken : undefined;
      return ok({ data, ...(next ? { next } : {}) });
    },
    async cancelBatch(id) {
      const before = await getBatch(id);
      if (before.ok && before.value.done === true) return ok({ alreadyTerminal: true });
      try {
        counted('POST /v1beta/batches/{id}:cancel');
        await ai.batches.cancel({ name: id });
        const after = await getBatch(id);
        return ok({ alreadyTerminal: false, ...(after.ok ? { batch: fromRest(after.value) } : {}) });
      } catch (error) {
        return fail(error);
      }
    },
    async downloadFile(id, from = 0) {
      const download = (file: string) => restStream(rest, `${base}/download/v1beta/${file}:download?alt=media`, from);
      if (!id.startsWith(INLINE)) return download(id);
      // Read from the batch itself (a list's copy carries no inline results): its responses file
      // if it has one after all, else its inline results, written out as the file's lines would be.
      const got = await getBatch(id.slice(INLINE.length));
      if (!got.ok) return got;
      const output = outputOf(got.value);
      if (typeof output.responsesFile === 'string') return download(output.responsesFile);
      return ok(skipBytes(Readable.from(inlineResultLines(output)), from));
    },
  };
}
