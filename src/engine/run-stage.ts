/**
 * Runs one stage for one target under the marker protocol: the stage writes a temp file, and only
 * a `done` answer moves it into place. Anything else removes the temp file, so an interrupted or
 * failed run never leaves a half-written output that looks done. An exception escaping a stage is
 * a bug; it becomes a `stage-threw` failure tagged with the target instead of crashing the build.
 */
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { AnyStage, StageOutcome, TargetContext } from '../stages/types.ts';
import { commitFile, tempPathFor } from '../util/fs-atomic.ts';
import type { FileStamps } from './file-stamps.ts';

export async function runStage(stage: AnyStage, config: unknown, ctx: TargetContext, stamps: FileStamps): Promise<StageOutcome> {
  const tempOutput = tempPathFor(ctx.output);
  let outcome: StageOutcome;
  try {
    await mkdir(path.dirname(tempOutput), { recursive: true });
    outcome = await stage.run({ ...ctx, tempOutput }, config);
  } catch (error) {
    outcome = {
      kind: 'failed',
      failure: { reason: 'stage-threw', message: `the ${stage.kind} stage crashed: ${error instanceof Error ? error.message : String(error)}` },
    };
  }
  if (outcome.kind === 'done') {
    try {
      await commitFile(tempOutput, ctx.output);
      stamps.invalidate(ctx.output);
      return outcome;
    } catch (error) {
      outcome = { kind: 'failed', failure: { reason: 'stage-threw', message: `the ${stage.kind} stage answered done without writing its output (${(error as Error).message})` } };
    }
  }
  await rm(tempOutput, { force: true });
  return outcome;
}
