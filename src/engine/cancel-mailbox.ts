/**
 * How `pipeline cancel` reaches a `build --wait` that holds the lock: a request file in the
 * state dir, which the build claims, acts on (it holds the lock and the markers, and with
 * --offline it runs the only emulator that may touch them) and answers with a file of its own.
 *
 *   cancel-request.json          posted by `cancel`: created complete with link(), so at most
 *                                one request waits and a reader never sees half of one
 *   cancel-request.claimed.json  the build renamed it: from here on the build will answer
 *   cancel-answer-<id>.json      the build's answer, written atomically; `cancel` reads and removes it
 *
 * The rename is the hand-over: a `cancel` that gives up removes its request only if it is still
 * unclaimed, so a request is either withdrawn or answered, never acted on silently. A request
 * whose sender died is dropped unanswered rather than acted on later, out of the blue.
 */
import { link, readFile, rename, rm, stat, unlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { writeFileAtomic, tempPathFor } from '../util/fs-atomic.ts';
import { isProcessAlive } from '../util/process.ts';

export interface CancelRequest {
  id: string;
  /** Target ids whose remote work is to be cancelled. */
  targets: string[];
  requestedAt: number;
  pid: number;
  host: string;
}

export interface CancelOutcome {
  target: string;
  cancelled: number;
  message: string;
}

export interface CancelAnswer {
  id: string;
  answeredAt: number;
  /** Who answered, for the message `cancel` prints. */
  pid: number;
  outcomes: CancelOutcome[];
  /** Targets the build stopped waiting for (they stay pending; the next build sends the rest). */
  stopped: string[];
}

export function newCancelRequest(targets: string[], now: number): CancelRequest {
  return { id: randomBytes(6).toString('hex'), targets, requestedAt: now, pid: process.pid, host: os.hostname() };
}

export class CancelMailbox {
  readonly #request: string;
  readonly #claimed: string;
  readonly #dir: string;

  /** `stateDir`: the absolute `<root>/<stateDir>`, where the lock lives. */
  constructor(stateDir: string) {
    this.#dir = stateDir;
    this.#request = path.join(stateDir, 'cancel-request.json');
    this.#claimed = path.join(stateDir, 'cancel-request.claimed.json');
  }

  /** Posts a request; false when another request is already waiting (try again shortly). */
  async post(request: CancelRequest): Promise<boolean> {
    const temp = tempPathFor(this.#request);
    await writeFileAtomic(temp, JSON.stringify(request));
    try {
      await link(temp, this.#request);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw error;
    } finally {
      await rm(temp, { force: true });
    }
  }

  /** One stat: whether a request is waiting. Cheap enough to ask every second while waiting. */
  async hasRequest(): Promise<boolean> {
    return (await stat(this.#request).catch(() => undefined)) !== undefined;
  }

  /** Takes the waiting request, if any, for this process to act on and answer. */
  async claim(): Promise<CancelRequest | undefined> {
    try {
      await rename(this.#request, this.#claimed);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    let request: CancelRequest | undefined;
    try {
      request = JSON.parse(await readFile(this.#claimed, 'utf8')) as CancelRequest;
    } catch {
      request = undefined; // unreadable: cannot be answered
    }
    const senderGone = request && request.host === os.hostname() && !isProcessAlive(request.pid);
    if (!request || !Array.isArray(request.targets) || senderGone) {
      await rm(this.#claimed, { force: true });
      return undefined;
    }
    return request;
  }

  async answer(answer: CancelAnswer): Promise<void> {
    await writeFileAtomic(this.#answerFile(answer.id), JSON.stringify(answer));
    await rm(this.#claimed, { force: true });
  }

  /** The answer to request `id`, removed once read; undefined while there is none. */
  async takeAnswer(id: string): Promise<CancelAnswer | undefined> {
    const file = this.#answerFile(id);
    let answer: CancelAnswer;
    try {
      answer = JSON.parse(await readFile(file, 'utf8')) as CancelAnswer;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    await rm(file, { force: true });
    return answer;
  }

  /** Removes request `id` if nobody claimed it yet: true when withdrawn, false when claimed (or gone). */
  async withdraw(id: string): Promise<boolean> {
    try {
      const waiting = JSON.parse(await readFile(this.#request, 'utf8')) as CancelRequest;
      if (waiting.id !== id) return false;
      await unlink(this.#request);
      return true;
    } catch {
      return false; // claimed (renamed away) between the read and the unlink, or never posted
    }
  }

  #answerFile(id: string): string {
    return path.join(this.#dir, `cancel-answer-${id.replace(/[^a-z0-9]/gi, '')}.json`);
  }
}
