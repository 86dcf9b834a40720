/**
 * `pipeline build`: advance the selected targets as far as possible now, then exit. With
 * `--wait`, keep polling (with backoff) until nothing is pending. Safe to re-run at any time.
 */
import { withDependencies } from '../../engine/build.ts';
import { acquireLock, describeHolder } from '../../engine/lock.ts';
import { systemClock } from '../../util/clock.ts';
import { flag, numberOption, type Command } from '../command.ts';
import { COMMAND_SUMMARIES } from '../command-list.ts';
import { connect } from '../connect.ts';
import { runCycles } from '../build-cycles.ts';
import { cancelTargets } from '../cancel-targets.ts';
import { CancelMailbox } from '../../engine/cancel-mailbox.ts';
import { reportUsageError } from '../errors.ts';
import { EXIT_FAILED, EXIT_OK, EXIT_PENDING, EXIT_USAGE, exitCodesLine } from '../../report/exit-codes.ts';
import { UsageError } from '../project.ts';
import { firstRead, remoteWorkIn } from '../remote-work.ts';
import { makeServices } from '../services.ts';
import { projectAndTargets } from '../targets.ts';
import path from 'node:path';

/** Whether any rule limits its own cost (`maxCostUsd`). */
function anyRuleBudget(project: { rules: ReadonlyMap<string, { config: unknown }> }): boolean {
  return [...project.rules.values()].some((r) => (r.config as { maxCostUsd?: number }).maxCostUsd !== undefined);
}

