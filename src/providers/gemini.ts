/**
 * Gemini Batch Mode on the Gemini Developer API (providers.md C), through the official
 * `@google/genai` SDK (2.x: 3.x needs Node 22), loaded on first use. What differs, and how it is
 * bridged (each in its file under gemini/):
 *
 * - lines are `{key, request}`, the request in REST shape with its `model` (gemini/lines.ts);
 *   results are `{key, response}` or `{key, error}`, a google.rpc.Status (gemini/result-line.ts);
 * - small parts go inline in the create call (the whole call must stay under 20 MB), larger ones
 *   as a JSONL file through the Files API (up to 2 GB); inline results come back inside the batch,
 *   and are written out in the results file's line format. They are read from the batch itself
 *   when it is collected: the list carries none, and a cancelled batch (an operation ending in
 *   its error, not its response) keeps its finished rows only in `metadata.output`
 *   (gemini/operation.ts). A request the SDK's inline conversion might not carry unchanged (a
 *   field outside the set it copies as is) goes by file: what is sent is then exactly the bytes
 *   the request cache hashed (gemini/inline.ts);
 * - no batch metadata and no idempotency key: the intent is kept in the batch's `displayName`
 *   (required, kept as given), so a create whose answer was lost is found by it in the list
 *   (gemini/intent-name.ts);
 * - the SDK drops `batchStats`, the output and the operation's error from what it returns (C.2):
 *   polling, listing and downloads use the documented REST routes with the same key instead
 *   (gemini/transport.ts);
 * - states `PENDING, RUNNING, SUCCEEDED, FAILED, CANCELLED, EXPIRED` (EXPIRED: 48 h without
 *   finishing, no results); counts are int64 strings; the list's order is not documented (the
 *   poller walks it whole when it is not newest first). No request cap per batch is documented:
 *   parts are cut at OpenAI's 50,000 requests to keep them the size the rest of the tool handles.
 */
import { keyedEndpoint, OFFLINE_KEY } from './shared/env.ts';
import { SPECIFICATION_VERSION, type ProviderSpec } from './spec.ts';
import { inlineable } from './gemini/inline.ts';
import { GENERATE, geminiLines } from './gemini/lines.ts';
import { createGeminiApi } from './gemini/transport.ts';

const MB = 1024 * 1024;

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
  batch: (endpoint) => createGeminiApi(endpoint, gemini.traits),
};
