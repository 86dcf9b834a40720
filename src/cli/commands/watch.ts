/**
 * `pipeline watch`: rebuild when a source or the config changes, and poll pending batches on an
 * interval. Each rebuild reloads the config (a fresh import, so edits apply without restarting)
 * and runs a normal build, which runs only what the change made stale. The lock is held only
 * while a build runs, so `pipeline build` in another terminal takes turns with it.
 *
 *   idle ──change──► debouncing ──quiet 200ms──► building ──► idle
 *     ▲                                            │ change while building
 *     └── poll timer (pending batches) ◄─── queued ◄┘ (one more build after this one)
 */
import path from 'node:path';
import { runBuild, withDependencies } from '../../engine/build.ts';
import { exitCodeOf } from '../../report/exit-codes.ts';
import { acquireLock, describeHolder } from '../../engine/lock.ts';
import { isSourcePath } from '../../graph/build-graph.ts';
import { selectTargets } from '../../graph/select.ts';
import { humanReporter } from '../../report/build-reporter.ts';
import { systemClock } from '../../util/clock.ts';
import { flag, numberOption, stringOption, type Command } from '../command.ts';
import { COMMAND_SUMMARIES } from '../command-list.ts';
import { connect, type Connection } from '../connect.ts';
import { reportUsageError } from '../errors.ts';
import { loadProject, UsageError } from '../project.ts';
import { makeServices } from '../services.ts';
import { refuseNewerState } from '../targets.ts';
import { announceWatch } from '../watch-presence.ts';

export const watchCommand: Command = {
  name: 'watch',
  summary: COMMAND_SUMMARIES.watch,
  usage: 'watch [targets...] [options]',
  options: {
    offline: { type: 'boolean', description: 'use the built-in Batch API emulator' },
    'poll-interval': {
      type: 'string',
      value: 'SECONDS',
      description: 'how often to poll pending batches (default 30)',
    },
    verbose: { type: 'boolean', short: 'v', description: 'also list up-to-date targets' },
  },
  notes:
    "Ctrl-C stops watching; batches in flight keep running and the next build picks them up.\n`pipeline cancel` refuses while watch runs: its next poll would send the cancelled batches' remainder again.",
  async run(args, io) {
    const configArg = stringOption(args, 'config');
    const poll = numberOption(args, 'poll-interval');
    if (!poll.ok) return reportUsageError(io.stderr, new UsageError(poll.message));
    const first = await loadProject(configArg, io.cwd);
    if (!first.ok) return reportUsageError(io.stderr, first.error);
    const refused = refuseNewerState(first.value, io);
    if (refused !== undefined) return refused;
    const reporter = humanReporter(io.stdout, { verbose: flag(args, 'verbose') });
    // Tells `pipeline cancel` that a watch would send cancelled batches' remainder again.
    const presence = await announceWatch(path.join(first.value.root, first.value.stateDir), Date.now());
    let connection: Connection | undefined;
    let pending = false;
    let described = false;

    const buildOnce = async (): Promise<void> => {
      const project = await loadProject(configArg, io.cwd);
      if (!project.ok) {
        reportUsageError(io.stderr, project.error);
        io.stderr.write('watch: keeping the last good config; fix it and save again\n');
        return;
      }
      const p = project.value;
      const selection = selectTargets(p.graph, args.positionals, p.root, io.cwd);
      if (!selection.ok) return void reportUsageError(io.stderr, new UsageError(selection.error.message));
      const wanted = withDependencies(p.graph, selection.value.targets);
      const lock = await acquireLock(path.join(p.root, p.stateDir), 'watch');
      if (!lock.ok) {
        io.stderr.write(`watch: a build is running (${describeHolder(lock.error)}); will try again\n`);
        pending = true;
        return;
      }
      try {
        // Connected under the lock, for this build only: an --offline emulator started earlier
        // would not know the batches another `pipeline build` created in between.
        if (wanted.some((id) => p.rules.get(p.graph.targets.get(id)!.rule.name)!.stage.remote)) {
          const c = await connect(p, flag(args, 'offline'), io.env);
          if (!c.ok) return void reportUsageError(io.stderr, c.error);
          connection = c.value;
          if (connection.description && !described) io.stderr.write(`${connection.description}\n`);
          described = true;
        }
        const services = connection ? makeServices(connection, {}) : {};
        const summary = await runBuild({
          root: p.root,
          stateDir: p.stateDir,
          graph: p.graph,
          rules: p.rules,
          requested: selection.value.targets,
          services,
          clock: systemClock,
          signal: io.signal,
          onEvent: (e) => reporter.event(e),
        });
        const code = exitCodeOf(summary);
        pending = code === 75;
        reporter.summary(summary, code);
      } finally {
        await connection?.close();
        connection = undefined;
        await lock.value.release();
      }
    };

    // Serialise builds: a change during a build queues exactly one more.
    let running: Promise<void> | undefined;
    let again = false;
    const trigger = () => {
      if (running) {
        again = true;
        return;
      }
      running = (async () => {
        do {
          again = false;
          await buildOnce().catch((error: unknown) => io.stderr.write(`watch: build crashed: ${String(error)}\n`));
        } while (again && !io.signal.aborted);
        running = undefined;
      })();
    };
    let debounce: NodeJS.Timeout | undefined;
    const sourceRules = [...first.value.rules.values()].map((r) => r.rule);
    const onChange = (file: string) => {
      const rel = path.relative(first.value.root, file).split(path.sep).join('/');
      const isConfig = path.resolve(file) === first.value.configFile;
      if (!isConfig && !isSourcePath(sourceRules, rel)) return;
      io.stdout.write(`watch: ${isConfig ? 'config' : rel} changed\n`);
      clearTimeout(debounce);
      debounce = setTimeout(trigger, 200);
    };

    // Loaded here, not at start-up: only `watch` needs it, and every other command would pay its import.
    const { watch } = await import('chokidar');
    const watcher = watch([first.value.root, first.value.configFile], {
      ignoreInitial: true,
      ignored: (file: string) => file.startsWith(path.join(first.value.root, first.value.stateDir)),
    });
    watcher.on('add', onChange).on('change', onChange).on('unlink', onChange);
    await new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
    io.stdout.write(
      `watch: watching ${path.relative(io.cwd, first.value.root) || '.'} and ${path.relative(io.cwd, first.value.configFile)} (Ctrl-C to stop)\n`,
    );
    trigger();
    const intervalMs = (poll.value ?? 30) * 1000;
    const timer = setInterval(() => pending && trigger(), intervalMs);
    await new Promise<void>((resolve) => io.signal.addEventListener('abort', () => resolve(), { once: true }));
    clearInterval(timer);
    clearTimeout(debounce);
    await watcher.close();
    await running;
    await connection?.close();
    await presence.end();
    io.stdout.write('watch: stopped\n');
    return 0;
  },
};
