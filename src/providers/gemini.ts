/**
 * Gemini Batch Mode on the Gemini Developer API (providers.md C), through the official
 * `@google/genai` SDK (2.x: 3.x needs Node 22), loaded on first use. What differs, and how it is
 * bridged:
 *
 * - lines are `{key, request}`, the request in REST shape (`contents`, `systemInstruction`,
 *   `generationConfig`) with its `model` (`models/…`), which the SDK itself sets on inline
 *   requests; a reply schema becomes `generationConfig.responseMimeType: application/json` with
 *   `responseJsonSchema`. Results are `{key, response}` (a GenerateContentResponse) or
 *   `{key, error}` (a google.rpc.Status: its numeric canonical code is named, 8 RESOURCE_EXHAUSTED,
 *   14 UNAVAILABLE, 4 DEADLINE_EXCEEDED, 13 INTERNAL and 10 ABORTED retried; the docs leave the
 *   failed row's field unconfirmed);
 * - small parts go inline in the create call (the whole call must stay under 20 MB), larger ones
 *   as a JSONL file through the Files API (up to 2 GB); inline results come back inside the batch,
 *   and are written out in the results file's line format. They are read from the batch itself
 *   when it is collected: the list carries none, and a cancelled batch (an operation ending in
 *   its error, not its response) keeps its finished rows only in `metadata.output`. A request the SDK's inline conversion
 *   might not carry unchanged (a field outside the set it copies as is) goes by file: what is sent
 *   is then exactly the bytes the request cache hashed;
 * - no batch metadata and no idempotency key: the intent is kept in the batch's `displayName`
 *   (required, kept as given), so a create whose answer was lost is found by it in the list;
 * - the SDK drops `batchStats`, the output and the operation's error from what it returns (C.2):
 *   polling, listing and downloads use the documented REST routes with the same key instead;
 * - states `PENDING, RUNNING, SUCCEEDED, FAILED, CANCELLED, EXPIRED` (EXPIRED: 48 h without
 *   finishing, no results); counts are int64 strings; the list's order is not documented (the
 *   poller walks it whole when it is not newest first). No request cap per batch is documented:
 *   parts are cut at OpenAI's 50,000 requests to keep them the size the rest of the tool handles.
 */
import { Readable } from 'node:stream';
import type { GoogleGenAI, InlinedRequest } from '@google/genai';
import type { ChatMessageLike } from '../tokens/count.ts';
import { isRecord } from '../util/is-record.ts';
import { err, ok, type Result } from '../util/result.ts';
import type { ApiError, BatchApi, CallStats, RemoteBatch } from './batch-api.ts';
import { count, type ResultLine } from './outcome.ts';
import { skipBytes } from './shared/byte-range.ts';
import { keyedEndpoint, OFFLINE_KEY } from './shared/env.ts';
import { classifyFailure, countingFetch, scrubSecrets } from './shared/http-errors.ts';
import { requestHash } from './shared/line-tools.ts';
import { restJson, restStream, type RestClient } from './shared/rest.ts';
import { SPECIFICATION_VERSION, type ProviderEndpoint, type ProviderSpec, type WireFormat } from './spec.ts';

const MB = 1024 * 1024;
const GENERATE = 'generateContent';
const DEFAULT_BASE = 'https://generativelanguage.googleapis.com';
/** What the SDK's inline conversion copies unchanged; a request with anything else goes by file. */
const INLINE_SAFE = new Set(['model', 'contents', 'systemInstruction', 'generationConfig']);
const INLINE_SAFE_CONFIG = new Set([
  'temperature',
  'topP',
  'topK',
  'candidateCount',
  'maxOutputTokens',
  'stopSequences',
  'seed',
  'presencePenalty',
  'frequencyPenalty',
  'responseMimeType',
  'responseJsonSchema',
  'responseLogprobs',
  'logprobs',
  'thinkingConfig',
]);
/** finishReasons that mean the model would not answer (safety, recitation…): a refusal. */
const REFUSED = new Set(['SAFETY', 'RECITATION', 'BLOCKLIST', 'PROHIBITED_CONTENT', 'SPII', 'IMAGE_SAFETY']);
/** Errors that are Google's trouble, not the request's. */
const TRANSIENT = new Set(['RESOURCE_EXHAUSTED', 'UNAVAILABLE', 'INTERNAL', 'DEADLINE_EXCEEDED', 'ABORTED']);
/**
 * google.rpc.Code: a failed row is a google.rpc.Status (providers.md C.5), whose `code` is one of
 * these numbers and which carries no name (Google's HTTP error envelope has the HTTP status in
 * `code` and the name in `status`).
 */
