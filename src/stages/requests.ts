/**
 * requests: source records → OpenAI batch input lines, one per record, streamed.
 * The `custom_id` is derived from the record (by default `{subject}-{question_number}`), so it is
 * unique within a file and stable across runs; the merge stage derives it the same way to join.
 */
import { z } from 'zod';
import { JsonlWriter } from '../util/jsonl-writer.ts';
import { fillTemplate, templateFields } from './record-template.ts';
import { badInputFailure, readSourceRecords, type LineProblem } from './source-records.ts';
import type { StageDefinition, StageOutcome } from './types.ts';

export const requestsConfigSchema = z.strictObject({
  kind: z.literal('requests'),
  model: z.string().min(1).default('gpt-4.1').describe('The model every request names.'),
  endpoint: z
    .literal('/v1/chat/completions')
    .default('/v1/chat/completions')
    .describe('The API endpoint the requests are for.'),
  system: z
    .string()
    .optional()
    .describe('The system message; `{field}`s are filled from the record and the wildcards.'),
  prompt: z
    .string()
    .min(1)
    .describe(
      'The user message template; `{field}`s are filled from the record and the wildcards. A record without a field the template names is a bad-input error naming its line.',
    ),
  params: z
    .record(z.string(), z.unknown())
    .default({})
    .describe('Extra request body parameters (`temperature`, `max_tokens`, …), sent as given.'),
  idField: z
    .string()
    .default('question_number')
    .describe('The field that identifies a record: present and unique in each source file.'),
  customId: z
    .string()
    .default('{subject}-{question_number}')
    .describe(
      "Template of each request's `custom_id`; must name the id field (to be unique) and match the merge rule's `customId`.",
    ),
});

export type RequestsConfig = z.output<typeof requestsConfigSchema>;

export const requestsStage: StageDefinition<RequestsConfig> = {
  kind: 'requests',
  version: 1,
  remote: false,
  pure: true,
  schema: requestsConfigSchema,
  async run(ctx, config): Promise<StageOutcome> {
    const source = ctx.inputs[0]!;
    const templateText = `${config.system ?? ''}${config.prompt}`;
    const required = templateFields(templateText).filter((f) => !(f in ctx.bindings));
    const problems: LineProblem[] = [];
    const out = await JsonlWriter.open(ctx.tempOutput);
    try {
      for await (const { line, record } of readSourceRecords(source, { idField: config.idField, required }, problems)) {
        const customId = fillTemplate(config.customId, record, ctx.bindings);
        const user = fillTemplate(config.prompt, record, ctx.bindings);
        const system = config.system === undefined ? undefined : fillTemplate(config.system, record, ctx.bindings);
        const missing = [customId, user, system].find((r) => r && !r.ok);
        if (missing && !missing.ok) {
          problems.push({ line, message: `missing "${missing.missing}"` });
          continue;
        }
        if (problems.length > 0) continue; // keep validating, stop writing: the target fails anyway
        const messages = [
          ...(system?.ok ? [{ role: 'system', content: system.text }] : []),
          { role: 'user', content: (user as { text: string }).text },
        ];
        await out.write({
          custom_id: (customId as { text: string }).text,
          method: 'POST',
          url: config.endpoint,
          body: { model: config.model, messages, ...config.params },
        });
      }
    } finally {
      await out.close();
    }
    if (problems.length > 0) return { kind: 'failed', failure: badInputFailure(ctx.root, source, problems) };
    return { kind: 'done', summary: `${out.lines} requests` };
  },
};
