/**
 * An online target's structured replies for `status`, counted as the batch stage counts them
 * (structured/reply-counts.ts) when a run finishes, and kept in its journal as one `replies` line:
 * `status` reads that line instead of the request file and the cache.
 */
import type { HopelessRow, ReplyCounts } from '../types.ts';
import type { InvalidRecord } from '../structured/reask.ts';
import { countReplies, withHopelessRows } from '../structured/reply-counts.ts';
import { LineAppender } from './line-appender.ts';

export interface RepliesLine extends ReplyCounts {
  t: 'replies';
  at: number;
}

/** Counts the replies of the rows a run finished with, and journals them. */
export async function recordReplies(
  journal: string,
  at: number,
  args: Parameters<typeof countReplies>[0] & { answeredRows: number; hopelessRows: HopelessRow[] },
): Promise<ReplyCounts> {
  const tally = countReplies(args);
  const counts = withHopelessRows({ valid: args.answeredRows - tally.invalid, ...tally }, args.hopelessRows);
  const appender = await LineAppender.open(journal);
  try {
    await appender.append({ t: 'replies', at, ...counts } satisfies RepliesLine);
  } finally {
    await appender.close();
  }
  return counts;
}

/**
 * A journal without a `replies` line (written by llmake 0.1.0, which had no rounds): a row is
 * invalid when its last re-ask is the last allowed one and invalid too.
 */
export function repliesOfOldJournal(
  invalid: Readonly<Record<string, InvalidRecord>>,
  answered: number,
  max: number,
): ReplyCounts {
  const last = new Map<string, number>();
  for (const r of Object.values(invalid)) last.set(r.customId, Math.max(last.get(r.customId) ?? 0, r.attempt));
  const final = [...last.values()].filter((attempt) => attempt >= max).length;
  const reasked = max > 0 ? last.size : 0;
  return { valid: answered - final, invalid: final, reasked };
}