const RPC_NAMES = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
] as const;

const geminiLines: WireFormat = {
  name: "Gemini's",
  idField: 'key',
  writeRequest(settings, customId, system, user) {
    const params = settings.params;
    const generationConfig = {
      ...(isRecord(params.generationConfig) ? params.generationConfig : {}),
      ...(settings.reply ? { responseMimeType: 'application/json', responseJsonSchema: settings.reply.schema } : {}),
    };
    return {
      key: customId,
      request: {
        model: `models/${settings.model}`,
        contents: [{ role: 'user', parts: [{ text: user }] }],
        ...(system !== undefined ? { systemInstruction: { parts: [{ text: system }] } } : {}),
        ...params,
        ...(Object.keys(generationConfig).length > 0 ? { generationConfig } : {}),
      },
    };
  },
  readRequest: (line) =>
    isRecord(line.request)
      ? { body: line.request, model: modelName(line.request.model), endpoint: GENERATE }
      : undefined,
  requestProblem: () => 'missing "request" (a GenerateContentRequest)',
  withBody: (line, body) => ({ ...line, request: body }),
  hash: (line) => requestHash('POST', GENERATE, line.request),
  prompt(body): ChatMessageLike[] {
    const system = isRecord(body.systemInstruction) ? partsText(body.systemInstruction) : undefined;
    const contents = Array.isArray(body.contents) ? (body.contents as unknown[]) : [];
    return [
      ...(system !== undefined ? [{ role: 'system', content: system }] : []),
      ...contents
        .filter(isRecord)
        .map((c) => ({ role: c.role === 'model' ? 'assistant' : 'user', content: partsText(c) ?? '' })),
    ];
  },
  maxOutputTokens(body) {
    const config = isRecord(body.generationConfig) ? body.generationConfig : {};
    const max = config.maxOutputTokens;
    // Each candidate may run to the bound (the budget's worst case counts them all).
    const candidates =
      typeof config.candidateCount === 'number' && config.candidateCount > 1 ? config.candidateCount : 1;
    return typeof max === 'number' && max > 0 ? max * candidates : undefined;
  },
  appendToPrompt(body, text) {
    const contents = Array.isArray(body.contents) ? [...(body.contents as unknown[])] : [];
    for (let i = contents.length - 1; i >= 0; i--) {
      const c = contents[i];
      if (!isRecord(c) || (c.role !== undefined && c.role !== 'user')) continue;
      contents[i] = { ...c, parts: [...(Array.isArray(c.parts) ? (c.parts as unknown[]) : []), { text: text.trim() }] };
      break;
    }
    return { ...body, contents };
  },
  readResult,
};

