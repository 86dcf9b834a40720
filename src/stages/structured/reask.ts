/**
 * Re-asking invalid structured replies, as new requests. The request file stays as the requests
 * rule wrote it; a results stage works on each line's *effective* request instead:
 *
 *   line ─ its reply invalid? ─► re-ask 1 ─ invalid? ─► re-ask 2 … up to maxInvalidAttempts
 *
 * A re-ask is its own request with its own cache key, so the cache stays honest: the first,
 * invalid reply stays cached under the line's hash, and a re-ask's reply under
 * `reaskKey(k, its line)`. Its body is the line's, plus the validation error appended to the last
 * user message when `repairPrompt` is on; its custom_id is the line's with `__reask{k}`, made
 * unique against every custom id of the request file (`_2`, `_3`… when a line of the user's has
 * that id). Which sent ids are re-asks, and of which row and attempt, is recorded with the part
 * (its `reasks`) before it is uploaded: a results line is matched to its key through that record,
 * never by reading its id, so a user's id that happens to end in `__reask1` is just an id. Parts
 * written before that record existed are read the old way, by the suffix.
 *
 * Which replies were invalid is recorded by key (the ledger's `invalidReplies`), so the chain is a
 * pure function of the request file and that record: recomputed each run, the same after a crash.
 *
 * Rounds, as for transient failures: a build asks a row at most `maxInvalidAttempts` more times.
 * When the last re-ask of a round got an invalid reply in an earlier build (its record names
 * another session), the chain goes on with a fresh round; within the build that ran it out, it
 * stops (`build --wait` does not ask it again). A row that can never be valid by asking again —
 * every reply of two rounds or more the same (a refusal repeated, a field the model cannot write)
 * — gets no further round: it is `hopeless`, named with its replies.
 */
import { hashText } from '../../util/hash.ts';
import { lineId, withLineId } from '../../providers/registry.ts';
import type { RequestEntry } from '../work/request-file.ts';
import { lineHash } from '../work/request-file.ts';
import type { InvalidKind } from './validate-reply.ts';

export interface InvalidRecord {
  /** The custom id of the row (the request file's), for messages. */
  customId: string;
  /** 0 for the line itself, k for its k-th re-ask. */
  attempt: number;
  kind: InvalidKind;
  message: string;
  /** The build session that got this reply (none in state older than rounds: an earlier build). */
  session?: string;
}

/** Asked again without end would not help: every reply of two or more rounds was the same. */
export function isHopeless(replies: readonly InvalidRecord[], rounds: number): boolean {
  if (rounds < 2 || replies.length === 0) return false;
  const first = replies[0]!;
  return replies.every((r) => r.kind === first.kind && r.message === first.message);
}

/** A session no build has: the dry run prices what the next build will send, fresh rounds included. */
export const NEXT_BUILD = 'next-build';

/** How parts written before re-asks were recorded with their part named them (read, never written). */
const OLD_SUFFIX = /__reask(\d+)$/;
/** Anthropic's custom_id limit (OpenAI's is looser): a re-ask's id must fit it too. */
const MAX_ID = 64;

export function reaskKey(attempt: number, hash: string): string {
  return hashText(`reask:${attempt}:${hash}`);
}

/** A part's record of its re-asks: sent custom id → the row's custom id and the attempt. */
export type PartReasks = Readonly<Record<string, { row: string; attempt: number }>>;

/** Which row and attempt a sent id is: from the part's record, or (a part of older state) its suffix. */
export function sentAs(id: string, reasks: PartReasks | undefined): { customId: string; attempt: number } {
  if (reasks) {
    const r = Object.hasOwn(reasks, id) ? reasks[id] : undefined;
    return r ? { customId: r.row, attempt: r.attempt } : { customId: id, attempt: 0 };
  }
  const m = OLD_SUFFIX.exec(id);
  return m ? { customId: id.slice(0, m.index), attempt: Number(m[1]) } : { customId: id, attempt: 0 };
}

/** The cache key of a sent line: its request hash, or a re-ask's own key. */
export function lineKey(line: Record<string, unknown>, reasks: PartReasks | undefined): string {
  const hash = lineHash(line);
  const id = lineId(line);
  const attempt = id !== undefined ? sentAs(id, reasks).attempt : 0;
  return attempt > 0 ? reaskKey(attempt, hash) : hash;
}

/** The sent id of a row's k-th re-ask, unique against `taken` (every id of the file, and re-asks named so far). */
function reaskId(customId: string, attempt: number, taken: Set<string>): string {
  for (let n = 1; ; n++) {
    const suffix = `__reask${attempt}${n > 1 ? `_${n}` : ''}`;
    const id =
      customId.length + suffix.length <= MAX_ID
        ? `${customId}${suffix}`
        : // Still unique: a short hash of the whole id stands in for its tail.
          `${customId.slice(0, MAX_ID - suffix.length - 13)}_${hashText(customId).slice(0, 12)}${suffix}`;
    if (!taken.has(id)) {
      taken.add(id);
      return id;
    }
  }
}

export function repairText(message: string): string {
  return `\n\nYour previous reply was not valid (${message}). Reply again with only a JSON object that follows the schema.`;
}

function reaskEntry(
  e: RequestEntry,
  attempt: number,
  last: InvalidRecord,
  repair: boolean,
  taken: Set<string>,
): RequestEntry {
  const line = JSON.parse(e.text) as Record<string, unknown>;
  const body = repair ? e.wire.appendToPrompt(e.body, repairText(last.message)) : e.body;
  const sentId = reaskId(e.customId, attempt, taken);
  const sent = e.wire.withBody(withLineId(line, sentId), body);
  return { ...e, hash: reaskKey(attempt, e.wire.hash(sent)), text: JSON.stringify(sent), body, reask: attempt, sentId };
}

/**
 * The request each line stands for now: itself, or the re-ask its invalid replies call for. The
 * last re-ask is kept even when its reply is invalid too: that reply is final (the merge names it).
 * `chain` holds every key the lines pass through: records under other keys belong to an older
 * request file (or settings) and can go.
 */
export function effectiveEntries(
  entries: readonly RequestEntry[],
  invalid: Readonly<Record<string, InvalidRecord>> | undefined,
  settings: { maxInvalidAttempts: number; repairPrompt: boolean },
  /** This build's session: rows it ran out of re-asks get no fresh round in it. */
  session: string,
): { entries: RequestEntry[]; chain: Set<string>; hopeless: Map<string, InvalidRecord[]> } {
  const chain = new Set<string>();
  const hopeless = new Map<string, InvalidRecord[]>();
  const max = settings.maxInvalidAttempts;
  const taken = new Set(entries.map((e) => e.customId));
  const out = entries.map((e) => {
    let current = e;
    chain.add(e.hash);
    const replies: InvalidRecord[] = [];
    for (let k = 1, cap = max; invalid && max > 0; k++) {
      const bad = invalid[current.hash];
      if (!bad) break;
      replies.push(bad);
      if (k > cap) {
        // The last re-ask of a round was invalid too: a fresh round, unless asking again cannot
        // help or this build ran it out.
        if (isHopeless(replies, cap / max)) {
          hopeless.set(e.customId, replies);
          break;
        }
        if (bad.session === session) break;
        cap += max;
      }
      current = reaskEntry(e, k, bad, settings.repairPrompt, taken);
      chain.add(current.hash);
    }
    return current;
  });
  return { entries: out, chain, hopeless };
}
