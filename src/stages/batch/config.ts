/** The `batch` rule's options, with the provider's limits as defaults (design §4). */
import { z } from 'zod';
import { deploymentsSchema, pricingSchema } from '../pricing-schema.ts';
import { deploymentIssues } from '../../tokens/rule-prices.ts';
import { reaskOptions } from '../structured/reask-options.ts';
import { PROVIDERS } from '../../batch-api/types.ts';
import { PROVIDER_TRAITS } from '../../batch-api/traits.ts';

const positiveInt = z.number().int().positive();

export const batchConfigSchema = z
  .strictObject({
    kind: z.literal('batch'),
    provider: z
      .enum(PROVIDERS)
      .default('openai')
      .describe(
        "Who runs the batches: `openai` (OPENAI_API_KEY, OPENAI_BASE_URL), `anthropic` (ANTHROPIC_API_KEY, ANTHROPIC_BASE_URL), `azure` (AZURE_OPENAI_API_KEY, AZURE_OPENAI_ENDPOINT; models are deployment names) or `openai-compatible` (any server with OpenAI's Files + Batches API: `baseURL`, `apiKeyEnv`). Must match the requests rule's.",
      ),
    baseURL: z
      .url()
      .optional()
      .describe(
        "`openai-compatible`: the API's base URL including `/v1` (else the provider's environment variable). Not for `anthropic` (set ANTHROPIC_BASE_URL).",
      ),
    apiKeyEnv: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
      .optional()
      .describe("The environment variable holding the key (default: the provider's own, e.g. OPENAI_API_KEY)."),
    completionWindow: z
      .string()
      .regex(/^\d+[hd]$/)
      .default('24h')
      .describe(
        "The provider's completion window: a batch not finished within it expires (its finished rows are kept). OpenAI, Azure and Anthropic take only `24h`; compatible servers may offer longer windows (e.g. `7d`).",
      ),
    maxRequestsPerBatch: positiveInt
      .max(100_000)
      .optional()
      .describe(
        "Split a request file into batches of at most this many requests (default and ceiling: the provider's, OpenAI 50,000, Anthropic 100,000).",
      ),
    maxBytesPerBatch: positiveInt
      .max(256 * 1024 * 1024)
      .optional()
      .describe(
        "Split a request file into batches of at most this many bytes (default and ceiling: the provider's, OpenAI 200 MB, Anthropic 256 MB).",
      ),
    maxTokensPerBatch: positiveInt.optional().describe('An optional budget of estimated input tokens per batch.'),
    maxAttempts: positiveInt
      .max(20)
      .default(3)
      .describe(
        'Attempts per request for transient failures (5xx, 429, request timeouts); 4xx answers are not retried.',
      ),
    maxUnansweredAttempts: positiveInt
      .max(50)
      .default(5)
      .describe(
        'Batches that may end having answered none of their requests (expired or cancelled at 0%), or whose results file is gone, before those requests fail. A batch that answered some of them made progress and does not count.',
      ),
    maxEnqueuedTokens: positiveInt
      .optional()
      .describe(
        "Per model, over every batch target of the pipeline: estimated input tokens enqueued at once (the rest wait as queued). Unset: learned from the provider's token-limit errors.",
      ),
    maxInFlightBatches: positiveInt
      .optional()
      .describe('Per model, over every batch target of the pipeline: batches in flight at once.'),
    maxCostUsd: z
      .number()
      .positive()
      .optional()
      .describe(
        "This target's budget over every run, in dollars: what it spent plus its batches in flight and the requests it sends, each reply at its max_tokens, stays within it; requests that do not fit are held back (in request-file order), the rest are sent. `--max-cost` is the same for the whole job.",
      ),
    tokenLimitBackoffSeconds: z
      .number()
      .positive()
      .max(1800)
      .default(60)
      .describe(
        "First wait after a batch fails on the provider's enqueued-token limit; doubles per failure, up to 30 min.",
      ),
    outputTokenRatio: z
      .number()
      .positive()
      .max(100)
      .default(0.55)
      .describe(
        'Expected output tokens per input token, for estimates (capped by `max_tokens`), until the rule has answers: then the ratio its answered requests were billed for, per model.',
      ),
    ...reaskOptions,
    pricing: pricingSchema.describe(
      'Dollars per 1M tokens at standard price, per model, over the built-in table (`pipeline prices`): `input`, `output`, and optionally `cachedInput`, `cacheWrite` and a `longContext` tier. Batch price is half of each.',
    ),
    deployments: deploymentsSchema,
  })
  .superRefine((config, ctx) => {
    const traits = PROVIDER_TRAITS[config.provider];
    const over = (key: 'maxRequestsPerBatch' | 'maxBytesPerBatch', cap: number) => {
      const v = config[key];
      if (v !== undefined && v > cap)
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: `${config.provider} allows at most ${cap.toLocaleString('en-US')}`,
        });
    };
    over('maxRequestsPerBatch', traits.maxRequestsPerBatch);
    over('maxBytesPerBatch', traits.maxBytesPerBatch);
    if (config.completionWindow !== '24h' && config.provider !== 'openai-compatible')
      ctx.addIssue({ code: 'custom', path: ['completionWindow'], message: `${config.provider} takes only 24h` });
    if (config.baseURL !== undefined && config.provider === 'anthropic')
      ctx.addIssue({ code: 'custom', path: ['baseURL'], message: 'set ANTHROPIC_BASE_URL instead' });
    for (const issue of deploymentIssues(config)) ctx.addIssue({ code: 'custom', ...issue });
  });

export type BatchStageConfig = z.output<typeof batchConfigSchema>;

/** The part caps in force: the rule's, within the provider's. */
export function partCaps(config: BatchStageConfig): { maxRequests: number; maxBytes: number } {
  const traits = PROVIDER_TRAITS[config.provider];
  return {
    maxRequests: Math.min(config.maxRequestsPerBatch ?? traits.maxRequestsPerBatch, traits.maxRequestsPerBatch),
    maxBytes: Math.min(config.maxBytesPerBatch ?? traits.maxBytesPerBatch, traits.maxBytesPerBatch),
  };
}

/** The environment variable this rule's key is read from. */
export function keyVariable(config: Pick<BatchStageConfig, 'provider' | 'apiKeyEnv'>): string {
  return config.apiKeyEnv ?? DEFAULT_KEY_VARIABLE[config.provider];
}

const DEFAULT_KEY_VARIABLE = {
  openai: 'OPENAI_API_KEY',
  'openai-compatible': 'OPENAI_API_KEY',
  anthropic: 'ANTHROPIC_API_KEY',
  azure: 'AZURE_OPENAI_API_KEY',
} as const;
