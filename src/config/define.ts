/**
 * The authoring API of `pipeline.config.ts`. These are identity functions: they exist so the
 * editor type-checks a config as it is written (each stage's options come from that stage's own
 * schema). Validation happens when the config is loaded.
 */
import type { z } from 'zod';
import type { batchConfigSchema } from '../stages/batch/config.ts';
import type { mergeConfigSchema } from '../stages/merge.ts';
import type { onlineConfigSchema } from '../stages/online/config.ts';
import type { requestsConfigSchema } from '../stages/requests.ts';
import type { shellConfigSchema } from '../stages/shell.ts';
import type { PipelineConfigInput, RuleConfig } from './schema.ts';

type Options<S extends z.ZodType> = Omit<z.input<S>, 'kind'>;

export type StageOptions =
  | z.input<typeof requestsConfigSchema>
  | z.input<typeof batchConfigSchema>
  | z.input<typeof onlineConfigSchema>
  | z.input<typeof mergeConfigSchema>
  | z.input<typeof shellConfigSchema>;

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
/** Request file → raw results through a server's online endpoint (vLLM, Ollama, llama.cpp, OpenAI flex); needs a `marker` (its journal). */
export const online = (options: Options<typeof onlineConfigSchema> = {}) => ({ kind: 'online' as const, ...options });
/** Source + results → merged records. */
export const merge = (options: Options<typeof mergeConfigSchema> = {}) => ({ kind: 'merge' as const, ...options });
/** A command; `{input}`, `{inputs}`, `{output}` and wildcards are substituted. */
export const shell = (command: string) => ({ kind: 'shell' as const, command });