export const buildCommand: Command = {
  name: 'build',
  summary: COMMAND_SUMMARIES.build,
  usage: 'build [targets...] [options]',
  options: {
    'dry-run': {
      type: 'boolean',
      short: 'n',
      description: 'print what would run and why, with requests, tokens and dollars; change nothing',
    },
    compare: {
      type: 'boolean',
      description: 'with -n: also price the job on every provider and model of the price table, side by side',
    },
    force: { type: 'boolean', short: 'B', description: 'rebuild the named targets even if up to date' },
    wait: { type: 'boolean', description: 'keep polling until nothing is pending' },
    jobs: {
      type: 'string',
      short: 'j',
      value: 'N',
      description:
        'run at most N targets at once (default: twice the CPU count, at least 4; batch targets side by side only while their request files fit 64 MB)',
    },
    offline: { type: 'boolean', description: 'use the built-in Batch API emulator instead of OpenAI' },
    json: { type: 'boolean', description: 'one JSON object per event on stdout' },
    verbose: { type: 'boolean', short: 'v', description: 'also list up-to-date and waiting targets' },
    'max-cost': {
      type: 'string',
      value: 'USD',
      description:
        "the job's budget over every run: send only what keeps spent + in flight + to send (each reply at its max_tokens) within USD",
    },
    'max-enqueued-tokens': {
      type: 'string',
      value: 'N',
      description: 'per model, keep estimated enqueued input tokens under N',
    },
    'max-batches': { type: 'string', value: 'N', description: 'per model, at most N batches in flight' },
    'max-time': {
      type: 'string',
      value: 'SECONDS',
      description: 'online rules: stop sending after this long, keep what was answered, exit 75 with what is left',
    },
    sample: {
      type: 'string',
      value: 'N',
      description:
        'send only the first N requests of each selected batch/online target online, into <output>.sample.jsonl',
    },
    'poll-interval': {
      type: 'string',
      value: 'SECONDS',
      description: 'with --wait: first polling interval (default 5, backs off to 60)',
    },
  },
  notes: [
    'Targets are output paths (relative to the pipeline root or the working directory), globs,',
    'marker paths or rule names; none means every target.',
    '',
    exitCodesLine([EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_PENDING]),
    '75 comes first: while anything selected is still in flight, queued or backing off, the build exits 75',
    'even if another target failed (the failures are listed every time), so a loop can re-run until done:',
    '  until pipeline build; do [ $? = 75 ] || break; sleep 60; done',
    'With --wait, the same at its end: it waits for everything still in flight, then exits 1 if a target failed.',
  ].join('\n'),
  async run(args, io) {
    const selected = await projectAndTargets(args, io);
    if (typeof selected === 'number') return selected;
    const { project, requested } = selected;
    const limits = {
      maxCostUsd: numberOption(args, 'max-cost'),
      maxEnqueuedTokens: numberOption(args, 'max-enqueued-tokens'),
      maxInFlightBatches: numberOption(args, 'max-batches'),
      poll: numberOption(args, 'poll-interval'),
      maxTime: numberOption(args, 'max-time'),
      sample: numberOption(args, 'sample'),
      jobs: numberOption(args, 'jobs'),
    };
    for (const v of Object.values(limits)) if (!v.ok) return reportUsageError(io.stderr, new UsageError(v.message));
    const value = (o: (typeof limits)['poll']) => (o.ok ? o.value : undefined);
    const dryRun = flag(args, 'dry-run');
    if (flag(args, 'compare') && !dryRun)
      return reportUsageError(
        io.stderr,
        new UsageError('--compare prices a dry run: use it with -n (build -n --compare)'),
      );
    const clock = io.clock ?? systemClock;
    // Once per run: where money is counted (a dry run, a cost limit), say which requests have no ceiling.
    // Loaded only then: the provider registry it reads brings zod, which a no-op build never loads.
    const budgeted = value(limits.maxCostUsd) !== undefined || anyRuleBudget(project);
    if (dryRun || budgeted) {
      const { boundHint, unboundedRequestRules } = await import('../bound-hint.ts');
      const unbounded = unboundedRequestRules(project);
      if (unbounded.length > 0) io.stderr.write(boundHint(unbounded));
    }
    const jobs = value(limits.jobs);
    if (jobs !== undefined && (!Number.isInteger(jobs) || jobs < 1))
      return reportUsageError(io.stderr, new UsageError('--jobs takes a whole number ≥ 1'));
    const sampleRows = value(limits.sample);
    if (sampleRows !== undefined && (!Number.isInteger(sampleRows) || sampleRows < 1 || dryRun))
      return reportUsageError(
        io.stderr,
        new UsageError(dryRun ? '--sample cannot be combined with --dry-run' : '--sample takes a whole number ≥ 1'),
      );
    // Loaded only for --sample (it brings the online stage's code and zod).
    const sampling = sampleRows !== undefined ? await import('../sample.ts') : undefined;
    const samples = sampling ? sampling.sampleTargets(project, withDependencies(project.graph, requested)) : [];
    if (sampleRows !== undefined && samples.length === 0)
      return reportUsageError(
        io.stderr,
        new UsageError('--sample: none of the selected targets is a batch or online target'),
      );
    // A sample builds the sampled targets' inputs (the request files), then sends its rows itself.
    const building =
      sampleRows !== undefined
        ? [...new Set(samples.flatMap((s) => project.graph.targets.get(s.target)!.deps))]
        : requested;
    const wanted = withDependencies(project.graph, building);
    const needsApi =
      sampleRows !== undefined ||
      (!dryRun && wanted.some((id) => project.rules.get(project.graph.targets.get(id)!.rule.name)!.stage.remote));

    // The lock first: with --offline the emulator's state lives under the root, and only the
    // lock holder may run an emulator on it (another one would not see the batches it creates).
    // A waiting build answers `pipeline cancel` (it holds the lock, so cancel cannot act itself).
    const answersCancel = flag(args, 'wait') && needsApi;
    const stateDir = path.join(project.root, project.stateDir);
    const lock = dryRun
      ? undefined
      : await acquireLock(stateDir, ['build', ...args.positionals].join(' '), { answersCancel });
    if (lock && !lock.ok) {
      io.stderr.write(
        `pipeline: another build is running in ${project.root}: ${describeHolder(lock.error)}\n  nothing was changed; run the command again when it has finished\n`,
      );
      return EXIT_PENDING;
    }
    // Nothing remote to send or collect (every remote target proven up to date by its record): a
    // no-op needs no key, no connection and, with --offline, no emulator. The stats and records
    // read for that check are the first cycle's.
    const first = firstRead(project);
    const connection =
      needsApi &&
      (sampleRows !== undefined || remoteWorkIn(project, wanted, first, flag(args, 'force') ? requested : []))
        ? await connect(project, flag(args, 'offline'), io.env, sampleRows !== undefined)
        : undefined;
    if (connection && !connection.ok) {
      if (lock?.ok) await lock.value.release();
      return reportUsageError(io.stderr, connection.error);
    }
    const conn = connection?.value;
    if (conn?.description) io.stderr.write(`${conn.description}\n`);
    try {
      const services = conn
        ? makeServices(conn, {
            maxCostUsd: value(limits.maxCostUsd),
            maxEnqueuedTokens: value(limits.maxEnqueuedTokens),
            maxInFlightBatches: value(limits.maxInFlightBatches),
            onlineDeadline:
              value(limits.maxTime) !== undefined ? clock.now() + value(limits.maxTime)! * 1000 : undefined,
          })
        : {};
      const cancelDesk = answersCancel
        ? {
            mailbox: new CancelMailbox(stateDir),
            cancel: (ids: readonly string[]) => cancelTargets(project, ids, { services, clock, signal: io.signal }),
          }
        : undefined;
      const code = await runCycles({
        build: {
          root: project.root,
          stateDir: project.stateDir,
          graph: project.graph,
          rules: project.rules,
          requested: building,
          services,
          clock,
          signal: io.signal,
          dryRun,
          ...(jobs !== undefined ? { concurrency: jobs } : {}),
        },
        force: flag(args, 'force'),
        wait: flag(args, 'wait'),
        json: flag(args, 'json'),
        verbose: flag(args, 'verbose'),
        compare: flag(args, 'compare'),
        ...(cancelDesk ? { cancelDesk } : {}),
        firstDelayMs: (value(limits.poll) ?? (conn?.offline ? 1 : 5)) * 1000,
        first,
        io,
        clock,
      });
      if (sampleRows === undefined || code !== 0) return code;
      return await sampling!.runSamples({
        project,
        targets: samples,
        rows: sampleRows,
        services,
        clock,
        signal: io.signal,
        out: io.stdout,
      });
    } finally {
      if (lock?.ok) await lock.value.release();
      await conn?.close();
    }
  },
};
