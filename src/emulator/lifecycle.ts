/**
 * The batch lifecycle every flavour shares, computed lazily: whenever a batch is read it is
 * advanced to the clock's now, replaying the transitions it went through since it was last looked
 * at (each at the time it happened, not the time of the read) and persisting them. A batch waits
 * in the queue, runs its requests at the emulator's rate (scaled by its speed), finalizes and ends;
 * it expires when its window closes (or on the forced and fractional expiry faults) with the
 * requests run so far kept, and a cancel ends it shortly after with the same. One batch is only
 * ever advanced under its own lock, so concurrent reads never run or publish anything twice.
 * What differs per flavour (admission checks, how a request runs, what results look like) comes
 * in through the hooks.
 */
import { CANCELLING_MS, FINALIZING_MS, VALIDATING_MS, REQUESTS_PER_SECOND, type CoreContext } from './context.ts';
import type { Job, Outcome } from './job.ts';
import type { JobStore } from './job-store.ts';

export interface LifecycleHooks<J extends Job> {
  /** As the batch leaves the queue at `at`: false refuses it (the hook has noted why) and it ends `failed`. */
  admit?(job: J, at: number): Promise<boolean>;
  /** Runs requests until `job.executed === target` (see execution.ts). */
  execute(job: J, target: number): Promise<void>;
  /** Records the requests that never ran, as the batch ends expired or cancelled. */
  close?(job: J, outcome: 'expired' | 'cancelled'): Promise<void>;
  /** Makes the results visible as the batch ends at `at` (not for a batch that failed admission). */
  publish?(job: J, at: number, outcome: Exclude<Outcome, 'failed'>): Promise<void>;
}

export class Lifecycle<J extends Job> {
  readonly #ctx: Pick<CoreContext, 'clock' | 'locks' | 'faults'>;
  readonly #hooks: LifecycleHooks<J>;
  readonly store: JobStore<J>;

  constructor(ctx: Pick<CoreContext, 'clock' | 'locks' | 'faults'>, store: JobStore<J>, hooks: LifecycleHooks<J>) {
    this.#ctx = ctx;
    this.store = store;
    this.#hooks = hooks;
  }

  /** When this batch's unrun requests expire: its window, a forced expiry, or the `expireAfterFraction` fault. */
  #expiry(job: J, perMs: number): number {
    let at = Math.min(job.deadlineMs ?? Infinity, job.forcedExpireMs ?? Infinity);
    const fraction = this.#ctx.faults.options.expireAfterFraction;
    if (fraction !== undefined && job.runningMs !== null)
      at = Math.min(at, job.runningMs + Math.ceil(fraction * job.total) / perMs);
    return at;
  }

  async #end(job: J, outcome: Outcome, at: number): Promise<void> {
    if ((outcome === 'expired' || outcome === 'cancelled') && this.#hooks.close) await this.#hooks.close(job, outcome);
    if (outcome !== 'failed' && this.#hooks.publish) await this.#hooks.publish(job, at, outcome);
    job.phase = 'ended';
    job.outcome = outcome;
    job.endedMs = at;
    await this.store.save(job);
    await this.store.cleanUp(job);
  }

  /** Advances `job` through every transition due by `now`. Call only under the batch's lock. */
  async advance(job: J, now: number): Promise<J> {
    const perMs = (REQUESTS_PER_SECOND * job.speed) / 1000;
    for (;;) {
      switch (job.phase) {
        case 'queued': {
          const due = job.createdMs + VALIDATING_MS / job.speed;
          const expiry = this.#expiry(job, perMs);
          if (expiry <= now && expiry < due) {
            await this.#end(job, 'expired', expiry);
            break;
          }
          if (now < due) return job;
          if (this.#hooks.admit && !(await this.#hooks.admit(job, due))) {
            await this.#end(job, 'failed', due);
            break;
          }
          job.phase = 'running';
          job.runningMs = due;
          await this.store.save(job);
          break;
        }
        case 'running': {
          const start = job.runningMs ?? job.createdMs;
          const doneAt = start + job.total / perMs;
          const expiry = this.#expiry(job, perMs);
          const countAt = (t: number) => Math.min(job.total, Math.floor((t - start) * perMs + 1e-6));
          if (expiry <= now && expiry < doneAt) {
            await this.#hooks.execute(job, countAt(expiry));
            await this.#end(job, 'expired', expiry);
            break;
          }
          if (doneAt > now) {
            await this.#hooks.execute(job, countAt(now));
            return job;
          }
          await this.#hooks.execute(job, job.total);
          job.phase = 'finalizing';
          job.finalizingMs = doneAt;
          await this.store.save(job);
          break;
        }
        case 'finalizing': {
          const due = (job.finalizingMs ?? now) + FINALIZING_MS / job.speed;
          if (now < due) return job;
          await this.#end(job, 'completed', due);
          break;
        }
        case 'cancelling': {
          const due = (job.cancellingMs ?? now) + CANCELLING_MS / job.speed;
          if (now < due) return job;
          await this.#end(job, 'cancelled', due);
          break;
        }
        default:
          return job;
      }
    }
  }

  /** Runs `fn` on the batch advanced to now, under its lock. */
  at<T>(job: J, fn: (job: J, now: number) => Promise<T>): Promise<T> {
    return this.#ctx.locks.run(job.id, async () => {
      const now = this.#ctx.clock.now();
      await this.advance(job, now);
      return fn(job, now);
    });
  }

  /** Reads a batch, advanced to now. */
  refresh(job: J): Promise<J> {
    return this.at(job, (j) => Promise.resolve(j));
  }

  /**
   * Advances every unfinished batch to now, oldest first (an older batch's admission must happen
   * before a newer one counts what is queued). For views over many objects (file lists, stats)
   * that must show what a batch nobody has read yet has already produced.
   */
  async refreshAll(): Promise<void> {
    for (const b of this.store.all().reverse()) if (b.phase !== 'ended') await this.refresh(b);
  }

  /**
   * Cancels a batch: requests already run keep their results, the rest are closed as the batch
   * ends `CANCELLING_MS` later. A batch that has ended is left to `ended` (which may throw the
   * flavour's refusal); cancelling twice is harmless.
   */
  cancel(job: J, ended: (job: J) => void = () => undefined): Promise<J> {
    return this.at(job, async (j, now) => {
      if (j.phase === 'ended') ended(j);
      else if (j.phase !== 'cancelling') {
        j.phase = 'cancelling';
        j.cancellingMs = now;
        await this.store.save(j);
      }
      return j;
    });
  }

  /**
   * Takes a batch out of the API's sight (get and list) without stopping it: its work goes on, and
   * is paid for, as Google documents for a deleted batch operation.
   */
  hide(job: J): Promise<void> {
    return this.at(job, async (j, now) => {
      j.hiddenMs = now;
      await this.store.save(j);
    });
  }

  /** Test control: expire a batch now (no-op once it is finalizing, cancelling or ended). */
  forceExpire(job: J): Promise<J> {
    return this.at(job, async (j, now) => {
      if (j.phase !== 'queued' && j.phase !== 'running') return j;
      j.forcedExpireMs = now;
      return this.advance(j, now);
    });
  }
}
