/**
 * Fault injection. HTTP-level faults (status replies, dropped sockets, slow replies) are decided
 * per call from a seeded sequential PRNG, so a run with the same seed and call order repeats
 * exactly; `count` rules fire on the next N matching calls.
 */
import { z } from 'zod';
import { INVALID_REPLY_KINDS } from './invalid-replies.ts';
import { onlineFaultsSchema } from './online/faults.ts';
import { mulberry32 } from './prng.ts';
import type { FaultOptions, HttpFault } from './types.ts';

export type HttpDecision = { kind: 'drop' } | { kind: 'status'; fault: HttpFault } | null;

/** Where a download's body is cut (a share of its bytes, 0.1–0.9) and how the connection ends. */
export interface BodyCut {
  fraction: number;
  how: 'reset' | 'close';
}

const matches = (route: string | undefined, key: string, literal: string): boolean =>
  route === undefined || route === key || route === literal;

export class FaultState {
  #options: FaultOptions = {};
  /** Remaining firings of `count` rules, by rule index. */
  #remaining: (number | undefined)[] = [];
  /** Remaining cuts of a `cutDownloads.count` rule. */
  #cutsLeft: number | undefined;
  /** Remaining delays of a `slowCount` rule. */
  #slowsLeft: number | undefined;
  #random: () => number;
  #now: () => number;
  #setAtMs = 0;

  /** `now`: the emulator's clock, so time-based faults (online 429 storms) count from when they were set. */
  constructor(seed: number, options: FaultOptions = {}, now: () => number = () => 0) {
    this.#random = mulberry32(seed);
    this.#now = now;
    this.set(options);
  }

  set(options: FaultOptions): void {
    this.#options = structuredClone(options);
    this.#setAtMs = this.#now();
    this.#remaining = (options.http ?? []).map((f) => f.count);
    this.#cutsLeft = options.cutDownloads?.count;
    this.#slowsLeft = options.slowCount;
  }

  get options(): Readonly<FaultOptions> {
    return this.#options;
  }

  /** When (emulator clock) the current options were set. */
  get setAtMs(): number {
    return this.#setAtMs;
  }

  /** What to do with a call to `key` (route template) / `literal` (method + actual path). */
  decide(key: string, literal: string): HttpDecision {
    const { dropRate, dropRoutes } = this.#options;
    if (dropRate && (!dropRoutes || dropRoutes.some((r) => matches(r, key, literal))) && this.#random() < dropRate) {
      return { kind: 'drop' };
    }
    const rules = this.#options.http ?? [];
    for (let i = 0; i < rules.length; i++) {
      const rule = rules[i] as HttpFault;
      if (!matches(rule.route, key, literal)) continue;
      const left = this.#remaining[i];
      if (left !== undefined) {
        if (left <= 0) continue;
        if (rule.rate !== undefined && this.#random() >= rule.rate) continue;
        this.#remaining[i] = left - 1;
        return { kind: 'status', fault: rule };
      }
      if (this.#random() < (rule.rate ?? 1)) return { kind: 'status', fault: rule };
    }
    return null;
  }

  /** Whether this call's answer is lost after the work is done (see `lostReplyRate`). */
  loseReply(key: string, literal: string): boolean {
    const { lostReplyRate, lostReplyRoutes } = this.#options;
    return (
      !!lostReplyRate &&
      (!lostReplyRoutes || lostReplyRoutes.some((r) => matches(r, key, literal))) &&
      this.#random() < lostReplyRate
    );
  }

  /**
   * Whether this download of a file's content (`key` names a route that serves one) is cut
   * part-way through its body, and where.
   */
  cutDownload(key: string, literal: string): BodyCut | null {
    const rule = this.#options.cutDownloads;
    if (!rule || (rule.routes && !rule.routes.some((r) => matches(r, key, literal)))) return null;
    if (this.#cutsLeft !== undefined && this.#cutsLeft <= 0) return null;
    if (this.#random() >= (rule.rate ?? 1)) return null;
    if (this.#cutsLeft !== undefined) this.#cutsLeft -= 1;
    const fraction = 0.1 + 0.8 * this.#random();
    const how = rule.how ?? (this.#random() < 0.5 ? 'reset' : 'close');
    return { fraction, how };
  }

  /** Milliseconds this download's body stalls after its first bytes (0 = none). */
  stallDownload(key: string, literal: string): number {
    const rule = this.#options.stallDownloads;
    if (!rule || (rule.routes && !rule.routes.some((r) => matches(r, key, literal)))) return 0;
    return this.#random() < (rule.rate ?? 1) ? rule.ms : 0;
  }

  /** Milliseconds to hold this response back (0 = none). */
  delay(key: string, literal: string): number {
    const { slowMs, slowRate, slowRoutes } = this.#options;
    if (!slowMs || (slowRoutes && !slowRoutes.some((r) => matches(r, key, literal)))) return 0;
    if (this.#slowsLeft !== undefined && this.#slowsLeft <= 0) return 0;
    if (this.#random() >= (slowRate ?? 1)) return 0;
    if (this.#slowsLeft !== undefined) this.#slowsLeft -= 1;
    return slowMs;
  }
}

const rate = z.number().min(0).max(1);

/** Fault options as accepted from outside (POST /_emulator/faults). */
export const faultOptionsSchema = z
  .object({
    http: z
      .array(
        z
          .object({
            route: z.string().optional(),
            status: z.union([z.literal(500), z.literal(502), z.literal(503), z.literal(429), z.literal(529)]),
            rate: rate.optional(),
            count: z.number().int().min(0).optional(),
            retryAfterSeconds: z.number().min(0).optional(),
          })
          .strict(),
      )
      .optional(),
    dropRate: rate.optional(),
    dropRoutes: z.array(z.string()).optional(),
    lostReplyRate: rate.optional(),
    lostReplyRoutes: z.array(z.string()).optional(),
    slowMs: z.number().min(0).optional(),
    slowRate: rate.optional(),
    slowRoutes: z.array(z.string()).optional(),
    slowCount: z.number().int().min(0).optional(),
    requestErrors: z
      .object({
        rate5xx: rate.optional(),
        rate4xx: rate.optional(),
        customIds5xx: z.array(z.string()).optional(),
        customIds4xx: z.array(z.string()).optional(),
        transientAttempts: z.number().int().min(0).optional(),
      })
      .strict()
      .optional(),
    cutDownloads: z
      .object({
        rate: rate.optional(),
        count: z.number().int().min(0).optional(),
        how: z.enum(['reset', 'close']).optional(),
        routes: z.array(z.string()).optional(),
      })
      .strict()
      .optional(),
    stallDownloads: z
      .object({ ms: z.number().min(0), rate: rate.optional(), routes: z.array(z.string()).optional() })
      .strict()
      .optional(),
    invalidReplies: z
      .object({
        rate: rate.optional(),
        customIds: z.array(z.string()).optional(),
        kinds: z.array(z.enum(INVALID_REPLY_KINDS)).optional(),
        attempts: z.number().int().min(0).optional(),
      })
      .strict()
      .optional(),
    expireAfterFraction: rate.optional(),
    fileNotFoundAfterUploadMs: z.number().min(0).optional(),
    listLagMs: z.number().min(0).optional(),
    online: onlineFaultsSchema.optional(),
  })
  .strict();
