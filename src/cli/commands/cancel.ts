/**
 * `pipeline cancel`: cancel in-flight batches; the next build keeps their finished results.
 *
 * It takes the lock first and only then connects (with --offline, starts the emulator whose state
 * only the lock holder may touch), as `build` does. When a `build --wait` holds the lock, it asks
 * that build to cancel instead (ask-holder-to-cancel.ts); any other holder is waited for, briefly.
 */
import path from 'node:path';
import { withDependencies } from '../../engine/build.ts';
import { describeHolder, type HeldLock, type LockHolder } from '../../engine/lock.ts';
import { systemClock, type Clock } from '../../util/clock.ts';
import { flag, type Command, type Io } from '../command.ts';
import { COMMAND_SUMMARIES } from '../command-list.ts';
import { connect } from '../connect.ts';
import { askHolderToCancel, ANSWER_TIMEOUT_MS } from '../ask-holder-to-cancel.ts';
import { cancellableTargets, cancelTargets } from '../cancel-targets.ts';
import { formatCancelAnswer, formatCancelOutcomes } from '../../report/cancel-report.ts';
import { EXIT_INTERRUPTED, EXIT_PENDING, reportUsageError } from '../errors.ts';
import type { Project } from '../project.ts';
import { makeServices } from '../services.ts';
import { projectAndTargets } from '../targets.ts';
import { liveWatch } from '../watch-presence.ts';

export const cancelCommand: Command = {
  name: 'cancel',
  summary: COMMAND_SUMMARIES.cancel,
  usage: 'cancel [targets...] [options]',
  options: { offline: { type: 'boolean', description: 'talk to the built-in emulator' } },
  notes: [
    'Finished requests of a cancelled batch are kept: the next build downloads them and submits only what is missing.',
    'While `build --wait` runs, cancel asks it to cancel and stop waiting for those targets, and prints its answer.',
    `Another build is waited for (up to ${ANSWER_TIMEOUT_MS / 1000} s); a running \`watch\` must be stopped first.`,
  ].join('\n'),
  async run(args, io) {
    const selected = await projectAndTargets(args, io);
    if (typeof selected === 'number') return selected;
    const { project } = selected;
    // A merge target named on the command line means the batches that feed it.
    const targets = cancellableTargets(project, withDependencies(project.graph, selected.requested));
    if (targets.length === 0) {
      io.stdout.write('nothing to cancel: no selected target has remote work\n');
      return 0;
    }
    const stateDir = path.join(project.root, project.stateDir);
    const watcher = await liveWatch(stateDir);
    if (watcher) {
      io.stderr.write(
        `pipeline: \`pipeline watch\` is running (${describeHolder(watcher)}); its next poll would send the cancelled batches' remainder again.\n  stop it (Ctrl-C), then run \`pipeline cancel\` again\n`,
      );
      return EXIT_PENDING;
    }
    const clock = io.clock ?? systemClock;
    const outcome = await askHolderToCancel({ stateDir, targets, clock, signal: io.signal, stderr: io.stderr });
    switch (outcome.kind) {
      case 'locked':
        return cancelHere(project, targets, outcome.lock, flag(args, 'offline'), io, clock);
      case 'answered':
        io.stdout.write(formatCancelAnswer(outcome.answer));
        return 0;
      case 'no-answer': {
        if (outcome.interrupted) return EXIT_INTERRUPTED;
        io.stderr.write(noAnswerMessage(outcome.holder, outcome.claimed));
        return EXIT_PENDING;
      }
    }
  },
};

function noAnswerMessage(holder: LockHolder, claimed: boolean): string {
  const who = describeHolder(holder);
  const limit = `${ANSWER_TIMEOUT_MS / 1000} s`;
  if (claimed)
    return `pipeline: ${who} took the cancel request but has not answered within ${limit}; it will still cancel them: see \`pipeline status\`\n`;
  if (holder.answersCancel)
    return `pipeline: nothing was cancelled: ${who} did not answer within ${limit} (it looks for requests between polls and may be busy submitting or downloading).\n  run \`pipeline cancel\` again, or stop it with Ctrl-C first\n`;
  return `pipeline: nothing was cancelled: ${who} holds the lock and did not finish within ${limit}.\n  a \`build --wait\` answers cancel requests, other builds do not: wait for it to finish (or stop it with Ctrl-C), then run \`pipeline cancel\` again\n`;
}

/** No build runs: cancel here, under the lock, connected only now. */
async function cancelHere(
  project: Project,
  targets: string[],
  lock: HeldLock,
  offline: boolean,
  io: Io,
  clock: Clock,
): Promise<number> {
  try {
    const connection = await connect(project, offline, io.env);
    if (!connection.ok) return reportUsageError(io.stderr, connection.error);
    const conn = connection.value;
    try {
      const services = makeServices(conn, {});
      io.stdout.write(
        formatCancelOutcomes(await cancelTargets(project, targets, { services, clock, signal: io.signal })),
      );
      return 0;
    } finally {
      await conn.close();
    }
  } finally {
    await lock.release();
  }
}
