/**
 * Ids in the formats Anthropic uses (`msgbatch_01…`, `msg_01…`, `req_011C…`: a prefix, a version
 * marker and base62). Batch and request ids are random, so restarts never reuse one; message ids are
 * derived from the batch and index, so a result line re-written after a crash keeps its id.
 */
import { createHash, randomBytes } from 'node:crypto';

const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

const base62 = (bytes: Uint8Array): string => [...bytes].map((b) => BASE62[b % 62]).join('');

export const newMessageBatchId = (): string => `msgbatch_01${base62(randomBytes(22))}`;
export const newAnthropicRequestId = (): string => `req_011C${base62(randomBytes(20))}`;

export function derivedMessageId(batchId: string, index: number): string {
  return `msg_01${base62(createHash('sha256').update(`${batchId}\u0000${index}`).digest().subarray(0, 22))}`;
}

export function derivedRequestId(batchId: string, index: number): string {
  return `req_011C${base62(createHash('sha256').update(`${batchId}\u0000${index}\u0000req`).digest().subarray(0, 20))}`;
}
