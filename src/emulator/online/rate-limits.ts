/**
 * OpenAI's per-model request and token limits for the online endpoints: whether a request may
 * pass now, what it is charged, and the `x-ratelimit-*` headers that describe what is left.
 */
import { formatDuration } from './duration.ts';
import { TokenBucket } from './token-bucket.ts';

/** Why a request may not pass: which limit, and how long until it would. */
export interface RateLimitRefusal {
  type: 'requests' | 'tokens';
  limit: number;
  /** What the limit has counted in the last minute (limit minus what is left), as OpenAI's message shows it. */
  used: number;
  requested: number;
  /** Milliseconds until the request would fit; Infinity when it never will (more tokens than the limit). */
  waitMs: number;
}

interface ModelBuckets {
  requests: TokenBucket | undefined;
  tokens: TokenBucket | undefined;
}

export class RateLimits {
  readonly #requestsPerMinute: number | undefined;
  readonly #tokensPerMinute: number | undefined;
  readonly #byModel = new Map<string, ModelBuckets>();

  constructor(requestsPerMinute: number | undefined, tokensPerMinute: number | undefined) {
    this.#requestsPerMinute = requestsPerMinute;
    this.#tokensPerMinute = tokensPerMinute;
  }

  get limited(): boolean {
    return this.#requestsPerMinute !== undefined || this.#tokensPerMinute !== undefined;
  }

  #buckets(model: string, now: number): ModelBuckets {
    let buckets = this.#byModel.get(model);
    if (!buckets) {
      const rpm = this.#requestsPerMinute;
      const tpm = this.#tokensPerMinute;
      buckets = {
        requests: rpm === undefined ? undefined : new TokenBucket(rpm, now),
        tokens: tpm === undefined ? undefined : new TokenBucket(tpm, now),
      };
      this.#byModel.set(model, buckets);
    }
    return buckets;
  }

  /** The limit this request would break now (requests are checked first, as OpenAI reports them), or null. */
  check(model: string, tokens: number, now: number): RateLimitRefusal | null {
    const { requests, tokens: tokenBucket } = this.#buckets(model, now);
    for (const [type, bucket, cost] of [
      ['requests', requests, 1],
      ['tokens', tokenBucket, tokens],
    ] as const) {
      if (!bucket) continue;
      const waitMs = bucket.waitFor(cost, now);
      if (waitMs > 0)
        return {
          type,
          limit: bucket.limit,
          used: Math.ceil(bucket.limit - bucket.level(now)),
          requested: cost,
          waitMs,
        };
    }
    return null;
  }

  charge(model: string, tokens: number, now: number): void {
    const { requests, tokens: tokenBucket } = this.#buckets(model, now);
    requests?.take(1, now);
    tokenBucket?.take(tokens, now);
  }

  /** OpenAI's `x-ratelimit-*` headers for the limits that are set (none when no limit is). */
  headers(model: string, now: number): Record<string, string> {
    const headers: Record<string, string> = {};
    const { requests, tokens } = this.#buckets(model, now);
    for (const [kind, bucket] of [
      ['requests', requests],
      ['tokens', tokens],
    ] as const) {
      if (!bucket) continue;
      headers[`x-ratelimit-limit-${kind}`] = String(bucket.limit);
      headers[`x-ratelimit-remaining-${kind}`] = String(Math.max(0, Math.floor(bucket.level(now))));
      headers[`x-ratelimit-reset-${kind}`] = formatDuration(bucket.untilFull(now));
    }
    return headers;
  }
}
