/** The `batch` rule's options, with the provider's limits as defaults (design §4). */
import { z } from 'zod';
import { PROVIDERS } from '../../batch-api/types.ts';
import { PROVIDER_TRAITS } from '../../batch-api/traits.ts';
import type { PriceTable } from '../../tokens/prices.ts';

const positiveInt = z.number().int().positive();

export const batchConfigSchema = z
  .strictObject({
    kind: z.literal('batch'),
    /**
     * Who runs the batches: `openai` (OPENAI_API_KEY, OPENAI_BASE_URL), `anthropic` (ANTHROPIC_API_KEY,
     * ANTHROPIC_BASE_URL), `azure` (AZURE_OPENAI_API_KEY, AZURE_OPENAI_ENDPOINT; models are deployment
     * names) or `openai-compatible` (any server with OpenAI's Files + Batches API: `baseURL`, `apiKeyEnv`).
     */
    provider: z.enum(PROVIDERS).default('openai'),
    /** `openai-compatible`: the API's base URL including `/v1` (else the provider's environment variable). */
    baseURL: z.url().optional(),
    /** The environment variable holding the key (default: the provider's own, e.g. OPENAI_API_KEY). */
    apiKeyEnv: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
      .optional(),
    /** OpenAI, Azure and Anthropic take 24h; compatible servers may offer longer windows (e.g. `7d`). */
    completionWindow: z
      .string()
      .regex(/^\d+[hd]$/)
      .default('24h'),
    /** Split a request file into parts within these limits (default and ceiling: the provider's, e.g. OpenAI 50,000 and 200 MB, Anthropic 100,000 and 256 MB). */
    maxRequestsPerBatch: positiveInt.max(100_000).optional(),
    maxBytesPerBatch: positiveInt.max(256 * 1024 * 1024).optional(),
    /** Optional estimated-input-token budget per part. */
    maxTokensPerBatch: positiveInt.optional(),
    /** Attempts per request for transient failures (5xx, 429, request_timeout). */
    maxAttempts: positiveInt.max(20).default(3),
    /** Batches that may end having answered none of a part's requests (expired or cancelled at 0%), or whose results file is gone, before those requests fail. */
    maxUnansweredAttempts: positiveInt.max(50).default(5),
    /** Per model, across the targets of one build: estimated input tokens enqueued at once. */
    maxEnqueuedTokens: positiveInt.optional(),
    /** Per model, across the targets of one build: batches in flight at once. */
    maxInFlightBatches: positiveInt.optional(),
    /** Refuse to submit when this target's outstanding work is estimated above this. */
    maxCostUsd: z.number().positive().optional(),
    /** First wait after a batch fails on the provider's enqueued-token limit; doubles per failure, up to 30 min. */
    tokenLimitBackoffSeconds: z.number().positive().max(1800).default(60),
    /** Expected output tokens per input token, for estimates (capped by max_tokens). */
    outputTokenRatio: z.number().positive().max(100).default(0.55),
    /** Prices per 1M tokens (standard API); merged over the built-in table. */
    pricing: z
      .record(z.string(), z.strictObject({ input: z.number().nonnegative(), output: z.number().nonnegative() }))
      .optional(),
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
  });

export type BatchStageConfig = z.output<typeof batchConfigSchema>;

export function priceTable(config: BatchStageConfig, defaults: PriceTable): PriceTable {
  return config.pricing ? { ...defaults, ...config.pricing } : defaults;
}

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
