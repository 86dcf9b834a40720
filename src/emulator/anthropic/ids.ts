/**
 * Ids in the formats Anthropic uses (`msgbatch_01…`, `msg_01…`, `req_011C…`: a prefix, a version
 * marker and base62). Batch and request ids are random, so restarts never reuse one; message ids are
 * derived from the batch and index, so a result line re-written after a crash keeps its id.
 */
import { charsOf, derivedBytes, randomChars } from '../ids.ts';

export const newMessageBatchId = (): string => `msgbatch_01${randomChars(22)}`;
export const newAnthropicRequestId = (): string => `req_011C${randomChars(20)}`;

export const derivedMessageId = (batchId: string, index: number): string =>
  `msg_01${charsOf(derivedBytes(batchId, index).subarray(0, 22))}`;

export const derivedRequestId = (batchId: string, index: number): string =>
  `req_011C${charsOf(derivedBytes(batchId, index, 'req').subarray(0, 20))}`;
