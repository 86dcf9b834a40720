/** The `pricing` and `deployments` options of remote stages (batch, online): what a rule's requests are priced at. */
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

/**
 * The `deployments` option: names a provider lets you choose (Azure deployments, a server's
 * served-model names) mapped to the model each runs, so requests naming them are priced as that
 * model. A name priced by neither is unknown, never free.
 */
export const deploymentsSchema = z
  .record(z.string().min(1), z.string().min(1))
  .optional()
  .describe(
    "Deployment (or served model) names → the model each runs, e.g. `{ 'my-gpt41': 'gpt-4.1' }`: requests naming a deployment are priced as its model (the built-in table or `pricing`). A model priced by neither is unknown, and `--max-cost` refuses to send it.",
  );
