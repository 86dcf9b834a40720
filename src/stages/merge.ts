/**
 * merge: source records + raw Batch API results → merged records, in source order.
 * Results are joined on `custom_id` whatever their order. Memory stays flat: a first pass indexes
 * each result's byte offset (ids only), then the source streams through and each result line is
 * read from its offset. No row is dropped silently: if any is missing or failed, the target
 * fails naming every missing row and why, and no merged file is written.
 */
import { open } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { JsonlWriter } from '../util/jsonl-writer.ts';
import { readJsonl } from '../util/jsonl.ts';
import { parseResultLine } from './batch-result-line.ts';
import { fillTemplate } from './record-template.ts';
import { badInputFailure, readSourceRecords, type LineProblem } from './source-records.ts';
import type { StageDefinition, StageOutcome } from './types.ts';

export const mergeConfigSchema = z.strictObject({
  kind: z.literal('merge'),
  idField: z.string().default('question_number'),
  /** Must match the requests stage's template. */
  customId: z.string().default('{subject}-{question_number}'),
  /** Field that receives the model's reply. */
  outputField: z.string().default('paraphrased_analysis'),
  /** Field that receives `{input, output, total}` tokens. */
  tokensField: z.string().default('paraphrase_tokens'),
});

export type MergeConfig = z.output<typeof mergeConfigSchema>;

export const mergeStage: StageDefinition<MergeConfig> = {
  kind: 'merge',
  version: 1,
  remote: false,
  pure: true,
  schema: mergeConfigSchema,
  async run(ctx, config): Promise<StageOutcome> {
    const [source, results] = [ctx.inputs[0]!, ctx.inputs[1]!];
    const resultsName = path.relative(ctx.root, results);
    const index = new Map<string, { offset: number; bytes: number }>();
    const garbage: LineProblem[] = [];
    for await (const entry of readJsonl(results)) {
      const id = entry.kind === 'value' ? parseResultLine(entry.value).customId : undefined;
      if (id === undefined) garbage.push({ line: entry.line, message: entry.kind === 'error' ? entry.message : 'not a result line (no custom_id)' });
      else if (!index.has(id)) index.set(id, { offset: entry.offset, bytes: entry.bytes });
    }
    if (garbage.length > 0) return { kind: 'failed', failure: badInputFailure(ctx.root, results, garbage) };

    const problems: LineProblem[] = [];
    const missing: string[] = [];
    const usage = { input: 0, output: 0 };
    const handle = await open(results, 'r');
    const out = await JsonlWriter.open(ctx.tempOutput);
    try {
      for await (const { record } of readSourceRecords(source, { idField: config.idField, required: [] }, problems)) {
        const id = fillTemplate(config.customId, record, ctx.bindings);
        const label = `${config.idField} ${String(record[config.idField])}`;
        if (!id.ok) {
          missing.push(`${label}: cannot derive custom_id (missing "${id.missing}")`);
          continue;
        }
        const at = index.get(id.text);
        if (!at) {
          missing.push(`${label} (${id.text}): no result in ${resultsName}`);
          continue;
        }
        const buf = Buffer.alloc(at.bytes);
        await handle.read(buf, 0, at.bytes, at.offset);
        const parsed = parseResultLine(JSON.parse(buf.toString('utf8').replace(/^\uFEFF/, '')) as unknown);
        if (!parsed.ok) {
          missing.push(`${label} (${id.text}): ${parsed.why}`);
          continue;
        }
        usage.input += parsed.usage.input;
        usage.output += parsed.usage.output;
        if (missing.length === 0 && problems.length === 0) {
          await out.write({ ...record, [config.outputField]: parsed.text, [config.tokensField]: parsed.usage });
        }
      }
    } finally {
      await out.close();
      await handle.close();
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
    return { kind: 'done', summary: `${out.lines} records merged`, usage };
  },
};
