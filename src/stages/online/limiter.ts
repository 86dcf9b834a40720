/**
 * The one gate every online request passes, shared by all targets of a build that talk to the same
 * server and model: at most `maxConcurrency` in flight, request and token budgets per minute, and
 * a global cool-down. A rate-limit answer (429, 503, 498, 529) pauses every sender, not only the
 * one that got it: the cookbook's lesson, since the others would hit the same wall.
 *
 * Limits come from the rule (`requestsPerMinute`, `tokensPerMinute`) and from the server's
 * `x-ratelimit-limit-*` headers, whichever is lower: a learned limit never raises a configured one.
 */
import type { Clock } from '../../util/clock.ts';
import type { RateLimitInfo } from './rate-headers.ts';
import { TokenBucket } from './token-bucket.ts';

export interface LimiterOptions {
  maxConcurrency: number;
  requestsPerMinute?: number | undefined;
  tokensPerMinute?: number | undefined;
}

/** A cool-down with no hint from the server starts here and doubles per consecutive rate-limit answer. */
export const FIRST_COOL_DOWN_MS = 1_000;
export const MAX_COOL_DOWN_MS = 60_000;

export interface Permit {
  /** Frees the concurrency slot. */
  release(): void;
}

export class Limiter {
  readonly #clock: Clock;
  readonly #configured: LimiterOptions;
  #requests: TokenBucket | undefined;
  #tokens: TokenBucket | undefined;
  /** Slots in use, and how many there are: the configured cap, lowered when the server says its queue is full. */
  #inUse = 0;
  #capacity: number;
  readonly #waiting: { wake: () => void }[] = [];
  #coolUntil = 0;
  #consecutiveThrottles = 0;
  /** Counters for reports and the benchmark. */
  readonly counts = { throttled: 0, coolDownMs: 0 };

  constructor(options: LimiterOptions, clock: Clock) {
    this.#clock = clock;
    this.#configured = options;
    this.#capacity = options.maxConcurrency;
    const now = clock.now();
    // A known limit starts with a tenth of a minute's budget, not a full one: a server counting
    // per fixed or sliding minute would refuse a full burst followed by the continuous refill.
    if (options.requestsPerMinute)
      this.#requests = new TokenBucket(options.requestsPerMinute, now, options.requestsPerMinute / 10);
    if (options.tokensPerMinute)
      this.#tokens = new TokenBucket(options.tokensPerMinute, now, options.tokensPerMinute / 10);
  }

  /** The limits in force now (configured, or learned and lower). */
  get limits(): { requestsPerMinute?: number; tokensPerMinute?: number } {
    return {
      ...(this.#requests ? { requestsPerMinute: this.#requests.limit } : {}),
      ...(this.#tokens ? { tokensPerMinute: this.#tokens.limit } : {}),
    };
  }

  /** Requests the server is trusted with at once (the configured cap, or less after a full queue). */
  get concurrency(): number {
    return this.#capacity;
  }

  /** When the global cool-down ends (0: none). */
  get coolingUntil(): number {
    return this.#coolUntil;
  }

  /** Waits for a slot, the cool-down and both budgets, then takes `tokens` from them. */
  async acquire(tokens: number, signal: AbortSignal): Promise<Permit> {
    const permit = await this.slot(signal);
    try {
      for (;;) {
        const wait = this.tryTake(tokens);
        if (wait <= 0) return permit;
        await this.#clock.sleep(wait, signal);
      }
    } catch (error) {
      permit.release();
      throw error;
    }
  }

  /** Waits for a concurrency slot only (a fleet's dispatcher takes the budgets once it knows which row it sends). */
  async slot(signal: AbortSignal): Promise<Permit> {
    await this.#takeSlot(signal);
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.#giveSlot();
      },
    };
  }

  /**
   * Takes `tokens` from the budgets if the cool-down is over and both allow it now (returns 0), or
   * says how many milliseconds until they would (nothing taken). Synchronous, so two senders never
   * both spend what only one may.
   */
  tryTake(tokens: number): number {
    const now = this.#clock.now();
    const wait = Math.max(
      this.#coolUntil - now,
      this.#requests?.waitFor(1, now) ?? 0,
      this.#tokens?.waitFor(tokens, now) ?? 0,
    );
    if (wait > 0) return wait;
    this.#requests?.take(1, now);
    this.#tokens?.take(tokens, now);
    return 0;
  }

