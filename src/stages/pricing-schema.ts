/** The `pricing` option of remote stages (batch, online): per-model standard prices over the built-in table. */
import { z } from 'zod';

export const pricingSchema = z
  .record(z.string(), z.strictObject({ input: z.number().nonnegative(), output: z.number().nonnegative() }))
  .optional();
