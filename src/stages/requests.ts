/**
 * requests: source records → batch input lines, one per record, streamed, in the line format of
 * the provider that will run them (its spec's `wire.writeRequest`). The id is derived from the record
 * (by default `{subject}-{question_number}`), so it is unique within a file and stable across
 * runs; the merge stage derives it the same way to join.
 */
import { z } from 'zod';
import { DEFAULT_PROVIDER, PROVIDER_NAMES, providerSpec } from '../providers/registry.ts';
import type { LineSettings } from '../providers/spec.ts';
import { JsonlWriter } from '../util/jsonl-writer.ts';
import { replyJsonSchema, strictSubsetIssues, zodSchemaOption } from './structured/reply-schema.ts';
import { fillTemplate, templateFields } from './record-template.ts';
import { badInputFailure, readSourceRecords, type LineProblem } from './source-records.ts';
import type { StageDefinition, StageOutcome } from './types.ts';

export const requestsConfigSchema = z
  .strictObject({
    kind: z.literal('requests'),
    provider: z
      .enum(PROVIDER_NAMES)
      .default(DEFAULT_PROVIDER)
      .describe(
        "Whose request line format to write (the provider's, see the provider table in the README; some require `params.max_tokens`). Must match the batch rule's.",
      ),
    model: z.string().min(1).default('gpt-4.1').describe('The model every request names.'),
    endpoint: z
      .string()
      .optional()
      .describe(
        "The API endpoint the requests are for; default: the provider's first. OpenAI's are `/v1/chat/completions` and `/v1/responses` (its messages go in `input`).",
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
        "The reply's shape, a zod object: sent as the provider's structured-output request (OpenAI `response_format` / `text.format`, Anthropic a forced tool); checked against OpenAI's strict subset when the config loads. Declared once: the batch or online rule reading these requests checks replies against it (re-asking invalid ones) and the merge of their results parses them with it, unless a rule gives its own.",
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
    const spec = providerSpec(config.provider);
    const endpoints = spec.traits.endpoints;
    if (config.endpoint !== undefined && !endpoints.includes(config.endpoint))
      ctx.addIssue({
        code: 'custom',
        path: ['endpoint'],
        message: `${spec.title} takes ${endpoints.map((e) => `"${e}"`).join(' or ')}`,
      });
    const endpoint = config.endpoint ?? endpoints[0]!;
    for (const issue of spec.checkRequests?.({
      model: config.model,
      params: config.params,
      endpoint,
      schema: config.schema !== undefined,
    }) ?? [])
      ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
  })
  .transform((config) => ({
    ...config,
    endpoint: config.endpoint ?? providerSpec(config.provider).traits.endpoints[0]!,
  }));

export type RequestsConfig = z.output<typeof requestsConfigSchema>;

/** Why this custom id cannot be sent to this provider, or undefined when it can. */
function customIdProblem(provider: string, customId: string): string | undefined {
  const rule = providerSpec(provider).traits.customId;
  if (!rule || rule.pattern.test(customId)) return undefined;
  return `is not allowed by ${providerSpec(provider).title} (${rule.rule}); change the rule's customId template`;
}

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
    const wire = providerSpec(config.provider).wire;
    const settings: LineSettings = {
      ...config,
      ...(config.schema ? { reply: { name: config.schemaName, schema: replyJsonSchema(config.schema) } } : {}),
    };
    const templateText = `${config.system ?? ''}${config.prompt}`;
    const required = templateFields(templateText).filter((f) => !(f in ctx.bindings));
    const out = await JsonlWriter.open(ctx.tempOutput);
    // One source, or every source of a gathering rule (an output without the input's wildcards), in order.
    try {
      for (const source of ctx.inputs) {
        const problems: LineProblem[] = [];
        for await (const { line, record } of readSourceRecords(
          source,
          { idField: config.idField, required },
          problems,
        )) {
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
            wire.writeRequest(settings, id, system?.ok ? system.text : undefined, (user as { text: string }).text),
          );
        }
        if (problems.length > 0) return { kind: 'failed', failure: badInputFailure(ctx.root, source, problems) };
      }
    } finally {
      await out.close();
    }
    return { kind: 'done', summary: `${out.lines} requests` };
  },
};
