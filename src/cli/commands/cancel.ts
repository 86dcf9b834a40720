/** `pipeline cancel`: cancel in-flight batches; the next build keeps their finished results. */
import path from 'node:path';
import { contextFor } from '../../engine/build.ts';
import { acquireLock, describeHolder } from '../../engine/lock.ts';
import { systemClock } from '../../util/clock.ts';
import { flag, type Command } from '../command.ts';
import { connect } from '../connect.ts';
import { EXIT_PENDING, reportUsageError } from '../errors.ts';
import { makeServices } from '../services.ts';
import { projectAndTargets } from '../targets.ts';

export const cancelCommand: Command = {
  name: 'cancel',
  summary: 'Cancel in-flight batches of the selected targets (all by default).',
  usage: 'cancel [targets...] [options]',
  options: { offline: { type: 'boolean', description: 'talk to the built-in emulator' } },
  notes: 'Finished requests of a cancelled batch are kept: the next build downloads them and submits only what is missing.',
  async run(args, io) {
    const selected = await projectAndTargets(args, io);
    if (typeof selected === 'number') return selected;
    const { project, requested } = selected;
    const remote = requested.filter((id) => project.rules.get(project.graph.targets.get(id)!.rule.name)!.stage.cancel !== undefined);
    if (remote.length === 0) {
      io.stdout.write('nothing to cancel: no selected target has remote work\n');
      return 0;
    }
    const connection = await connect({ offline: flag(args, 'offline'), root: project.root, stateDir: project.stateDir, env: io.env });
    if (!connection.ok) return reportUsageError(io.stderr, connection.error);
    const conn = connection.value;
    const lock = await acquireLock(path.join(project.root, project.stateDir), 'cancel');
    if (!lock.ok) {
      await conn.close();
      io.stderr.write(`pipeline: a build is running in ${project.root}: ${describeHolder(lock.error)}; cancel again when it has finished\n`);
      return EXIT_PENDING;
    }
    try {
      const services = await makeServices(conn, {});
      let total = 0;
      for (const id of remote) {
        const node = project.graph.targets.get(id)!;
        const resolved = project.rules.get(node.rule.name)!;
        const result = await resolved.stage.cancel!(contextFor({ root: project.root, services, clock: systemClock, signal: io.signal }, node), resolved.config);
        total += result.cancelled;
        if (result.cancelled > 0 || result.message) io.stdout.write(`${id}: ${result.message}\n`);
      }
      io.stdout.write(`${total} batch${total === 1 ? '' : 'es'} cancelled\n`);
      return 0;
    } finally {
      await lock.value.release();
      await conn.close();
    }
  },
};
