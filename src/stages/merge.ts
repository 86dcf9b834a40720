/**
 * merge: source records + raw Batch API results → merged records, in source order.
 * Results are joined on `custom_id` whatever their order, with flat memory (see ResultLookup).
 * No row is dropped silently: if any is missing or failed, the target
 * fails naming every missing row and why, and no merged file is written.
 *
 * With a reply `schema` (the requests rule's), every reply is parsed and validated; the valid
 * object goes into `outputField` or is spread into the record. A row whose reply is invalid
 * (refused, truncated, not JSON, rejected by the schema) is named with its source line, custom id
 * and reason; the target fails for those rows only: the others are written.
 */
import path from 'node:path';
import { z } from 'zod';
import { formatOf } from '../sources/format.ts';
import { RecordWriter } from '../sources/record-writer.ts';
import { readResultLine, whyUnusable, type LineUsage } from './result-line.ts';
import { fillTemplate, isRecord } from './record-template.ts';
import { ResultLookup } from './result-lookup.ts';
import { replyJsonSchema, zodSchemaOption } from './structured/reply-schema.ts';
import { checkReply } from './structured/validate-reply.ts';
import { badInputFailure, readSourceRecords, type LineProblem } from './source-records.ts';
import type { StageDefinition, StageOutcome } from './types.ts';

export const mergeConfigSchema = z.strictObject({
  kind: z.literal('merge'),
  idField: z
    .string()
    .default('question_number')
    .describe('The field that identifies a record; as in the requests rule.'),
  customId: z
    .string()
    .default('{subject}-{question_number}')
    .describe("Template of each record's `custom_id`; must match the requests rule's, to join results to records."),
  outputField: z.string().default('paraphrased_analysis').describe("The field that receives the model's reply."),
  tokensField: z
    .string()
    .default('paraphrase_tokens')
    .describe('The field that receives the tokens the reply cost: `{input, output, total}`.'),
  outputFormat: z
    .enum(['jsonl', 'source'])
    .optional()
    .describe(
      "The merged file's format: `jsonl` (the default), or `source` for the source's own (JSONL, JSON array or CSV; in CSV, the tokens are a JSON cell).",
    ),
  schema: zodSchemaOption
    .optional()
    .describe(
      "The reply's zod schema; default: the one of the rules whose results this merge reads (the requests rule's, carried through the batch or online rule). Every reply is parsed and validated, and the valid object (zod's output, so transforms and defaults apply) is what is written. A row whose reply stays invalid is named, and the others are written.",
    ),
  spread: z
    .boolean()
    .default(false)
    .describe("With a `schema`: spread the reply's fields into the record instead of writing it to `outputField`."),
});

export type MergeConfig = z.output<typeof mergeConfigSchema>;

export const mergeStage: StageDefinition<MergeConfig> = {
  kind: 'merge',
  version: 1,
  remote: false,
  pure: true,
  validation: () => ({
    schema: mergeConfigSchema,
    identity: (config) => ({ ...config, schema: config.schema && replyJsonSchema(config.schema) }),
  }),
  async run(ctx, config): Promise<StageOutcome> {
    const [source, results] = [ctx.inputs[0]!, ctx.inputs[1]!];
    const resultsName = path.relative(ctx.root, results);
    const opened = await ResultLookup.open(results);
    if (!opened.ok) return { kind: 'failed', failure: badInputFailure(ctx.root, results, opened.problems) };
    const lookup = opened.lookup;

    const problems: LineProblem[] = [];
    const missing: string[] = [];
    const invalid: string[] = [];
    const sourceName = path.relative(ctx.root, source);
    // The same four counts as the batch stage's tally, so the merge row shows the batch's tokens.
    const usage = { input: 0, output: 0, cached: 0, cacheWrite: 0 };
    let out: RecordWriter | undefined;
    try {
      out = await RecordWriter.open(ctx.tempOutput, config.outputFormat === 'source' ? formatOf(source) : 'jsonl');
      for await (const { line: sourceLine, record } of readSourceRecords(
        source,
        { idField: config.idField, required: [] },
        problems,
      )) {
        const id = fillTemplate(config.customId, record, ctx.bindings);
        const label = `${config.idField} ${String(record[config.idField])}`;
        if (!id.ok) {
          missing.push(`${label}: cannot derive custom_id (missing "${id.missing}")`);
          continue;
        }
        const line = await lookup.get(id.text);
        if (line === undefined) {
          missing.push(`${label} (${id.text}): no result in ${resultsName}`);
          continue;
        }
        const parsed = readResultLine(line);
        if (parsed?.kind !== 'succeeded' || (parsed.text === undefined && !config.schema)) {
          const next =
            parsed?.kind === 'errored'
              ? parsed.retryable
                ? ' — the next build sends it again'
                : ' — needs a change to the request'
              : '';
          missing.push(`${label} (${id.text}): ${parsed ? whyUnusable(parsed) : 'not a result line'}${next}`);
          continue;
        }
        usage.input += parsed.usage.input;
        usage.output += parsed.usage.output;
        usage.cached += parsed.usage.cached;
        usage.cacheWrite += parsed.usage.cacheWrite;
        let reply: Record<string, unknown> = { [config.outputField]: parsed.text };
        if (config.schema) {
          const checked = checkReply(parsed, config.schema);
          if (!checked.ok) {
            invalid.push(`${sourceName}:${sourceLine} ${label} (${id.text}): ${checked.kind}: ${checked.message}`);
            continue;
          }
          reply = config.spread && isRecord(checked.value) ? checked.value : { [config.outputField]: checked.value };
        }
        if (missing.length === 0 && problems.length === 0) {
          await out.write({ ...record, ...reply, [config.tokensField]: tokensOf(parsed.usage) });
        }
      }
    } finally {
      await out?.close();
      await lookup.close();
    }
    if (problems.length > 0) return { kind: 'failed', failure: badInputFailure(ctx.root, source, problems) };
    if (missing.length > 0) {
      return {
        kind: 'failed',
        failure: {
          reason: 'incomplete',
          message: `${missing.length} row${missing.length > 1 ? 's have' : ' has'} no usable result; nothing merged`,
          file: resultsName,
          details: missing.slice(0, 50).concat(missing.length > 50 ? [`… and ${missing.length - 50} more`] : []),
        },
      };
    }
    if (invalid.length > 0) {
      return {
        kind: 'failed',
        partialOutput: true,
        usage,
        failure: {
          reason: 'invalid-replies',
          message: `${invalid.length} row${invalid.length > 1 ? 's have' : ' has'} an invalid reply; the other ${out.records} merged`,
          file: resultsName,
          details: invalid.slice(0, 50).concat(invalid.length > 50 ? [`… and ${invalid.length - 50} more`] : []),
        },
      };
    }
    return { kind: 'done', summary: `${out.records} records merged`, usage };
  },
};

/** The merged record's tokens field keeps the seed's shape: `{input, output, total}`. */
function tokensOf(usage: LineUsage): { input: number; output: number; total: number } {
  return { input: usage.input, output: usage.output, total: usage.total };
}
