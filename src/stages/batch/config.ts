/** The `batch` rule's options, with the provider's limits as defaults (design §4). */
import { z } from 'zod';
import type { PriceTable } from '../../tokens/prices.ts';

const positiveInt = z.number().int().positive();

export const batchConfigSchema = z.strictObject({
  kind: z.literal('batch'),
  completionWindow: z.literal('24h').default('24h'),
  /** Split a request file into parts within these limits (the provider's: 50,000 and 200 MB). */
  maxRequestsPerBatch: positiveInt.max(50_000).default(50_000),
  maxBytesPerBatch: positiveInt.max(200 * 1024 * 1024).default(200 * 1024 * 1024),
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
});

export type BatchStageConfig = z.output<typeof batchConfigSchema>;

export function priceTable(config: BatchStageConfig, defaults: PriceTable): PriceTable {
  return config.pricing ? { ...defaults, ...config.pricing } : defaults;
}
