/**
 * Building blocks of the flavours' id formats. Object ids are random (not seeded) so restarts never
 * reuse one; per-request ids are derived from the batch and index, so a result re-written after a
 * crash keeps its ids.
 */
import { createHash, randomBytes } from 'node:crypto';

export const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
export const LOWER_ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** Maps bytes onto an alphabet, one character each. */
export const charsOf = (bytes: Uint8Array, alphabet = BASE62): string =>
  [...bytes].map((b) => alphabet[b % alphabet.length]).join('');

/** `n` random characters of `alphabet`. */
export const randomChars = (n: number, alphabet = BASE62): string => charsOf(randomBytes(n), alphabet);

/** 32 hex characters fixed by `parts`. */
export function derivedHex(...parts: (string | number)[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 32);
}

/** The SHA-256 of `parts`, as bytes (for derived ids in another alphabet). */
export const derivedBytes = (...parts: (string | number)[]): Buffer =>
  createHash('sha256').update(parts.join('\u0000')).digest();
