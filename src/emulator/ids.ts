/** Object ids in the real API's formats. Random (not seeded) so restarts never reuse an id. */
import { createHash, randomBytes } from 'node:crypto';

const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export const newBatchId = (): string => `batch_${randomBytes(16).toString('hex')}`;
export const newRequestId = (): string => `req_${randomBytes(16).toString('hex')}`;

/** `file-` + 22 base62 characters, like `file-52voFe6FU6MWyAwa1Uj39R`. */
export function newFileId(): string {
  const bytes = randomBytes(22);
  let id = 'file-';
  for (const b of bytes) id += BASE62[b % 62];
  return id;
}

/** Per-line ids derived from the batch and line, so re-materializing a line gives the same ids. */
export function derivedHex(...parts: (string | number)[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 32);
}
