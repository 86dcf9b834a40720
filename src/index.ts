/**
 * The package's public API: what a `pipeline.config.ts` imports to be typed as it is written.
 *
 *   import { batch, definePipeline, merge, requests, rule } from 'llmake';
 *
 * Every option is documented where its schema is declared (hover in an editor), and listed in
 * docs/config.md.
 */
export { batch, definePipeline, merge, online, requests, rule, shell, transform, z } from './config/define.ts';
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
  JsonRecord,
  RecordAt,
  TransformFiles,
} from './config/define.ts';
export type { PipelineConfig, PipelineConfigInput, RuleConfig } from './config/schema.ts';
