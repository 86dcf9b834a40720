/**
 * Waiting for "something changed" without polling: a `Changes` hands out a promise that the next
 * `notify()` resolves, and `wake` waits for the first of a few of them, a time on the run's clock,
 * or the stop signal. The clock's timer is always cancelled, so a loop of waits leaves none behind.
 */
import type { Clock } from '../../util/clock.ts';

export class Changes {
  #resolve!: () => void;
  #next = this.#fresh();

  /** Resolves at the next `notify()`. */
  wait(): Promise<void> {
    return this.#next;
  }

  notify(): void {
    const resolve = this.#resolve;
    this.#next = this.#fresh();
    resolve();
  }

  #fresh(): Promise<void> {
    return new Promise<void>((resolve) => (this.#resolve = resolve));
  }
}

/**
 * Why a wait's own timer and listener are dropped: a fixed value, since `abort()` without one
 * builds a DOMException with its stack for every wait, a visible share of a busy run's CPU.
 */
const WOKEN = new Error('woken');

/** Resolves at the first of: `ms` on the clock (undefined: no time limit), one of `events`, `signal` aborted. */
export async function wake(
  clock: Clock,
  ms: number | undefined,
  events: readonly Promise<void>[],
  signal: AbortSignal,
): Promise<void> {
  if (signal.aborted) return;
  const done = new AbortController();
  const aborted = new Promise<void>((resolve) => {
    signal.addEventListener('abort', () => resolve(), { once: true, signal: done.signal });
  });
  const waits: Promise<void>[] = [...events, aborted];
  if (ms !== undefined) waits.push(clock.sleep(Math.max(0, ms), done.signal).catch(() => undefined));
  try {
    await Promise.race(waits);
  } finally {
    done.abort(WOKEN);
  }
}
