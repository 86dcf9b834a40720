/**
 * The authoring API of `pipeline.config.ts` (the package's exports, src/index.ts). These are
 * identity functions: they exist so the editor type-checks and explains a config as it is written.
 * The option types are generated from the zod schemas (src/config/options.ts, with their
 * descriptions as JSDoc); validation happens when the config is loaded.
 */
import type { z } from 'zod';
import type { batchConfigSchema } from '../stages/batch/config.ts';
import type { mergeConfigSchema } from '../stages/merge.ts';
import type { requestsConfigSchema } from '../stages/requests.ts';
import type { shellConfigSchema } from '../stages/shell.ts';
import type {
  BatchStageOptions,
  MergeStageOptions,
  PipelineOptions,
  RequestsStageOptions,
  RuleOptions,
  ShellStageOptions,
  StageOptions,
} from './options.ts';
import type { PipelineConfigInput, ruleSchema } from './schema.ts';

export type {
  BatchStageOptions,
  MergeStageOptions,
  PipelineOptions,
  RequestsStageOptions,
  RuleOptions,
  ShellStageOptions,
  StageOptions,
};

export function definePipeline(config: PipelineOptions): PipelineConfigInput {
  return config;
}

export function rule(config: RuleOptions): RuleOptions {
  return config;
}

/** One chat-completions request line per source record. */
export const requests = (options: Omit<RequestsStageOptions, 'kind'>): RequestsStageOptions => ({
  kind: 'requests',
  ...options,
});
/** Request file → raw results through the Batch API (the rule needs a `marker`). */
export const batch = (options: Omit<BatchStageOptions, 'kind'> = {}): BatchStageOptions => ({
  kind: 'batch',
  ...options,
});
/** Source + results → merged records. */
export const merge = (options: Omit<MergeStageOptions, 'kind'> = {}): MergeStageOptions => ({
  kind: 'merge',
  ...options,
});
/** A command; `{input}`, `{inputs}`, `{output}` and wildcards are substituted. */
export const shell = (command: string): ShellStageOptions => ({ kind: 'shell', command });

// The generated types must be exactly what the schemas accept: if a schema changes, this fails to
// compile until `npm run docs:config` regenerates src/config/options.ts.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Checks = [
  Same<RequestsStageOptions, z.input<typeof requestsConfigSchema>>,
  Same<BatchStageOptions, z.input<typeof batchConfigSchema>>,
  Same<MergeStageOptions, z.input<typeof mergeConfigSchema>>,
  Same<ShellStageOptions, z.input<typeof shellConfigSchema>>,
  Same<Omit<RuleOptions, 'stage'>, Omit<z.input<typeof ruleSchema>, 'stage'>>,
  Same<Omit<PipelineOptions, 'rules'>, Omit<PipelineConfigInput, 'rules'>>,
];
export const generatedTypesMatchSchemas: Checks = [true, true, true, true, true, true];