function modelName(model: unknown): string {
  return typeof model === 'string' ? model.replace(/^models\//, '') : '';
}

function partsText(content: Record<string, unknown>): string | undefined {
  if (!Array.isArray(content.parts)) return undefined;
  const texts = (content.parts as unknown[])
    .filter(isRecord)
    .flatMap((p) => (typeof p.text === 'string' ? [p.text] : []));
  return texts.length > 0 ? texts.join('') : undefined;
}

function readResult(line: Record<string, unknown>): ResultLine | undefined {
  const customId = line.key;
  if (typeof customId !== 'string' || customId === '' || !('response' in line || 'error' in line)) return undefined;
  if (isRecord(line.error)) {
    const { code, status } = errorCode(line.error);
    const message = typeof line.error.message === 'string' ? line.error.message : code;
    const retryable = TRANSIENT.has(code) || status === 429 || (status !== undefined && status >= 500);
    return { kind: 'errored', customId, retryable, ...(status !== undefined ? { status } : {}), code, message, line };
  }
  if (!isRecord(line.response)) return { kind: 'missing', customId, code: 'no_response' };
  const response = line.response;
  const candidate =
    Array.isArray(response.candidates) && isRecord(response.candidates[0]) ? response.candidates[0] : {};
  const content = isRecord(candidate.content) ? candidate.content : {};
  const text = partsText(content);
  const finish = typeof candidate.finishReason === 'string' ? candidate.finishReason : undefined;
  const blocked = isRecord(response.promptFeedback) ? response.promptFeedback.blockReason : undefined;
  const usage = isRecord(response.usageMetadata) ? response.usageMetadata : {};
  // promptTokenCount includes cached content; thinking is billed as output.
  const input = count(usage.promptTokenCount) + count(usage.toolUsePromptTokenCount);
  const output = count(usage.candidatesTokenCount) + count(usage.thoughtsTokenCount);
  return {
    kind: 'succeeded',
    customId,
    line,
    text,
    usage: {
      input,
      output,
      total: count(usage.totalTokenCount) || input + output,
      cached: count(usage.cachedContentTokenCount),
      cacheWrite: 0,
    },
    truncated: finish === 'MAX_TOKENS',
    refusal:
      typeof blocked === 'string'
        ? `prompt blocked: ${blocked}`
        : finish !== undefined && REFUSED.has(finish)
          ? (text ?? `refused: ${finish}`)
          : undefined,
    toolInput: undefined,
  };
}

/**
 * A row error's name, and its HTTP status when it has one: a google.rpc.Status's numeric `code`
 * (8 → RESOURCE_EXHAUSTED, no HTTP status), or Google's HTTP envelope (`code` 429, `status` its name).
 */
function errorCode(e: Record<string, unknown>): { code: string; status?: number } {
  const n = typeof e.code === 'number' && Number.isInteger(e.code) ? e.code : undefined;
  if (typeof e.status === 'string' && e.status)
    return { code: e.status, ...(n !== undefined && n >= 100 ? { status: n } : {}) };
  if (n === undefined) return { code: 'error' };
  const name = RPC_NAMES[n];
  return name ? { code: name } : n >= 100 ? { code: String(n), status: n } : { code: String(n) };
}

export const gemini: ProviderSpec = {
  specificationVersion: SPECIFICATION_VERSION,
  name: 'gemini',
  title: 'Gemini Batch Mode',
  traits: {
    maxRequestsPerBatch: 50_000,
    maxBytesPerBatch: 2048 * MB,
    // The whole create call must stay under 20 MB; the envelope adds a few bytes per request.
    inlineUpToBytes: 19 * MB,
    inlineable,
    // 100 concurrent batch jobs per project.
    maxConcurrentBatches: 100,
    findsLostCreates: 'metadata',
    countsOnlyAtEnd: false,
    // No window is asked for: batches run until done or expire after 48 h.
    completionWindow: { defaultHours: 24, minHours: 24, maxHours: 24 },
    endpoints: [GENERATE],
    ruleBaseURL: false,
    publicTokenizer: false,
  },
  env: {
    key: 'GEMINI_API_KEY',
    baseURL: 'GEMINI_BASE_URL',
    hint: 'GEMINI_API_KEY (GEMINI_BASE_URL for another server)',
  },
  wire: geminiLines,
  endpoint: (use, env) =>
    keyedEndpoint(
      'gemini',
      {
        key: 'GEMINI_API_KEY',
        baseURL: 'GEMINI_BASE_URL',
        purpose: 'to use Gemini Batch Mode (a Gemini Developer API key)',
      },
      { apiKeyEnv: use.apiKeyEnv },
      env,
    ),
  offline: (origin) => ({ provider: 'gemini', apiKey: OFFLINE_KEY, baseURL: origin }),
  batch: createGeminiApi,
};

async function createGeminiApi(endpoint: ProviderEndpoint): Promise<BatchApi> {
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
  /** The SDK's own calls are counted by route as the REST ones are (it takes no fetch of ours). */
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
    traits: gemini.traits,
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
        const job = await ai.batches.create({ model: p.model, src, config: { displayName } });
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

/** The outputFileId of a batch whose results came inline. */
const INLINE = 'inline:';

/** Our intent and part, in the name Gemini keeps (it keeps no metadata). */
function intentName(metadata: Record<string, string>): string {
  const target = (metadata.pipeline_target ?? '').slice(-120);
  return `llmake ${metadata.pipeline_intent ?? ''} ${metadata.pipeline_part ?? ''} ${metadata.pipeline_sha256 ?? ''} ${target}`.trim();
}

function metadataOf(displayName: unknown): Record<string, string> {
  const m = typeof displayName === 'string' ? /^llmake (\S+) (\S+) (\S+) ?(.*)$/.exec(displayName) : null;
  return m ? { pipeline_intent: m[1]!, pipeline_part: m[2]!, pipeline_sha256: m[3]!, pipeline_target: m[4] ?? '' } : {};
}

/** The part's `{key, request}` lines as the SDK's inline requests (the part passed `inlineable`). */
function inlineRequests(data: Buffer | undefined): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const text of (data ?? Buffer.alloc(0)).toString('utf8').split('\n')) {
    if (!text.trim()) continue;
    const line = JSON.parse(text) as { key: string; request: Record<string, unknown> };
    const { contents, systemInstruction, generationConfig } = line.request;
    out.push({
      contents,
      config: {
        ...(isRecord(generationConfig) ? generationConfig : {}),
        ...(systemInstruction ? { systemInstruction } : {}),
      },
      metadata: { key: line.key },
    });
  }
  return out;
}

