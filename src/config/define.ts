/**
 * The authoring API of `pipeline.config.ts` (the package's exports, src/index.ts). These are
 * identity functions: they exist so the editor type-checks and explains a config as it is written.
 * The option types are generated from the zod schemas (src/config/options.ts, with their
 * descriptions as JSDoc); validation happens when the config is loaded.
 */
import type {
  BatchStageOptions,
  MergeStageOptions,
  OnlineStageOptions,
  PipelineOptions,
  RequestsStageOptions,
  RuleOptions,
  ShellStageOptions,
  StageOptions,
  TransformStageOptions,
} from './options.ts';

export type {
  BatchStageOptions,
  MergeStageOptions,
  OnlineStageOptions,
  PipelineOptions,
  RequestsStageOptions,
  RuleOptions,
  ShellStageOptions,
  StageOptions,
  TransformStageOptions,
};

// Only the generated types are imported here: the package's declaration files for a config then
// need nothing of the engine (nor @types/node). src/config/options-check.ts ties them to the schemas.
export function definePipeline(config: PipelineOptions): PipelineOptions {
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
/** Request file → raw results through a server's online endpoint (vLLM, Ollama, llama.cpp, OpenAI flex); needs a `marker` (its journal). */
export const online = (options: Omit<OnlineStageOptions, 'kind'> = {}): OnlineStageOptions => ({
  kind: 'online',
  ...options,
});
/** Source + results → merged records. */
export const merge = (options: Omit<MergeStageOptions, 'kind'> = {}): MergeStageOptions => ({
  kind: 'merge',
  ...options,
});
/** A command; `{input}`, `{inputs}`, `{output}` and wildcards are substituted. */
export const shell = (command: string): ShellStageOptions => ({ kind: 'shell', command });
/**
 * A step in TypeScript: `run` maps each record of the first input to zero or more records;
 * `runFile` sees every input at once (and may return one JSON value for a `.json` output).
 * Editing the function rebuilds this rule's targets; bump `version` for changes its text hides.
 */
export const transform = (options: Omit<TransformStageOptions, 'kind'>): TransformStageOptions => ({
  kind: 'transform',
  ...options,
});
export type { JsonRecord, RecordAt, TransformFiles } from '../stages/transform-types.ts';
/** zod, re-exported so a config needs no import of its own for `requests({ schema })`. */
export { z } from 'zod';
