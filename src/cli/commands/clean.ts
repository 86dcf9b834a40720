/**
 * `pipeline clean`: remove derived files of the selected targets and their records. Sources are
 * never touched; a remote stage's marker is kept while it records a batch still in flight (the
 * stage decides, through `cleanable`); the request-level cache of paid results is kept.
 */
import { rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { contextFor } from '../../engine/build.ts';
import { acquireLock, describeHolder } from '../../engine/lock.ts';
import { StateStore } from '../../engine/state-store.ts';
import { systemClock } from '../../util/clock.ts';
import { flag, type Command } from '../command.ts';
import { COMMAND_SUMMARIES } from '../command-list.ts';
import { EXIT_PENDING } from '../errors.ts';
import { projectAndTargets } from '../targets.ts';

export const cleanCommand: Command = {
  name: 'clean',
  summary: COMMAND_SUMMARIES.clean,
  usage: 'clean [targets...] [options]',
  options: { 'dry-run': { type: 'boolean', short: 'n', description: 'list what would be removed' } },
  notes:
    'The record of a batch still in flight is never removed: cancel it first (`pipeline cancel`).\nPaid results stay in the request cache (.pipeline/cache), so rebuilding does not pay again.',
  async run(args, io) {
    const selected = await projectAndTargets(args, io);
    if (typeof selected === 'number') return selected;
    const { project, requested } = selected;
    const dryRun = flag(args, 'dry-run');
    const lock = dryRun ? undefined : await acquireLock(path.join(project.root, project.stateDir), 'clean');
    if (lock && !lock.ok) {
      io.stderr.write(
        `pipeline: a build is running in ${project.root}: ${describeHolder(lock.error)}; clean again when it has finished\n`,
      );
      return EXIT_PENDING;
    }
    const store = new StateStore(path.join(project.root, project.stateDir));
    let removed = 0;
    try {
      for (const id of requested) {
        const node = project.graph.targets.get(id)!;
        const resolved = project.rules.get(node.rule.name)!;
        const ctx = contextFor(
          { root: project.root, stateDir: project.stateDir, services: {}, clock: systemClock, signal: io.signal },
          node,
        );
        const extra = resolved.stage.cleanable ? await resolved.stage.cleanable(ctx, resolved.config) : [];
        if (node.marker && !extra.includes(ctx.marker!))
          io.stdout.write(`kept ${node.marker} (a batch is in flight; \`pipeline cancel ${id}\` first to drop it)\n`);
        for (const file of [ctx.output, ...extra]) {
          const rel = path.relative(project.root, file);
          const exists = dryRun
            ? await stat(file).then(
                () => true,
                () => false,
              )
            : await rm(file).then(
                () => true,
                () => false,
              );
          if (exists) {
            removed += 1;
            io.stdout.write(`${dryRun ? 'would remove' : 'removed'} ${rel}\n`);
          }
        }
        if (!dryRun) await store.remove(id);
      }
    } finally {
      if (lock?.ok) await lock.value.release();
    }
    io.stdout.write(`${removed} file${removed === 1 ? '' : 's'} ${dryRun ? 'would be ' : ''}removed\n`);
    return 0;
  },
};
