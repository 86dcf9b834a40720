/** Load the project and resolve the command line's targets: shared by every command. */
import path from 'node:path';
import { StateStore } from '../engine/state-store.ts';
import { selectTargets } from '../graph/select.ts';
import { NewerStateError } from '../util/state-format.ts';
import type { Io, ParsedArgs } from './command.ts';
import { stringOption } from './command.ts';
import { reportNewerState, reportUsageError } from './errors.ts';
import { loadProject, UsageError, type Project } from './project.ts';

export interface Selected {
  project: Project;
  requested: string[];
  sources: string[];
}

/** The project and selected targets, or the exit code of the error already reported. */
export async function projectAndTargets(args: ParsedArgs, io: Io): Promise<Selected | number> {
  const project = await loadProject(stringOption(args, 'config'), io.cwd);
  if (!project.ok) return reportUsageError(io.stderr, project.error);
  const refused = refuseNewerState(project.value, io);
  if (refused !== undefined) return refused;
  const selection = selectTargets(project.value.graph, args.positionals, project.value.root, io.cwd);
  if (!selection.ok) {
    const hint = selection.error.suggestion ? [`did you mean '${selection.error.suggestion}'?`] : [];
    return reportUsageError(
      io.stderr,
      new UsageError(selection.error.message, [...hint, 'run `pipeline status` to list the targets']),
    );
  }
  if (project.value.graph.targets.size === 0) {
    const firstInputs = [...project.value.rules.values()].map((r) => r.rule.inputs[0]).join(', ');
    io.stderr.write(`pipeline: no sources found under ${project.value.root} (looked for ${firstInputs})\n`);
  }
  return { project: project.value, requested: selection.value.targets, sources: selection.value.sources };
}

/**
 * A state log a newer llmake wrote, refused before the command takes the lock or connects
 * anywhere (its first line is read): the exit code of the error reported, else undefined.
 */
export function refuseNewerState(project: Project, io: Io): number | undefined {
  try {
    StateStore.checkFormat(path.join(project.root, project.stateDir));
  } catch (error) {
    if (error instanceof NewerStateError) return reportNewerState(io.stderr, error, io.cwd);
    throw error;
  }
  return undefined;
}
