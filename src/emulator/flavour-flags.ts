/**
 * The `pipeline emulator` flags of the flavours beside OpenAI's (Azure, Gemini, Mistral, AWS): their
 * parseArgs table, their help text, and their options. Anthropic's limits are the documented ones.
 */
import type { BedrockOptions } from './bedrock/options.ts';
import { FlagError, num, positiveInt } from './cli-values.ts';
import type { AzureOptions, GeminiOptions, MistralOptions } from './types.ts';

export const FLAVOUR_FLAGS = {
  'azure-deployment': { type: 'string', multiple: true },
  'azure-max-enqueued-tokens': { type: 'string' },
  'azure-no-fail-fast': { type: 'boolean' },
  'gemini-max-enqueued-tokens': { type: 'string' },
  'gemini-max-concurrent-batches': { type: 'string' },
  'gemini-max-inline-bytes': { type: 'string' },
  'gemini-list-order': { type: 'string' },
  'mistral-max-requests-per-job': { type: 'string' },
  'mistral-max-job-bytes': { type: 'string' },
  'bedrock-min-records': { type: 'string' },
  'bedrock-scheduled-ms': { type: 'string' },
} as const;

export const FLAVOUR_USAGE = `Azure:
  --azure-deployment NAME=MODEL a batch deployment of the emulated resource (repeatable; default:
                                every known model, deployed under its own name)
  --azure-max-enqueued-tokens N enqueued-token quota per deployment (default: unlimited)
  --azure-no-fail-fast          over the quota, fail the batch at validation instead of
                                refusing the create with 400 token_limit_exceeded
Gemini:
  --gemini-max-enqueued-tokens N     batch enqueued tokens per model; a create over it is a 429
                                     RESOURCE_EXHAUSTED (default: unlimited)
  --gemini-max-concurrent-batches N  batch jobs pending or running at once (default 100)
  --gemini-max-inline-bytes N        largest create with inline requests (default 20 MB)
  --gemini-list-order ORDER          shuffled (default: a fixed order drawn from --seed), newest
                                     or oldest: the real order is not documented
Mistral:
  --mistral-max-requests-per-job N   more lines fail the job as it leaves the queue (default 100,000)
  --mistral-max-job-bytes N          largest input per job, its files together (default 512 MB)
AWS:
  --bedrock-min-records N       minimum records per Bedrock batch job (default 100, the quota)
  --bedrock-scheduled-ms MS     how long a validated job waits in Scheduled (default 1000)
`;

/** `--azure-deployment NAME=MODEL` (repeatable), `--azure-max-enqueued-tokens N`, `--azure-no-fail-fast`. */
function azureFlags(values: Record<string, unknown>): AzureOptions {
  const azure: AzureOptions = {};
  const pairs = Array.isArray(values['azure-deployment']) ? (values['azure-deployment'] as unknown[]) : [];
  for (const pair of pairs) {
    const m = typeof pair === 'string' ? /^([^=\s]+)=(\S+)$/.exec(pair) : null;
    if (!m?.[1] || !m[2]) throw new FlagError(`--azure-deployment must be NAME=MODEL, got '${String(pair)}'`);
    azure.deployments = { ...azure.deployments, [m[1]]: m[2] };
  }
  const max = positiveInt(values, 'azure-max-enqueued-tokens');
  if (max !== undefined) azure.maxEnqueuedTokens = max;
  if (values['azure-no-fail-fast'] === true) azure.failFast = false;
  return azure;
}

const LIST_ORDERS = ['shuffled', 'newest', 'oldest'] as const;

function geminiFlags(values: Record<string, unknown>): GeminiOptions {
  const order = values['gemini-list-order'];
  if (order !== undefined && (typeof order !== 'string' || !(LIST_ORDERS as readonly string[]).includes(order)))
    throw new FlagError(`--gemini-list-order must be ${LIST_ORDERS.join(', ')}, got '${JSON.stringify(order)}'`);
  const tokens = positiveInt(values, 'gemini-max-enqueued-tokens');
  const concurrent = positiveInt(values, 'gemini-max-concurrent-batches');
  const inline = positiveInt(values, 'gemini-max-inline-bytes');
  return {
    ...(tokens === undefined ? {} : { maxEnqueuedTokens: tokens }),
    ...(concurrent === undefined ? {} : { maxConcurrentBatches: concurrent }),
    ...(inline === undefined ? {} : { maxInlineBytes: inline }),
    ...(order === undefined ? {} : { listOrder: order as GeminiOptions['listOrder'] }),
  };
}

function mistralFlags(values: Record<string, unknown>): MistralOptions {
  const requests = positiveInt(values, 'mistral-max-requests-per-job');
  const bytes = positiveInt(values, 'mistral-max-job-bytes');
  return {
    ...(requests === undefined ? {} : { maxRequestsPerJob: requests }),
    ...(bytes === undefined ? {} : { maxJobBytes: bytes }),
  };
}

/** `--bedrock-min-records N`, `--bedrock-scheduled-ms MS`. */
function bedrockFlags(values: Record<string, unknown>): BedrockOptions {
  const min = positiveInt(values, 'bedrock-min-records');
  const scheduled = num(values, 'bedrock-scheduled-ms', (n) => n >= 0, 'a number of milliseconds');
  return {
    ...(min === undefined ? {} : { quotas: { minRecordsPerJob: min } }),
    ...(scheduled === undefined ? {} : { scheduledMs: scheduled }),
  };
}

/** The flavours' options from the parsed flags; throws a FlagError for a bad value. */
export const flavourOptions = (values: Record<string, unknown>) => ({
  azure: azureFlags(values),
  gemini: geminiFlags(values),
  mistral: mistralFlags(values),
  bedrock: bedrockFlags(values),
});
