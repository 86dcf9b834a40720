/**
 * Fault decisions of the online endpoints. A request's fate is a hash draw fixed by (seed, body
 * hash, attempt), so the same run repeats exactly whatever order concurrent requests arrive in,
 * and a retry of a failed request gets a fresh draw. Storm windows are on the emulator's clock.
 */
import { z } from 'zod';
import { hashUniform } from '../prng.ts';
import type { OnlineErrorFault, OnlineFaults } from './types.ts';

export type OnlineFate =
  { kind: 'run' } | { kind: 'error'; fault: OnlineErrorFault } | { kind: 'hang' } | { kind: 'lose-reply' };

/** The fate of the `attempt`-th (0-based) arrival of the body with `hash`. */
export function fateOf(faults: OnlineFaults | undefined, seed: number, hash: string, attempt: number): OnlineFate {
  if (!faults) return { kind: 'run' };
  // One draw split into consecutive shares keeps the kinds exclusive and their rates exact.
  const u = hashUniform(seed, 'online', hash, String(attempt));
  let edge = 0;
  for (const fault of faults.errors ?? []) {
    edge += fault.rate;
    if (u < edge) return { kind: 'error', fault };
  }
  edge += faults.hangRate ?? 0;
  if (u < edge) return { kind: 'hang' };
  edge += faults.lostReplyRate ?? 0;
  if (u < edge) return { kind: 'lose-reply' };
  return { kind: 'run' };
}

/** Milliseconds left of the 429 storm in force at `now` (0 = none); times count from `setAtMs`. */
export function stormLeft(faults: OnlineFaults | undefined, setAtMs: number, now: number): number {
  const elapsed = now - setAtMs;
  let left = 0;
  for (const storm of faults?.rateLimitStorms ?? []) {
    const end = storm.afterMs + storm.durationMs;
    if (elapsed >= storm.afterMs && elapsed < end) left = Math.max(left, end - elapsed);
  }
  return left;
}

const rate = z.number().min(0).max(1);

/** Online fault options as accepted from outside (the `online` key of POST /_emulator/faults). */
export const onlineFaultsSchema = z
  .object({
    errors: z
      .array(
        z
          .object({
            status: z.union([z.literal(500), z.literal(502), z.literal(503), z.literal(498), z.literal(529)]),
            rate,
            retryAfterSeconds: z.number().min(0).optional(),
          })
          .strict(),
      )
      .optional(),
    hangRate: rate.optional(),
    hangMs: z.number().min(0).optional(),
    lostReplyRate: rate.optional(),
    rateLimitStorms: z
      .array(z.object({ afterMs: z.number().min(0), durationMs: z.number().min(0) }).strict())
      .optional(),
  })
  .strict()
  .refine((f) => (f.errors ?? []).reduce((n, e) => n + e.rate, 0) + (f.hangRate ?? 0) + (f.lostReplyRate ?? 0) <= 1, {
    message: 'the shares of errors, hangs and lost replies add up to more than 1',
  });
