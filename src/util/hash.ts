/** Content hashing (sha256), streamed so memory does not grow with file size. */
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';

export type Sha256 = string & { readonly __brand: 'sha256' };

/** One buffer reused for every read: a read stream allocates (and copies down) a fresh one per chunk. */
export async function hashFile(file: string): Promise<Sha256> {
  const hash = createHash('sha256');
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.allocUnsafe(1 << 18);
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      hash.update(buffer.subarray(0, bytesRead));
    }
  } finally {
    await handle.close();
  }
  return hash.digest('hex') as Sha256;
}

export function hashText(text: string | Uint8Array): Sha256 {
  return createHash('sha256').update(text).digest('hex') as Sha256;
}

/** JSON with object keys sorted at every level, so equal values always hash equal. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      return Object.fromEntries(
        Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
      );
    }
    return v;
  });
}
