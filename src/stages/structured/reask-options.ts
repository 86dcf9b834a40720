/**
 * The options a results stage (`batch`, `online`) takes to check replies as they arrive and
 * re-ask the invalid ones. The schema is the requests rule's, carried here when the config is
 * resolved (config/carry-schema.ts): a rule sees only its own options and its input files.
 */
import { z } from 'zod';
import { zodSchemaOption } from './reply-schema.ts';

export const reaskOptions = {
  schema: zodSchemaOption
    .optional()
    .describe(
      "The reply's zod schema; default: the schema of the requests rule whose request files this rule reads (give one here only to check replies against another). Each reply is checked when it arrives, and an invalid one (not JSON, rejected by the schema, cut at the token limit, refused) is recorded with its reason and asked again in the next batch.",
    ),
  maxInvalidAttempts: z
    .number()
    .int()
    .min(0)
    .max(10)
    .default(2)
    .describe(
      'With a `schema`: how many times one request is asked again after an invalid reply. A row still invalid after that is named by the merge (file, line, custom id, first zod issue), which writes the others.',
    ),
  repairPrompt: z
    .boolean()
    .default(false)
    .describe(
      'With a `schema`: append the validation error to the last user message of a re-ask, so the model sees what was wrong (the re-ask is then a different request, cached as such). Off: the same request is asked again, and cached as a re-ask of it.',
    ),
};

export interface ReaskSettings {
  schema?: z.ZodType | undefined;
  maxInvalidAttempts: number;
  repairPrompt: boolean;
}
