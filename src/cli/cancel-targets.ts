/**
 * Runs the stages' `cancel` for the given targets: what `pipeline cancel` does itself when no
 * build runs, and what a `build --wait` does when `cancel` asks it to.
 */
import { contextFor } from '../engine/build.ts';
import type { CancelOutcome } from '../engine/cancel-mailbox.ts';
import type { StageServices } from '../stages/services.ts';
import type { Clock } from '../util/clock.ts';
import type { Project } from './project.ts';

export async function cancelTargets(
  project: Project,
  targets: readonly string[],
  env: { services: StageServices; clock: Clock; signal: AbortSignal },
): Promise<CancelOutcome[]> {
  const outcomes: CancelOutcome[] = [];
  for (const id of targets) {
    const node = project.graph.targets.get(id);
    const resolved = node && project.rules.get(node.rule.name);
    if (!node || !resolved?.stage.cancel) {
      outcomes.push({ target: id, cancelled: 0, message: 'not a target with remote work in this pipeline' });
      continue;
    }
    const result = await resolved.stage.cancel(
      contextFor({ root: project.root, stateDir: project.stateDir, ...env }, node),
      resolved.config,
    );
    outcomes.push({ target: id, ...result });
  }
  return outcomes;
}

/** Targets of `requested` (and their inputs' targets) whose stage can cancel remote work. */
export function cancellableTargets(project: Project, wanted: readonly string[]): string[] {
  return wanted.filter((id) => project.rules.get(project.graph.targets.get(id)!.rule.name)!.stage.cancel !== undefined);
}
