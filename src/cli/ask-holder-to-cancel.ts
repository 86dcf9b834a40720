/**
 * `pipeline cancel` while the lock is held. A `build --wait` holder is asked through the cancel
 * mailbox and answers within a second or so; any other holder (a plain build, a build of
 * `watch`) finishes on its own, and then cancel takes the lock and acts itself. Either way the
 * wait is bounded: after ANSWER_TIMEOUT_MS cancel gives up, withdraws its request and says what
 * to do next.
 */
import { CancelMailbox, newCancelRequest, type CancelAnswer, type CancelRequest } from '../engine/cancel-mailbox.ts';
import { acquireLock, describeHolder, type HeldLock, type LockHolder } from '../engine/lock.ts';
import type { Clock } from '../util/clock.ts';
import type { Output } from '../report/terminal.ts';

export const ANSWER_TIMEOUT_MS = 30_000;
const LOOK_EVERY_MS = 250;

export type HolderOutcome =
  /** The holder cancelled them and answered. */
  | { kind: 'answered'; answer: CancelAnswer }
  /** The lock came free: the caller holds it now and cancels itself. */
  | { kind: 'locked'; lock: HeldLock }
  /** No answer in time (or interrupted); nothing was done by the holder. */
  | { kind: 'no-answer'; holder: LockHolder; claimed: boolean; interrupted: boolean };

export async function askHolderToCancel(opts: {
  stateDir: string;
  targets: string[];
  clock: Clock;
  signal: AbortSignal;
  stderr: Output;
}): Promise<HolderOutcome> {
  const { clock, stateDir } = opts;
  const mailbox = new CancelMailbox(stateDir);
  const deadline = clock.now() + ANSWER_TIMEOUT_MS;
  let posted: CancelRequest | undefined;
  let told: string | undefined;
  let holder: LockHolder | undefined;
  const tell = (key: string, text: string) => {
    if (told !== key) opts.stderr.write(text);
    told = key;
  };
  for (;;) {
    // The answer first: a build that answered may have finished its wait and released the lock.
    const early = posted && (await mailbox.takeAnswer(posted.id));
    if (early) return { kind: 'answered', answer: early };
    const lock = await acquireLock(stateDir, 'cancel');
    if (lock.ok) {
      if (posted && !(await mailbox.withdraw(posted.id))) {
        // Claimed: the build answered just before it let go of the lock, or died acting on it.
        const late = await mailbox.takeAnswer(posted.id);
        if (late) {
          await lock.value.release();
          return { kind: 'answered', answer: late };
        }
      }
      // Otherwise we act ourselves (the stages' cancel is idempotent if the build already did).
      return { kind: 'locked', lock: lock.value };
    }
    holder = lock.error;
    if (holder.answersCancel && !posted) {
      const request = newCancelRequest(opts.targets, clock.now());
      if (await mailbox.post(request)) posted = request;
      tell(
        'asked',
        `cancel: asking the running build, ${describeHolder(holder)}, to cancel (waiting up to ${ANSWER_TIMEOUT_MS / 1000} s for its answer)\n`,
      );
    } else if (!holder.answersCancel) {
      tell(
        'waiting',
        `cancel: ${describeHolder(holder)} holds the lock; waiting up to ${ANSWER_TIMEOUT_MS / 1000} s for it to finish\n`,
      );
    }
    const interrupted = opts.signal.aborted;
    if (interrupted || clock.now() >= deadline) {
      const withdrawn = posted ? await mailbox.withdraw(posted.id) : true;
      return { kind: 'no-answer', holder, claimed: !withdrawn, interrupted };
    }
    try {
      await clock.sleep(LOOK_EVERY_MS, opts.signal);
    } catch {
      // interrupted: the next turn withdraws the request and reports
    }
  }
}
