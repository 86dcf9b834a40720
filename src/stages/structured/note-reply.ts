/**
 * A structured reply checked as it arrives: an invalid one is recorded under the key of the
 * request that got it (which calls for the next re-ask, see reask.ts); a valid one clears any
 * record under that key (a reply re-read after a crash is judged the same way).
 */
import type { z } from 'zod';
import type { ResultLine } from '../result-line.ts';
import type { InvalidRecord } from './reask.ts';
import { checkReply } from './validate-reply.ts';

export function noteReply(
  holder: { invalidReplies?: Record<string, InvalidRecord> | undefined },
  key: string,
  result: Extract<ResultLine, { kind: 'succeeded' }>,
  schema: z.ZodType,
  /** The build session that got the reply (re-asks run out in it get a fresh round only from a later one). */
  session: string,
  /** The row the reply is for, and which attempt (0: the line itself). */
  row: { customId: string; attempt: number },
): InvalidRecord | undefined {
  const checked = checkReply(result, schema);
  if (checked.ok) {
    if (holder.invalidReplies) delete holder.invalidReplies[key];
    return undefined;
  }
  const record: InvalidRecord = {
    customId: row.customId,
    attempt: row.attempt,
    kind: checked.kind,
    message: checked.message,
    session,
  };
  (holder.invalidReplies ??= {})[key] = record;
  return record;
}
