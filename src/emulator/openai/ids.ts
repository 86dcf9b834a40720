/** OpenAI's object ids: `batch_` + 32 hex, `req_` + 32 hex, `file-` + 22 base62. */
import { randomBytes } from 'node:crypto';
import { randomChars } from '../ids.ts';

export const newBatchId = (): string => `batch_${randomBytes(16).toString('hex')}`;
export const newRequestId = (): string => `req_${randomBytes(16).toString('hex')}`;

/** Like `file-52voFe6FU6MWyAwa1Uj39R`. */
export const newFileId = (): string => `file-${randomChars(22)}`;
