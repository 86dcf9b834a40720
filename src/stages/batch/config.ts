/** The `batch` rule's options, with the provider's limits as defaults (design §4). */
import { z } from 'zod';
import { pricingSchema } from '../pricing-schema.ts';
import { reaskOptions } from '../structured/reask-options.ts';
import { allProviders, DEFAULT_PROVIDER, PROVIDER_NAMES, providerSpec } from '../../providers/registry.ts';
import { windowHours } from '../../providers/shared/window.ts';
import type { PriceTable } from '../../tokens/prices.ts';

const positiveInt = z.number().int().positive();
/** The largest caps any provider has: a rule's own cap is then checked against its provider's. */
const ceiling = (key: 'maxRequestsPerBatch' | 'maxBytesPerBatch') =>
  Math.max(...allProviders().map((p) => p.traits[key]));
const MB = 1024 * 1024;

export const batchConfigSchema = z
  .strictObject({
    kind: z.literal('batch'),
    provider: z
      .enum(PROVIDER_NAMES)
      .default(DEFAULT_PROVIDER)
      .describe(
        `Who runs the batches (${PROVIDER_NAMES.map((n) => `\`${n}\``).join(', ')}; the README's provider table says what each needs: ${allProviders()
          .map((p) => `${p.name}: ${p.env.hint}`)
          .join('; ')}). Must match the requests rule's.`,
      ),
    baseURL: z
      .url()
      .optional()
      .describe(
        "The API's base URL including `/v1`, for providers whose rules may point elsewhere (`openai`, `openai-compatible`); else the provider's environment variable says where calls go.",
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
        "The provider's completion window: a batch not finished within it expires (its finished rows are kept). Most providers take only `24h`; some take longer windows (Groq up to `7d`, compatible servers what they offer).",
      ),
    maxRequestsPerBatch: positiveInt
      .max(ceiling('maxRequestsPerBatch'))
      .optional()
      .describe(
        `Split a request file into batches of at most this many requests (default and ceiling: the provider's, ${capsText('maxRequestsPerBatch', 1, '')}).`,
      ),
    maxBytesPerBatch: positiveInt
      .max(ceiling('maxBytesPerBatch'))
      .optional()
      .describe(
        `Split a request file into batches of at most this many bytes (default and ceiling: the provider's, ${capsText('maxBytesPerBatch', MB, ' MB')}).`,
      ),
    maxTokensPerBatch: positiveInt.optional().describe('An optional budget of estimated input tokens per batch.'),
    minRequestsPerBatch: positiveInt
      .optional()
      .describe(
        "The provider's minimum of requests per batch as your account has it (Bedrock: 100 records per job unless AWS lowered the quota for you); fewer are never padded: the build says so.",
      ),
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
      .describe(
        'Expected output tokens per input token, for estimates (capped by `max_tokens`), until the rule has answers: then the ratio its answered requests were billed for, per model.',
      ),
    ...reaskOptions,
    ...providerRuleOptions(),
    pricing: pricingSchema.describe(
      'Dollars per 1M tokens at standard price, per model, over the built-in table (src/tokens/prices.ts): `input`, `output`, and optionally `cachedInput`, `cacheWrite` and a `longContext` tier. Batch price is half of each.',
    ),
  })
  .superRefine((config, ctx) => {
    const spec = providerSpec(config.provider);
    const traits = spec.traits;
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
    const window = traits.completionWindow;
    const hours = windowHours(config.completionWindow);
    if (hours < window.minHours || hours > window.maxHours)
      ctx.addIssue({
        code: 'custom',
        path: ['completionWindow'],
        message:
          window.minHours === window.maxHours
            ? `${config.provider} takes only ${window.minHours}h`
            : `${config.provider} takes ${window.minHours}h to ${window.maxHours}h`,
      });
    if (config.baseURL !== undefined && !traits.ruleBaseURL)
      ctx.addIssue({
        code: 'custom',
        path: ['baseURL'],
        message: spec.env.baseURL ? `set ${spec.env.baseURL} instead` : `${config.provider} takes no baseURL`,
      });
    for (const issue of spec.checkBatch?.(config) ?? [])
      ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
    // A provider's own options are for rules of that provider only.
    for (const other of allProviders())
      for (const key of Object.keys(other.ruleOptions ?? {}))
        if (
          other !== spec &&
          !(key in (spec.ruleOptions ?? {})) &&
          (config as Record<string, unknown>)[key] !== undefined
        )
          ctx.addIssue({
            code: 'custom',
            path: [key],
            message: `${key} is a ${other.name} option (this rule's provider is ${config.provider})`,
          });
  });

/** The options providers take in their own batch rules (Bedrock's `s3Uri`, `roleArn`), all optional here. */
function providerRuleOptions(): Record<string, z.ZodType> {
  return Object.assign({}, ...allProviders().map((p) => p.ruleOptions ?? {})) as Record<string, z.ZodType>;
}

/** "openai 50,000, anthropic 100,000, …" for the option's description. */
function capsText(key: 'maxRequestsPerBatch' | 'maxBytesPerBatch', unit: number, suffix: string): string {
  return allProviders()
    .map((p) => `${p.name} ${(p.traits[key] / unit).toLocaleString('en-US')}${suffix}`)
    .join(', ');
}

export type BatchStageConfig = z.output<typeof batchConfigSchema>;

export function priceTable(config: BatchStageConfig, defaults: PriceTable): PriceTable {
  return config.pricing ? { ...defaults, ...config.pricing } : defaults;
}

/** The part caps in force: the rule's, within the provider's. */
export function partCaps(config: BatchStageConfig): { maxRequests: number; maxBytes: number; minRequests: number } {
  const traits = providerSpec(config.provider).traits;
  return {
    maxRequests: Math.min(config.maxRequestsPerBatch ?? traits.maxRequestsPerBatch, traits.maxRequestsPerBatch),
    maxBytes: Math.min(config.maxBytesPerBatch ?? traits.maxBytesPerBatch, traits.maxBytesPerBatch),
    minRequests: config.minRequestsPerBatch ?? traits.minRequestsPerBatch ?? 1,
  };
}

/** What to set for this rule to reach its provider (its key variable, or the rule's `apiKeyEnv`). */
export function whatToSet(config: Pick<BatchStageConfig, 'provider' | 'apiKeyEnv'>): string {
  return config.apiKeyEnv ?? providerSpec(config.provider).env.hint;
}
