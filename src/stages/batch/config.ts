/** The `batch` rule's options, with the provider's limits as defaults (design §4). */
import { z } from 'zod';
import type { PriceTable } from '../../tokens/prices.ts';

const positiveInt = z.number().int().positive();

export const batchConfigSchema = z.strictObject({
  kind: z.literal('batch'),
  completionWindow: z
    .literal('24h')
    .default('24h')
    .describe("The provider's completion window: a batch not finished within it expires (its finished rows are kept)."),
  maxRequestsPerBatch: positiveInt
    .max(50_000)
    .default(50_000)
    .describe("Split a request file into batches of at most this many requests (the provider's limit: 50,000)."),
  maxBytesPerBatch: positiveInt
    .max(200 * 1024 * 1024)
    .default(200 * 1024 * 1024)
    .describe("Split a request file into batches of at most this many bytes (the provider's limit: 200 MB)."),
  maxTokensPerBatch: positiveInt.optional().describe('An optional budget of estimated input tokens per batch.'),
  maxAttempts: positiveInt
    .max(20)
    .default(3)
    .describe('Attempts per request for transient failures (5xx, 429, request timeouts); 4xx answers are not retried.'),
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
    .describe("Refuse to submit when this target's outstanding work is estimated above this many dollars."),
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
    .describe('Expected output tokens per input token, for estimates (capped by `max_tokens`).'),
  pricing: z
    .record(z.string(), z.strictObject({ input: z.number().nonnegative(), output: z.number().nonnegative() }))
    .optional()
    .describe(
      'Dollars per 1M input and output tokens at standard price, per model, over the built-in table (batch price is half).',
    ),
});

export type BatchStageConfig = z.output<typeof batchConfigSchema>;

export function priceTable(config: BatchStageConfig, defaults: PriceTable): PriceTable {
  return config.pricing ? { ...defaults, ...config.pricing } : defaults;
}
