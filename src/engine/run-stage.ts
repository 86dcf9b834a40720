/**
 * Runs one stage for one target under the marker protocol: the stage writes a temp file, and only
 * a `done` answer moves it into place. Anything else removes the temp file, so an interrupted or
 * failed run never leaves a half-written output that looks done (a stage that wrote the rows it
 * could may ask for them to be kept: the file is complete, the target is recorded as failed). An exception escaping a stage is
 * a bug; it becomes a `stage-threw` failure tagged with the target instead of crashing the build. The
 * one exception that is not a bug, a state file a newer llmake wrote, fails the target naming it.
 */
import { mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { AnyStage, StageFailure, StageOutcome, TargetContext } from '../stages/types.ts';
import { commitFile, tempPathFor } from '../util/fs-atomic.ts';
import type { FileStamps } from './file-stamps.ts';
import { isProcessAlive } from '../util/process.ts';
import { failpoint } from '../util/failpoint.ts';
import { NEWER_STATE_DETAILS, NewerStateError, newerStateMessage } from '../util/state-format.ts';

export async function runStage(
  stage: AnyStage,
  config: unknown,
  ctx: TargetContext,
  stamps: FileStamps,
): Promise<StageOutcome> {
  const tempOutput = tempPathFor(ctx.output);
  let outcome: StageOutcome;
  try {
    await mkdir(path.dirname(tempOutput), { recursive: true });
    await removeAbandonedTemps(ctx.output);
    outcome = await stage.run({ ...ctx, tempOutput }, config);
  } catch (error) {
    outcome = { kind: 'failed', failure: thrownFailure(stage, error, ctx.root) };
  }
  if (outcome.kind === 'done') {
    failpoint(`before-commit:${stage.kind}`);
    try {
      await commitFile(tempOutput, ctx.output);
      stamps.invalidate(ctx.output);
      return outcome;
    } catch (error) {
      outcome = {
        kind: 'failed',
        failure: {
          reason: 'stage-threw',
          message: `the ${stage.kind} stage answered done without writing its output (${(error as Error).message})`,
        },
      };
    }
  }
  if (outcome.kind === 'failed' && outcome.partialOutput) {
    await commitFile(tempOutput, ctx.output);
    stamps.invalidate(ctx.output);
    return outcome;
  }
  await rm(tempOutput, { force: true });
  return outcome;
}

/** Temp files of this output left by a build that was killed (its pid is gone). */
async function removeAbandonedTemps(output: string): Promise<void> {
  const prefix = `.${path.basename(output)}.tmp-`;
  const dir = path.dirname(output);
  for (const name of await readdir(dir)) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(name.slice(prefix.length).split('-')[0]);
    if (pid !== process.pid && !isProcessAlive(pid)) await rm(path.join(dir, name), { force: true });
  }
}

/** A stage's exception as the target's failure: a state file a newer llmake wrote, or a bug. */
function thrownFailure(stage: AnyStage, error: unknown, root: string): StageFailure {
  if (error instanceof NewerStateError) {
    const file = path.relative(root, error.file) || error.file;
    return {
      reason: 'bad-input',
      message: newerStateMessage(file, error.format),
      file,
      details: [...NEWER_STATE_DETAILS],
    };
  }
  return {
    reason: 'stage-threw',
    message: `the ${stage.kind} stage crashed: ${error instanceof Error ? error.message : String(error)}`,
  };
}
