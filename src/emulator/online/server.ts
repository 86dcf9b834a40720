/**
 * The state of the online endpoints, made once per emulator: their limits, slots, latency and
 * stats. The request flow itself is in handler.ts.
 */
import { RateLimits } from './rate-limits.ts';
import { Slots } from './slots.ts';
import { OnlineStatsKeeper } from './stats.ts';
import type { OnlineOptions, OnlineStats } from './types.ts';

/** Ollama's default `OLLAMA_MAX_QUEUE`. */
export const DEFAULT_MAX_QUEUE = 512;

export class OnlineServer {
  readonly limits: RateLimits;
  readonly slots: Slots;
  readonly stats: OnlineStatsKeeper;
  readonly #options: OnlineOptions;

  constructor(options: OnlineOptions, startMs: number) {
    this.#options = options;
    this.limits = new RateLimits(options.requestsPerMinute, options.tokensPerMinute);
    this.slots = new Slots(options.maxConcurrency ?? Infinity, options.maxQueue ?? DEFAULT_MAX_QUEUE);
    this.stats = new OnlineStatsKeeper(startMs);
  }

  /** The `x-ratelimit-*` headers an answer about `model` carries (none without limits, or when turned off). */
  rateLimitHeaders(model: string, now: number): Record<string, string> {
    if (this.#options.rateLimitHeaders === false || !this.limits.limited) return {};
    return this.limits.headers(model, now);
  }

  /** Emulator milliseconds to produce `outputTokens`, before the speed factor. */
  latencyMs(outputTokens: number): number {
    return (this.#options.baseLatencyMs ?? 0) + (this.#options.latencyPerOutputTokenMs ?? 0) * outputTokens;
  }

  view(): OnlineStats {
    return this.stats.view(this.slots);
  }
}
