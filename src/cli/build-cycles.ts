/**
 * The cycles of one `pipeline build`: one cycle without `--wait`; with it, cycles until nothing
 * this run can still finish is in flight, sleeping with backoff between them.
 *
 * A target that fails is not built again within the run (its result is carried): the failure
 * will not change by waiting, and retrying it every cycle could resubmit a rejected batch
 * forever. The next `build` retries it, as for any failed target. The run goes on waiting for
 * everything else, then reports every failure together and exits 1.
 */
import { runBuild, type BuildOptions } from '../engine/build.ts';
import type { BuildEvent, BuildSummary, TargetResult } from '../engine/events.ts';
import { exitCodeOf } from '../report/exit-codes.ts';
import { humanReporter, jsonReporter } from '../report/build-reporter.ts';
import { formatAnsweredRequest } from '../report/cancel-report.ts';
import { WaitDisplay } from '../report/wait-display.ts';
import type { Clock } from '../util/clock.ts';
import { answerCancelRequest, sleepUnlessAsked, type CancelDesk } from './answer-cancel.ts';
import type { Io } from './command.ts';
import { EXIT_INTERRUPTED } from './errors.ts';

export interface CycleOptions {
  build: Omit<BuildOptions, 'onEvent' | 'carried' | 'force'>;
  force: boolean;
  wait: boolean;
  json: boolean;
  verbose: boolean;
  /** Dry run: also price the job on every model of the price table. */
  compare?: boolean;
  firstDelayMs: number;
  /** What the command already read for its first check (stats, records), reused by the first cycle only. */
  first?: Pick<BuildOptions, 'stamps' | 'store' | 'provenFresh'>;
  /** Set for a `build --wait` that answers `pipeline cancel` while it holds the lock. */
  cancelDesk?: CancelDesk;
  io: Io;
  clock: Clock;
}

const MAX_DELAY_MS = 60_000;

export async function runCycles(opts: CycleOptions): Promise<number> {
  const { io, clock } = opts;
  const display = opts.json ? undefined : new WaitDisplay(io.stdout);
  const out = display ? display.passThrough() : io.stdout;
  const reporter = display
    ? humanReporter(out, { verbose: opts.verbose, compare: opts.compare ?? false })
    : jsonReporter(out, { compare: opts.compare ?? false });
  /** Targets built in any cycle: the final summary counts them as built, not up to date. */
  const built = new Set<string>();
  const carried = new Map<string, TargetResult>();
  /** Targets whose failure was printed while they still had work in flight (printed once). */
  const announced = new Set<string>();
  let delayMs = opts.firstDelayMs;
  for (let cycle = 0; ; cycle++) {
    display?.startCycle();
    const onEvent = (e: BuildEvent) => {
      display?.observe(e);
      if (e.type === 'done') built.add(e.target);
      // While waiting, progress goes to the display; only real changes are printed as lines (a
      // pending target's failure is one, the first time it is seen).
      const news = e.type === 'pending' && e.failure !== undefined && !announced.has(e.target);
      if (e.type === 'pending' && e.failure) announced.add(e.target);
      if (cycle > 0 && display && !news && (e.type === 'pending' || e.type === 'blocked' || e.type === 'fresh')) return;
      reporter.event(e);
    };
    const summary = await runBuild({
      ...opts.build,
      ...(cycle === 0 ? opts.first : {}),
      force: opts.force && cycle === 0,
      carried,
      onEvent,
    });
    for (const r of summary.results.values()) if (r.state === 'failed') carried.set(r.target, r);
    const code = exitCodeOf(summary);
    const finish = (exit: number) => {
      countAsBuilt(summary, built);
      reporter.summary(summary, code, { recapFailures: cycle > 0 });
      return exit;
    };
    if (io.signal.aborted) return finish(EXIT_INTERRUPTED);
    if (!opts.wait || opts.build.dryRun || !inFlightThisRun(summary, carried)) return finish(code);
    if (cycle === 0)
      io.stderr.write('waiting for pending batches (Ctrl-C stops waiting; batches keep running remotely)\n');
    display?.draw(clock.now(), delayMs);
    let asked: boolean;
    try {
      asked = await sleepUnlessAsked(clock, delayMs, io.signal, opts.cancelDesk);
    } catch {
      return finish(EXIT_INTERRUPTED);
    }
    if (asked) {
      const handled = await answerCancelRequest(opts.cancelDesk!, summary, carried, () => clock.now());
      if (handled) out.write(formatAnsweredRequest(handled.request, handled.answer, opts.json));
      continue; // at once: the next cycle finds out whether anything else is still in flight
    }
    delayMs = Math.min(MAX_DELAY_MS, delayMs * 1.5);
  }
}

/** Whether a target this run still waits for is pending (carried ones are not waited for). */
function inFlightThisRun(summary: BuildSummary, carried: ReadonlyMap<string, TargetResult>): boolean {
  return [...summary.results.values()].some((r) => r.state === 'pending' && !carried.has(r.target));
}

function countAsBuilt(summary: BuildSummary, built: ReadonlySet<string>): void {
  for (const id of built) {
    const r = summary.results.get(id);
    if (r?.state === 'fresh') summary.results.set(id, { ...r, state: 'built' });
  }
}
