/**
 * requests: source records → batch input lines, one per record, streamed, in the shape of the
 * provider that will run them (see request-line.ts). The `custom_id` is derived from the record
 * (by default `{subject}-{question_number}`), so it is unique within a file and stable across
 * runs; the merge stage derives it the same way to join.
 */
import { z } from 'zod';
import { PROVIDERS } from '../batch-api/types.ts';
import { JsonlWriter } from '../util/jsonl-writer.ts';
import { customIdProblem, requestLine, type LineSettings } from './request-line.ts';
import { replyJsonSchema, strictSubsetIssues, zodSchemaOption } from './structured/reply-schema.ts';
import { fillTemplate, templateFields } from './record-template.ts';
import { badInputFailure, readSourceRecords, type LineProblem } from './source-records.ts';
import type { StageDefinition, StageOutcome } from './types.ts';

export const requestsConfigSchema = z
  .strictObject({
    kind: z.literal('requests'),
    provider: z
      .enum(PROVIDERS)
      .default('openai')
      .describe(
        "Whose request shape to write: OpenAI's (also Azure and compatible servers) or Anthropic's (which needs `params.max_tokens`). Must match the batch rule's.",
      ),
    model: z.string().min(1).default('gpt-4.1').describe('The model every request names.'),
    endpoint: z
      .enum(['/v1/chat/completions', '/v1/responses'])
      .default('/v1/chat/completions')
      .describe(
        'The API endpoint the requests are for: chat completions, or `/v1/responses` (OpenAI; its messages go in `input`).',
      ),
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
    schema: zodSchemaOption
      .optional()
      .describe(
        "The reply's shape, a zod object: sent as the provider's structured-output request (OpenAI `response_format` / `text.format`, Anthropic a forced tool); checked against OpenAI's strict subset when the config loads. Give the merge rule the same schema.",
      ),
    schemaName: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,64}$/, "use 1–64 of A–Z, a–z, 0–9, '_' and '-'")
      .default('reply')
      .describe("The schema's name in the request (OpenAI's json_schema name, Anthropic's tool name)."),
  })
  .superRefine((config, ctx) => {
    if (config.schema)
      for (const issue of strictSubsetIssues(replyJsonSchema(config.schema)))
        ctx.addIssue({ code: 'custom', path: ['schema'], message: `${issue.at}: ${issue.message}` });
    if (config.provider === 'anthropic' && typeof config.params.max_tokens !== 'number')
      ctx.addIssue({
        code: 'custom',
        path: ['params', 'max_tokens'],
        message:
          'Anthropic requires max_tokens on every request: add params: { max_tokens: 1024 } (or the reply length you need)',
      });
  });

export type RequestsConfig = z.output<typeof requestsConfigSchema>;

export const requestsStage: StageDefinition<RequestsConfig> = {
  kind: 'requests',
  version: 1,
  remote: false,
  pure: true,
  validation: () => ({
    schema: requestsConfigSchema,
    // The zod schema is not JSON: the fingerprint sees the JSON Schema it sends.
    identity: (config) => ({ ...config, schema: config.schema && replyJsonSchema(config.schema) }),
  }),
  async run(ctx, config): Promise<StageOutcome> {
    const settings: LineSettings = {
      ...config,
      ...(config.schema ? { reply: { name: config.schemaName, schema: replyJsonSchema(config.schema) } } : {}),
    };
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
        const id = (customId as { text: string }).text;
        const idProblem = customIdProblem(config.provider, id);
        if (idProblem) {
          problems.push({ line, message: `custom_id "${id}" ${idProblem}` });
          continue;
        }
        await out.write(
          requestLine(settings, id, system?.ok ? system.text : undefined, (user as { text: string }).text),
        );
      }
    } finally {
      await out.close();
    }
    if (problems.length > 0) return { kind: 'failed', failure: badInputFailure(ctx.root, source, problems) };
    return { kind: 'done', summary: `${out.lines} requests` };
  },
};
