/**
 * A per-minute limit as a token bucket refilled continuously (`limit` per 60 s, never above
 * `limit`), the model OpenAI documents for its rate limits and its cookbook client mirrors.
 */

const MINUTE_MS = 60_000;

export class TokenBucket {
  readonly limit: number;
  #level: number;
  #at: number;

  constructor(limit: number, now: number) {
    this.limit = limit;
    this.#level = limit;
    this.#at = now;
  }

  #refill(now: number): void {
    if (now > this.#at) this.#level = Math.min(this.limit, this.#level + (this.limit * (now - this.#at)) / MINUTE_MS);
    this.#at = Math.max(this.#at, now);
  }

  /** What is left now. */
  level(now: number): number {
    this.#refill(now);
    return this.#level;
  }

  /** Milliseconds until `cost` fits (0 when it fits now; Infinity when it never will). */
  waitFor(cost: number, now: number): number {
    if (cost > this.limit) return Infinity;
    const missing = cost - this.level(now);
    return missing <= 0 ? 0 : (missing * MINUTE_MS) / this.limit;
  }

  take(cost: number, now: number): void {
    this.#refill(now);
    this.#level -= cost;
  }

  /** Milliseconds until the bucket is full again (OpenAI's `x-ratelimit-reset-*`). */
  untilFull(now: number): number {
    return ((this.limit - this.level(now)) * MINUTE_MS) / this.limit;
  }
}
