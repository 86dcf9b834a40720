/** Seeded randomness: a sequential PRNG for HTTP faults and shuffles, and order-free hash draws. */
import { createHash } from 'node:crypto';

/** mulberry32: tiny, fast, good enough for fault sampling; returns floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

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
