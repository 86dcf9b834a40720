/**
 * Every stage kind a config may name. Each stage's code (and zod, which its schema needs) is
 * imported only when a command uses it (lazy-stage.ts); what every command reads of a stage is
 * declared here. A stage's `version` is here and in its own definition (a test keeps them equal).
 */
import type { BatchStageConfig } from './batch/config.ts';
import { lazyStage, type LazyStage } from './lazy-stage.ts';
import { BATCH_INPUT_BYTES_AT_ONCE } from './batch/input-budget.ts';
import type { MergeConfig } from './merge.ts';
import type { OnlineStageConfig } from './online/config.ts';
import type { RequestsConfig } from './requests.ts';
import type { ShellConfig } from './shell.ts';
import type { TransformConfig } from './transform.ts';

/** Remote stages re-read their state for `status` of an up-to-date target only under a reply schema. */
const underSchema = (config: { schema?: unknown }) => config.schema !== undefined;

const stages = [
  lazyStage<RequestsConfig>({
    kind: 'requests',
    version: 1,
    remote: false,
    pure: true,
    hooks: [],
    load: async () => (await import('./requests.ts')).requestsStage,
  }),
  lazyStage<BatchStageConfig>({
    kind: 'batch',
    version: 1,
    remote: true,
    pure: false,
    inputBytesAtOnce: BATCH_INPUT_BYTES_AT_ONCE,
    hooks: ['prepare', 'describe', 'estimate', 'cancel', 'cleanable'],
    describesWhenFresh: underSchema,
    load: async () => (await import('./batch/stage.ts')).batchStage,
  }),
  lazyStage<OnlineStageConfig>({
    kind: 'online',
    version: 1,
    remote: true,
    pure: false,
    hooks: ['describe', 'estimate', 'cleanable'],
    describesWhenFresh: underSchema,
    load: async () => (await import('./online/stage.ts')).onlineStage,
  }),
  lazyStage<MergeConfig>({
    kind: 'merge',
    version: 1,
    remote: false,
    pure: true,
    hooks: [],
    load: async () => (await import('./merge.ts')).mergeStage,
  }),
  lazyStage<ShellConfig>({
    kind: 'shell',
    version: 1,
    remote: false,
    pure: false,
    hooks: [],
    load: async () => (await import('./shell.ts')).shellStage,
  }),
  lazyStage<TransformConfig>({
    kind: 'transform',
    version: 1,
    remote: false,
    pure: true,
    hooks: [],
    load: async () => (await import('./transform.ts')).transformStage,
  }),
];

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const stageRegistry: ReadonlyMap<string, LazyStage<any>> = new Map(stages.map((s) => [s.kind, s]));
