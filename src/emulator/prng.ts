/** Seeded randomness: a sequential PRNG for HTTP faults and shuffles, and order-free hash draws. */
import { createHash } from 'node:crypto';

export { mulberry32 } from '../util/prng.ts';

/** A 32-bit seed from any strings, for per-batch generators. */
export function seedFrom(...parts: (string | number)[]): number {
  return createHash('sha256').update(parts.join('\u0000')).digest().readUInt32LE(0);
}

/**
 * A uniform draw in [0, 1) fixed by (seed, key): the same request body gets the same fate in
 * every batch and every run, whatever order lines are executed in.
 */
export function hashUniform(seed: number, ...key: string[]): number {
  return seedFrom(seed, ...key) / 4294967296;
}

export function shuffleInPlace<T>(items: T[], random: () => number): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const tmp = items[i] as T;
    items[i] = items[j] as T;
    items[j] = tmp;
  }
}
