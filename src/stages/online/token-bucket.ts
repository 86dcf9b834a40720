/**
 * A per-minute budget refilled continuously (`level += limit × elapsed / 60 s`, capped at the
 * limit), the shape OpenAI's rate limits and its cookbook's parallel processor use. One bucket for
 * requests, one for tokens. Time comes from the caller, so tests move it by hand.
 */
const MINUTE_MS = 60_000;

export class TokenBucket {
  #limit: number;
  #level: number;
  #at: number;

  /** `startLevel`: how much may go at once before the first refill (default: a full minute's worth). */
  constructor(perMinute: number, now: number, startLevel = perMinute) {
    this.#limit = perMinute;
    this.#level = Math.min(startLevel, perMinute);
    this.#at = now;
  }

  get limit(): number {
    return this.#limit;
  }

  level(now: number): number {
    this.#refill(now);
    return this.#level;
  }

  /** A lower limit (learned from the server): the level never stays above the new capacity. */
  setLimit(perMinute: number, now: number): void {
    this.#refill(now);
    this.#limit = perMinute;
    this.#level = Math.min(this.#level, perMinute);
  }

  /** The server says less is left than we think (its `remaining` header, or a 429): believe it. */
  lowerLevel(atMost: number, now: number): void {
    this.#refill(now);
    this.#level = Math.min(this.#level, Math.max(0, atMost));
  }

  /**
   * Milliseconds until `cost` can be taken. A cost above the limit waits for a full bucket (it
   * could never fit otherwise); the bucket then goes negative and pays it back over time.
   */
  waitFor(cost: number, now: number): number {
    this.#refill(now);
    const need = Math.min(cost, this.#limit) - this.#level;
    return need <= 0 ? 0 : Math.ceil((need * MINUTE_MS) / this.#limit);
  }

  take(cost: number, now: number): void {
    this.#refill(now);
    this.#level -= cost;
  }

  /** Gives back what a request took when it was never answered by the server (connection refused). */
  refund(cost: number, now: number): void {
    this.#refill(now);
    this.#level = Math.min(this.#limit, this.#level + cost);
  }

  #refill(now: number): void {
    const elapsed = now - this.#at;
    if (elapsed > 0) this.#level = Math.min(this.#limit, this.#level + (this.#limit * elapsed) / MINUTE_MS);
    this.#at = Math.max(this.#at, now);
  }
}
