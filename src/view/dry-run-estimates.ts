/**
 * What each remote target would still send and cost, from the same dry run as `build -n` (the
 * stages' `estimate()`, with stale inputs rebuilt in a scratch directory). A dry run counts tokens
 * with the real tokenizer, so it runs in the background and again only when some target changed
 * state, never on every refresh; until it ends the previous figures are shown.
 */
import { runBuild, type BuildOptions } from '../engine/build.ts';
import { FileStamps } from '../engine/file-stamps.ts';
import type { TargetStatus } from '../engine/status.ts';
import { systemClock } from '../util/clock.ts';

export type DryRunProject = Pick<BuildOptions, 'root' | 'stateDir' | 'graph' | 'rules' | 'signal'>;

export class DryRunEstimates {
  #costs = new Map<string, number>();
  #signature: string | undefined;
  #running: Promise<void> | undefined;
  /** The statuses to estimate once the current run ends. */
  #queued: readonly TargetStatus[] | undefined;
  #problem: string | undefined;

  constructor(
    private readonly project: DryRunProject,
    private readonly stamps: () => FileStamps = () => new FileStamps(),
  ) {}

  /** Dollars the target would still send (batch price), when estimated. */
  costOf(target: string): number | undefined {
    return this.#costs.get(target);
  }

  get estimating(): boolean {
    return this.#running !== undefined;
  }

  /** Why the last estimate failed, if it did. */
  get problem(): string | undefined {
    return this.#problem;
  }

  /** Starts a dry run when the targets' states changed since the last one; does not wait for it. */
  update(statuses: readonly TargetStatus[]): void {
    const signature = statuses
      .map((s) => `${s.target}\t${s.state}\t${s.remote?.state ?? ''}\t${s.reasons[0] ?? ''}`)
      .join('\n');
    if (signature === this.#signature) return;
    if (this.#running) {
      this.#queued = statuses;
      return;
    }
    this.#signature = signature;
    this.#running = this.#estimate(statuses).finally(() => {
      this.#running = undefined;
      const next = this.#queued;
      this.#queued = undefined;
      if (next && !this.project.signal.aborted) this.update(next);
    });
  }

  /** Waits for the dry run under way (and one queued behind it), for a one-off page. */
  async settled(): Promise<void> {
    while (this.#running) await this.#running;
  }

  async #estimate(statuses: readonly TargetStatus[]): Promise<void> {
    const remote = statuses
      .filter((s) => s.state !== 'up-to-date' && this.project.rules.get(s.rule)?.stage.estimate !== undefined)
      .map((s) => s.target);
    const costs = new Map<string, number>();
    try {
      if (remote.length > 0) {
        await runBuild({
          ...this.project,
          requested: remote,
          services: {},
          clock: systemClock,
          dryRun: true,
          // Gentle: the view shares the machine with the build it watches.
          concurrency: 2,
          stamps: this.stamps(),
          onEvent: (e) => {
            if (e.type === 'would-run' && e.estimate) costs.set(e.target, e.estimate.costUsd);
          },
        });
      }
      this.#costs = costs;
      this.#problem = undefined;
    } catch (error) {
      this.#problem = `could not estimate what is left to pay: ${(error as Error).message}`;
    }
  }
}
