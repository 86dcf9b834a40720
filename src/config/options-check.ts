/**
 * The generated option types (src/config/options.ts) must be exactly what the schemas accept: if a
 * schema changes, this fails to compile until `npm run docs:config` regenerates them.
 */
import type { z } from 'zod';
import type { batchConfigSchema } from '../stages/batch/config.ts';
import type { mergeConfigSchema } from '../stages/merge.ts';
import type { onlineConfigSchema } from '../stages/online/config.ts';
import type { requestsConfigSchema } from '../stages/requests.ts';
import type { shellConfigSchema } from '../stages/shell.ts';
import type { transformConfigSchema } from '../stages/transform.ts';
import type {
  BatchStageOptions,
  MergeStageOptions,
  OnlineStageOptions,
  PipelineOptions,
  RequestsStageOptions,
  RuleOptions,
  ShellStageOptions,
  TransformStageOptions,
} from './options.ts';
import type { PipelineConfigInput, ruleSchema } from './schema.ts';

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Checks = [
  Same<RequestsStageOptions, z.input<typeof requestsConfigSchema>>,
  Same<BatchStageOptions, z.input<typeof batchConfigSchema>>,
  Same<OnlineStageOptions, z.input<typeof onlineConfigSchema>>,
  Same<MergeStageOptions, z.input<typeof mergeConfigSchema>>,
  Same<ShellStageOptions, z.input<typeof shellConfigSchema>>,
  Same<TransformStageOptions, z.input<typeof transformConfigSchema>>,
  Same<Omit<RuleOptions, 'stage'>, Omit<z.input<typeof ruleSchema>, 'stage'>>,
  Same<Omit<PipelineOptions, 'rules'>, Omit<PipelineConfigInput, 'rules'>>,
];
export const generatedTypesMatchSchemas: Checks = [true, true, true, true, true, true, true, true];
