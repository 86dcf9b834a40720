/**
 * The authoring API of `pipeline.config.ts`. These are identity functions: they exist so the
 * editor type-checks a config as it is written. Validation happens when the config is loaded.
 */
import type { PipelineConfigInput, RuleConfig } from './schema.ts';

export interface StageOptions {
  kind: string;
  [option: string]: unknown;
}

export type RuleInput = Omit<RuleConfig, 'stage'> & { stage: StageOptions };

export function definePipeline(config: PipelineConfigInput & { rules: RuleInput[] }): PipelineConfigInput {
  return config;
}

export function rule(config: RuleInput): RuleInput {
  return config;
}
