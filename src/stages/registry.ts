/** Every stage kind a config may name. */
import { batchStage } from './batch/stage.ts';
import { mergeStage } from './merge.ts';
import { onlineStage } from './online/stage.ts';
import { requestsStage } from './requests.ts';
import { shellStage } from './shell.ts';
import { transformStage } from './transform.ts';
import type { AnyStage } from './types.ts';

export const stageRegistry: ReadonlyMap<string, AnyStage> = new Map<string, AnyStage>(
  [requestsStage, batchStage, onlineStage, mergeStage, shellStage, transformStage].map((s) => [s.kind, s]),
);
