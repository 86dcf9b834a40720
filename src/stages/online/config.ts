/**
 * The `online` rule's options: how hard to push an OpenAI-compatible server that has no Batch
 * API (vLLM, Ollama, llama.cpp, OpenAI with `service_tier: "flex"`).
 */
import { z } from 'zod';
import { deploymentsSchema, pricingSchema } from '../pricing-schema.ts';
import { deploymentIssues } from '../../tokens/rule-prices.ts';
import { reaskOptions } from '../structured/reask-options.ts';

const positiveInt = z.number().int().positive();

/** One server of a fleet: its address, and its own limits where they differ from the rule's. */
const serverSchema = z.strictObject({
  baseURL: z.url().describe('The server (`http://gpu-1:8000/v1`).'),
  maxConcurrency: positiveInt.max(4096).optional().describe("Requests in flight on it at once (default: the rule's)."),
  requestsPerMinute: positiveInt.optional().describe("Its requests per minute (default: the rule's)."),
  tokensPerMinute: positiveInt.optional().describe("Its tokens per minute (default: the rule's)."),
});

export type OnlineServerConfig = z.output<typeof serverSchema>;

export const onlineConfigSchema = z
  .strictObject({
    kind: z.literal('online'),
    baseURL: z
      .url()
      .optional()
      .describe(
        'Server for this rule (`http://127.0.0.1:8000/v1` for vLLM). Default: OPENAI_BASE_URL, else OpenAI. `--offline` always uses the built-in emulator.',
      ),
    servers: z
      .array(serverSchema)
      .min(1)
      .optional()
      .describe(
        "A fleet of servers serving the same model (vLLM, SGLang or Ollama replicas): each row goes to whichever has room, within each server's own limits; one that fails or times out is drained, its rows sent to the others, and probed again later. Each server's limits default to the rule's. PIPELINE_ONLINE_SERVERS (comma-separated base URLs) replaces the list without editing the config.",
      ),
    maxConcurrency: positiveInt
      .max(4096)
      .default(16)
      .describe(
        'Requests in flight at once, over every target of the build that uses the same server and model (per server for a fleet).',
      ),
    requestsPerMinute: positiveInt
      .optional()
      .describe(
        "Requests per minute (refilled continuously); the server's `x-ratelimit-limit-*` headers may lower it.",
      ),
    tokensPerMinute: positiveInt
      .optional()
      .describe(
        "Tokens per minute (refilled continuously; the server's `x-ratelimit-limit-*` headers may lower it). A request costs its prompt tokens (the model's real tokenizer) plus its `max_tokens`.",
      ),
    maxAttempts: positiveInt
      .max(50)
      .default(5)
      .describe('Attempts per request for answers that may succeed later (5xx, timeouts, dropped connections).'),
    maxThrottledAttempts: positiveInt
      .max(10_000)
      .default(100)
      .describe(
        'Rate-limit answers (429, 503, 498, 529) a request may get in one build before it is left for the next.',
      ),
    timeoutSeconds: z
      .number()
      .positive()
      .max(3600)
      .default(600)
      .describe('Per request; OpenAI suggests 15 minutes for flex.'),
    serviceTier: z
      .string()
      .min(1)
      .optional()
      .describe(
        "Sent as the body's `service_tier` (`flex`: OpenAI's batch price, slower). Not part of the request's cache key.",
      ),
    outputTokenRatio: z
      .number()
      .positive()
      .max(100)
      .default(0.55)
      .describe(
        'Expected output tokens per input token, for estimates (capped by `max_tokens`), until the rule has answers: then the ratio its answered requests were billed for, per model.',
      ),
    maxCostUsd: z
      .number()
      .positive()
      .optional()
      .describe(
        "This target's budget over every run, in dollars: what it spent plus its requests in flight, each reply at its max_tokens, stays within it; a request that does not fit waits for answers in flight, and is held once none are. `--max-cost` is the same for the whole job.",
      ),
    ...reaskOptions,
    pricing: pricingSchema.describe(
      'Dollars per 1M tokens at standard price, per model, over the built-in table (`pipeline prices`): `input`, `output`, and optionally `cachedInput`, `cacheWrite` and a `longContext` tier. `serviceTier: "flex"` is billed at half.',
    ),
    deployments: deploymentsSchema,
  })
  .superRefine((config, ctx) => {
    for (const issue of deploymentIssues(config)) ctx.addIssue({ code: 'custom', ...issue });
    if (config.baseURL !== undefined && config.servers !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['servers'],
        message: 'give either baseURL (one server) or servers (a fleet), not both',
      });
    const seen = new Set<string>();
    for (const [i, server] of (config.servers ?? []).entries()) {
      if (seen.has(server.baseURL))
        ctx.addIssue({ code: 'custom', path: ['servers', i, 'baseURL'], message: `${server.baseURL} is listed twice` });
      seen.add(server.baseURL);
    }
  });

export type OnlineStageConfig = z.output<typeof onlineConfigSchema>;

/** Flex is billed at the Batch API's price; every other tier at the standard price. */
export function billedAtBatchPrice(config: Pick<OnlineStageConfig, 'serviceTier'>): boolean {
  return config.serviceTier === 'flex';
}