  /** What a successful answer teaches: the server's limits, and that the rate-limit storm is over. */
  learn(info: RateLimitInfo): void {
    const now = this.#clock.now();
    // Requests sent before the limit was known and still in flight (this answer's aside) may not be
    // in the header's `remaining` yet: a first budget that counted them free would send them again.
    this.#requests = this.#learnOne(
      this.#requests,
      this.#configured.requestsPerMinute,
      info.limitRequests,
      info.remainingRequests === undefined ? undefined : info.remainingRequests - Math.max(0, this.#inUse - 1),
      now,
    );
    this.#tokens = this.#learnOne(
      this.#tokens,
      this.#configured.tokensPerMinute,
      info.limitTokens,
      info.remainingTokens,
      now,
    );
  }

  succeeded(): void {
    this.#consecutiveThrottles = 0;
  }

  /**
   * A rate-limit answer: everyone pauses for what the server asked (`retry-after`), else until the
   * exhausted budget resets by its headers, else an exponential back-off. The budgets the server
   * says are exhausted are emptied so the restart is paced, not a burst.
   */
  throttled(retryAfterMs: number | undefined, info: RateLimitInfo, status = 429): number {
    const now = this.#clock.now();
    // A 503 with no hint is a full queue (Ollama's OLLAMA_MAX_QUEUE, a busy vLLM): more requests at
    // once than the server holds. Send fewer at once from now on (this one's slot is still counted).
    if (status === 503 && retryAfterMs === undefined)
      this.#capacity = Math.max(1, Math.min(this.#capacity, this.#inUse - 1));
    this.learn(info);
    this.counts.throttled += 1;
    this.#consecutiveThrottles += 1;
    const outOfRequests = info.remainingRequests === 0;
    const outOfTokens = info.remainingTokens === 0;
    if (outOfRequests || (!outOfTokens && info.remainingRequests === undefined)) this.#requests?.lowerLevel(0, now);
    if (outOfTokens) this.#tokens?.lowerLevel(0, now);
    const fromReset = Math.max(
      outOfRequests ? (info.resetRequestsMs ?? 0) : 0,
      outOfTokens ? (info.resetTokensMs ?? 0) : 0,
    );
    const backOff = Math.min(MAX_COOL_DOWN_MS, FIRST_COOL_DOWN_MS * 2 ** (this.#consecutiveThrottles - 1));
    const pause = retryAfterMs ?? (fromReset > 0 ? fromReset : backOff);
    const until = now + pause;
    if (until > this.#coolUntil) {
      this.counts.coolDownMs += until - Math.max(now, this.#coolUntil);
      this.#coolUntil = until;
    }
    return pause;
  }

  #learnOne(
    bucket: TokenBucket | undefined,
    configured: number | undefined,
    limit: number | undefined,
    remaining: number | undefined,
    now: number,
  ): TokenBucket | undefined {
    if (limit === undefined || limit <= 0) return bucket;
    const effective = configured !== undefined ? Math.min(configured, limit) : limit;
    if (!bucket) return new TokenBucket(effective, now, Math.max(0, Math.min(remaining ?? effective / 10, effective)));
    if (effective < bucket.limit) {
      bucket.setLimit(effective, now);
      if (remaining !== undefined) bucket.lowerLevel(remaining, now);
    }
    return bucket;
  }

  async #takeSlot(signal: AbortSignal): Promise<void> {
    if (signal.aborted) throw signal.reason as Error;
    if (this.#inUse < this.#capacity && this.#waiting.length === 0) {
      this.#inUse += 1;
      return;
    }
    await new Promise<void>((resolve, reject) => {
      const waiter = {
        wake: () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        const i = this.#waiting.indexOf(waiter);
        if (i >= 0) this.#waiting.splice(i, 1);
        reject(signal.reason as Error);
      };
      this.#waiting.push(waiter);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  #giveSlot(): void {
    this.#inUse -= 1;
    while (this.#inUse < this.#capacity && this.#waiting.length > 0) {
      this.#inUse += 1;
      this.#waiting.shift()!.wake();
    }
  }
}
