/** The `pricing` option of remote stages (batch, online): per-model standard prices over the built-in table. */
import { z } from 'zod';

const rate = z.number().nonnegative();

export const pricingSchema = z
  .record(
    z.string(),
    z.strictObject({
      input: rate.describe('USD per 1M input tokens, standard API.'),
      output: rate.describe('USD per 1M output tokens, standard API.'),
      cachedInput: rate.optional().describe('USD per 1M input tokens read from the prompt cache (default: `input`).'),
      cacheWrite: rate.optional().describe('USD per 1M input tokens written to the prompt cache (default: `input`).'),
      longContext: z
        .strictObject({
          aboveInputTokens: z.number().int().positive(),
          input: rate,
          output: rate,
          cachedInput: rate.optional(),
          cacheWrite: rate.optional(),
        })
        .optional()
        .describe('Rates for a request whose prompt is above `aboveInputTokens` input tokens.'),
    }),
  )
  .optional();