/** Whether every request of a part is carried unchanged by the SDK's inline conversion. */
function inlineable(data: Buffer): boolean {
  for (const text of data.toString('utf8').split('\n')) {
    if (!text.trim()) continue;
    const request: unknown = (JSON.parse(text) as { request?: unknown }).request;
    if (!isRecord(request) || Object.keys(request).some((k) => !INLINE_SAFE.has(k))) return false;
    const config = request.generationConfig;
    if (config !== undefined && (!isRecord(config) || Object.keys(config).some((k) => !INLINE_SAFE_CONFIG.has(k))))
      return false;
  }
  return true;
}

/**
 * Where an operation's results are: its `response` when it succeeded; an ended operation carries
 * either its response or its error (providers.md C.1), so a cancelled batch's finished rows are
 * only in `metadata.output`, where every batch's results also appear (C.4, C.5).
 */
function outputOf(op: Record<string, unknown>): Record<string, unknown> {
  const hasResults = (o: unknown): o is Record<string, unknown> =>
    isRecord(o) && (typeof o.responsesFile === 'string' || isRecord(o.inlinedResponses));
  const meta = isRecord(op.metadata) ? op.metadata : {};
  return hasResults(op.response) ? op.response : hasResults(meta.output) ? meta.output : {};
}

function* inlineResultLines(output: Record<string, unknown>): Generator<string> {
  const wrapper = isRecord(output.inlinedResponses) ? output.inlinedResponses : {};
  for (const r of Array.isArray(wrapper.inlinedResponses) ? (wrapper.inlinedResponses as unknown[]) : []) {
    if (!isRecord(r)) continue;
    const key = isRecord(r.metadata) ? r.metadata.key : undefined;
    if (typeof key !== 'string') continue;
    yield `${JSON.stringify(isRecord(r.error) ? { key, error: r.error } : { key, response: r.response ?? null })}\n`;
  }
}

const STATES: Readonly<Record<string, RemoteBatch['status']>> = {
  PENDING: 'validating',
  RUNNING: 'in_progress',
  SUCCEEDED: 'completed',
  FAILED: 'failed',
  CANCELLED: 'cancelled',
  EXPIRED: 'expired',
};

/** A batch operation as REST gives it: `{name, metadata: {state, batchStats, …}, done, response?, error?}`. */
function fromRest(op: Record<string, unknown>): RemoteBatch {
  const name = typeof op.name === 'string' ? op.name : '';
  const meta = isRecord(op.metadata) ? op.metadata : {};
  const state = (typeof meta.state === 'string' ? meta.state : '').replace(/^(BATCH|JOB)_STATE_/, '');
  const stats = isRecord(meta.batchStats) ? meta.batchStats : {};
  const output = outputOf(op);
  const file = typeof output.responsesFile === 'string' ? output.responsesFile : undefined;
  // An ended batch without a responses file is read again for its results when collected: the
  // list leaves inline responses out (C.5), and a cancelled batch keeps them in its metadata.
  const readAgain = op.done === true || isRecord(output.inlinedResponses);
  const error = isRecord(op.error) ? op.error : undefined;
  return {
    ...emptyBatch(name, metadataOf(meta.displayName)),
    status: STATES[state] ?? (state.toLowerCase() || 'validating'),
    createdAt: Date.parse(typeof meta.createTime === 'string' ? meta.createTime : '') || 0,
    outputFileId: file ?? (readAgain && name ? `${INLINE}${name}` : null),
    errors: error
      ? [
          {
            code: errorCode(error).code,
            message: typeof error.message === 'string' ? error.message : 'failed',
          },
        ]
      : [],
    requestCounts: {
      total: count(stats.requestCount),
      completed: count(stats.successfulRequestCount),
      failed: count(stats.failedRequestCount),
    },
  };
}

function emptyBatch(name: string, metadata: Record<string, string>): RemoteBatch {
  return {
    id: name,
    status: 'validating',
    createdAt: 0,
    inputFileId: '',
    outputFileId: null,
    errorFileId: null,
    errors: [],
    requestCounts: { total: 0, completed: 0, failed: 0 },
    metadata,
  };
}
