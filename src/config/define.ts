/**
 * The authoring API of `pipeline.config.ts`. These are identity functions: they exist so the
 * editor type-checks a config as it is written (each stage's options come from that stage's own
 * schema). Validation happens when the config is loaded.
 */
import type { z } from 'zod';
import type { batchConfigSchema } from '../stages/batch/config.ts';
import type { mergeConfigSchema } from '../stages/merge.ts';
import type { requestsConfigSchema } from '../stages/requests.ts';
import type { shellConfigSchema } from '../stages/shell.ts';
import type { transformConfigSchema } from '../stages/transform.ts';
import type { PipelineConfigInput, RuleConfig } from './schema.ts';

type Options<S extends z.ZodType> = Omit<z.input<S>, 'kind'>;

export type StageOptions =
  | z.input<typeof requestsConfigSchema>
  | z.input<typeof batchConfigSchema>
  | z.input<typeof mergeConfigSchema>
  | z.input<typeof shellConfigSchema>
  | z.input<typeof transformConfigSchema>;

export type RuleInput = Omit<RuleConfig, 'stage'> & { stage: StageOptions };

export function definePipeline(
  config: Omit<PipelineConfigInput, 'rules'> & { rules: RuleInput[] },
): PipelineConfigInput {
  return config;
}

export function rule(config: RuleInput): RuleInput {
  return config;
}

/** One chat-completions request line per source record. */
export const requests = (options: Options<typeof requestsConfigSchema>) => ({ kind: 'requests' as const, ...options });
/** Request file → raw results through the Batch API (the rule needs a `marker`). */
export const batch = (options: Options<typeof batchConfigSchema> = {}) => ({ kind: 'batch' as const, ...options });
/** Source + results → merged records. */
export const merge = (options: Options<typeof mergeConfigSchema> = {}) => ({ kind: 'merge' as const, ...options });
/** A command; `{input}`, `{inputs}`, `{output}` and wildcards are substituted. */
export const shell = (command: string) => ({ kind: 'shell' as const, command });
/**
 * A step in TypeScript: `run` maps each record of the first input to zero or more records;
 * `runFile` sees every input at once (and may return one JSON value for a `.json` output).
 * Editing the function rebuilds this rule's targets; bump `version` for changes its text hides.
 */
export const transform = (options: Options<typeof transformConfigSchema>) => ({
  kind: 'transform' as const,
  ...options,
});
export type { JsonRecord, RecordAt, TransformFiles } from '../stages/transform-run.ts';
/** zod, re-exported so a config needs no import of its own for `requests({ schema })`. */
export { z } from 'zod';
