/**
 * How a results target's structured replies stand, counted one way for every runner (the batch
 * stage's ledger summary, the online stage's journal): from the request file as it stands now
 * (each line's current re-ask, see reask.ts), which of those requests have an answer, and the
 * invalid replies on record.
 *
 * A row is invalid when the reply to its *current* request is (one whose fresh round got a valid
 * reply counts as valid, whatever its earlier attempts were); re-asked when its current request is a
 * re-ask; in a fresh round when that re-ask is past the first round's `maxInvalidAttempts`;
 * hopeless when reask.ts found every reply of its rounds the same.
 */
import type { HopelessRow, ReplyCounts } from '../types.ts';
import type { InvalidRecord } from './reask.ts';

/** The counts a runner stores: `valid` follows from the rows answered, the rows are kept apart. */
export type ReplyTally = Omit<ReplyCounts, 'valid' | 'hopelessRows' | 'whatToDo'>;

/** Rows named in full (status, the marker); more are counted only. */
const MAX_NAMED = 20;
/** Enough of the last reply to recognise it. */
const EXCERPT = 160;

export const HOPELESS_ADVICE =
  'asking again will not make these rows valid: change the prompt or the schema (the requests rule), then build';

export function countReplies(args: {
  /** The lines as they stand now: the request's key, and which re-ask it is. */
  entries: readonly { hash: string; reask?: number }[];
  invalid: Readonly<Record<string, InvalidRecord>> | undefined;
  answered: (hash: string) => boolean;
  maxInvalidAttempts: number;
  hopeless?: ReadonlyMap<string, readonly InvalidRecord[]> | undefined;
}): ReplyTally {
  const { entries, invalid, maxInvalidAttempts } = args;
  const count = (keep: (e: { hash: string; reask?: number }) => boolean) => entries.filter(keep).length;
  const rounds = count((e) => (e.reask ?? 0) > maxInvalidAttempts);
  const hopeless = args.hopeless?.size ?? 0;
  return {
    invalid: count((e) => args.answered(e.hash) && invalid?.[e.hash] !== undefined),
    reasked: count((e) => (e.reask ?? 0) > 0),
    ...(rounds > 0 ? { rounds } : {}),
    ...(hopeless > 0 ? { hopeless } : {}),
  };
}

/** The counts with the hopeless rows named, and what to do about them, for `status`. */
export function withHopelessRows(counts: ReplyCounts, rows: readonly HopelessRow[] | undefined): ReplyCounts {
  return rows && rows.length > 0 ? { ...counts, hopelessRows: [...rows], whatToDo: HOPELESS_ADVICE } : counts;
}

/** The hopeless rows as `status` names them: id, how many replies, the last one's kind and an excerpt. */
export function hopelessRows(hopeless: ReadonlyMap<string, readonly InvalidRecord[]> | undefined): HopelessRow[] {
  return [...(hopeless ?? [])].slice(0, MAX_NAMED).map(([customId, replies]) => {
    const last = replies.at(-1)!;
    return { customId, replies: replies.length, kind: last.kind, lastReply: excerpt(last.message) };
  });
}

/** `abstract_algebra-2: 5 replies, every one refused: I'm sorry…` */
export function describeHopeless(row: HopelessRow): string {
  return `${row.customId}: ${row.replies} replies, every one ${row.kind === 'refusal' ? '' : `${row.kind}: `}${row.lastReply}`;
}

/** The build log's and `status`'s words for the rows counted: `3 valid, 1 invalid, 1 re-asked…`. */
export function describeCounts(counts: ReplyCounts): string {
  const rounds = counts.rounds ? `, ${counts.rounds} in a fresh round` : '';
  const hopeless = counts.hopeless ? `, ${counts.hopeless} never valid by asking again` : '';
  return `replies: ${counts.valid} valid, ${counts.invalid} invalid, ${counts.reasked} re-asked${rounds}${hopeless}`;
}

/** The rows named, then what to do about them: for the build log. */
export function describeHopelessRows(rows: readonly HopelessRow[], shown = 3): string {
  if (rows.length === 0) return '';
  const named = rows.slice(0, shown).map(describeHopeless).join('; ');
  return `never valid by asking again: ${named}${rows.length > shown ? '; …' : ''} — ${HOPELESS_ADVICE}`;
}

function excerpt(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > EXCERPT ? `${flat.slice(0, EXCERPT - 1)}…` : flat;
}
